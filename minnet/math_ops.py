"""More primitive ops: trigonometric and squashing functions, elementwise maximum and minimum,
and logsumexp. Each is a Function with its forward and backward side by side, as in ops.py;
Tensor's methods of the same names (`x.sin()`, `x.maximum(y)`, `x.logsumexp(axis)`) call them.
"""
import numpy as np

from minnet.function import Function
from minnet.ops import _expand, _normalize_axis, unbroadcast


class Sin(Function):
    """sin x;  d/dx = cos x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * np.cos(x)


class Cos(Function):
    """cos x;  d/dx = -sin x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return -grad * np.sin(x)


class Tanh(Function):
    """tanh x;  d/dx = 1 - tanh^2 x (from the output)."""

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return grad * (1 - y * y)


class Sigmoid(Function):
    """sigma(x) = 1 / (1 + e^-x);  d/dx = sigma(x) (1 - sigma(x)) (from the output)."""

    @staticmethod
    def forward(ctx, x):
        # e^-|x| never overflows; 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0 are the
        # same function, each computed where it is exact.
        e = np.exp(-np.abs(x))
        y = np.where(x >= 0, 1, e) / (1 + e)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return grad * y * (1 - y)


class ReLU(Function):
    """max(x, 0);  d/dx = 1 for x > 0, else 0 (0 at x = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x > 0)
        return np.maximum(x, 0)

    @staticmethod
    def backward(ctx, grad):
        (positive,) = ctx.saved
        return grad * positive


def _pick(ctx, a, b, a_wins):
    """Forward of Maximum and Minimum: remember each input's share of the gradient."""
    # Where a and b tie, each gets half, so the gradient still sums to grad (as PyTorch).
    dtype = np.result_type(a, b)
    a_share = np.where(a == b, 0.5, a_wins).astype(dtype, copy=False)
    ctx.save_for_backward(a_share)
    ctx.shapes = a.shape, b.shape


def _split(ctx, grad):
    (a_share,) = ctx.saved
    a_shape, b_shape = ctx.shapes
    return unbroadcast(grad * a_share, a_shape), unbroadcast(grad * (1 - a_share), b_shape)


class Maximum(Function):
    """max(a, b) elementwise, broadcasting;  d/da = 1 where a > b, d/db = 1 where b > a, 1/2 each at ties."""

    @staticmethod
    def forward(ctx, a, b):
        _pick(ctx, a, b, a > b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        return _split(ctx, grad)


class Minimum(Function):
    """min(a, b) elementwise, broadcasting;  d/da = 1 where a < b, d/db = 1 where b < a, 1/2 each at ties."""

    @staticmethod
    def forward(ctx, a, b):
        _pick(ctx, a, b, a < b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        return _split(ctx, grad)


class LogSumExp(Function):
    """y = ln sum_i e^(x_i) over `axis`;  dy/dx_i = e^(x_i - y) (the softmax of x)."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        axis = _normalize_axis(axis, x.ndim)
        # Shifting by the maximum keeps every e^(x - m) <= 1: no overflow, and the largest
        # term is exactly 1, so the log sees 0 only for a row of -inf, whose answer is -inf
        # (and whose gradient, 0/0, is NaN as in PyTorch). A row whose maximum is infinite
        # shifts by 0.
        m = np.max(x, axis=axis, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        e = np.exp(x - m)
        total = np.sum(e, axis=axis, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = m + np.log(total)
            # The gradient is softmax(x), taken from e rather than from e^(x - y): y is rounded
            # to the precision of numbers as large as m, which e^(x - y) would inherit.
            ctx.save_for_backward(e / total)
        ctx.axis, ctx.keepdims = axis, keepdims
        return y if keepdims else np.squeeze(y, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        (softmax,) = ctx.saved
        return _expand(grad, softmax.shape, ctx.axis, ctx.keepdims) * softmax
