"""config: the default dtype and the one seeded generator behind all randomness."""
import numpy as np
import pytest

import minnet as mn
from minnet import config


def test_manual_seed_gives_identical_draws():
    mn.manual_seed(123)
    first = config.rng().standard_normal(5)
    mn.manual_seed(123)
    np.testing.assert_array_equal(config.rng().standard_normal(5), first)


def test_different_seeds_give_different_draws():
    mn.manual_seed(1)
    first = config.rng().random(5)
    mn.manual_seed(2)
    assert not np.array_equal(config.rng().random(5), first)


def test_manual_seed_replaces_the_generator_that_rng_returns():
    generator = mn.manual_seed(7)
    assert config.rng() is generator
    assert mn.manual_seed(7) is not generator


def test_successive_draws_differ_after_one_seed():
    mn.manual_seed(0)
    assert not np.array_equal(config.rng().random(3), config.rng().random(3))


def test_default_dtype_starts_as_float32():
    assert mn.get_default_dtype() == np.float32


@pytest.mark.parametrize("dtype", [np.float64, "float64", np.dtype(np.float32)])
def test_set_default_dtype_accepts_the_float_types(dtype):
    previous = mn.get_default_dtype()
    try:
        mn.set_default_dtype(dtype)
        assert mn.get_default_dtype() == np.dtype(dtype)
        assert isinstance(mn.get_default_dtype(), np.dtype)
    finally:
        mn.set_default_dtype(previous)


@pytest.mark.parametrize("dtype", [np.int32, np.float16, np.bool_, np.complex64])
def test_set_default_dtype_rejects_everything_else(dtype):
    with pytest.raises(TypeError, match=f"float32 or float64, got {np.dtype(dtype)}"):
        mn.set_default_dtype(dtype)
    assert mn.get_default_dtype() == np.float32
