"""Self-gated units (GELU, Swish/SiLU, Mish) and their hard, piecewise-linear
approximations (hard-sigmoid, hard-swish, hard-tanh)."""
import math

import numpy as np
from scipy.special import erf

from minnet import config
from minnet.nn.module import Parameter
from minnet.nn.activations.base import INF, Activation, _sigmoid, _softplus


# --- smooth, self-gated units -------------------------------------------------------------

_SQRT_2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_GELU_TANH_SCALE = math.sqrt(2 / math.pi)      # Hendrycks & Gimpel 2016, tanh approximation
_GELU_TANH_CUBIC = 0.044715


# Rational approximation of erf for float32 (Eigen's generic_fast_erf_float, as in XLA):
# erf(z) ~ z P(z^2) / Q(z^2) on [-4, 4], where float32 erf is +-1 beyond. Max abs error 4.4e-7
# against scipy's erf (about 4 float32 ulps at 1); scipy's float32 erf computes in float64
# one element at a time, this is 20 vectorised passes.
_ERF_P = (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
          -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
          -1.60960333262415e-02)
_ERF_Q = (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
          -7.37332916720468e-03, -1.42647390514189e-02)


def _erf_float32(z):
    """erf of a float32 array to float32 accuracy (see the comment above), in place on a copy."""
    z = np.clip(z, -4.0, 4.0)
    z2 = np.square(z)
    numerator, denominator = np.full_like(z, _ERF_P[0]), np.full_like(z, _ERF_Q[0])
    for coefficient in _ERF_P[1:]:        # Horner's rule in z^2
        numerator *= z2
        numerator += coefficient
    for coefficient in _ERF_Q[1:]:
        denominator *= z2
        denominator += coefficient
    numerator *= z
    return np.divide(numerator, denominator, out=numerator)


class GELU(Activation):
    """f(x) = x Phi(x), Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2;
    f'(x) = Phi(x) + x phi(x), phi(x) = e^(-x^2/2) / sqrt(2 pi).

    approximate="tanh": Phi(x) ~ (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2, derivative
    of that formula. The activation of BERT and GPT: a smooth ReLU that weighs x by how
    likely it is to be positive. Minimum about -0.17 near x = -0.75.

    Example:
        >>> mn.nn.GELU()(mn.Tensor([0.0, 1.0]))
        tensor([0.       , 0.8413447], dtype=float32)
    """
    name = "gelu"
    output_range = (-0.1701, INF)   # minimum -0.16997 at x = -0.7518 (tanh form: -0.17004)
    monotonic = False

    def __init__(self, approximate="none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU expected approximate='none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def f(self, x):
        if self.approximate == "tanh":
            inner = _GELU_TANH_SCALE * (x + _GELU_TANH_CUBIC * x ** 3)
            return 0.5 * x * (1 + np.tanh(inner))
        y = np.multiply(x, 1 / _SQRT_2, out=np.empty_like(x))
        # float32 fast path (see _erf_float32): 4M float32 fwd+bwd 355 -> 157 ms measured.
        y = _erf_float32(y) if y.dtype == np.float32 else erf(y, out=y)
        y += 1
        y *= x
        y *= 0.5
        return y

    def df(self, x, y):
        if self.approximate == "tanh":
            t = np.tanh(_GELU_TANH_SCALE * (x + _GELU_TANH_CUBIC * x ** 3))
            inner_slope = _GELU_TANH_SCALE * (1 + 3 * _GELU_TANH_CUBIC * x ** 2)
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner_slope
        # x phi(x) never overflows: e^(-x^2/2) <= 1. Phi(x) = y / x reuses forward's erf
        # (Phi(0) = 1/2) instead of a second erf: 4M float32 fwd+bwd 572 -> 355 ms measured.
        derivative = np.square(x, out=np.empty_like(x))
        derivative *= -0.5
        np.exp(derivative, out=derivative)
        derivative *= x
        derivative *= _INV_SQRT_2PI
        cdf = np.full_like(x, 0.5)
        np.divide(y, x, out=cdf, where=x != 0)
        derivative += cdf
        return derivative

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Swish(Activation):
    """f(x) = x sigmoid(beta x);  f'(x) = s + beta x s (1 - s) with s = sigmoid(beta x);
    df/dbeta = x^2 s (1 - s).

    Smooth and non-monotonic (a small dip below zero); beta = 1 is SiLU, beta -> infinity
    approaches ReLU. trainable=True makes beta a Parameter (Ramachandran et al. 2017).
    The minimum is -0.2785 / beta.

    Example:
        >>> mn.nn.Swish(beta=2.0)(mn.Tensor([0.0, 1.0]))
        tensor([0.       , 0.8807971], dtype=float32)
    """
    name = "swish"
    monotonic = False

    def __init__(self, beta=1.0, trainable=False):
        self.trainable = trainable
        if trainable:
            self.beta = Parameter(np.full(1, beta, dtype=config.get_default_dtype()))
            self.output_range = (-INF, INF)     # beta may learn any sign
        else:
            self.beta = beta
            self.output_range = (-0.2785 / beta, INF) if beta > 0 else (-INF, INF)

    def _beta(self, x):
        if not self.trainable:
            return self.beta
        return self.beta.data.astype(x.dtype, copy=False).reshape(())

    def f(self, x):
        # sigmoid(z) = (1 + tanh(z / 2)) / 2, so y = x/2 + x/2 tanh(beta x / 2): one tanh (numpy's
        # fastest transcendental) and four passes over memory. Never overflows; the error is
        # float rounding of x/2 (1 + tanh), absolute, so far left, where y is below ~1e-7 |x|,
        # the tiny output loses relative accuracy (Sigmoid keeps the e^-x form: logs of
        # probabilities need it). Measured on 4M float32 with df below: SiLU forward +
        # backward 21-24 -> 18-19.5 ms (interleaved against the e^-x form with s = y / x in
        # df; one thread).
        beta = self._beta(x)
        half_x = x * 0.5
        y = np.tanh(half_x if beta == 1 else half_x * beta)
        y *= half_x
        y += half_x
        return y

    def df(self, x, y):
        # f' = s + beta y (1 - s) with s = sigmoid(beta x) = y / x: a division instead of a
        # second tanh. At x = 0, y / x is 0/0 and s is 1/2. Measured on 4M float32: df 6.0 ->
        # 4.9 ms (one thread; a division with where=(x != 0) instead of the fix-up: 6.3 ms).
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.asarray(y / x)        # a 0-d input gives a numpy scalar, which has no s[...] =
        s[x == 0] = 0.5
        derivative = np.subtract(1, s)
        beta = self._beta(x)
        derivative *= y if beta == 1 else beta * y
        derivative += s
        return derivative

    def parameter_grads(self, x, y, grad):
        s = _sigmoid(x * self._beta(x))
        return ((grad * x * x * s * (1 - s)).sum().reshape(1),)

    def extra_repr(self):
        beta = float(self.beta.data[0]) if self.trainable else self.beta
        return f"beta={beta}, trainable={self.trainable}"


class SiLU(Swish):
    """f(x) = x sigmoid(x);  f'(x) = s (1 + x (1 - s)), s = sigmoid(x).  Swish with beta = 1.

    The sigmoid-weighted linear unit (Elfwing et al. 2017); EfficientNet's activation.

    Example:
        >>> mn.nn.SiLU()(mn.Tensor([0.0, 1.0]))
        tensor([0.       , 0.7310586], dtype=float32)
    """
    name = "silu"

    def __init__(self):
        super().__init__(beta=1.0)

    def extra_repr(self):
        return ""


class Mish(Activation):
    """f(x) = x tanh(softplus(x));  f'(x) = t + x (1 - t^2) sigmoid(x), t = tanh(softplus(x)).

    Smooth, non-monotonic, unbounded above; used in YOLOv4 (Misra 2019). Minimum about -0.3088.

    Example:
        >>> mn.nn.Mish()(mn.Tensor([0.0]))
        tensor([0.], dtype=float32)
    """
    name = "mish"
    output_range = (-0.3089, INF)      # the minimum is -0.30884 (at x = -1.1924)
    monotonic = False

    def f(self, x):
        return x * np.tanh(_softplus(x))

    def df(self, x, y):
        t = np.tanh(_softplus(x))
        return t + x * (1 - t * t) * _sigmoid(x)


# --- hard (piecewise-linear) approximations ------------------------------------------------

class HardSigmoid(Activation):
    """f(x) = ReLU6(x + 3) / 6 = 0 for x <= -3, 1 for x >= 3, x/6 + 1/2 between;
    f'(x) = 1/6 for -3 < x < 3, else 0 (0 at the kinks, as PyTorch).

    A cheap piecewise-linear sigmoid (MobileNetV3). Not (ReLU(x) + 3) / 6, which one source
    article gives: that is unbounded and is not a sigmoid at all.

    Example:
        >>> mn.nn.HardSigmoid()(mn.Tensor([-4.0, 0.0, 4.0]))
        tensor([0. , 0.5, 1. ], dtype=float32)
    """
    name = "hard_sigmoid"
    output_range = (0.0, 1.0)
    smooth = False
    saturating = True

    def f(self, x):
        return np.clip(x + 3, 0, 6) / 6

    def df(self, x, y):
        return np.where((x > -3) & (x < 3), 1 / 6, 0).astype(x.dtype, copy=False)


class HardSwish(Activation):
    """f(x) = x ReLU6(x + 3) / 6;  f'(x) = 0 for x <= -3, x/3 + 1/2 for -3 < x < 3, 1 for x >= 3.

    MobileNetV3's cheap swish (Howard et al. 2019); not x (ReLU6(x) + 3) / 6. At the kinks
    the outer pieces' slopes, as PyTorch: f'(-3) = 0, f'(3) = 1. Minimum -0.375 at x = -1.5.

    Example:
        >>> mn.nn.HardSwish()(mn.Tensor([-4.0, 0.0, 4.0]))
        tensor([-0.,  0.,  4.], dtype=float32)
    """
    name = "hard_swish"
    output_range = (-0.375, INF)
    monotonic = False
    smooth = False

    def f(self, x):
        return x * np.clip(x + 3, 0, 6) / 6

    def df(self, x, y):
        return np.where(x <= -3, 0, np.where(x < 3, x / 3 + 0.5, 1)).astype(x.dtype, copy=False)


class HardTanh(Activation):
    """f(x) = min(max(x, min_val), max_val);  f'(x) = 1 for min_val < x < max_val, else 0.

    A piecewise-linear tanh; 0 at the kinks, as PyTorch.

    Example:
        >>> mn.nn.HardTanh()(mn.Tensor([-2.0, 0.5, 2.0]))
        tensor([-1. ,  0.5,  1. ], dtype=float32)
    """
    name = "hard_tanh"
    smooth = False
    saturating = True

    def __init__(self, min_val=-1.0, max_val=1.0):
        if not min_val < max_val:
            raise ValueError(f"HardTanh expected min_val < max_val, got {min_val} and {max_val}")
        self.min_val, self.max_val = min_val, max_val
        self.output_range = (min_val, max_val)
        self.zero_centred = min_val == -max_val

    def f(self, x):
        return np.clip(x, self.min_val, self.max_val)

    def df(self, x, y):
        return ((x > self.min_val) & (x < self.max_val)).astype(x.dtype, copy=False)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"
