"""mn.init: statistics of every scheme on large shapes, fans, orthogonality, the gain table."""
import math

import numpy as np
import pytest

import minnet as mn
from minnet import init

DENSE = (400, 300)             # fan_in 400, fan_out 300
CONV = (64, 32, 3, 3)          # fan_in 32*9 = 288, fan_out 64*9 = 576


@pytest.mark.parametrize("shape, fans", [((5,), (5, 5)), ((4, 7), (4, 7)), ((8, 3, 5, 5), (75, 200)),
                                         ((6, 2, 3), (6, 18))])
def test_fans_of_dense_conv_and_vector_shapes(shape, fans):
    assert init.fan_in_fan_out(shape) == fans


def test_fans_of_a_scalar_shape_are_an_error():
    with pytest.raises(ValueError, match="at least one dimension"):
        init.fan_in_fan_out(())


def _uniform_bound(name, fan_in, fan_out):
    return {"xavier_uniform": math.sqrt(6 / (fan_in + fan_out)), "he_uniform": math.sqrt(6 / fan_in),
            "lecun_uniform": math.sqrt(3 / fan_in)}[name]


def _normal_std(name, fan_in, fan_out):
    return {"xavier_normal": math.sqrt(2 / (fan_in + fan_out)), "he_normal": math.sqrt(2 / fan_in),
            "lecun_normal": math.sqrt(1 / fan_in)}[name]


@pytest.mark.parametrize("shape", [DENSE, CONV], ids=["dense", "conv"])
@pytest.mark.parametrize("name", ["xavier_uniform", "he_uniform", "lecun_uniform"])
def test_uniform_schemes_fill_their_bound_with_the_uniform_std(name, shape):
    mn.manual_seed(0)
    w = getattr(init, name)(shape)
    bound = _uniform_bound(name, *init.fan_in_fan_out(shape))
    assert w.dtype == np.float32 and w.shape == shape
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.mean()) < 0.01 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)


@pytest.mark.parametrize("shape", [DENSE, CONV], ids=["dense", "conv"])
@pytest.mark.parametrize("name", ["xavier_normal", "he_normal", "lecun_normal"])
def test_normal_schemes_have_their_std(name, shape):
    mn.manual_seed(0)
    w = getattr(init, name)(shape)
    std = _normal_std(name, *init.fan_in_fan_out(shape))
    assert abs(w.mean()) < 0.01 * std
    assert w.std() == pytest.approx(std, rel=0.02)


def test_he_fan_out_mode_and_leaky_relu_gain():
    mn.manual_seed(0)
    w = init.he_normal(CONV, a=0.2, mode="fan_out", nonlinearity="leaky_relu")
    expected = math.sqrt(2 / (1 + 0.2 ** 2)) / math.sqrt(576)
    assert w.std() == pytest.approx(expected, rel=0.02)


def test_uniform_and_normal_and_constants():
    mn.manual_seed(0)
    u = init.uniform(DENSE, -2.0, 3.0)
    assert u.min() >= -2 and u.max() < 3 and u.mean() == pytest.approx(0.5, abs=0.02)
    n = init.normal(DENSE, mean=1.0, std=0.5)
    assert n.mean() == pytest.approx(1.0, abs=0.01) and n.std() == pytest.approx(0.5, rel=0.02)
    assert np.all(init.zeros((2, 3)) == 0) and np.all(init.ones((2,)) == 1)
    assert np.all(init.constant((2, 2), 0.1) == np.float32(0.1))


@pytest.mark.parametrize("shape", [(50, 50), (30, 80), (80, 30), (16, 4, 3, 3)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    mn.manual_seed(0)
    w = init.orthogonal(shape, gain=2.0, dtype=np.float64).reshape(shape[0], -1)
    small = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    np.testing.assert_allclose(small, 4.0 * np.eye(len(small)), atol=1e-10)


def test_orthogonal_needs_two_dimensions():
    with pytest.raises(ValueError, match="at least 2"):
        init.orthogonal((5,))


@pytest.mark.parametrize("nonlinearity, param, expected", [
    ("linear", None, 1.0), ("identity", None, 1.0), ("sigmoid", None, 1.0), ("conv2d", None, 1.0), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("selu", None, 0.75), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04))])
def test_gain_formulas(nonlinearity, param, expected):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(expected)


@pytest.mark.parametrize("nonlinearity, param", [
    (n, None) for n in ["linear", "sigmoid", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                        "conv_transpose2d", "conv_transpose3d", "tanh", "relu", "selu", "leaky_relu"]]
    + [("leaky_relu", 0.3), ("leaky_relu", 0)])
def test_gain_table_matches_pytorch(nonlinearity, param):
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(nonlinearity, param)


@pytest.mark.parametrize("call, message", [(lambda: init.calculate_gain("swishy"), "unknown nonlinearity"),
                                           (lambda: init.calculate_gain("leaky_relu", "x"), "expected a number"),
                                           (lambda: init.he_normal((3, 3), mode="fan_both"), "fan_in"),
                                           (lambda: init.initialize(mn.nn.Parameter(np.zeros(2)), "nope"), "unknown initialiser")])
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("name", sorted(init.INITIALIZERS))
def test_in_place_form_fills_the_parameter_like_the_array_form(name):
    p = mn.nn.Parameter(np.zeros((6, 5), np.float64))
    mn.manual_seed(4)
    getattr(init, name + "_")(p)
    mn.manual_seed(4)
    np.testing.assert_array_equal(p.data, getattr(init, name)((6, 5), dtype=np.float64))
    assert p.dtype == np.float64


@pytest.mark.parametrize("alias, name", [("glorot_uniform", "xavier_uniform"), ("kaiming_normal", "he_normal")])
def test_initialize_accepts_keras_and_torch_aliases(alias, name):
    a, b = mn.nn.Parameter(np.zeros((4, 4))), mn.nn.Parameter(np.zeros((4, 4)))
    mn.manual_seed(2)
    init.initialize(a, alias)
    mn.manual_seed(2)
    init.initialize(b, name)
    np.testing.assert_array_equal(a.data, b.data)


def test_initialize_callable_with_wrong_shape_is_an_error():
    with pytest.raises(ValueError, match=r"returned shape \(3,\) for a parameter of shape \(2,\)"):
        init.initialize(mn.nn.Parameter(np.zeros(2)), lambda p: np.zeros(3))


def test_same_seed_same_draws():
    mn.manual_seed(9)
    a = init.he_uniform((10, 10))
    mn.manual_seed(9)
    np.testing.assert_array_equal(a, init.he_uniform((10, 10)))
