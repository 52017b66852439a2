"""The in-place guard: an array that a recorded op will read again stays read-only until then.

Backward computes a gradient from the values forward saw. If those values changed in between
(`x.data[:] = 0` after `y = x * w`), the gradient would be silently wrong. So when an op is
recorded, `hold` makes the arrays of its inputs and output read-only, and `let_go` (called
when backward releases the op, or when the graph is dropped) makes them writeable again once
no op holds them any more. Arrays are counted: a weight used by ten recorded ops is held ten
times.

What is caught, exactly (README, "Copies, shared memory and in-place changes"):
- a write into a held array itself (`x.data[:] = 0`, `y.data *= 0`, a `from_numpy` array);
- a write into the array a held view was taken from (`from_numpy(a[:])`, then `a[:] = 10`):
  holding a view holds its base too;
- not a write through a view taken *before* the op (`v = w.data[:]`, then `v[:] = 5`):
  numpy does not know an array's views, so nothing can make `v` read-only.

Locks and the garbage collector. Finalisers (`Context.__del__`) may run at any moment, also
inside `hold` while this thread holds the lock, when the cyclic garbage collector happens to
run there. A finaliser therefore never waits for the lock: `let_go_later` tries to take it
without waiting and otherwise leaves its arrays in a queue that whoever holds the lock empties
right after releasing it.
"""
import collections
import threading
import weakref

import numpy as np

_held = {}                        # id(array) -> [array, how many holds, the first op's name]
_waiting = {}                     # id(base) -> weak references to views waiting for their base
_lock = threading.Lock()
_deferred = collections.deque()   # (action, argument) left by callers that found the lock taken


def hold(inputs, output, op="an op"):
    """Make an op's input arrays and its output (and the arrays they are views of) read-only
    for the op named `op`; returns what to let go.

    An array that is read-only already (made so by its owner) is left out: it needs no
    protection and must never be made writeable by minnet. The one exception is an output
    born read-only as a view of a held array (a reshape of a held input): it is held too, so
    that it becomes writeable with its base.
    """
    held = []
    with _lock:
        for array in inputs:
            _hold_one(array, op, held, born_of_held=False)
            if isinstance(array.base, np.ndarray):
                _hold_one(array.base, op, held, born_of_held=False)
        _hold_one(output, op, held, born_of_held=True)
        if isinstance(output.base, np.ndarray):
            _hold_one(output.base, op, held, born_of_held=False)
    _drain()
    return held


def _hold_one(array, op, held, born_of_held):
    entry = _held.get(id(array))
    if entry is not None:
        entry[1] += 1
    elif array.flags.writeable:
        _held[id(array)] = [array, 1, op]
        array.setflags(write=False)
    elif born_of_held and _base_held(array):
        _held[id(array)] = [array, 1, op]
    else:
        return
    held.append(array)


def adopt(view):
    """A view born read-only of a held array outside any recorded op (under no_grad, or
    Tensor.data's view) becomes writeable with its base instead of staying read-only.

    Tensor.data calls it, and a finaliser may read Tensor.data: it never waits for the lock."""
    _deferred.append((_adopt, view))
    _drain()


def let_go(arrays):
    """Undo one `hold`: arrays that no op holds any more become writeable again."""
    with _lock:
        _release(arrays)
    _drain()


def let_go_later(arrays):
    """`let_go` for finalisers: never waits for the lock (see the module docstring)."""
    _deferred.append((_release, arrays))
    _drain()


def _drain():
    # Whoever holds the lock empties the queue after releasing it, so nothing stays queued.
    while _deferred and _lock.acquire(blocking=False):
        try:
            while _deferred:
                action, argument = _deferred.popleft()
                action(argument)
        finally:
            _lock.release()


def _adopt(view):
    if _base_held(view):
        _wait_for_base(view)


def _release(arrays):
    for array in arrays:
        entry = _held.get(id(array))
        if entry is None:
            continue
        entry[1] -= 1
        if entry[1] > 0:
            continue
        del _held[id(array)]
        if _writeable_again(array):
            for reference in _waiting.pop(id(array), ()):
                view = reference()
                if view is not None and id(view) not in _held:
                    _writeable_again(view)


def _writeable_again(array):
    """Make array writeable; a view whose base is still held waits for its base."""
    try:
        array.setflags(write=True)
        return True
    except ValueError:
        if _base_held(array):
            _wait_for_base(array)
        return False


def _base_held(array):
    base = array.base
    return isinstance(base, np.ndarray) and id(base) in _held


def _wait_for_base(view):
    waiting = _waiting.setdefault(id(view.base), [])
    waiting.append(weakref.ref(view))
    if len(waiting) >= 64 and len(waiting) & (len(waiting) - 1) == 0:    # now and then:
        waiting[:] = [reference for reference in waiting if reference() is not None]


def held_how(array):
    """"own" while recorded ops hold `array` itself, "base" while they hold the array it is a
    view of (it cannot be written without changing what a graph saw), else None."""
    _drain()
    if id(array) in _held:
        return "own"
    return "base" if _base_held(array) else None


def is_held(array):
    """True while a recorded op (or a held base) keeps `array` read-only for backward
    (an array, Tensor.data's view of one, or a Tensor)."""
    return held_how(_unwrap(array)) is not None


def holders(array):
    """How many times recorded ops hold `array` now (0 when none); as is_held, it takes an
    array, Tensor.data's view of one, or a Tensor."""
    array = _unwrap(array)
    _drain()
    entry = _held.get(id(array))
    return 0 if entry is None else entry[1]


# --- the messages: Tensor.data of a held array is a view that says why it is read-only ----------

def explained_view(array, tensor):
    """A read-only view of a held `array` whose write errors name the op that holds it; it
    becomes writeable with the array. The message is written only when a write fails."""
    view = array.view(HeldArray)
    entry = _held.get(id(array))
    view.held = (None if entry is None else (entry[2], entry[1]),
                 None if tensor._ctx is None else tensor._ctx.function.__name__, array.shape)
    adopt(view)
    return view


class HeldArray(np.ndarray):
    """The view `Tensor.data` gives of a held array: reads as any array, and a write into it
    (`t.data -= 0.1`, `t.data[:] = 0`) raises a ValueError that says who holds it and what to
    do, where numpy would only say "read-only". Arithmetic, copies and pickles give plain
    arrays; only views of it stay HeldArrays (and keep the message)."""

    held = (None, None, ())       # (first op and number of holds, the op that made it, shape)

    def __array_finalize__(self, source):
        self.held = getattr(source, "held", HeldArray.held)

    @property
    def why(self):
        holds, made_by, shape = self.held
        held_by = "" if holds is None else f", first by {holds[0]}, {holds[1]} time{'s' * (holds[1] > 1)} in all"
        made_by = "a leaf tensor" if made_by is None else f"the output of {made_by}"
        return (f"this tensor's array is read-only: a graph still holds it for backward (held"
                f"{held_by}; the tensor is {made_by}, shape {shape}), and a write would make a "
                f"gradient wrong. Let the graph go first: call backward() on its loss (without "
                f"retain_graph=True), or drop it (del loss); or change the tensor itself under "
                f"mn.no_grad() (t -= 0.1, t.copy_(...)), which gives the tensor a copy and leaves "
                f"the graph the values it saw")

    def __setitem__(self, index, value):
        if not self.flags.writeable:
            raise ValueError(self.why)
        super().__setitem__(index, value)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if out is not None:
            for array in out:
                if isinstance(array, HeldArray) and not array.flags.writeable:
                    raise ValueError(array.why)
            kwargs["out"] = tuple(_plain(array) for array in out)
        return getattr(ufunc, method)(*map(_plain, inputs), **kwargs)

    def __array_function__(self, function, types, args, kwargs):
        # np.dot, np.concatenate, ...: a result in new memory is a plain array
        return _plain_copy(super().__array_function__(function, types, args, kwargs))

    def copy(self, order="C"):
        return self.view(np.ndarray).copy(order)       # new memory: a plain, writeable array

    def astype(self, *args, **kwargs):
        return self.view(np.ndarray).astype(*args, **kwargs)

    def flatten(self, order="C"):
        return self.view(np.ndarray).flatten(order)

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def __reduce__(self):
        return self.copy().__reduce__()                # pickled as a plain array


def plain_array(array):
    """A HeldArray as the held array itself when it views all of it, else as a plain view."""
    base = array.base
    if (isinstance(base, np.ndarray) and type(base) is not HeldArray and base.shape == array.shape
            and base.strides == array.strides and base.dtype == array.dtype
            and base.__array_interface__["data"][0] == array.__array_interface__["data"][0]):
        return base
    return array.view(np.ndarray)


def _unwrap(array):
    array = getattr(array, "_data", array)             # a Tensor's own array
    return plain_array(array) if type(array) is HeldArray else array


def _plain(x):
    return x.view(np.ndarray) if isinstance(x, HeldArray) else x


def _plain_copy(result):
    if isinstance(result, HeldArray) and result.flags.owndata:
        return result.view(np.ndarray)
    if isinstance(result, (tuple, list)):
        return type(result)(_plain_copy(item) for item in result)
    return result
