"""Every activation against an independent formula, central differences, gradcheck and PyTorch.

The table CASES holds one entry per registered activation (plus a few variants with other
arguments): how to build it, a reference formula written here independently with `math`
in float64, and its kinks (where the derivative jumps, so finite differences skip them).
Adding an activation to minnet means adding one line here; test_every_activation_is_tested
fails until you do.
"""
import doctest
import math
from dataclasses import dataclass, field

import numpy as np
import pytest

import minnet as mn
from minnet.nn import activations as A
from minnet.nn.activations import ACTIVATIONS, Activation, get_activation

SCALE, ALPHA = 1.0507009873554805, 1.6732632423543772    # SELU, as printed in PyTorch's docs


def elementwise(scalar_formula):
    """An array reference built from a formula on one Python float (no shared code with minnet)."""
    vectorised = np.vectorize(lambda v: scalar_formula(float(v)), otypes=[np.float64])
    return lambda x: vectorised(x)


def along_last_axis(row_formula):
    return lambda x: np.apply_along_axis(row_formula, -1, x)


def _sigmoid(v):
    return 1 / (1 + math.exp(-v))


def _softplus(v):
    return math.log(1 + math.exp(v))


def _hard_sigmoid(v):
    return 0.0 if v <= -3 else 1.0 if v >= 3 else v / 6 + 0.5


def _glu_row(row):
    a, b = np.split(row, 2)
    return a / (1 + np.exp(-b))


PRELU_CHANNEL_SLOPES = np.array([0.125, -0.25, 0.5])     # exact in float32, like the weight


@dataclass
class Case:
    make: object                  # () -> the minnet layer
    reference: object             # float64 array (N, 3, 4) -> expected output
    torch_make: object            # torch module -> the same function in PyTorch
    kinks: tuple = ()
    train: bool = False           # keep training mode (else the layer is put in eval mode)
    oracle_rtol: float = 1e-10
    extra: dict = field(default_factory=dict)


def _prelu_per_channel():
    layer = A.PReLU(num_parameters=3)
    layer.weight.data = PRELU_CHANNEL_SLOPES.astype(np.float32)
    return layer


def _torch_prelu_per_channel(torch):
    layer = torch.nn.PReLU(3)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(PRELU_CHANNEL_SLOPES))
    return layer


CASES = {
    "identity": Case(A.Identity, elementwise(lambda v: v), lambda t: t.nn.Identity()),
    "sigmoid": Case(A.Sigmoid, elementwise(_sigmoid), lambda t: t.nn.Sigmoid()),
    "tanh": Case(A.Tanh, elementwise(math.tanh), lambda t: t.nn.Tanh()),
    "relu": Case(A.ReLU, elementwise(lambda v: max(v, 0.0)), lambda t: t.nn.ReLU(), kinks=(0,)),
    "leaky_relu": Case(A.LeakyReLU, elementwise(lambda v: v if v > 0 else 0.01 * v),
                       lambda t: t.nn.LeakyReLU(), kinks=(0,)),
    "prelu": Case(A.PReLU, elementwise(lambda v: v if v > 0 else 0.25 * v),
                  lambda t: t.nn.PReLU(), kinks=(0,)),
    "prelu[per_channel]": Case(
        _prelu_per_channel,
        lambda x: np.where(x > 0, x, PRELU_CHANNEL_SLOPES[None, :, None] * x),
        _torch_prelu_per_channel, kinks=(0,)),
    "rrelu": Case(A.RReLU, elementwise(lambda v: v if v >= 0 else v * (1 / 8 + 1 / 3) / 2),
                  lambda t: t.nn.RReLU().eval(), kinks=(0,)),
    "relu6": Case(A.ReLU6, elementwise(lambda v: min(max(v, 0.0), 6.0)), lambda t: t.nn.ReLU6(),
                  kinks=(0, 6)),
    "elu": Case(A.ELU, elementwise(lambda v: v if v > 0 else math.exp(v) - 1), lambda t: t.nn.ELU(),
                kinks=(0,)),
    "elu[alpha=0.5]": Case(lambda: A.ELU(alpha=0.5),
                           elementwise(lambda v: v if v > 0 else 0.5 * (math.exp(v) - 1)),
                           lambda t: t.nn.ELU(alpha=0.5), kinks=(0,)),
    "selu": Case(A.SELU, elementwise(lambda v: SCALE * (v if v > 0 else ALPHA * (math.exp(v) - 1))),
                 lambda t: t.nn.SELU(), kinks=(0,)),
    "celu": Case(lambda: A.CELU(alpha=2.0),
                 elementwise(lambda v: max(0.0, v) + min(0.0, 2 * (math.exp(v / 2) - 1))),
                 lambda t: t.nn.CELU(alpha=2.0), kinks=(0,)),
    "gelu": Case(A.GELU, elementwise(lambda v: v * (1 + math.erf(v / math.sqrt(2))) / 2),
                 lambda t: t.nn.GELU()),
    "gelu[tanh]": Case(
        lambda: A.GELU(approximate="tanh"),
        elementwise(lambda v: 0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi)
                                                       * (v + 0.044715 * v ** 3)))),
        lambda t: t.nn.GELU(approximate="tanh")),
    "swish": Case(lambda: A.Swish(beta=1.5), elementwise(lambda v: v * _sigmoid(1.5 * v)),
                  lambda t: (lambda x: x * t.sigmoid(1.5 * x))),
    "swish[trainable]": Case(lambda: A.Swish(beta=0.75, trainable=True),
                             elementwise(lambda v: v * _sigmoid(0.75 * v)),
                             lambda t: (lambda x: x * t.sigmoid(0.75 * x))),
    "silu": Case(A.SiLU, elementwise(lambda v: v * _sigmoid(v)), lambda t: t.nn.SiLU()),
    "mish": Case(A.Mish, elementwise(lambda v: v * math.tanh(_softplus(v))), lambda t: t.nn.Mish()),
    "softsign": Case(A.Softsign, elementwise(lambda v: v / (1 + abs(v))),
                     lambda t: t.nn.Softsign()),
    "softplus": Case(A.Softplus, elementwise(_softplus), lambda t: t.nn.Softplus()),
    "softplus[beta=2,threshold=5]": Case(
        lambda: A.Softplus(beta=2.0, threshold=5.0),
        elementwise(lambda v: v if 2 * v > 5 else _softplus(2 * v) / 2),
        lambda t: t.nn.Softplus(beta=2.0, threshold=5.0), kinks=(2.5,)),
    "log_sigmoid": Case(A.LogSigmoid, elementwise(lambda v: math.log(_sigmoid(v))),
                        lambda t: t.nn.LogSigmoid()),
    # PyTorch computes hard-sigmoid's 1/6 in float32 even for float64 inputs: hence 1e-7.
    "hard_sigmoid": Case(A.HardSigmoid, elementwise(_hard_sigmoid), lambda t: t.nn.Hardsigmoid(),
                         kinks=(-3, 3), oracle_rtol=1e-7),
    "hard_swish": Case(A.HardSwish, elementwise(lambda v: v * _hard_sigmoid(v)),
                       lambda t: t.nn.Hardswish(), kinks=(-3, 3), oracle_rtol=1e-7),
    "hard_tanh": Case(A.HardTanh, elementwise(lambda v: min(max(v, -1.0), 1.0)),
                      lambda t: t.nn.Hardtanh(), kinks=(-1, 1)),
    "hard_tanh[-2,1.5]": Case(lambda: A.HardTanh(min_val=-2.0, max_val=1.5),
                              elementwise(lambda v: min(max(v, -2.0), 1.5)),
                              lambda t: t.nn.Hardtanh(-2.0, 1.5), kinks=(-2, 1.5)),
    "tanhshrink": Case(A.Tanhshrink, elementwise(lambda v: v - math.tanh(v)),
                       lambda t: t.nn.Tanhshrink()),
    "softshrink": Case(A.Softshrink,
                       elementwise(lambda v: v - 0.5 if v > 0.5 else v + 0.5 if v < -0.5 else 0.0),
                       lambda t: t.nn.Softshrink(), kinks=(-0.5, 0.5)),
    "hardshrink": Case(A.Hardshrink, elementwise(lambda v: v if abs(v) > 0.5 else 0.0),
                       lambda t: t.nn.Hardshrink(), kinks=(-0.5, 0.5)),
    "threshold": Case(lambda: A.Threshold(0.5, -1.0), elementwise(lambda v: v if v > 0.5 else -1.0),
                      lambda t: t.nn.Threshold(0.5, -1.0), kinks=(0.5,)),
    "maxout": Case(lambda: A.Maxout(2), lambda x: x.reshape(x.shape[:-1] + (-1, 2)).max(axis=-1),
                   lambda t: (lambda x: x.unflatten(-1, (-1, 2)).amax(dim=-1))),
    "glu": Case(A.GLU, along_last_axis(_glu_row), lambda t: t.nn.GLU(dim=-1)),
    "glu[axis=0]": Case(lambda: A.GLU(axis=0), lambda x: np.moveaxis(
        along_last_axis(_glu_row)(np.moveaxis(x, 0, -1)), -1, 0), lambda t: t.nn.GLU(dim=0)),
    "softmax": Case(A.Softmax, along_last_axis(lambda r: np.exp(r) / np.exp(r).sum()),
                    lambda t: t.nn.Softmax(dim=-1)),
    "softmax[axis=0]": Case(lambda: A.Softmax(axis=0),
                            lambda x: np.exp(x) / np.exp(x).sum(axis=0, keepdims=True),
                            lambda t: t.nn.Softmax(dim=0)),
    "log_softmax": Case(A.LogSoftmax, along_last_axis(lambda r: r - np.log(np.exp(r).sum())),
                        lambda t: t.nn.LogSoftmax(dim=-1)),
    "softmin": Case(A.Softmin, along_last_axis(lambda r: np.exp(-r) / np.exp(-r).sum()),
                    lambda t: t.nn.Softmin(dim=-1)),
}

NAMES = list(CASES)
ELEMENTWISE = [n for n in NAMES if CASES[n].make().elementwise]


def build(name):
    layer = CASES[name].make()
    return layer if CASES[name].train else layer.eval()


def grid_input():
    """(N, 3, 4) float64: a grid over [-6, 6] with every kink of the table hit exactly."""
    kinks = sorted({float(k) for case in CASES.values() for k in case.kinks})
    values = np.concatenate([np.linspace(-6, 6, 229), kinks])
    values = np.concatenate([values, np.linspace(-0.3, 0.3, (-len(values)) % 12)])
    return values.reshape(-1, 3, 4)


def away_from_kinks(x, kinks, gap=0.02):
    for kink in kinks:
        close = np.abs(x - kink) < gap
        x = np.where(close, kink + np.copysign(gap, x - kink + 1e-300), x)
    return x


def random_input(name, shape=(2, 3, 4), seed=0):
    x = np.random.default_rng(seed).uniform(-4, 4, size=shape)
    return away_from_kinks(x, CASES[name].kinks)


# --- the registry -------------------------------------------------------------------------

def all_subclasses(cls):
    return {sub for direct in cls.__subclasses__() for sub in {direct} | all_subclasses(direct)}


def test_every_activation_class_is_registered():
    defined = {cls for cls in all_subclasses(Activation) if cls.__module__.startswith(A.__name__ + ".")}
    assert set(ACTIVATIONS.values()) == defined


def test_every_registered_activation_is_tested():
    tested = {name.split("[")[0] for name in CASES}
    assert tested == set(ACTIVATIONS)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_registry_names_are_lower_snake_case_and_exported(name):
    assert name == name.lower() and " " not in name and "-" not in name
    assert getattr(mn.nn, ACTIVATIONS[name].__name__) is ACTIVATIONS[name]


def test_get_activation_builds_a_layer_with_arguments():
    layer = get_activation("leaky_relu", negative_slope=0.2)
    assert isinstance(layer, A.LeakyReLU) and layer.negative_slope == 0.2
    assert isinstance(get_activation("ReLU"), A.ReLU)


def test_get_activation_of_unknown_name_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown activation 'relu7'.*hard_swish.*silu"):
        get_activation("relu7")


# --- values, derivatives, gradients -------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_values_match_independent_formula_on_a_grid_with_kinks(name):
    x = grid_input()
    y = build(name)(mn.Tensor(x))
    np.testing.assert_allclose(y.data, CASES[name].reference(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_df_matches_central_differences_away_from_kinks(name):
    layer = build(name)
    x = away_from_kinks(np.linspace(-6, 6, 600), CASES[name].kinks, gap=1e-3).reshape(-1, 3, 4)
    h = 1e-6
    numeric = (layer.f(x + h) - layer.f(x - h)) / (2 * h)
    np.testing.assert_allclose(layer.df(x, layer.f(x)), numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", NAMES + ["rrelu[train]"])
def test_gradcheck_including_parameters(name):
    if name == "rrelu[train]":
        layer, x = A.RReLU().train(), random_input("rrelu")
    else:
        layer, x = build(name), random_input(name)
    assert mn.gradcheck(layer, mn.Tensor(x, requires_grad=True))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", NAMES)
def test_extreme_inputs_give_finite_values_and_gradients_without_warnings(name, dtype):
    extremes = np.array([-1e4, -1e3, -100, -30, -1, 0, 1e-30, 1, 30, 100, 1e3, 1e4] * 2)
    x = mn.Tensor(extremes.reshape(2, 3, 4).astype(dtype), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = build(name)(x)
        y.backward(np.ones_like(y.data))
    assert y.dtype == dtype and x.grad.dtype == dtype
    assert np.isfinite(y.data).all() and np.isfinite(x.grad).all()


# --- 0-d inputs, the ends of the float range, arrays the graph holds ---------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", NAMES)
def test_0d_input_gives_what_a_one_element_input_gives(name, dtype):
    layer = build(name)
    if name in ("maxout", "glu", "glu[axis=0]", "prelu[per_channel]"):   # need an axis
        with pytest.raises(ValueError, match=r"shape \(\)"):
            layer(mn.Tensor(np.asarray(0.7, dtype), requires_grad=True))
        return
    scalar, vector = (mn.Tensor(np.asarray(v, dtype), requires_grad=True) for v in (0.7, [0.7]))
    y_scalar, y_vector = layer(scalar), layer(vector)
    y_scalar.backward(np.asarray(1.5, dtype))
    y_vector.backward(np.asarray([1.5], dtype))
    assert y_scalar.shape == () and scalar.grad.shape == ()
    assert y_scalar.dtype == dtype and scalar.grad.dtype == dtype
    assert y_scalar.data == y_vector.data[0] and scalar.grad == vector.grad[0]


def _limits(*pieces):
    """Value and derivative of an activation for |x| >= 1e4 (float64 arrays): each piece
    (slope, offset) is the line the activation follows there, on the left and on the right."""
    (left_slope, left_offset), (right_slope, right_offset) = pieces

    def limit(x):
        with np.errstate(over="ignore"):          # SELU's scale * finfo.max is beyond the range
            left, right = left_slope * x + left_offset, right_slope * x + right_offset
        return (np.where(x < 0, left, right),
                np.where(x < 0, left_slope, right_slope) + 0 * x)
    return limit


def _softsign_limit(x):
    inverse = 1 / (1 + np.abs(x))
    return x * inverse, inverse * inverse


def _prelu_per_channel_limit(x):
    slope = PRELU_CHANNEL_SLOPES[None, :, None] + 0 * x
    return np.where(x < 0, slope * x, x), np.where(x < 0, slope, 1.0)


ZERO, ONE, IDENTITY = (0.0, 0.0), (0.0, 1.0), (1.0, 0.0)
LIMITS = {
    "identity": _limits(IDENTITY, IDENTITY), "sigmoid": _limits(ZERO, ONE),
    "tanh": _limits((0.0, -1.0), ONE), "relu": _limits(ZERO, IDENTITY),
    "leaky_relu": _limits((0.01, 0.0), IDENTITY), "prelu": _limits((0.25, 0.0), IDENTITY),
    "prelu[per_channel]": _prelu_per_channel_limit,
    "rrelu": _limits(((1 / 8 + 1 / 3) / 2, 0.0), IDENTITY), "relu6": _limits(ZERO, (0.0, 6.0)),
    "elu": _limits((0.0, -1.0), IDENTITY), "elu[alpha=0.5]": _limits((0.0, -0.5), IDENTITY),
    "selu": _limits((0.0, -SCALE * ALPHA), (SCALE, 0.0)), "celu": _limits((0.0, -2.0), IDENTITY),
    "gelu": _limits(ZERO, IDENTITY), "gelu[tanh]": _limits(ZERO, IDENTITY),
    "swish": _limits(ZERO, IDENTITY), "swish[trainable]": _limits(ZERO, IDENTITY),
    "silu": _limits(ZERO, IDENTITY), "mish": _limits(ZERO, IDENTITY),
    "softsign": _softsign_limit, "softplus": _limits(ZERO, IDENTITY),
    "softplus[beta=2,threshold=5]": _limits(ZERO, IDENTITY),
    "log_sigmoid": _limits(IDENTITY, ZERO), "hard_sigmoid": _limits(ZERO, ONE),
    "hard_swish": _limits(ZERO, IDENTITY), "hard_tanh": _limits((0.0, -1.0), ONE),
    "hard_tanh[-2,1.5]": _limits((0.0, -2.0), (0.0, 1.5)),
    "tanhshrink": _limits((1.0, 1.0), (1.0, -1.0)), "softshrink": _limits((1.0, 0.5), (1.0, -0.5)),
    "hardshrink": _limits(IDENTITY, IDENTITY), "threshold": _limits((0.0, -1.0), IDENTITY),
}


def test_every_elementwise_activation_has_its_limits():
    assert set(LIMITS) == set(ELEMENTWISE)


def extreme_values(dtype):
    big = np.finfo(dtype).max
    return np.array([-big, -1e30, -1e19, -1e4, 1e4, 1e19, 1e30, big])


def _run_without_float_warnings(layer, x, overflow_expected):
    """y and x.grad (upstream gradient 1), with every numpy float warning an error, except an
    overflow where the true value itself lies beyond the float range."""
    over = "ignore" if overflow_expected else "raise"
    with np.errstate(over=over, invalid="raise", divide="raise", under="ignore"):
        y = layer(x)
        y.backward(np.ones_like(y.data))
    return y.data, x.grad


def _assert_matches(actual, expected, dtype):
    """Equal to float precision; where expected lies beyond dtype's range, the same infinity."""
    beyond = np.abs(expected) > np.finfo(dtype).max
    assert np.array_equal(actual[beyond], np.copysign(np.inf, expected[beyond]))
    rtol = 2e-6 if dtype == np.float32 else 1e-12
    # below the smallest normal number (1e-38 in float32) only absolute accuracy is possible
    np.testing.assert_allclose(actual[~beyond], expected[~beyond], rtol=rtol,
                               atol=np.finfo(dtype).tiny)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_ends_of_the_float_range_give_the_formula_without_warnings(name, dtype):
    layer = build(name)
    for parameter in layer.parameters():       # dL/da of PReLU at -finfo.max is beyond the range
        parameter.requires_grad = False
    values = np.repeat(extreme_values(dtype), 3).reshape(2, 3, 4)
    x = mn.Tensor(values.astype(dtype), requires_grad=True)
    value, derivative = LIMITS[name](x.data.astype(np.float64))
    y, grad = _run_without_float_warnings(layer, x, (np.abs(value) > np.finfo(dtype).max).any())
    assert y.dtype == dtype and grad.dtype == dtype
    _assert_matches(y, value, dtype)
    _assert_matches(grad, derivative, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_trainable_swish_beta_gradient_at_the_ends_of_the_float_range_is_zero(dtype):
    layer = A.Swish(beta=0.75, trainable=True)
    layer(mn.Tensor(extreme_values(dtype).astype(dtype))).sum().backward()
    assert layer.beta.grad == 0                    # x^2 s (1 - s) -> 0; x^2 alone overflows


# Rows of extreme logits, and the exact results as functions of big = finfo.max (the upstream
# gradient is 1 everywhere).
def extreme_rows(big):
    return np.array([[-big, big], [big, -big], [-1e4, 1e30], [1e19, -1e19]])


NOT_ELEMENTWISE = {
    "maxout": lambda big: ([[big], [big], [1e30], [1e19]], [[0, 1], [1, 0], [0, 1], [1, 0]]),
    "glu": lambda big: ([[-big], [0], [-1e4], [0]], [[1, 0], [0, 0], [1, 0], [0, 0]]),
    "glu[axis=0]": lambda big: ([[0, big], [big, 0]], [[0, 1], [1, 0], [0, 0], [0, 0]]),
    "softmax": lambda big: ([[0, 1], [1, 0], [0, 1], [1, 0]], [[0, 0]] * 4),
    "softmax[axis=0]": lambda big: ([[0, 1], [1, 0], [0, 0], [0, 0]], [[0, 0]] * 4),
    "log_softmax": lambda big: ([[-np.inf, 0], [0, -np.inf], [-1e30, 0], [0, -2e19]],
                                [[1, -1], [-1, 1], [1, -1], [-1, 1]]),
    "softmin": lambda big: ([[1, 0], [0, 1], [1, 0], [0, 1]], [[0, 0]] * 4),
}


def test_every_other_activation_has_its_extreme_rows():
    assert set(NOT_ELEMENTWISE) == set(NAMES) - set(ELEMENTWISE)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(NOT_ELEMENTWISE))
def test_extreme_logits_give_exact_results_without_warnings(name, dtype):
    big = np.finfo(dtype).max
    x = mn.Tensor(extreme_rows(big).astype(dtype), requires_grad=True)
    y, grad = _run_without_float_warnings(build(name), x, overflow_expected=False)
    expected_y, expected_grad = NOT_ELEMENTWISE[name](float(big))
    np.testing.assert_allclose(y, np.array(expected_y), rtol=2e-6 if dtype == np.float32 else 1e-12,
                               atol=0)
    np.testing.assert_array_equal(grad, expected_grad)


@pytest.mark.parametrize("name", NAMES)
def test_forward_and_backward_write_into_no_array_the_graph_holds(name):
    x = random_input(name)
    expected_x_grad = None
    for read_only in (False, True):
        layer = build(name)
        tensor = mn.Tensor(x.copy(), requires_grad=True)
        if read_only:
            tensor.data.flags.writeable = False
        y = layer(tensor)
        grad = np.linspace(-1, 1, y.data.size).reshape(y.shape)
        if read_only:
            y.data.flags.writeable = grad.flags.writeable = False
        y.backward(grad)
        if read_only:
            np.testing.assert_array_equal(tensor.grad, expected_x_grad)
        expected_x_grad = tensor.grad


@pytest.mark.parametrize("name", ["silu", "swish", "gelu", "mish", "softsign"])
def test_derivative_next_to_zero_is_the_derivative_at_zero(name):
    # These recover a factor as y / x, which is 0 / 0 at x = 0 and fixed up there.
    layer = build(name)
    x = mn.Tensor(np.array([0.0, np.finfo(np.float32).tiny, -np.finfo(np.float32).tiny], np.float32),
                  requires_grad=True)
    layer(x).sum().backward()
    np.testing.assert_allclose(x.grad[1:], x.grad[0], rtol=1e-6)


@pytest.mark.parametrize("name", ["identity", "relu", "sigmoid", "gelu"])
def test_integer_input_is_computed_in_the_default_float_dtype(name):
    y = build(name)(mn.Tensor(np.array([-2, 0, 3])))
    assert y.dtype == mn.get_default_dtype()
    np.testing.assert_array_equal(y.data, build(name)(mn.Tensor([-2.0, 0.0, 3.0])).data)


@pytest.mark.parametrize("name", NAMES)
def test_float32_agrees_with_float64_to_float32_precision(name):
    x = grid_input()
    wide = build(name)(mn.Tensor(x)).data
    narrow = build(name)(mn.Tensor(x.astype(np.float32))).data
    np.testing.assert_allclose(narrow, wide, rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("name", NAMES)
def test_declared_output_range_holds_on_random_samples(name):
    layer = build(name)
    samples = np.random.default_rng(1).standard_normal((200, 3, 4)) * np.array([0.5, 3, 30, 3000])
    low, high = layer.output_range
    y = layer(mn.Tensor(samples)).data
    assert low <= y.min() and y.max() <= high


@pytest.mark.parametrize("name", NAMES)
def test_properties_are_declared_and_extra_repr_shows_arguments(name):
    layer = build(name)
    assert all(isinstance(getattr(layer, p), bool)
               for p in ("zero_centred", "monotonic", "smooth", "saturating"))
    low, high = layer.output_range
    assert low < high
    assert repr(layer).startswith(type(layer).__name__ + "(")


def test_extra_repr_lists_the_arguments():
    assert repr(A.HardTanh(-2.0, 1.5)) == "HardTanh(min_val=-2.0, max_val=1.5)"
    assert repr(A.GELU("tanh")) == "GELU(approximate='tanh')"


# --- known values and the articles' mistakes ------------------------------------------------

def test_softmax_of_4_1_minus4_is_95_23_4_74_0_03_percent():
    y = A.Softmax()(mn.Tensor([4.0, 1.0, -4.0], dtype=np.float64)).data
    np.testing.assert_allclose(y, [0.95227, 0.04741, 0.00032], atol=5e-6)


@pytest.mark.parametrize("z", [-30.0, -2.5, 0.0, 0.7, 12.0])
def test_softmax_of_two_logits_is_sigmoid(z):
    two_class = A.Softmax()(mn.Tensor([z, 0.0], dtype=np.float64)).data[0]
    sigmoid = A.Sigmoid()(mn.Tensor([z], dtype=np.float64)).data[0]
    assert two_class == pytest.approx(sigmoid, rel=1e-14)


def test_selu_constants_match_the_closed_form_of_klambauer_et_al():
    # Eq. 14 of "Self-Normalizing Neural Networks" (2017), fixed point mean 0 variance 1.
    erfc, e = math.erfc(1 / math.sqrt(2)), math.e
    alpha = -math.sqrt(2 / math.pi) / (erfc * math.exp(0.5) - 1)
    scale = (1 - erfc * math.sqrt(e)) * math.sqrt(2 * math.pi) * (
        2 * math.erfc(math.sqrt(2)) * e ** 2 + math.pi * erfc ** 2 * e
        - 2 * (2 + math.pi) * erfc * math.sqrt(e) + math.pi + 2) ** -0.5
    assert abs(A.SELU_ALPHA - alpha) < 1e-12 and abs(A.SELU_SCALE - scale) < 1e-12


def test_hard_sigmoid_is_bounded_by_one_where_the_articles_formula_is_not():
    x = np.linspace(-100, 100, 2001)
    y = A.HardSigmoid()(mn.Tensor(x)).data
    assert y.min() == 0 and y.max() == 1
    assert (np.maximum(x, 0) + 3).max() / 6 > 1        # the article's (ReLU(x) + 3) / 6


def test_hard_swish_is_x_times_hard_sigmoid_not_the_articles_formula():
    x = mn.Tensor(np.array([-4.0, -1.5, 1.0, 5.0]))
    y = A.HardSwish()(x).data
    np.testing.assert_allclose(y, x.data * A.HardSigmoid()(x).data)
    article = x.data * (np.clip(x.data, 0, 6) + 3) / 6
    assert not np.allclose(y, article)


def test_relu_derivative_at_zero_is_zero_like_pytorch():
    x = mn.Tensor([0.0], requires_grad=True)
    A.ReLU()(x).sum().backward()
    assert x.grad[0] == 0


def test_rrelu_draws_a_slope_per_element_in_training_and_uses_the_mean_in_eval():
    layer, x = A.RReLU(lower=0.1, upper=0.3), mn.Tensor(-np.ones(1000))
    mn.manual_seed(0)
    slopes = -layer(x).data
    assert 0.1 <= slopes.min() and slopes.max() <= 0.3 and slopes.std() > 0.05
    mn.manual_seed(0)
    np.testing.assert_array_equal(-layer(x).data, slopes)
    np.testing.assert_allclose(-layer.eval()(x).data, 0.2)


def test_rrelu_backward_uses_the_slopes_drawn_in_forward():
    x = mn.Tensor(np.concatenate([-np.ones(50), np.zeros(1), np.ones(5)]), requires_grad=True)
    y = A.RReLU()(x)
    y.sum().backward()
    np.testing.assert_allclose(x.grad[:50], y.data[:50] / x.data[:50])
    assert 1 / 8 <= x.grad[50] <= 1 / 3 and (x.grad[51:] == 1).all()


def test_prelu_learns_one_slope_per_channel():
    layer = A.PReLU(num_parameters=3, init=0.1)
    x = mn.Tensor(-np.arange(1.0, 13.0).reshape(2, 3, 2))
    layer(x).sum().backward()
    np.testing.assert_allclose(layer.weight.grad, x.data.sum(axis=(0, 2)))


def test_prelu_with_wrong_channel_count_names_the_shape():
    with pytest.raises(ValueError, match=r"3 channels along axis 1, got shape \(2, 4\)"):
        A.PReLU(num_parameters=3)(mn.Tensor(np.ones((2, 4))))


def test_swish_trainable_beta_is_a_parameter_and_silu_is_swish_with_beta_one():
    assert [name for name, _ in A.Swish(trainable=True).named_parameters()] == ["beta"]
    assert A.Swish().parameters() == []
    x = mn.Tensor(np.linspace(-5, 5, 11))
    np.testing.assert_array_equal(A.SiLU()(x).data, A.Swish(beta=1.0)(x).data)


@pytest.mark.parametrize("cls", [A.Softshrink, A.Hardshrink])
def test_shrinkage_with_negative_lambd_says_it_needs_lambd_at_least_zero(cls):
    with pytest.raises(ValueError, match=r"expected lambd >= 0.*got -0.5"):
        cls(lambd=-0.5)


def test_softplus_with_beta_not_positive_says_so():
    with pytest.raises(ValueError, match=r"Softplus expected beta > 0, got 0"):
        A.Softplus(beta=0)


def test_maxout_takes_the_max_of_consecutive_groups():
    x = mn.Tensor(np.array([[1.0, 5.0, 2.0, -1.0, -3.0, 0.0]]))
    np.testing.assert_array_equal(A.Maxout(3)(x).data, [[5.0, 0.0]])
    np.testing.assert_array_equal(A.Maxout(2)(x).data, [[5.0, 2.0, 0.0]])


def test_maxout_with_indivisible_features_says_so():
    with pytest.raises(ValueError, match=r"divisible by 4, got shape \(2, 6\)"):
        A.Maxout(4)(mn.Tensor(np.ones((2, 6))))


def test_glu_gates_the_first_half_with_the_second():
    x = mn.Tensor(np.array([[2.0, -4.0, 0.0, 100.0]]))
    np.testing.assert_allclose(A.GLU()(x).data, [[1.0, -4.0]])


def test_glu_of_odd_size_says_so():
    with pytest.raises(ValueError, match="even size along axis 1"):
        A.GLU()(mn.Tensor(np.ones((2, 5))))


@pytest.mark.parametrize("name", ["softmax", "softmin", "log_softmax"])
def test_softmax_family_rows_are_probability_distributions(name):
    y = build(name)(mn.Tensor(np.random.default_rng(2).normal(0, 50, (5, 7)))).data
    probabilities = np.exp(y) if name == "log_softmax" else y
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=1e-12)


def test_a_new_activation_is_one_class_with_f_and_df():
    class Square(Activation):
        def f(self, x):
            return x * x

        def df(self, x, y):
            return 2 * x

    x = mn.Tensor([[1.0, -2.0]], requires_grad=True)
    assert mn.gradcheck(Square(), x)


def test_docstring_examples_print_what_they_show():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for module in (A, A.base, A.classic, A.relu, A.gated, A.multi):
        for test in finder.find(module, globs={"mn": mn, "np": np}):
            runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.attempted >= len(ACTIVATIONS) and results.failed == 0


# --- the PyTorch oracle -----------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_values_and_gradients_match_pytorch(name):
    torch = pytest.importorskip("torch")
    torch_layer = CASES[name].torch_make(torch)
    if isinstance(torch_layer, torch.nn.Module):
        torch_layer = torch_layer.double()
    x = grid_input()
    weights = np.random.default_rng(3).standard_normal(build(name)(mn.Tensor(x)).shape)

    ours = mn.Tensor(x, requires_grad=True)
    y = build(name)(ours)
    y.backward(weights)
    theirs = torch.tensor(x, requires_grad=True)
    torch_y = torch_layer(theirs)
    torch_y.backward(torch.tensor(weights))

    rtol = CASES[name].oracle_rtol
    np.testing.assert_allclose(y.data, torch_y.detach().numpy(), rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("name", [n for n in ELEMENTWISE if CASES[n].make().derivative_from_output])
def test_derivative_from_output_needs_only_y(name):
    layer = build(name)
    x = grid_input()
    y = layer.f(x)
    np.testing.assert_array_equal(layer.df(None, y), layer.df(x, y))
    # ... and backward keeps only y, not the input.
    out = layer(mn.Tensor(x, requires_grad=True))
    (cache,) = out._ctx.saved
    assert cache[0] is None and cache[1] is out._data


def test_sigmoid_tanh_and_relu_derive_from_their_output():
    assert {n for n in ELEMENTWISE if CASES[n].make().derivative_from_output} >= {"sigmoid", "tanh", "relu"}


# --- infinities, NaN and empty inputs (issue 22) ------------------------------------------------

def _value_and_grad(layer, values):
    x = mn.Tensor(np.array(values, np.float32), requires_grad=True)
    y = layer(x)
    y.backward(np.ones(y.shape, np.float32))
    return y.data, x.grad


@pytest.mark.parametrize("layer, expected_y, expected_grad", [
    (mn.nn.ELU(), [np.inf, -1.0], [1.0, 0.0]),
    (mn.nn.ELU(alpha=-0.5), [np.inf, 0.5], [1.0, 0.0]),
    (mn.nn.HardSwish(), [np.inf, 0.0], [1.0, 0.0]),
])
def test_derivatives_at_infinity_are_the_limits_not_nan(layer, expected_y, expected_grad):
    y, grad = _value_and_grad(layer, [np.inf, -np.inf])       # warnings are errors here
    np.testing.assert_array_equal(y, expected_y)
    np.testing.assert_array_equal(grad, expected_grad)


@pytest.mark.parametrize("layer", [mn.nn.ReLU(), mn.nn.ReLU6(), mn.nn.HardTanh(),
                                   mn.nn.HardTanh(-2.0, 0.5), mn.nn.Threshold(0.5, -2.0)],
                         ids=repr)
def test_a_nan_input_gives_a_nan_gradient_not_zero(layer):
    y, grad = _value_and_grad(layer, [np.nan, -7.0, 0.25, 9.0])
    assert np.isnan(y[0]) and np.isnan(grad[0])
    expected = layer.df(np.array([-7.0, 0.25, 9.0]), layer.f(np.array([-7.0, 0.25, 9.0])))
    np.testing.assert_array_equal(grad[1:], expected)
    assert set(np.unique(expected)) <= {0.0, 1.0}


@pytest.mark.parametrize("layer", [mn.nn.Softmax(), mn.nn.LogSoftmax(), mn.nn.Softmin(),
                                   mn.nn.Softmax(axis=0)], ids=repr)
@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 3)])
def test_softmax_family_on_an_empty_input_gives_an_empty_result(layer, shape):
    x = mn.Tensor(np.zeros(shape, np.float32), requires_grad=True)
    y = layer(x)
    y.backward(np.ones(shape, np.float32))
    assert y.shape == shape and x.grad.shape == shape
