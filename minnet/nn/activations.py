"""Every activation function as a layer, each one its formula and its derivative.

An elementwise activation subclasses `Activation` and writes two numpy functions:

    f(self, x)      the formula
    df(self, x, y)  its derivative at x (y = f(x) is passed in, to save work)

and `Activation.forward` turns them into one differentiable op. Writing a new activation is
writing one such class: that is the extension point. Activations that are not elementwise
(Maxout, GLU, the softmax family) override `forward` instead and set `elementwise = False`.

Each class records the properties the chapters tabulate: `output_range` (low, high),
`zero_centred`, `monotonic` (non-decreasing), `smooth` (continuously differentiable) and
`saturating` (the derivative vanishes at both ends). Semantics, argument names, defaults and
the derivative chosen at a kink all follow PyTorch's module of the same name.

All formulas are written in a form that cannot overflow for any finite input (the comments
say how), and Python-float constants keep float32 inputs float32.
"""
import math

import numpy as np
from scipy.special import erf

from minnet import config
from minnet.function import Function
from minnet.nn.module import Module, Parameter
from minnet.tensor import Tensor

INF = math.inf


class _ActivationFunction(Function):
    """y = activation.f(x);  dL/dx = dL/dy * activation.df(x, y), and its parameters' gradients."""

    @staticmethod
    def forward(ctx, x, *parameters, activation):
        y = activation.f(x)
        ctx.save_for_backward(x, y)
        ctx.activation = activation
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved
        activation = ctx.activation
        grad_x = None
        if ctx.needs_input_grad[0]:
            derivative = activation.df(x, y)
            # df's result is normally a fresh array we may overwrite: saves one temporary
            # (measured: ReLU forward+backward on 4M float32 52.7 -> 47.6 ms).
            if (derivative.shape == grad.shape and derivative.dtype == grad.dtype
                    and derivative.flags.writeable and not np.may_share_memory(derivative, x)
                    and not np.may_share_memory(derivative, y)):
                grad_x = np.multiply(derivative, grad, out=derivative)
            else:
                grad_x = grad * derivative
        grad_parameters = activation.parameter_grads(x, y, grad) if len(ctx.parents) > 1 else ()
        return (grad_x, *grad_parameters)


class Activation(Module):
    """Base class of elementwise activations: define `f(x)` and `df(x, y)` on numpy arrays.

        class Square(Activation):
            '''f(x) = x^2;  f'(x) = 2x.'''
            def f(self, x):
                return x * x

            def df(self, x, y):
                return 2 * x

    An activation with parameters also defines `parameter_grads(x, y, grad)`, returning
    dL/dp for each of its parameters in the order of `self.parameters()`.

    Shape: (*) -> (*), the same shape as the input.
    """

    name = None                 # the key in ACTIVATIONS, e.g. "leaky_relu"
    elementwise = True
    output_range = (-INF, INF)
    zero_centred = False
    monotonic = True
    smooth = True
    saturating = False

    def f(self, x):
        raise NotImplementedError(f"{type(self).__name__} must define f(self, x)")

    def df(self, x, y):
        raise NotImplementedError(f"{type(self).__name__} must define df(self, x, y)")

    def parameter_grads(self, x, y, grad):
        raise NotImplementedError(f"{type(self).__name__} has parameters, so it must define "
                                  f"parameter_grads(self, x, y, grad)")

    def forward(self, x):
        if not isinstance(x, Tensor):
            x = Tensor(x)
        return _ActivationFunction.apply(x, *self.parameters(), activation=self)


def _sigmoid(x):
    """1 / (1 + e^-x) = e^min(x, 0) / (1 + e^-|x|): no exponent is ever positive, so nothing
    overflows, and the numerator is 1 for x >= 0, e^x for x < 0 without a branch.
    """
    # Branch-free: np.where's data-dependent select cost more than both exps together
    # (measured: 4M float32 forward 43 -> 12 ms, same accuracy as the np.where form).
    return np.exp(np.minimum(x, 0)) / (1 + np.exp(-np.abs(x)))


def _softplus(x):
    """ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|): the exponent is never positive."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


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

    def f(self, x):
        return _sigmoid(x)

    def df(self, x, y):
        return y * (1 - y)


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

    def f(self, x):
        return np.tanh(x)

    def df(self, x, y):
        derivative = np.square(y, out=np.empty_like(y))
        return np.subtract(1, derivative, out=derivative)


# --- the ReLU family ----------------------------------------------------------------------

class ReLU(Activation):
    """f(x) = max(0, x);  f'(x) = 1 for x > 0, 0 for x <= 0 (f'(0) = 0, as in PyTorch).

    The default for hidden layers: cheap, sparse (true zeros) and its derivative 1 does not
    vanish with depth. Units whose input stays negative die (zero gradient forever);
    use He initialisation.

    Example:
        >>> mn.nn.ReLU()(mn.Tensor([-1.0, 0.0, 2.0]))
        tensor([0., 0., 2.], dtype=float32)
    """
    name = "relu"
    output_range = (0.0, INF)
    smooth = False

    def f(self, x):
        return np.maximum(x, 0)

    def df(self, x, y):
        return (x > 0).astype(x.dtype, copy=False)


class LeakyReLU(Activation):
    """f(x) = x for x > 0, negative_slope * x otherwise;  f'(x) = 1 for x > 0, else negative_slope.

    f'(0) = negative_slope, as in PyTorch. A small slope for negative inputs keeps units from
    dying, at the price of one hyper-parameter.

    Example:
        >>> mn.nn.LeakyReLU(0.1)(mn.Tensor([-2.0, 3.0]))
        tensor([-0.2,  3. ], dtype=float32)
    """
    name = "leaky_relu"
    smooth = False

    def __init__(self, negative_slope=0.01):
        self.negative_slope = negative_slope

    # max/min rather than np.where, whose select is slow (measured 4M float32 fwd+bwd
    # 119 -> 60 ms).
    def f(self, x):
        return np.maximum(x, 0) + self.negative_slope * np.minimum(x, 0)

    def df(self, x, y):
        return self.negative_slope + (1 - self.negative_slope) * (x > 0).astype(x.dtype)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class PReLU(Activation):
    """f(x) = x for x > 0, a * x otherwise, with a learned;  f'(x) = 1 for x > 0, else a;
    df/da = x for x <= 0, else 0.

    f'(0) = a, as in PyTorch. `weight` holds one slope shared by all channels
    (num_parameters=1) or one per channel along axis 1 (num_parameters=C for (N, C, ...)
    inputs). a = 0 is ReLU and a = 0.01 LeakyReLU; here the network chooses (He et al. 2015).

    Shape: (*) -> (*); with num_parameters = C the input is (N, C, ...) (or (C,)).

    Example:
        >>> mn.nn.PReLU()(mn.Tensor([-2.0, 3.0]))      # weight is a Parameter, so grad flows
        tensor([-0.5,  3. ], dtype=float32, requires_grad=True)
    """
    name = "prelu"
    smooth = False

    def __init__(self, num_parameters=1, init=0.25):
        self.num_parameters = num_parameters
        self.weight = Parameter(np.full(num_parameters, init, dtype=config.get_default_dtype()))

    def _slope(self, x):
        """The weight shaped to broadcast against x: one slope per channel along axis 1."""
        weight = self.weight.data.astype(x.dtype, copy=False)
        if self.num_parameters == 1:
            return weight.reshape(())
        channels = x.shape[1] if x.ndim >= 2 else x.shape[0] if x.ndim == 1 else None
        if channels != self.num_parameters:
            raise ValueError(f"PReLU(num_parameters={self.num_parameters}) expected input with "
                             f"{self.num_parameters} channels along axis 1, got shape {x.shape}")
        return weight.reshape((-1,) + (1,) * (x.ndim - 2)) if x.ndim >= 2 else weight

    def f(self, x):
        return np.maximum(x, 0) + self._slope(x) * np.minimum(x, 0)

    def df(self, x, y):
        slope = self._slope(x)
        return slope + (1 - slope) * (x > 0).astype(x.dtype)

    def parameter_grads(self, x, y, grad):
        contribution = np.minimum(x, 0) * grad          # df/da = min(x, 0)
        if self.num_parameters == 1:
            return (contribution.sum().reshape(1),)
        other_axes = tuple(i for i in range(x.ndim) if i != min(1, x.ndim - 1))
        return (contribution.sum(axis=other_axes),)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class RReLU(Activation):
    """f(x) = x for x > 0, a * x otherwise;  f'(x) = 1 for x > 0, else a.

    In training a is drawn uniformly from [lower, upper] for every element and every call
    (from mn.config.rng()); in evaluation a = (lower + upper) / 2. f'(0) = a, as in PyTorch.
    The random slope regularises like noise (Xu et al. 2015).

    Example:
        >>> mn.nn.RReLU().eval()(mn.Tensor([-24.0, 3.0]))
        tensor([-5.5,  3. ], dtype=float32)
    """
    name = "rrelu"
    smooth = False

    def __init__(self, lower=1 / 8, upper=1 / 3):
        self.lower, self.upper = lower, upper

    def f(self, x):
        if self.training:
            slope = config.rng().uniform(self.lower, self.upper, size=x.shape).astype(x.dtype)
        else:
            slope = (self.lower + self.upper) / 2
        return np.where(x > 0, x, x * slope)

    def df(self, x, y):
        # f is a * x on the negative side, so the slope drawn in forward is y / x there.
        slope = np.full_like(x, (self.lower + self.upper) / 2)
        np.divide(y, x, out=slope, where=x < 0)
        return np.where(x > 0, 1, slope).astype(x.dtype, copy=False)

    def forward(self, x):
        # Backward must use the slopes forward drew; y / x recovers them except at x = 0
        # exactly, so training multiplies by the drawn slopes as a constant instead.
        if not self.training:
            return super().forward(x)
        slope = config.rng().uniform(self.lower, self.upper, size=x.shape).astype(x.dtype)
        return x * Tensor(np.where(x.data > 0, 1, slope).astype(x.dtype, copy=False))

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}"


class ReLU6(Activation):
    """f(x) = min(max(0, x), 6);  f'(x) = 1 for 0 < x < 6, else 0 (0 at both kinks, as PyTorch).

    A ReLU capped at 6, so activations fit low-precision (fixed-point) inference (MobileNet).

    Example:
        >>> mn.nn.ReLU6()(mn.Tensor([-1.0, 3.0, 9.0]))
        tensor([0., 3., 6.], dtype=float32)
    """
    name = "relu6"
    output_range = (0.0, 6.0)
    smooth = False
    saturating = True

    def f(self, x):
        return np.clip(x, 0, 6)

    def df(self, x, y):
        return ((x > 0) & (x < 6)).astype(x.dtype, copy=False)


# --- exponential linear units -------------------------------------------------------------

class ELU(Activation):
    """f(x) = x for x > 0, alpha (e^x - 1) otherwise;  f'(x) = 1 for x > 0, else alpha e^x.

    f'(0) = alpha, as in PyTorch. Negative outputs push the mean activation towards zero and
    the curve saturates smoothly at -alpha (Clevert et al. 2015).

    Example:
        >>> mn.nn.ELU()(mn.Tensor([0.0, 2.0]))
        tensor([0., 2.], dtype=float32)
    """
    name = "elu"
    zero_centred = True

    def __init__(self, alpha=1.0):
        self.alpha = alpha
        self.output_range = (-alpha, INF)
        self.smooth = alpha == 1

    def f(self, x):
        # e^min(x, 0) never overflows, and e^0 - 1 = 0 switches the second term off for x > 0.
        return np.maximum(x, 0) + self.alpha * np.expm1(np.minimum(x, 0))

    def df(self, x, y):
        return np.where(x > 0, 1, self.alpha * np.exp(np.minimum(x, 0))).astype(x.dtype, copy=False)

    def extra_repr(self):
        return f"alpha={self.alpha}"


# Klambauer et al. 2017, "Self-Normalizing Neural Networks", eq. 14 (the values PyTorch uses).
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


class SELU(Activation):
    """f(x) = scale * x for x > 0, scale * alpha (e^x - 1) otherwise;
    f'(x) = scale for x > 0, else scale * alpha e^x.

    scale = 1.0507009873554805, alpha = 1.6732632423543772 (not 1.6726). With LeCun-normal
    initialisation and no normalisation layers, activations keep mean 0 and variance 1
    through depth (self-normalising). f'(0) = scale * alpha, as in PyTorch.

    Example:
        >>> mn.nn.SELU()(mn.Tensor([1.0]))
        tensor([1.050701], dtype=float32)
    """
    name = "selu"
    output_range = (-SELU_SCALE * SELU_ALPHA, INF)
    zero_centred = True
    smooth = False

    def f(self, x):
        return SELU_SCALE * (np.maximum(x, 0) + SELU_ALPHA * np.expm1(np.minimum(x, 0)))

    def df(self, x, y):
        derivative = np.where(x > 0, 1, SELU_ALPHA * np.exp(np.minimum(x, 0)))
        return SELU_SCALE * derivative.astype(x.dtype, copy=False)


class CELU(Activation):
    """f(x) = max(0, x) + min(0, alpha (e^(x/alpha) - 1));  f'(x) = 1 for x > 0, else e^(x/alpha).

    ELU reparametrised so that it is continuously differentiable for every alpha
    (Barron 2017). f'(0) = 1.

    Example:
        >>> mn.nn.CELU(alpha=2.0)(mn.Tensor([0.0, 3.0]))
        tensor([0., 3.], dtype=float32)
    """
    name = "celu"
    zero_centred = True

    def __init__(self, alpha=1.0):
        self.alpha = alpha
        self.output_range = (-alpha, INF)

    def f(self, x):
        return np.maximum(x, 0) + self.alpha * np.expm1(np.minimum(x, 0) / self.alpha)

    def df(self, x, y):
        return np.where(x > 0, 1, np.exp(np.minimum(x, 0) / self.alpha)).astype(x.dtype, copy=False)

    def extra_repr(self):
        return f"alpha={self.alpha}"


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
        tensor([0.      , 0.880797], dtype=float32)
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
        beta = self._beta(x)
        s = _sigmoid(x if beta == 1 else x * beta)
        s *= x
        return s

    def df(self, x, y):
        # f' = s + beta x s (1 - s) = s + beta y (1 - s), and s = y / x reuses forward's
        # sigmoid (s(0) = 1/2) instead of recomputing it: 4M float32 fwd+bwd 219 -> 164 ms
        # measured.
        s = np.full_like(x, 0.5)
        np.divide(y, x, out=s, where=x != 0)
        derivative = np.subtract(1, s, out=np.empty_like(s))
        derivative *= y
        beta = self._beta(x)
        if beta != 1:
            derivative *= beta
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
        return x / (1 + np.abs(x))

    def df(self, x, y):
        return 1 / (1 + np.abs(x)) ** 2


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
        self.beta, self.threshold = beta, threshold

    def f(self, x):
        scaled = x * self.beta
        return np.where(scaled > self.threshold, x, _softplus(scaled) / self.beta)

    def df(self, x, y):
        scaled = x * self.beta
        return np.where(scaled > self.threshold, 1, _sigmoid(scaled)).astype(x.dtype, copy=False)

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

    def f(self, x):
        # ln sigmoid(x) = min(x, 0) - ln(1 + e^-|x|): no exponent is ever positive.
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    def df(self, x, y):
        return _sigmoid(-x)


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
        return x - np.tanh(x)

    def df(self, x, y):
        return np.tanh(x) ** 2


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

    def __init__(self, lambd=0.5):
        if lambd < 0:
            raise ValueError(f"Softshrink expected lambd >= 0, got {lambd}")
        self.lambd = lambd

    def f(self, x):
        return np.where(x > self.lambd, x - self.lambd,
                        np.where(x < -self.lambd, x + self.lambd, 0)).astype(x.dtype, copy=False)

    def df(self, x, y):
        return (np.abs(x) > self.lambd).astype(x.dtype, copy=False)

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

    def __init__(self, lambd=0.5):
        self.lambd = lambd

    def f(self, x):
        return np.where(np.abs(x) > self.lambd, x, 0).astype(x.dtype, copy=False)

    def df(self, x, y):
        return (np.abs(x) > self.lambd).astype(x.dtype, copy=False)

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
        return np.where(x > self.threshold, x, self.value).astype(x.dtype, copy=False)

    def df(self, x, y):
        return (x > self.threshold).astype(x.dtype, copy=False)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}"


# --- activations over several inputs at once ------------------------------------------------

def _halves(shape, axis, where):
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


class GLU(Activation):
    """f(x) = a * sigmoid(b), where a and b are the first and second halves of x along `axis`;
    df/da = sigmoid(b), df/db = a sigmoid(b) (1 - sigmoid(b)).

    The gated linear unit (Dauphin et al. 2017): half the features gate the other half.

    Shape: (*, 2k, *) -> (*, k, *) along `axis`.

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
        first, second = _halves(x.shape, self.axis, repr(self))
        return x[first] * _ActivationFunction.apply(x[second], activation=Sigmoid())

    def extra_repr(self):
        return f"axis={self.axis}"


class _SoftmaxFunction(Function):
    """y = e^(x - max) / sum e^(x - max);  dL/dx = y (g - sum(g y)): the Jacobian
    diag(y) - y y^T applied to g without ever forming it."""

    @staticmethod
    def forward(ctx, x, axis):
        y = np.exp(x - x.max(axis=axis, keepdims=True))
        y /= y.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return y * (grad - (grad * y).sum(axis=ctx.axis, keepdims=True))


class _LogSoftmaxFunction(Function):
    """y = x - max - ln sum e^(x - max) (log-sum-exp);  dL/dx = g - softmax(x) sum(g)."""

    @staticmethod
    def forward(ctx, x, axis):
        shifted = x - x.max(axis=axis, keepdims=True)
        y = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return grad - np.exp(y) * grad.sum(axis=ctx.axis, keepdims=True)


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


# --- the registry -----------------------------------------------------------------------------

# Built from the classes above, so a new activation is registered by being written (with a name).
ACTIVATIONS = {cls.name: cls for cls in list(globals().values())
               if isinstance(cls, type) and issubclass(cls, Activation) and cls is not Activation}


def get_activation(name, **kwargs):
    """The activation layer called `name` (a key of ACTIVATIONS), built with `kwargs`.

    Example:
        >>> mn.nn.get_activation("leaky_relu", negative_slope=0.2)
        LeakyReLU(negative_slope=0.2)
    """
    if not isinstance(name, str):
        raise TypeError(f"get_activation expected a name (str), got {type(name).__name__}")
    key = name.lower()
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of: "
                         f"{', '.join(sorted(ACTIVATIONS))}")
    return ACTIVATIONS[key](**kwargs)
