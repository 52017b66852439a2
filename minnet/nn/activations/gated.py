"""Self-gated units (GELU, Swish/SiLU, Mish) and their hard, piecewise-linear
approximations (hard-sigmoid, hard-swish, hard-tanh)."""
import math

import numpy as np

from minnet import config
from minnet.nn.module import Parameter
from minnet.nn.activations.base import INF, Activation, _quotient, _sigmoid, _softplus, _step


# --- smooth, self-gated units -------------------------------------------------------------

_SQRT_2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_GELU_TANH_SCALE = math.sqrt(2 / math.pi)      # Hendrycks & Gimpel 2016, tanh approximation
_GELU_TANH_CUBIC = 0.044715


# Rational approximation of erf for float32 (Eigen's generic_fast_erf_float, as in XLA):
# erf(z) ~ z P(z^2) / Q(z^2) on [-4, 4], where float32 erf is +-1 beyond. Max abs error 4.4e-7
# against scipy's erf (about 4 float32 ulps at 1); scipy's float32 erf computes in float64
# one element at a time, this is a score of vectorised passes (bench_activations: gelu).
_ERF_P = (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
          -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
          -1.60960333262415e-02)
_ERF_Q = (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
          -7.37332916720468e-03, -1.42647390514189e-02)


def _erf_float32(z):
    """erf of a float32 array to float32 accuracy (see the comment above); overwrites z."""
    np.clip(z, -4.0, 4.0, out=z)
    z2 = np.square(z)
    numerator = _horner(z2, _ERF_P)
    denominator = _horner(z2, _ERF_Q)
    numerator *= z
    return np.divide(numerator, denominator, out=numerator)


def _horner(x, coefficients):
    """c0 x^n + c1 x^(n-1) + ... + cn by Horner's rule, in one new array."""
    result = np.multiply(x, coefficients[0], out=np.empty_like(x))
    result += coefficients[1]
    for coefficient in coefficients[2:]:
        result *= x
        result += coefficient
    return result


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
            return self._tanh_cdf(x) * x
        y = np.multiply(x, 1 / _SQRT_2, out=np.empty_like(x))
        if y.dtype == np.float32:        # fast path: scipy's erf is a scalar loop (bench_activations)
            y = _erf_float32(y)
        else:
            from scipy.special import erf
            erf(y, out=y)
        y += 1
        y *= 0.5                         # Phi(x), then x Phi(x): never beyond |x|, no overflow
        y *= x
        return y

    def df(self, x, y):
        if self.approximate == "tanh":
            return self._tanh_derivative(x)
        # Phi(x) = y / x reuses forward's erf (Phi(0) = 1/2) instead of computing a second one.
        # x phi(x) = x e^(-x^2/2) / sqrt(2 pi): x^2 overflows only where e^-inf = 0 is exact.
        with np.errstate(over="ignore"):
            derivative = np.square(x, out=np.empty_like(x))
            derivative *= -0.5
            np.exp(derivative, out=derivative)
        derivative *= x
        derivative *= _INV_SQRT_2PI
        derivative += _quotient(y, x, at_zero=0.5)
        return derivative

    # The tanh form's inner argument sqrt(2/pi) (x + 0.044715 x^3) is taken at x clipped to
    # [-10, 10]: tanh is +-1 to double precision from |x| = 8 on, and x^3 cannot overflow.
    def _tanh_inner(self, x):
        clipped = np.clip(x, -10.0, 10.0, out=np.empty_like(x))
        inner = np.square(clipped, out=np.empty_like(clipped))
        inner *= _GELU_TANH_CUBIC * _GELU_TANH_SCALE
        inner += _GELU_TANH_SCALE
        inner *= clipped
        return inner, clipped

    def _tanh_cdf(self, x):
        """(1 + tanh(inner)) / 2: the tanh form's stand-in for Phi(x)."""
        inner = self._tanh_inner(x)[0]
        cdf = np.tanh(inner, out=inner)
        cdf += 1
        cdf *= 0.5
        return cdf

    def _tanh_derivative(self, x):
        """(1 + t) / 2 + x (1 - t^2) inner' / 2, t = tanh(inner), inner' = s (1 + 3 c x^2)."""
        inner, clipped = self._tanh_inner(x)
        t = np.tanh(inner, out=inner)
        slope = np.square(clipped, out=np.empty_like(clipped))
        slope *= 3 * _GELU_TANH_CUBIC * _GELU_TANH_SCALE
        slope += _GELU_TANH_SCALE
        slope *= clipped                 # 1 - t^2 = 0 beyond the clip, so clipped x is exact
        derivative = np.square(t, out=np.empty_like(t))
        np.subtract(1, derivative, out=derivative)
        derivative *= slope
        derivative += t
        derivative += 1
        derivative *= 0.5
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
        # sigmoid(z) = (1 + tanh(z / 2)) / 2, so y = x/2 + x/2 tanh(beta x / 2): one tanh
        # (numpy's fastest transcendental) and four passes over memory; no overflow for
        # |beta| <= 2. The error is the rounding of x/2 (1 + tanh), absolute, so far left,
        # where y is below about 1e-7 |x|, the tiny output loses relative accuracy (Sigmoid
        # keeps the e^-x form: logs of probabilities need it).
        beta = self._beta(x)
        half_x = np.multiply(x, 0.5, out=np.empty_like(x))
        y = np.tanh(half_x if beta == 1 else x * (0.5 * beta))
        y *= half_x
        y += half_x
        return y

    def df(self, x, y):
        # f' = s + beta y (1 - s) with s = sigmoid(beta x) = y / x, that is
        # (y + beta y (x - y)) / x: one division instead of a second tanh, and no array for s
        # (bench_activations: silu). y (x - y) stays small where x is huge (x - y -> 0 for
        # x > 0, y -> 0 for x < 0), so nothing overflows; f'(0) = 1/2, 0 / 0 until fixed up.
        derivative = np.subtract(x, y, out=np.empty_like(x))
        derivative *= y
        beta = self._beta(x)
        if beta != 1:
            derivative *= beta
        derivative += y
        with np.errstate(invalid="ignore", divide="ignore"):
            derivative /= x
        derivative[x == 0] = 0.5
        return derivative

    # The fast pair keeps s = sigmoid(beta x) from forward, as a hand-written version would,
    # instead of recovering it from y / x with a fix-up at 0; it keeps y and s, not x
    # (bench_activations: silu). A trainable beta needs x for its gradient: f and df then.
    def forward_with_cache(self, x):
        beta = self._beta(x)
        s = np.multiply(x, 0.5 * beta, out=np.empty_like(x))     # (1 + tanh(beta x / 2)) / 2
        np.tanh(s, out=s)
        s *= 0.5
        s += 0.5
        y = np.multiply(x, s, out=np.empty_like(x))
        return y, (y, s)

    def df_from_cache(self, cache, overwrite=False):
        # s is read again after f' is begun, and y is held by the graph: nothing to overwrite.
        # f' = s + beta y (1 - s): where x is huge, 1 - s = 0 keeps beta y (1 - s) from
        # overflowing, and s (1 - y) + y would cancel to 0 instead of 1.
        y, s = cache
        derivative = np.subtract(1, s, out=np.empty_like(s))
        derivative *= y
        beta = self._beta(s)
        if beta != 1:
            derivative *= beta
        derivative += s
        return derivative

    def parameter_grads(self, x, y, grad):
        # df/dbeta = x^2 s (1 - s), multiplied in the order that cannot overflow: s (1 - s)
        # decays like e^-|beta x|, so x s (1 - s) stays small for every x.
        s = _sigmoid(x * self._beta(x))
        derivative = np.subtract(1, s, out=np.empty_like(s))
        derivative *= s
        derivative *= x
        derivative *= x
        derivative *= grad
        return (derivative.sum().reshape(1),)

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
        y = _softplus(x)
        np.tanh(y, out=y)
        y *= x
        return y

    def df(self, x, y):
        # t = tanh(softplus(x)) = y / x (tanh(ln 2) = 3/5 at x = 0) instead of computing it again.
        t = _quotient(y, x, at_zero=0.6)
        derivative = np.square(t, out=np.empty_like(t))
        np.subtract(1, derivative, out=derivative)
        derivative *= x
        derivative *= _sigmoid(x)
        derivative += t
        return derivative

    # The fast pair keeps t = tanh(softplus(x)) from forward, as a hand-written version
    # would, instead of recovering it from y / x with a fix-up at 0; it keeps x and t, not y
    # (bench_activations: mish).
    def forward_with_cache(self, x):
        t = _softplus(x)
        np.tanh(t, out=t)
        return np.multiply(x, t, out=np.empty_like(x)), (x, t)

    def df_from_cache(self, cache, overwrite=False):
        # t is read again after f' is begun, and x is held by the graph: nothing to overwrite.
        x, t = cache
        derivative = np.square(t, out=np.empty_like(t))
        np.subtract(1, derivative, out=derivative)
        derivative *= x
        derivative *= _sigmoid(x)
        derivative += t
        return derivative


# --- hard (piecewise-linear) approximations ------------------------------------------------

def _hard_sigmoid(x):
    """ReLU6(x + 3) / 6, in one new array."""
    y = np.add(x, 3, out=np.empty_like(x))
    np.clip(y, 0, 6, out=y)
    y /= 6
    return y


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
        return _hard_sigmoid(x)

    def df(self, x, y):
        derivative = _step(np.abs(x) < 3, x)
        derivative *= 1 / 6
        return derivative


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
        y = _hard_sigmoid(x)
        # x times a number in [0, 1]: no overflow. x is clipped at -3, where that number is
        # already 0 (no change), so that x = -inf never meets the 0.
        y *= np.clip(x, -3, INF)
        return y

    def df(self, x, y):
        # hard_sigmoid(x) + x / 6 inside (-3, 3) = (ReLU6(x + 3) + x [|x| < 3]) / 6: 0 below,
        # x/3 + 1/2 inside, 1 above, and the outer slopes at the kinks, as PyTorch.
        derivative = np.add(x, 3, out=np.empty_like(x))
        np.clip(derivative, 0, 6, out=derivative)
        inside = _step(np.abs(x) < 3, x)
        inside *= np.clip(x, -3, 3)      # x itself inside; clipped, x = +/-inf never meets the 0
        derivative += inside
        derivative /= 6
        return derivative


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
        # (y - min_val)(max_val - y) > 0 exactly inside, 0 at and beyond the kinks, NaN for a
        # NaN input (a mask would say 0 there and hide the NaN).
        derivative = np.subtract(y, self.min_val, out=np.empty_like(y))
        derivative *= self.max_val - y
        return np.sign(derivative, out=derivative)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"
