"""Global settings: the default floating dtype and the one seeded random generator.

Every source of randomness in minnet (initialisers, Dropout, RReLU, shuffling, data
generators) draws from `rng()`, so `manual_seed(s)` makes a whole run bit-identical.
"""
import numpy as np

_default_dtype = np.dtype(np.float32)
_generator = np.random.default_rng()


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
    """The current generator (replaced by `manual_seed`, so ask for it each time)."""
    return _generator
