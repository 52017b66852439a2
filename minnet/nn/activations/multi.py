"""Activations over several inputs at once: Maxout, GLU and the softmax family."""
import numpy as np

from minnet.function import Function
from minnet.nn.activations.base import INF, Activation, _sigmoid


# --- activations over several inputs at once ------------------------------------------------

def _halves(shape, axis, where):
    if not shape:
        raise ValueError(f"{where} expected an input with an axis to split in two, got shape ()")
    axis = axis % len(shape)
    if shape[axis] % 2:
        raise ValueError(f"{where} expected an even size along axis {axis}, got shape {shape}")
    half = shape[axis] // 2
    before = (slice(None),) * axis
    return before + (slice(None, half),), before + (slice(half, None),)


class Maxout(Activation):
    """f(x)_j = max(x_{j pieces}, ..., x_{j pieces + pieces - 1}): the maximum over each group
    of `pieces` consecutive features on the last axis; the gradient goes to the maximum
    (shared equally between ties).

    After a Dense layer with pieces * k outputs it is a learned convex piecewise-linear
    function with `pieces` pieces (Goodfellow et al. 2013); ReLU is max(x, 0), one fixed piece.

    Shape: (*, pieces * k) -> (*, k).

    Example:
        >>> mn.nn.Maxout(2)(mn.Tensor([[1.0, 3.0, -2.0, -1.0]]))
        tensor([[ 3., -1.]], dtype=float32)
    """
    name = "maxout"
    elementwise = False
    smooth = False

    def __init__(self, pieces):
        if not (isinstance(pieces, int) and pieces >= 1):
            raise ValueError(f"Maxout expected a positive integer number of pieces, got {pieces!r}")
        self.pieces = pieces

    def _grouped_shape(self, shape):
        if not shape or shape[-1] % self.pieces:
            raise ValueError(f"Maxout(pieces={self.pieces}) expected a last axis divisible by "
                             f"{self.pieces}, got shape {tuple(shape)}")
        return tuple(shape[:-1]) + (shape[-1] // self.pieces, self.pieces)

    def f(self, x):
        return x.reshape(self._grouped_shape(x.shape)).max(axis=-1)

    def forward(self, x):
        return x.reshape(self._grouped_shape(x.shape)).max(axis=-1)

    def extra_repr(self):
        return f"pieces={self.pieces}"


class _GLUFunction(Function):
    """y = a s with s = sigmoid(b), a and b the halves of x;  dL/da = g s, dL/db = g a s (1 - s).

    One op rather than two slices, a sigmoid and a product, so that backward writes both
    halves of dL/dx into one array instead of scattering each slice's gradient into an array
    of its own and adding them (bench_activations: glu).
    """

    @staticmethod
    def forward(ctx, x, axis, where):
        first, second = _halves(x.shape, axis, where)
        a, s = x[first], _sigmoid(x[second])
        ctx.save_for_backward(a, s)
        ctx.halves, ctx.shape = (first, second), x.shape
        return a * s

    @staticmethod
    def backward(ctx, grad):
        a, s = ctx.saved
        first, second = ctx.halves
        grad_x = np.empty(ctx.shape, dtype=grad.dtype)
        grad_a, grad_b = grad_x[first], grad_x[second]
        np.multiply(grad, s, out=grad_a)
        np.subtract(1, s, out=grad_b)
        grad_b *= grad_a
        grad_b *= a
        return grad_x


class GLU(Activation):
    """f(x) = a * sigmoid(b), where a and b are the first and second halves of x along `axis`;
    df/da = sigmoid(b), df/db = a sigmoid(b) (1 - sigmoid(b)).

    The gated linear unit (Dauphin et al. 2017): half the features gate the other half.

    Shape: ``(*, 2k, *) -> (*, k, *)`` along `axis`.

    Example:
        >>> mn.nn.GLU()(mn.Tensor([[2.0, 0.0]]))
        tensor([[1.]], dtype=float32)
    """
    name = "glu"
    elementwise = False
    monotonic = False

    def __init__(self, axis=-1):
        self.axis = axis

    def f(self, x):
        first, second = _halves(x.shape, self.axis, repr(self))
        return x[first] * _sigmoid(x[second])

    def forward(self, x):
        return _GLUFunction.apply(x, axis=self.axis, where=repr(self))

    def extra_repr(self):
        return f"axis={self.axis}"


def _shifted(x, axis):
    """x - max(x) along axis: no exponent is positive. It overflows to -inf only for a spread
    beyond the float range, where e^-inf = 0 is the exact result, so that is not a warning.
    initial=-inf lets an empty axis through (an empty result, as in PyTorch)."""
    with np.errstate(over="ignore"):
        return np.subtract(x, x.max(axis=axis, keepdims=True, initial=-np.inf),
                           out=np.empty_like(x))


class _SoftmaxFunction(Function):
    """y = e^(x - max) / sum e^(x - max);  dL/dx = y (g - sum(g y)): the Jacobian
    diag(y) - y y^T applied to g without ever forming it."""

    @staticmethod
    def forward(ctx, x, axis):
        y = _shifted(x, axis)
        np.exp(y, out=y)
        y /= y.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        grad_x = np.multiply(grad, y, out=np.empty_like(y))
        projection = grad_x.sum(axis=ctx.axis, keepdims=True)
        np.subtract(grad, projection, out=grad_x)
        grad_x *= y
        return grad_x


class _LogSoftmaxFunction(Function):
    """y = x - max - ln sum e^(x - max) (log-sum-exp);  dL/dx = g - softmax(x) sum(g)."""

    @staticmethod
    def forward(ctx, x, axis):
        y = _shifted(x, axis)
        with np.errstate(divide="ignore"):      # ln 0 only for an empty axis (no element to shift)
            y -= np.log(np.exp(y).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        grad_x = np.exp(y, out=np.empty_like(y))        # softmax(x)
        grad_x *= grad.sum(axis=ctx.axis, keepdims=True)
        return np.subtract(grad, grad_x, out=grad_x)


class Softmax(Activation):
    """f(x)_i = e^(x_i) / sum_j e^(x_j) along `axis`;  df_i/dx_j = f_i (delta_ij - f_j).

    For one correct answer among K (mutually exclusive classes): the outputs are positive and
    sum to 1. With K = 2 it is logistic regression: softmax([z, 0])[0] = sigmoid(z). Stable:
    the maximum is subtracted first (which does not change the result).

    Shape: (*) -> (*), normalised along `axis`.

    Example:
        >>> mn.nn.Softmax()(mn.Tensor([4.0, 1.0, -4.0]))
        tensor([9.5226985e-01, 4.7410723e-02, 3.1945095e-04], dtype=float32)
    """
    name = "softmax"
    elementwise = False
    output_range = (0.0, 1.0)
    saturating = True

    def __init__(self, axis=-1):
        self.axis = axis

    def f(self, x):
        return _SoftmaxFunction.forward(_Scratch(), x, self.axis)

    def forward(self, x):
        return _SoftmaxFunction.apply(x, axis=self.axis)

    def extra_repr(self):
        return f"axis={self.axis}"


class LogSoftmax(Softmax):
    """f(x)_i = x_i - ln sum_j e^(x_j) along `axis`;  df_i/dx_j = delta_ij - softmax(x)_j.

    The log-probabilities of a softmax, computed with log-sum-exp (no ln 0); pair it with
    NLLLoss (together they are CrossEntropyLoss).

    Example:
        >>> mn.nn.LogSoftmax()(mn.Tensor([0.0, 0.0]))
        tensor([-0.6931472, -0.6931472], dtype=float32)
    """
    name = "log_softmax"
    output_range = (-INF, 0.0)
    saturating = False

    def f(self, x):
        return _LogSoftmaxFunction.forward(_Scratch(), x, self.axis)

    def forward(self, x):
        return _LogSoftmaxFunction.apply(x, axis=self.axis)


class Softmin(Softmax):
    """f(x) = softmax(-x) along `axis`: the smallest input gets the largest weight.

    Example:
        >>> mn.nn.Softmin()(mn.Tensor([0.0, 0.0]))
        tensor([0.5, 0.5], dtype=float32)
    """
    name = "softmin"
    monotonic = False

    def f(self, x):
        return super().f(-x)

    def forward(self, x):
        return _SoftmaxFunction.apply(-x, axis=self.axis)


class _Scratch:
    """A throwaway ctx so that f() can reuse a Function's forward outside the graph."""

    def save_for_backward(self, *arrays):
        pass
