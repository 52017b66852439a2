"""math_ops: sin, cos, tanh, sigmoid, relu, maximum, minimum and logsumexp as Tensor methods."""
import warnings

import numpy as np
import pytest

import minnet as mn

rng = np.random.default_rng(0)

UNARY = {
    "sin": (np.sin, np.cos),
    "cos": (np.cos, lambda x: -np.sin(x)),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
    "relu": (lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(x.dtype)),
}


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("shape", [(), (5,), (3, 4)])
def test_unary_method_matches_its_formula_and_derivative(name, shape):
    function, derivative = UNARY[name]
    data = rng.uniform(-3, 3, shape)
    x = mn.Tensor(data, requires_grad=True)
    y = getattr(x, name)()
    y.sum().backward()
    np.testing.assert_allclose(y.data, function(data), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(x.grad, derivative(data), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ["sin", "cos", "tanh", "sigmoid"])
def test_unary_method_passes_gradcheck(name):
    x = mn.Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert mn.gradcheck(lambda t: getattr(t, name)(), x)


def test_relu_passes_gradcheck_away_from_its_kink():
    data = rng.standard_normal((3, 4))
    data[np.abs(data) < 0.1] = 0.5
    assert mn.gradcheck(lambda t: t.relu(), mn.Tensor(data, requires_grad=True))


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "relu", "sin", "cos"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_method_is_finite_and_silent_at_extreme_inputs(name, dtype):
    x = mn.Tensor(np.array([-1e4, -80.0, 0.0, 80.0, 1e4], dtype=dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = getattr(x, name)()
        y.sum().backward()
    assert y.dtype == dtype and x.grad.dtype == dtype
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad))


def test_sigmoid_saturates_to_exactly_zero_and_one():
    y = mn.Tensor([-1e4, 1e4]).sigmoid()
    np.testing.assert_array_equal(y.data, [0.0, 1.0])


@pytest.mark.parametrize("name, pick", [("maximum", np.maximum), ("minimum", np.minimum)])
def test_maximum_and_minimum_broadcast_and_pass_gradcheck(name, pick):
    a = mn.Tensor(rng.standard_normal((3, 1, 4)), requires_grad=True)
    b = mn.Tensor(rng.standard_normal((2, 4)), requires_grad=True)
    np.testing.assert_array_equal(getattr(a, name)(b).data, pick(a.data, b.data))
    assert mn.gradcheck(lambda s, t: getattr(s, name)(t), a, b)


def test_maximum_splits_the_gradient_at_ties():
    a = mn.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = mn.Tensor([2.0, 2.0, 2.0], requires_grad=True)
    a.maximum(b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(b.grad, [1.0, 0.5, 0.0])


def test_maximum_with_a_number_keeps_float32():
    x = mn.Tensor([-1.0, 3.0], requires_grad=True)
    y = x.maximum(0)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])


@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (1, True), ((0, 2), False), (-1, True)])
def test_logsumexp_matches_the_formula_and_passes_gradcheck(axis, keepdims):
    data = rng.standard_normal((2, 3, 4))
    x = mn.Tensor(data, requires_grad=True)
    expected = np.log(np.sum(np.exp(data), axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(x.logsumexp(axis, keepdims).data, expected, rtol=1e-12)
    assert mn.gradcheck(lambda t: t.logsumexp(axis, keepdims), x)


def test_logsumexp_of_huge_values_does_not_overflow_and_its_gradient_is_softmax():
    x = mn.Tensor(np.array([[1000.0, 1000.0], [-1e4, 0.0]], dtype=np.float32), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = x.logsumexp(axis=1)
        y.sum().backward()
    np.testing.assert_allclose(y.data, [1000 + np.log(2), 0.0], rtol=1e-6)
    np.testing.assert_allclose(x.grad, [[0.5, 0.5], [0.0, 1.0]], atol=1e-7)


def test_logsumexp_of_a_row_of_minus_infinity_is_minus_infinity():
    x = mn.Tensor([[-np.inf, -np.inf], [0.0, -np.inf]])
    np.testing.assert_array_equal(x.logsumexp(axis=1).data, [-np.inf, 0.0])


@pytest.mark.parametrize("name", ["sin", "cos", "tanh", "sigmoid", "relu"])
def test_unary_method_matches_torch(name):
    torch = pytest.importorskip("torch")
    data = rng.standard_normal(10)
    x = mn.Tensor(data, requires_grad=True)
    getattr(x, name)().sum().backward()
    t = torch.tensor(data, requires_grad=True)
    getattr(t, name)().sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12)


def test_logsumexp_and_maximum_match_torch():
    torch = pytest.importorskip("torch")
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    a[0, 0] = b[0, 0]                                  # a tie
    x, y = mn.Tensor(a, requires_grad=True), mn.Tensor(b, requires_grad=True)
    (x.logsumexp(axis=1).sum() + x.maximum(y).sum()).backward()
    s, t = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (s.logsumexp(dim=1).sum() + torch.maximum(s, t).sum()).backward()
    np.testing.assert_allclose(x.grad, s.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(y.grad, t.grad.numpy(), rtol=1e-12)
