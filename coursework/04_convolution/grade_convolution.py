"""Grader of assignment 4: each test is one task; its docstring is the task's title."""
import numpy as np
import pytest

import minnet as mn
from minnet.testing import check_function

STARTER = "conv.py"
SETTINGS = [dict(kh=3, kw=3, stride=1, padding=0), dict(kh=3, kw=2, stride=2, padding=1),
            dict(kh=1, kw=1, stride=1, padding=0)]


def naive_im2col(x, kh, kw, stride, padding):
    """The definition, one receptive field at a time (slow, obviously right)."""
    n, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh, ow = (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1
    rows = [padded[b, :, p * stride:p * stride + kh, q * stride:q * stride + kw].reshape(-1)
            for b in range(n) for p in range(oh) for q in range(ow)]
    return np.array(rows)


@pytest.mark.points(3)
def test_im2col(submission):
    """im2col: receptive fields as rows, with stride and padding"""
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 6))
    for settings in SETTINGS:
        got = np.asarray(submission.im2col(x, **settings))
        expected = naive_im2col(x, **settings)
        assert got.shape == expected.shape, (
            f"im2col(x of shape {x.shape}, {settings}) has shape {got.shape}, expected {expected.shape}")
        np.testing.assert_allclose(got, expected, err_msg=f"im2col with {settings}")


@pytest.mark.points(2)
def test_col2im(submission):
    """col2im: the adjoint of im2col"""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 5, 6))
    for settings in SETTINGS:
        c = rng.standard_normal(naive_im2col(x, **settings).shape)
        back = np.asarray(submission.col2im(c, x.shape, **settings))
        assert back.shape == x.shape, f"col2im(..., {settings}) has shape {back.shape}, expected {x.shape}"
        left, right = np.sum(naive_im2col(x, **settings) * c), np.sum(x * back)
        assert np.isclose(left, right), (
            f"with {settings}: <im2col(x), c> = {left:.6g} but <x, col2im(c)> = {right:.6g}")


@pytest.mark.points(2)
def test_im2col_function(submission):
    """Im2Col: a Function whose gradient passes gradcheck"""
    for settings in SETTINGS[:2]:
        check_function(submission.Im2Col, 1, shapes=[(2, 2, 4, 5)], kwargs=settings, kinks=())


@pytest.mark.points(3)
def test_conv2d_matches_minnet(submission):
    """conv2d: output and gradients equal mn.nn.Conv2D's"""
    rng = np.random.default_rng(2)
    for stride, padding in [(1, 0), (2, 1)]:
        layer = mn.nn.Conv2D(3, 4, (3, 2), stride=stride, padding=padding)
        x_data = rng.standard_normal((2, 3, 6, 5)).astype(np.float32)
        x_ref, x_own = mn.Tensor(x_data, requires_grad=True), mn.Tensor(x_data, requires_grad=True)
        weight = mn.Tensor(layer.weight.data, requires_grad=True)
        bias = mn.Tensor(layer.bias.data, requires_grad=True)
        expected, got = layer(x_ref), submission.conv2d(x_own, weight, bias, stride=stride, padding=padding)
        assert got.shape == expected.shape, (
            f"conv2d with stride {stride}, padding {padding}: shape {got.shape}, expected {expected.shape}")
        np.testing.assert_allclose(got.data, expected.data, rtol=1e-5, atol=1e-5,
                                   err_msg=f"conv2d output, stride {stride}, padding {padding}")
        upstream = rng.standard_normal(expected.shape).astype(np.float32)
        expected.backward(upstream)
        got.backward(upstream)
        for name, mine, theirs in [("x", x_own.grad, x_ref.grad), ("weight", weight.grad, layer.weight.grad),
                                   ("bias", bias.grad, layer.bias.grad)]:
            np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-4,
                                       err_msg=f"gradient of {name}, stride {stride}, padding {padding}")
