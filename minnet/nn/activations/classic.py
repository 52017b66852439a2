"""The classics and their smooth relatives: identity, sigmoid, tanh, softsign, softplus,
log-sigmoid, and the shrinkage and threshold functions."""
import numpy as np

from minnet.function import Function
from minnet.nn.activations.base import (INF, Activation, _cache_or_fresh, _float_tensor,
                                        _negative_part, _positive_part, _sigmoid, _step)


# --- the classics -------------------------------------------------------------------------

class Identity(Activation):
    """f(x) = x;  f'(x) = 1.  The "no activation": stacked linear layers collapse to one.

    Use it as a placeholder (a configurable model with no nonlinearity) or on a regression output.

    Example:
        >>> mn.nn.Identity()(mn.Tensor([-1.0, 2.0]))
        tensor([-1.,  2.], dtype=float32)
    """
    name = "identity"
    zero_centred = True

    def f(self, x):
        return x.copy()

    def df(self, x, y):
        return np.ones_like(x)

    def forward(self, x):
        # f' = 1, so backward hands the gradient on as a copy, one pass, where f and df would
        # fill an array of ones and multiply by it (bench_activations: identity).
        return _IdentityFunction.apply(_float_tensor(x))


class _IdentityFunction(Function):
    """y = x (a copy);  dL/dx = dL/dy (a copy, so that no two tensors share a gradient)."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad.copy()


class Sigmoid(Activation):
    """f(x) = 1 / (1 + e^-x);  f'(x) = f(x) (1 - f(x)), at most 1/4.

    For probabilities of independent (non-exclusive) outputs: binary and multi-label heads.
    In hidden layers it saturates and its derivative (<= 1/4) makes deep nets' gradients vanish.

    Example:
        >>> mn.nn.Sigmoid()(mn.Tensor([0.0]))
        tensor([0.5], dtype=float32)
    """
    name = "sigmoid"
    output_range = (0.0, 1.0)
    saturating = True
    derivative_from_output = True

    def f(self, x):
        return _sigmoid(x)

    def df(self, x, y):
        derivative = np.subtract(1, y, out=np.empty_like(y))
        derivative *= y
        return derivative


class Tanh(Activation):
    """f(x) = (e^x - e^-x) / (e^x + e^-x);  f'(x) = 1 - f(x)^2, in (0, 1].

    Zero-centred sigmoid (tanh(x) = 2 sigmoid(2x) - 1): in hidden layers it trains faster
    than sigmoid, but still saturates. The gate in LSTMs and GRUs.

    Example:
        >>> mn.nn.Tanh()(mn.Tensor([0.0]))
        tensor([0.], dtype=float32)
    """
    name = "tanh"
    output_range = (-1.0, 1.0)
    zero_centred = True
    saturating = True
    derivative_from_output = True

    def f(self, x):
        return np.tanh(x)

    def df(self, x, y):
        derivative = np.square(y, out=np.empty_like(y))
        return np.subtract(1, derivative, out=derivative)


# --- smooth sigmoid-like and softplus-like curves ---------------------------------------

class Softsign(Activation):
    """f(x) = x / (1 + |x|);  f'(x) = 1 / (1 + |x|)^2.

    A tanh-shaped curve whose tails approach +-1 polynomially rather than exponentially,
    so it saturates more gently than tanh.

    Example:
        >>> mn.nn.Softsign()(mn.Tensor([1.0]))
        tensor([0.5], dtype=float32)
    """
    name = "softsign"
    output_range = (-1.0, 1.0)
    zero_centred = True
    saturating = True

    def f(self, x):
        denominator = np.abs(x, out=np.empty_like(x))
        denominator += 1
        return np.divide(x, denominator, out=denominator)

    def df(self, x, y):
        # 1 / (1 + |x|) = y / x, exact down to the subnormals (1 + |x| = 1 there), 1 at x = 0;
        # squared after the division, so no (1 + |x|)^2 to overflow.
        with np.errstate(invalid="ignore"):
            derivative = np.divide(y, x, out=np.empty_like(x))
        derivative[x == 0] = 1
        return np.square(derivative, out=derivative)

    # The fast pair keeps 1 + |x| from forward, as a hand-written version would, instead of
    # recovering it from y / x with a fix-up at 0; it keeps neither x nor y, and on the last
    # backward turns 1 + |x| into f' in place (bench_activations: softsign).
    def forward_with_cache(self, x):
        denominator = np.abs(x, out=np.empty_like(x))
        denominator += 1
        return np.divide(x, denominator, out=np.empty_like(x)), denominator

    def df_from_cache(self, denominator, overwrite=False):
        # 1 / (1 + |x|) squared after the reciprocal, so no (1 + |x|)^2 to overflow.
        derivative = np.reciprocal(denominator, out=_cache_or_fresh(denominator, overwrite))
        return np.square(derivative, out=derivative)


class Softplus(Activation):
    """f(x) = ln(1 + e^(beta x)) / beta, and x where beta x > threshold;
    f'(x) = sigmoid(beta x), and 1 where beta x > threshold.

    A smooth ReLU whose derivative is the sigmoid; also how to keep a parameter positive
    (a variance, a rate). The linear branch above `threshold` is PyTorch's.

    Example:
        >>> mn.nn.Softplus()(mn.Tensor([0.0]))
        tensor([0.6931472], dtype=float32)
    """
    name = "softplus"
    output_range = (0.0, INF)

    def __init__(self, beta=1.0, threshold=20.0):
        if not beta > 0:
            raise ValueError(f"Softplus expected beta > 0, got {beta}")
        self.beta, self.threshold = beta, threshold

    def f(self, x):
        # max(x, 0) + ln(1 + e^-|z|) / beta with z = beta x, its log term switched off above
        # the threshold by a 0/1 mask (y = x there): one chain of passes instead of np.where.
        # beta x overflows only where e^-|beta x| = 0 is exact.
        with np.errstate(over="ignore"):
            y = np.multiply(x, self.beta, out=np.empty_like(x))
        linear = _step(y <= self.threshold, x)
        np.abs(y, out=y)
        np.negative(y, out=y)
        np.exp(y, out=y)
        y *= linear
        np.log1p(y, out=y)
        y *= 1 / self.beta
        y += _positive_part(x)
        return y

    def df(self, x, y):
        # sigmoid(z) = 1 - e^-ln(1 + e^z) = 1 - e^(-beta y): one exp from the output, in place
        # of a new sigmoid; 1 above the threshold. beta y overflows only where e^-inf = 0.
        with np.errstate(over="ignore"):
            derivative = np.multiply(y, -self.beta, out=np.empty_like(y))
            below = _step(x * self.beta <= self.threshold, x)
        np.exp(derivative, out=derivative)
        derivative *= below
        return np.subtract(1, derivative, out=derivative)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class LogSigmoid(Activation):
    """f(x) = ln sigmoid(x) = -softplus(-x);  f'(x) = 1 - sigmoid(x) = sigmoid(-x).

    The log-probability of a sigmoid output, computed without forming the sigmoid (which
    rounds to 0 and makes ln(0) = -inf); the building block of binary cross-entropy.

    Example:
        >>> mn.nn.LogSigmoid()(mn.Tensor([0.0]))
        tensor([-0.6931472], dtype=float32)
    """
    name = "log_sigmoid"
    output_range = (-INF, 0.0)
    derivative_from_output = True

    def f(self, x):
        # ln sigmoid(x) = min(x, 0) - ln(1 + e^-|x|): no exponent is ever positive.
        y = np.abs(x, out=np.empty_like(x))
        np.negative(y, out=y)
        np.exp(y, out=y)
        np.log1p(y, out=y)
        return np.subtract(_negative_part(x), y, out=y)

    def df(self, x, y):
        # sigmoid(-x) = 1 - sigmoid(x) = 1 - e^y; expm1 keeps it accurate where it is tiny.
        derivative = np.expm1(y, out=np.empty_like(y))
        return np.negative(derivative, out=derivative)


# --- shrinkage and thresholds -------------------------------------------------------------

class Tanhshrink(Activation):
    """f(x) = x - tanh(x);  f'(x) = tanh(x)^2.  Near zero flat (cubic), linear far away.

    Example:
        >>> mn.nn.Tanhshrink()(mn.Tensor([0.0]))
        tensor([0.], dtype=float32)
    """
    name = "tanhshrink"
    zero_centred = True

    def f(self, x):
        y = np.tanh(x, out=np.empty_like(x))
        return np.subtract(x, y, out=y)

    def df(self, x, y):
        # tanh(x) again, not x - y: that difference loses tanh(x) entirely once |x| is large.
        derivative = np.tanh(x, out=np.empty_like(x))
        return np.square(derivative, out=derivative)

    # The fast pair keeps tanh(x) from forward instead of x and y, and on the last backward
    # squares it in place, as a hand-written version does: backward then allocates nothing
    # (bench_activations: tanhshrink). It holds one array more than f and df until then.
    def forward_with_cache(self, x):
        t = np.tanh(x, out=np.empty_like(x))
        return np.subtract(x, t, out=np.empty_like(x)), t

    def df_from_cache(self, t, overwrite=False):
        return np.square(t, out=_cache_or_fresh(t, overwrite))


class Softshrink(Activation):
    """f(x) = x - lambd for x > lambd, x + lambd for x < -lambd, 0 otherwise;
    f'(x) = 1 for |x| > lambd, else 0 (0 at the kinks).

    Soft thresholding, the proximal step of an L1 penalty: sparse codes, denoising.

    Example:
        >>> mn.nn.Softshrink()(mn.Tensor([-2.0, 0.2, 2.0]))
        tensor([-1.5,  0. ,  1.5], dtype=float32)
    """
    name = "softshrink"
    zero_centred = True
    smooth = False
    derivative_from_output = True

    def __init__(self, lambd=0.5):
        if lambd < 0:
            raise ValueError(f"Softshrink expected lambd >= 0, got {lambd}")
        self.lambd = lambd

    def f(self, x):
        # x minus its part inside [-lambd, lambd]: x - lambd above, x + lambd below, 0 inside.
        y = np.clip(x, -self.lambd, self.lambd, out=np.empty_like(x))
        return np.subtract(x, y, out=y)

    def df(self, x, y):
        return _step(y != 0, y)          # y != 0 exactly where |x| > lambd (lambd >= 0)

    def extra_repr(self):
        return f"lambd={self.lambd}"


class Hardshrink(Activation):
    """f(x) = x for |x| > lambd, 0 otherwise;  f'(x) = 1 for |x| > lambd, else 0.

    Hard thresholding: keeps large values, zeroes small ones (jumps at +-lambd).

    Example:
        >>> mn.nn.Hardshrink()(mn.Tensor([-2.0, 0.2, 2.0]))
        tensor([-2.,  0.,  2.], dtype=float32)
    """
    name = "hardshrink"
    zero_centred = True
    smooth = False
    derivative_from_output = True

    def __init__(self, lambd=0.5):
        if lambd < 0:
            raise ValueError(f"Hardshrink expected lambd >= 0 (a negative lambd keeps every x, "
                             f"as Identity does), got {lambd}")
        self.lambd = lambd

    def f(self, x):
        y = _step(np.abs(x) > self.lambd, x)
        y *= x
        return y

    def df(self, x, y):
        return _step(y != 0, y)          # y != 0 exactly where |x| > lambd (lambd >= 0)

    def extra_repr(self):
        return f"lambd={self.lambd}"


class Threshold(Activation):
    """f(x) = x for x > threshold, value otherwise;  f'(x) = 1 for x > threshold, else 0.

    ReLU is Threshold(0, 0).

    Example:
        >>> mn.nn.Threshold(1.0, -5.0)(mn.Tensor([0.0, 2.0]))
        tensor([-5.,  2.], dtype=float32)
    """
    name = "threshold"
    smooth = False

    def __init__(self, threshold, value):
        self.threshold, self.value = threshold, value
        self.output_range = (min(threshold, value), INF)
        self.monotonic = value <= threshold

    def f(self, x):
        # x above the threshold (clip leaves it untouched), the threshold below, where adding
        # value - threshold gives the value (to one rounding): a mask instead of np.where's
        # slow select, and no inf * 0 for an input of -inf.
        y = np.clip(x, self.threshold, INF, out=np.empty_like(x))
        below = _step(x <= self.threshold, x)
        below *= self.value - self.threshold
        y += below
        return y

    def df(self, x, y):
        # sign(x - threshold) clipped to [0, 1]: 1 above, 0 at or below, NaN for a NaN input.
        derivative = np.subtract(x, self.threshold, out=np.empty_like(x))
        np.sign(derivative, out=derivative)
        return np.clip(derivative, 0, 1, out=derivative)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}"
