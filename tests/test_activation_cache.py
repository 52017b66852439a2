"""The optional fast pair forward_with_cache / df_from_cache against f and df.

An activation may keep an intermediate of forward for backward (SiLU's sigmoid(x)). f and df
stay its definition, checked in test_activations.py; here each activation that defines the
pair is checked against its own f and df: values and derivatives, on a grid and at the ends
of the float range, in float32 and float64, through the layer and directly; and that the
pair keeps no more arrays for backward than a hand-written version does; and that on the last
backward (no retain_graph) the cache may become the gradient, and with retain_graph it does not.
"""
import weakref

import numpy as np
import pytest

import minnet as mn
from minnet.nn import activations as A
from minnet.nn.activations import ACTIVATIONS, Activation

# Every registered activation that defines its own pair, with the arguments to build it.
FAST = {"silu": A.SiLU, "swish": lambda: A.Swish(beta=1.5), "softsign": A.Softsign, "mish": A.Mish,
        "tanhshrink": A.Tanhshrink}
# What backward may keep, at most: what the hand-written numpy version keeps
# (benchmarks/numpy_activations.py), and which of x and y the pair drops.
KEPT = {"silu": (2, "x"), "swish": (2, "x"), "softsign": (1, "xy"), "mish": (2, "y"),
        "tanhshrink": (1, "xy")}
# Those whose df_from_cache writes f' into the cache on the graph's last backward, as the
# hand-written version overwrites its intermediate.
OVERWRITING = ["softsign", "tanhshrink"]
DTYPES = [np.float32, np.float64]


def defines_the_pair(cls):
    return cls.forward_with_cache is not Activation.forward_with_cache


def inputs(dtype):
    """A grid over [-20, 20], zero, the smallest numbers and the ends of the float range."""
    info = np.finfo(dtype)
    ends = [info.max, 1e30, 1e19, 1e4, info.tiny, info.smallest_subnormal, 0.0]
    ends += [-v for v in ends if v]
    return np.concatenate([np.linspace(-20, 20, 401), ends]).astype(dtype)


def assert_close(actual, expected, dtype, scale):
    """Within a few roundings of `scale` (the size of the terms that were rounded)."""
    assert actual.dtype == dtype and actual.shape == expected.shape
    eps = np.finfo(dtype).eps
    assert np.all(np.abs(actual - expected) <= 8 * eps * scale + np.finfo(dtype).tiny), \
        np.max(np.abs(actual - expected) / (scale + np.finfo(dtype).tiny))


def test_fast_table_lists_every_activation_that_defines_the_pair():
    defining = {name for name, cls in ACTIVATIONS.items() if defines_the_pair(cls)}
    assert defining == set(FAST)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(FAST))
def test_pair_gives_f_and_df_without_float_warnings(name, dtype):
    layer = FAST[name]()
    x = inputs(dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        y, cache = layer.forward_with_cache(x)
        derivative = layer.df_from_cache(cache)
        expected_y = layer.f(x)
        expected_derivative = layer.df(x, expected_y)
    # y is of the size of x (silu, swish, mish) or of 1 (softsign). f' is of the size of
    # 1, but 1 - sigmoid(x) (in silu, swish, mish) is rounded relative to 1, so its error grows
    # with |x| until sigmoid(x) rounds to 1 (near |x| = 17 in float32, 37 in float64).
    assert_close(y, expected_y, dtype, scale=np.maximum(np.abs(x), 1))
    # Below the smallest normal number df recovers its intermediate from y / x with only the
    # subnormals' few digits (documented in base._quotient): there the pair is compared with
    # its own value at 0, the limit, instead.
    normal = (np.abs(x) >= np.finfo(dtype).tiny) | (x == 0)
    assert_close(derivative[normal], expected_derivative[normal], dtype,
                 scale=np.clip(np.abs(x[normal]), 1, 40))
    at_zero = layer.df_from_cache(layer.forward_with_cache(np.zeros(1, dtype))[1])
    assert_close(derivative[~normal], np.broadcast_to(at_zero, derivative[~normal].shape), dtype,
                 scale=1.0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(FAST))
def test_layer_gradient_is_upstream_times_df(name, dtype):
    layer = FAST[name]()
    data = inputs(dtype)
    upstream = np.random.default_rng(0).standard_normal(data.shape).astype(dtype)
    x = mn.Tensor(data, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        y = layer(x)
        y.backward(upstream)
        expected = upstream * layer.df_from_cache(layer.forward_with_cache(data)[1])
    assert_close(y.data, layer.forward_with_cache(data)[0], dtype, scale=0.0)
    assert_close(x.grad, expected, dtype, scale=np.abs(upstream))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(FAST))
def test_0d_input_runs_the_pair(name, dtype):
    layer = FAST[name]()
    x = mn.Tensor(np.array(0.75, dtype), requires_grad=True)
    y = layer(x)
    y.backward()
    assert y.shape == () and x.grad.shape == () and x.grad.dtype == dtype
    np.testing.assert_allclose(x.grad, layer.df(x.data, layer.f(x.data)), rtol=4 * np.finfo(dtype).eps)


@pytest.mark.parametrize("name", sorted(FAST))
def test_gradcheck_through_the_pair(name):
    x = np.random.default_rng(1).uniform(-4, 4, size=(3, 5))
    assert mn.gradcheck(FAST[name](), mn.Tensor(x, requires_grad=True))


@pytest.mark.parametrize("name", sorted(FAST))
def test_backward_keeps_no_more_arrays_than_a_hand_written_version(name):
    most, dropped = KEPT[name]
    x = mn.Tensor(np.linspace(-3, 3, 12), requires_grad=True)
    y = FAST[name]()(x)
    (cache,) = y._ctx.saved
    kept = [a for a in (cache if isinstance(cache, tuple) else (cache,)) if a is not None]
    assert len(kept) <= most
    assert not ("x" in dropped and any(a is x.data for a in kept))
    assert not ("y" in dropped and any(a is y.data for a in kept))


@pytest.mark.parametrize("name", sorted(FAST))
def test_backward_twice_with_retain_graph_gives_the_same_gradient(name):
    # df_from_cache must not overwrite its cache: a retained graph runs it again.
    x = mn.Tensor(np.linspace(-3, 3, 12), requires_grad=True)
    y = FAST[name]()(x)
    y.backward(np.ones(12), retain_graph=True)
    first = x.grad.copy()
    x.grad = None
    y.backward(np.ones(12))
    np.testing.assert_array_equal(x.grad, first)


@pytest.mark.parametrize("name", sorted(FAST))
def test_without_a_graph_the_layer_runs_f_alone(name):
    layer = FAST[name]()
    x = np.linspace(-3, 3, 12, dtype=np.float32)
    with mn.no_grad():
        y = layer(mn.Tensor(x, requires_grad=True))
    assert y._ctx is None
    np.testing.assert_array_equal(y.data, layer.f(x))


def test_trainable_swish_keeps_x_and_y_for_its_parameter_gradient():
    layer = A.Swish(beta=0.75, trainable=True)
    x = mn.Tensor(np.linspace(-3, 3, 12), requires_grad=True)
    y = layer(x)
    saved = y._ctx.saved
    assert saved[0] is x._data and saved[1] is y._data
    assert mn.gradcheck(layer, x)


def test_a_student_activation_with_f_and_df_alone_gets_the_default_pair():
    class Square(Activation):
        """f(x) = x^2;  f'(x) = 2x."""
        def f(self, x):
            return x * x

        def df(self, x, y):
            return 2 * x

    layer = Square()
    x = np.array([-2.0, 0.5, 3.0])
    y, cache = layer.forward_with_cache(x)
    np.testing.assert_array_equal(y, x * x)
    np.testing.assert_array_equal(layer.df_from_cache(cache), 2 * x)
    assert mn.gradcheck(layer, mn.Tensor(x, requires_grad=True))


@pytest.mark.parametrize("name", sorted(FAST))
def test_sequential_fused_dense_stack_agrees_with_the_layer_alone(name):
    # Sequential runs Dense + activation as one op that calls f and df: same gradient as the
    # layers run one by one, which use the pair.
    rng = np.random.default_rng(2)
    dense = mn.nn.Dense(4, 3)
    activation = FAST[name]()
    x = rng.standard_normal((5, 4))
    upstream = rng.standard_normal((5, 3))

    fused_input = mn.Tensor(x, requires_grad=True)
    fused = mn.nn.Sequential(dense, activation)(fused_input)
    fused.backward(upstream)
    fused_grads = fused_input.grad, dense.weight.grad.copy()

    dense.weight.grad = dense.bias.grad = None
    alone_input = mn.Tensor(x, requires_grad=True)
    alone = activation(dense(alone_input))
    alone.backward(upstream)
    np.testing.assert_allclose(alone.data, fused.data, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(alone_input.grad, fused_grads[0], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(dense.weight.grad, fused_grads[1], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", sorted(FAST))
def test_conformance_kit_passes(name):
    assert mn.testing.check_activation(FAST[name]()).passed


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(FAST))
def test_overwrite_gives_what_a_fresh_array_gets_without_float_warnings(name, dtype):
    layer = FAST[name]()
    x = inputs(dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        fresh = layer.df_from_cache(layer.forward_with_cache(x)[1])
        overwritten = layer.df_from_cache(layer.forward_with_cache(x)[1], overwrite=True)
    np.testing.assert_array_equal(overwritten, fresh)
    assert overwritten.dtype == dtype


@pytest.mark.parametrize("name", OVERWRITING)
def test_overwrite_writes_f_prime_into_the_cache_and_otherwise_leaves_it(name):
    layer = FAST[name]()
    x = np.linspace(-3, 3, 12)
    cache = layer.forward_with_cache(x)[1]
    before = cache.copy()
    assert not np.shares_memory(layer.df_from_cache(cache), cache)
    np.testing.assert_array_equal(cache, before)
    assert layer.df_from_cache(cache, overwrite=True) is cache
    cache = layer.forward_with_cache(x)[1]
    cache.flags.writeable = False               # an array the graph holds is never written
    assert not np.shares_memory(layer.df_from_cache(cache, overwrite=True), cache)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", OVERWRITING)
def test_last_backward_turns_the_cache_into_the_gradient(name, dtype):
    # The hand-written version allocates nothing in backward: f' goes into its intermediate
    # and the product with the upstream gradient into the same memory. So does the layer.
    layer = FAST[name]()
    data = inputs(dtype)
    upstream = np.random.default_rng(3).standard_normal(data.shape).astype(dtype)
    x = mn.Tensor(data, requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        y = layer(x)
        cache = weakref.ref(y._ctx.saved[0])
        y.backward(upstream)
        expected = upstream * layer.df(data, layer.f(data))
    assert x.grad is cache()
    assert_close(x.grad, expected, dtype, scale=np.abs(upstream))


@pytest.mark.parametrize("name", OVERWRITING)
def test_retained_graph_keeps_its_cache_for_every_later_backward(name):
    layer = FAST[name]()
    x = mn.Tensor(np.linspace(-3, 3, 12), requires_grad=True)
    y = layer(x)
    cache = weakref.ref(y._ctx.saved[0])
    before = cache().copy()
    grads = []
    for _ in range(2):
        y.backward(np.ones(12), retain_graph=True)
        np.testing.assert_array_equal(cache(), before)
        assert not np.shares_memory(x.grad, cache())
        grads.append(x.grad)
        x.grad = None
    y.backward(np.ones(12))
    for grad in grads:
        np.testing.assert_array_equal(x.grad, grad)
    np.testing.assert_allclose(x.grad, layer.df(x.data, layer.f(x.data)), rtol=1e-15)


def test_a_df_from_cache_without_overwrite_still_runs_on_the_last_backward():
    # Written before `overwrite` existed: backward calls it as df_from_cache(cache).
    class Cubic(Activation):
        """f(x) = x^3;  f'(x) = 3 x^2."""
        def f(self, x):
            return x ** 3

        def df(self, x, y):
            return 3 * x ** 2

        def forward_with_cache(self, x):
            return x ** 3, x * x

        def df_from_cache(self, square):
            return 3 * square

    x = mn.Tensor([-2.0, 0.5, 3.0], requires_grad=True)
    Cubic()(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [12.0, 0.75, 27.0])
    assert mn.gradcheck(Cubic(), mn.Tensor([-2.0, 0.5, 3.0], requires_grad=True))
