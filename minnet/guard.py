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


def hold(arrays):
    """Make `arrays` (and the arrays they are views of) read-only; returns what to let go.

    An array that is read-only already (made so by its owner) is left out: it needs no
    protection and must never be made writeable by minnet.
    """
    held = []
    with _lock:
        for array in arrays:
            _hold_one(array, held)
            base = array.base
            if type(base) is np.ndarray:
                _hold_one(base, held)
    _drain()
    return held


def _hold_one(array, held):
    entry = _held.get(id(array))
    if entry is not None:
        entry[1] += 1
    elif array.flags.writeable:
        _held[id(array)] = [array, 1]
        array.setflags(write=False)
    elif type(array.base) is np.ndarray and id(array.base) in _held:
        # A view made of a held array (an op's reshaped output) is born read-only: hold it
        # too, so that it becomes writeable with its base.
        _held[id(array)] = [array, 1]
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
    """True while a recorded op (or a held base) keeps `array` read-only for backward."""
    _drain()
    if id(array) in _held:
        return True
    base = array.base
    return type(base) is np.ndarray and id(base) in _held


def holders(array):
    """How many recorded ops hold `array` now (0 when none)."""
    _drain()
    entry = _held.get(id(array))
    return 0 if entry is None else entry[1]
