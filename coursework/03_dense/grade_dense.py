"""Grader of assignment 3: each test is one task; its docstring is the task's title."""
import numpy as np
import pytest

import minnet as mn
from minnet.testing import check_module

STARTER = "layers.py"


@pytest.mark.points(2)
def test_initialisers(submission):
    """xavier_uniform and he_normal: shapes, bounds and variances"""
    rng = np.random.default_rng(0)
    w = np.asarray(submission.xavier_uniform(300, 200, rng))
    assert w.shape == (300, 200), f"xavier_uniform(300, 200) has shape {w.shape}, expected (300, 200)"
    limit = np.sqrt(6 / 500)
    assert np.abs(w).max() <= limit, (
        f"xavier_uniform(300, 200) reached {np.abs(w).max():.4f} > limit {limit:.4f}")
    assert np.isclose(w.var(), 2 / 500, rtol=0.05), (
        f"Var(xavier_uniform(300, 200)) = {w.var():.5f}, expected {2 / 500:.5f}")
    w = np.asarray(submission.he_normal(400, 100, rng))
    assert w.shape == (400, 100), f"he_normal(400, 100) has shape {w.shape}, expected (400, 100)"
    assert np.isclose(w.var(), 2 / 400, rtol=0.05), (
        f"Var(he_normal(400, 100)) = {w.var():.5f}, expected {2 / 400:.5f}")
    assert abs(w.mean()) < 0.01, f"mean of he_normal(400, 100) is {w.mean():.4f}, expected about 0"


@pytest.mark.points(3)
def test_linear(submission):
    """Linear: parameters, forward, gradients and a clear error"""
    layer = submission.Linear(3, 2, rng=np.random.default_rng(0))
    names = dict(layer.named_parameters())
    assert set(names) == {"weight", "bias"}, (
        f"Linear's parameters are {sorted(names)}, expected ['bias', 'weight']")
    assert layer.weight.shape == (3, 2) and layer.bias.shape == (2,), (
        f"weight {layer.weight.shape} and bias {layer.bias.shape}, expected (3, 2) and (2,)")
    assert layer.weight.dtype == np.float32, f"weight is {layer.weight.dtype}, expected float32"
    check_module(layer, (4, 3))
    reference = mn.nn.Dense(3, 2)
    reference.load_state_dict(layer.state_dict())
    x = mn.Tensor(np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32))
    np.testing.assert_allclose(layer(x).data, reference(x).data, rtol=1e-6, atol=1e-6,
                               err_msg="Linear and mn.nn.Dense with the same weights differ")
    with pytest.raises(ValueError) as caught:
        layer(mn.Tensor(np.ones((4, 5))))
    message = str(caught.value)
    assert "3" in message and "(4, 5)" in message, (
        f"the error for an input of shape (4, 5) should name the expected width 3 and the "
        f"shape; it says: {message}")


@pytest.mark.points(3)
def test_gradient_flow(submission):
    """gradient_norms: sigmoid+Xavier vanishes, ReLU+He keeps it"""
    sigmoid = submission.gradient_norms(mn.nn.Sigmoid, "xavier_uniform")
    assert len(sigmoid) == 20, f"gradient_norms returned {len(sigmoid)} values for depth 20"
    assert all(n >= 0 for n in sigmoid), "a norm is never negative"
    assert sigmoid[0] / sigmoid[-1] < 1e-6, (
        f"sigmoid + Xavier: first/last = {sigmoid[0] / sigmoid[-1]:.3g}; the gradient should vanish (< 1e-6)")
    relu = submission.gradient_norms(mn.nn.ReLU, "he_normal")
    assert 0.1 < relu[0] / relu[-1] < 10, (
        f"ReLU + He: first/last = {relu[0] / relu[-1]:.3g}, expected between 0.1 and 10")
    again = submission.gradient_norms(mn.nn.ReLU, "he_normal")
    assert again == relu, (
        "gradient_norms with the same seed gave different results: draw from np.random.default_rng(seed)")
