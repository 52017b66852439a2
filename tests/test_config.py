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


def test_use_generator_lends_its_generator_and_leaves_the_global_one_unadvanced():
    global_generator = mn.manual_seed(3)
    state = global_generator.bit_generator.state
    lent = np.random.default_rng(0)
    with config.use_generator(lent):
        assert config.rng() is lent
        layer = mn.nn.Dense(4, 3)
    assert config.rng() is global_generator
    assert global_generator.bit_generator.state == state
    with config.use_generator(np.random.default_rng(0)):
        np.testing.assert_array_equal(mn.nn.Dense(4, 3).weight.data, layer.weight.data)


def test_use_generator_blocks_nest_and_restore_the_outer_one():
    outer, inner = np.random.default_rng(1), np.random.default_rng(2)
    with config.use_generator(outer):
        with config.use_generator(inner):
            assert config.rng() is inner
        assert config.rng() is outer


def test_use_generator_affects_only_the_thread_that_entered_it():
    import threading
    global_generator = mn.manual_seed(4)
    inside, release = threading.Event(), threading.Event()

    def hold_a_generator():
        with config.use_generator(np.random.default_rng(0)):
            inside.set()
            release.wait(timeout=10)

    thread = threading.Thread(target=hold_a_generator)
    thread.start()
    inside.wait(timeout=10)
    try:
        assert config.rng() is global_generator
    finally:
        release.set()
        thread.join()


def test_use_generator_rejects_a_seed_or_a_random_state():
    with pytest.raises(TypeError, match="numpy Generator.*got int"):
        with config.use_generator(0):
            pass
