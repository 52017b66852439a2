"""mn.optim.clip_grad_norm_ and clip_grad_value_: the formulas, the edge cases, and torch.nn.utils."""
import math

import numpy as np
import pytest

from minnet import optim
from minnet.nn import Parameter


def _params(*grads, dtype=np.float64):
    """Parameters whose .grad are the given arrays (None for no gradient)."""
    params = []
    for grad in grads:
        p = Parameter(np.zeros(np.shape(grad) if grad is not None else 2, dtype=dtype))
        p.grad = None if grad is None else np.array(grad, dtype=dtype)
        params.append(p)
    return params


def _grads():
    rng = np.random.default_rng(0)
    return [rng.standard_normal((3, 4)) * 5, rng.standard_normal(4), rng.standard_normal((2, 2, 3))]


def _norm(arrays, p):
    flat = np.concatenate([np.ravel(a) for a in arrays])
    return np.max(np.abs(flat)) if p == math.inf else np.sum(np.abs(flat) ** p) ** (1 / p)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, 0.5, math.inf, "inf"])
def test_clip_grad_norm_returns_the_total_norm_before_clipping(norm_type):
    grads = _grads()
    total = optim.clip_grad_norm_(_params(*grads), max_norm=0.1, norm_type=norm_type)
    assert total == pytest.approx(_norm(grads, float(norm_type)), rel=1e-12)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_clip_grad_norm_scales_every_gradient_by_the_same_factor_down_to_max_norm(norm_type):
    grads = _grads()
    params = _params(*grads)
    total = optim.clip_grad_norm_(params, max_norm=1.5, norm_type=norm_type)
    factor = 1.5 / (total + 1e-6)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad, g * factor, rtol=1e-12)
    assert _norm([p.grad for p in params], norm_type) == pytest.approx(1.5, rel=1e-5)


def test_clip_grad_norm_leaves_small_gradients_alone():
    grads = [np.array([0.3, -0.4])]
    params = _params(*grads)
    assert optim.clip_grad_norm_(params, max_norm=1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(params[0].grad, grads[0])


def test_clip_grad_norm_works_in_place_on_the_grad_arrays():
    params = _params(np.array([3.0, 4.0]))
    grad = params[0].grad
    optim.clip_grad_norm_(params, max_norm=1.0)
    assert params[0].grad is grad
    np.testing.assert_allclose(grad, [0.6, 0.8], rtol=1e-6)


def test_clip_grad_norm_keeps_float32_gradients_float32():
    params = _params(np.array([3.0, 4.0]), dtype=np.float32)
    optim.clip_grad_norm_(params, max_norm=1.0)
    assert params[0].grad.dtype == np.float32


def test_clip_grad_norm_accepts_a_single_tensor_and_a_generator():
    (p,) = _params(np.array([3.0, 4.0]))
    assert optim.clip_grad_norm_(p, 10.0) == pytest.approx(5.0)
    assert optim.clip_grad_norm_((q for q in [p]), 10.0) == pytest.approx(5.0)


def test_clip_grad_norm_skips_parameters_without_gradients():
    params = _params(None, np.array([3.0, 4.0]), None)
    assert optim.clip_grad_norm_(params, max_norm=1.0) == pytest.approx(5.0)
    assert params[0].grad is None and params[2].grad is None


def test_clip_grad_norm_of_no_gradients_is_zero():
    assert optim.clip_grad_norm_(_params(None, None), max_norm=1.0) == 0.0


def test_clip_grad_norm_returns_a_number_with_item_like_pytorchs_tensor():
    total = optim.clip_grad_norm_(_params(np.array([3.0, 4.0])), max_norm=1.0)
    assert isinstance(total, float) and total.item() == pytest.approx(5.0)


def test_clip_grad_norm_of_a_nan_gradient_makes_every_gradient_nan_as_pytorch():
    params = _params(np.array([1.0, np.nan]), np.array([1.0, 2.0]))
    assert math.isnan(optim.clip_grad_norm_(params, max_norm=1.0))
    assert all(np.isnan(p.grad).all() for p in params)


def test_clip_grad_norm_of_an_infinite_gradient_multiplies_by_zero_as_pytorch():
    params = _params(np.array([1.0, np.inf]), np.array([1.0, 2.0]))
    assert optim.clip_grad_norm_(params, max_norm=1.0) == math.inf
    np.testing.assert_array_equal(params[0].grad, [0.0, np.nan])
    np.testing.assert_array_equal(params[1].grad, [0.0, 0.0])


def test_clip_grad_norm_with_error_if_nonfinite_raises_and_leaves_the_gradients():
    params = _params(np.array([1.0, np.inf]), np.array([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is inf"):
        optim.clip_grad_norm_(params, max_norm=1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(params[1].grad, [1.0, 2.0])


@pytest.mark.parametrize("kwargs, error, message", [
    ({"max_norm": -1.0}, ValueError, "max_norm >= 0"),
    ({"max_norm": "1"}, TypeError, "a number for max_norm"),
    ({"max_norm": 1.0, "norm_type": 0}, ValueError, "norm_type > 0 or inf"),
    ({"max_norm": 1.0, "norm_type": "two"}, ValueError, "norm_type > 0 or inf"),
])
def test_clip_grad_norm_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        optim.clip_grad_norm_(_params(np.ones(2)), **kwargs)


def test_clip_grad_norm_names_what_is_not_a_tensor():
    with pytest.raises(TypeError, match="got ndarray at position 0"):
        optim.clip_grad_norm_([np.ones(2)], 1.0)


def test_clip_grad_value_clamps_each_element():
    params = _params(np.array([3.0, -0.2, -7.0]), np.array([[0.5, -0.5]]))
    assert optim.clip_grad_value_(params, clip_value=0.5) is None
    np.testing.assert_array_equal(params[0].grad, [0.5, -0.2, -0.5])
    np.testing.assert_array_equal(params[1].grad, [[0.5, -0.5]])


def test_clip_grad_value_works_in_place_and_skips_missing_gradients():
    params = _params(None, np.array([2.0]))
    grad = params[1].grad
    optim.clip_grad_value_(params, 1.0)
    assert params[1].grad is grad and grad[0] == 1.0 and params[0].grad is None


def test_clip_grad_value_rejects_a_negative_bound():
    with pytest.raises(ValueError, match="clip_value >= 0"):
        optim.clip_grad_value_(_params(np.ones(2)), -1.0)


# --- PyTorch as an oracle ----------------------------------------------------------------------

@pytest.mark.parametrize("max_norm", [0.5, 100.0])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    torch = pytest.importorskip("torch")
    grads = _grads()
    params = _params(*grads)
    tensors = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(tensors, grads):
        t.grad = torch.tensor(g)
    expected = torch.nn.utils.clip_grad_norm_(tensors, max_norm, norm_type=norm_type)
    total = optim.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    assert total == pytest.approx(expected.item(), rel=1e-12)
    for p, t in zip(params, tensors):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)


def test_clip_grad_value_matches_torch():
    torch = pytest.importorskip("torch")
    grads = _grads()
    params = _params(*grads)
    tensors = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for t, g in zip(tensors, grads):
        t.grad = torch.tensor(g)
    torch.nn.utils.clip_grad_value_(tensors, 0.7)
    optim.clip_grad_value_(params, 0.7)
    for p, t in zip(params, tensors):
        np.testing.assert_array_equal(p.grad, t.grad.numpy())
