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

import numpy as np

_held = {}                        # id(array) -> [array, how many recorded ops hold it]
_waiting = {}                     # id(base) -> views that become writeable with their base
_lock = threading.Lock()
_deferred = collections.deque()   # arrays let go by finalisers that found the lock taken


def hold(arrays, op="an op"):
    """Make `arrays` (and the arrays they are views of) read-only for the op named `op`;
    returns what to let go.

    An array that is read-only already (made so by its owner) is left out: it needs no
    protection and must never be made writeable by minnet.
    """
    held = []
    with _lock:
        for array in arrays:
            _hold_one(array, op, held)
            base = array.base
            if type(base) is np.ndarray:
                _hold_one(base, op, held)
    _drain()
    return held


def _hold_one(array, op, held):
    entry = _held.get(id(array))
    if entry is not None:
        entry[1] += 1
    elif array.flags.writeable:
        _held[id(array)] = [array, 1, op]
        array.setflags(write=False)
    elif type(array.base) is np.ndarray and id(array.base) in _held:
        # A view made of a held array (an op's reshaped output) is born read-only: hold it
        # too, so that it becomes writeable with its base.
        _held[id(array)] = [array, 1, op]
    else:
        return
    held.append(array)


def let_go(arrays):
    """Undo one `hold`: arrays that no op holds any more become writeable again."""
    with _lock:
        _release(arrays)
    _drain()


def let_go_later(arrays):
    """`let_go` for finalisers: never waits for the lock (see the module docstring)."""
    _deferred.append(arrays)
    _drain()


def _drain():
    # Whoever holds the lock empties the queue after releasing it, so nothing stays queued.
    while _deferred and _lock.acquire(blocking=False):
        try:
            while _deferred:
                _release(_deferred.popleft())
        finally:
            _lock.release()


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
            for view in _waiting.pop(id(array), ()):
                if id(view) not in _held:
                    _writeable_again(view)


def _writeable_again(array):
    """Make array writeable; a view whose base is still held waits for its base."""
    try:
        array.setflags(write=True)
        return True
    except ValueError:
        base = array.base
        if type(base) is np.ndarray and id(base) in _held:
            _waiting.setdefault(id(base), []).append(array)
        return False


def is_held(array):
    """True while a recorded op (or a held base) keeps `array` read-only for backward
    (an array, Tensor.data's view of one, or a Tensor)."""
    array = _unwrap(array)
    _drain()
    if id(array) in _held:
        return True
    base = array.base
    return type(base) is np.ndarray and id(base) in _held


def holders(array):
    """How many times recorded ops hold `array` now (0 when none); as is_held, it takes an
    array, Tensor.data's view of one, or a Tensor."""
    array = _unwrap(array)
    _drain()
    entry = _held.get(id(array))
    return 0 if entry is None else entry[1]


# --- the messages: Tensor.data of a held array is a view that says why it is read-only ----------

def explained_view(array, tensor):
    """A read-only view of a held `array` whose write errors name the op that holds it."""
    view = array.view(HeldArray)
    entry = _held.get(id(array))
    held_by = "" if entry is None else f", first by {entry[2]}, {entry[1]} time{'s' * (entry[1] > 1)} in all"
    made_by = ("a leaf tensor" if tensor._ctx is None
               else f"the output of {tensor._ctx.function.__name__}")
    view.why = (f"this tensor's array is read-only: a graph still holds it for backward (held"
                f"{held_by}; the tensor is {made_by}, shape {array.shape}), and a write would make "
                f"a gradient wrong. Let the graph go first: call backward() on its loss (without "
                f"retain_graph=True), or drop it (del loss); or change the tensor itself "
                f"under mn.no_grad() (t -= 0.1, t.copy_(...)), which copies the array and leaves "
                f"the graph the values it saw")
    return view


class HeldArray(np.ndarray):
    """The view `Tensor.data` gives of a held array: reads as any array, and a write into it
    (`t.data -= 0.1`, `t.data[:] = 0`) raises a ValueError that says who holds it and what to
    do, where numpy would only say "read-only". Results of arithmetic are plain arrays."""

    why = "this array is read-only: a recorded op holds it for backward"

    def __array_finalize__(self, source):
        self.why = getattr(source, "why", HeldArray.why)

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


    def copy(self, order="C"):
        return self.view(np.ndarray).copy(order)       # new memory: a plain, writeable array

    def astype(self, *args, **kwargs):
        return self.view(np.ndarray).astype(*args, **kwargs)


def _unwrap(array):
    array = getattr(array, "_data", array)             # a Tensor's own array
    return array.base if type(array) is HeldArray else array


def _plain(x):
    return x.view(np.ndarray) if isinstance(x, HeldArray) else x
