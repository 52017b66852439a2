"""Grader of assignment 1: each test is one task; its docstring is the task's title."""
import numpy as np
import pytest

import minnet as mn
from minnet.testing import check_function

STARTER = "ops.py"


@pytest.mark.points(2)
def test_unbroadcast(submission):
    """unbroadcast sums the gradient back to the input's shape"""
    grad = np.arange(24.0).reshape(2, 3, 4)
    for shape in [(2, 3, 4), (3, 4), (4,), (3, 1), (1, 1, 4), (2, 1, 1), ()]:
        expected = grad
        added = grad.ndim - len(shape)
        expected = expected.sum(axis=tuple(range(added))) if added else expected
        for axis, n in enumerate(shape):
            if n == 1:
                expected = expected.sum(axis=axis, keepdims=True)
        got = np.asarray(submission.unbroadcast(grad, shape))
        assert got.shape == tuple(shape), (
            f"unbroadcast(grad of shape (2, 3, 4), {shape}) has shape {got.shape}")
        np.testing.assert_allclose(got, expected, err_msg=f"unbroadcast(grad of shape (2, 3, 4), {shape})")


@pytest.mark.points(2)
def test_mul(submission):
    """Mul: forward and backward, with broadcasting"""
    check_function(submission.Mul)


@pytest.mark.points(2)
def test_div(submission):
    """Div: forward and backward, with broadcasting"""
    check_function(submission.Div, domain=(0.5, 2.0), kinks=(), extremes=(1e-3, 1.0, 1e3))


@pytest.mark.points(3)
def test_logsumexp(submission):
    """LogSumExp: stable along an axis, gradient = softmax"""
    check_function(submission.LogSumExp, 1, shapes=[(5,), (3, 4), (2, 3, 4)])
    check_function(submission.LogSumExp, 1, shapes=[(3, 4), (2, 3, 4)], kwargs=dict(axis=0))
    y = submission.LogSumExp.apply(mn.Tensor([1e4, 1e4]))
    assert np.isclose(y.item(), 1e4 + np.log(2)), (
        f"LogSumExp([1e4, 1e4]) gave {y.item()}, expected 1e4 + log 2")
