"""Global settings: the default floating dtype and the one seeded random generator.

Every source of randomness in minnet (initialisers, Dropout, RReLU, shuffling, data
generators) draws from `rng()`, so `manual_seed(s)` makes a whole run bit-identical.
`use_generator(g)` lends one thread its own generator for a block, which is how the
scikit-learn estimators build and train a network without touching the user's random state.
"""
import threading
from contextlib import contextmanager

import numpy as np

_default_dtype = np.dtype(np.float32)
_generator = np.random.default_rng()
# A generator lent to one thread by `use_generator`; other threads keep seeing `_generator`.
_thread_local = threading.local()


def get_default_dtype() -> np.dtype:
    """The dtype given to Python scalars and lists turned into Tensors (float32 at start)."""
    return _default_dtype


def set_default_dtype(dtype) -> None:
    """Set the default floating dtype: np.float32 or np.float64."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"set_default_dtype expected float32 or float64, got {dtype}")
    _default_dtype = dtype


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the generator behind all of minnet's randomness; returns it."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def rng() -> np.random.Generator:
    """The current generator (replaced by `manual_seed`, so ask for it each time).

    Inside a `use_generator(g)` block it is `g`, for the thread that entered the block only.
    """
    lent = getattr(_thread_local, "generator", None)
    return _generator if lent is None else lent


@contextmanager
def use_generator(generator: np.random.Generator):
    """Make `rng()` return `generator` in this thread until the block ends.

    Initialisers, Dropout, RReLU and shuffling inside the block draw from `generator`, so the
    global generator (`manual_seed`'s) is neither used nor advanced; other threads are not
    affected, and blocks nest. `manual_seed` inside the block reseeds the global generator,
    which this thread sees again once the block ends.

        >>> with use_generator(np.random.default_rng(0)):
        ...     layer = mn.nn.Dense(4, 2)       # same weights every time, mn.manual_seed untouched
    """
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"use_generator expected a numpy Generator (np.random.default_rng(seed)), "
                        f"got {type(generator).__name__}")
    previous = getattr(_thread_local, "generator", None)
    _thread_local.generator = generator
    try:
        yield generator
    finally:
        _thread_local.generator = previous
