"""Hand-written numpy forward + backward of every activation: the lower bound for a numpy framework.

Each function takes the input x and the upstream gradient g (dL/dy) and returns (y, dL/dx),
written with as few passes over memory as plain numpy allows: one pass is one numpy call that
reads whole arrays and writes one (a comparison writing a boolean mask counts as one too).
A hand-written version may keep any intermediate between forward and backward (sigmoid(x)
in SiLU, tanh(softplus(x)) in Mish), so it can need fewer passes than a layer that keeps
only x and y; minnet's Activation may keep one too, through its optional
forward_with_cache / df_from_cache pair. Every reference is valid for every value of the
layer's arguments (it may not drop a term because the default makes it vanish).

`REFERENCES` maps the activation's registry name to (function, forward passes, backward
passes); the default arguments are PyTorch's, as the benchmark's layers use. Two choices
that are faster than the obvious numpy call, and why:
- np.clip(x, 0, inf) instead of np.maximum(x, 0): clip with two bounds runs numpy's
  vectorised clip loop; maximum against a scalar does not.
- a 0/1 mask turned into floats and multiplied, instead of np.where: numpy's where is a
  scalar loop, an order of magnitude slower than a pass of arithmetic.
"""
import math

import numpy as np
from scipy.special import erf

from minnet.nn.activations.gated import _erf_float32

INF = np.inf
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805    # Klambauer et al. 2017
REFERENCES = {}


def reference(name, forward, backward):
    """Register fn as the numpy reference of activation `name`, with its pass counts."""
    def register(fn):
        REFERENCES[name] = (fn, forward, backward)
        return fn
    return register


def _mask(condition):
    return condition.astype(np.float32)


# --- the classics -------------------------------------------------------------------------

@reference("identity", 1, 1)
def identity(x, g):
    return x.copy(), g.copy()


@reference("sigmoid", 4, 3)
def sigmoid(x, g):
    y = np.negative(x)
    np.exp(y, out=y)                    # e^-x -> inf below -88 gives the exact limit 0
    y += 1
    np.reciprocal(y, out=y)
    d = 1 - y
    d *= y
    d *= g
    return y, d


@reference("tanh", 1, 3)
def tanh(x, g):
    y = np.tanh(x)
    d = np.square(y)
    np.subtract(1, d, out=d)
    d *= g
    return y, d


@reference("softsign", 3, 3)
def softsign(x, g):
    denominator = np.abs(x)
    denominator += 1
    y = x / denominator
    d = np.reciprocal(denominator, out=denominator)
    d *= d
    d *= g
    return y, d


@reference("softplus", 11, 5)
def softplus(x, g, beta=1.0, threshold=20.0):
    # max(x, 0) + ln(1 + e^-|z|) / beta with z = beta x; above the threshold y = x, so the
    # log term is switched off there by a 0/1 mask.
    y = x * beta
    curved = _mask(y <= threshold)
    np.abs(y, out=y)
    np.negative(y, out=y)
    np.exp(y, out=y)
    y *= curved
    np.log1p(y, out=y)
    y *= 1 / beta
    y += np.clip(x, 0, INF)
    # f' = sigmoid(z) = 1 - e^(-beta y) below the threshold, 1 above
    d = np.multiply(y, -beta)
    np.exp(d, out=d)
    d *= curved
    np.subtract(1, d, out=d)
    d *= g
    return y, d


@reference("log_sigmoid", 6, 3)
def log_sigmoid(x, g):
    y = np.abs(x)
    np.negative(y, out=y)
    np.exp(y, out=y)
    np.log1p(y, out=y)
    np.subtract(np.clip(x, -INF, 0), y, out=y)
    d = np.expm1(y)                     # f' = 1 - sigmoid(x) = 1 - e^y
    d *= g
    np.negative(d, out=d)
    return y, d


@reference("tanhshrink", 2, 2)
def tanhshrink(x, g):
    t = np.tanh(x)
    y = x - t
    d = np.square(t, out=t)             # f' = tanh(x)^2
    d *= g
    return y, d


@reference("softshrink", 2, 3)
def softshrink(x, g, lambd=0.5):
    y = x - np.clip(x, -lambd, lambd)
    d = _mask(y != 0)                   # y != 0 exactly where |x| > lambd
    d *= g
    return y, d


@reference("hardshrink", 4, 1)
def hardshrink(x, g, lambd=0.5):
    keep = _mask(np.abs(x) > lambd)
    return x * keep, keep * g


@reference("threshold", 5, 2)
def threshold(x, g, threshold=0.5, value=-1.0):
    y = np.clip(x, threshold, INF)      # x above, the threshold below, then moved to the value
    below = _mask(x <= threshold)
    d = 1 - below
    below *= value - threshold
    y += below
    d *= g
    return y, d


# --- the ReLU family ----------------------------------------------------------------------

@reference("relu", 1, 3)
def relu(x, g):
    y = np.clip(x, 0, INF)
    d = _mask(y > 0)
    d *= g
    return y, d


def _leaky(x, g, slope):
    negative = np.clip(x, -INF, 0)
    y = negative * slope
    y += np.clip(x, 0, INF)
    d = _mask(x > 0)
    d *= 1 - slope
    d += slope
    d *= g
    return y, d, negative


@reference("leaky_relu", 4, 5)
def leaky_relu(x, g, negative_slope=0.01):
    y, d, _ = _leaky(x, g, negative_slope)
    return y, d


@reference("prelu", 4, 7)
def prelu(x, g, weight=np.full(1, 0.25, np.float32)):
    y, d, negative = _leaky(x, g, weight[0])
    negative *= g
    return y, d, negative.sum()         # and dL/dweight


@reference("rrelu", 4, 5)
def rrelu(x, g, lower=1 / 8, upper=1 / 3):
    y, d, _ = _leaky(x, g, (lower + upper) / 2)      # evaluation mode: the mean slope
    return y, d


@reference("relu6", 1, 5)
def relu6(x, g):
    y = np.clip(x, 0, 6)
    inside = x > 0
    inside &= x < 6
    d = _mask(inside)
    d *= g
    return y, d


@reference("elu", 5, 6)
def elu(x, g, alpha=1.0):
    y = np.clip(x, -INF, 0)
    np.expm1(y, out=y)
    y *= alpha
    y += np.clip(x, 0, INF)
    # f' = alpha e^x = y + alpha for x <= 0, and (y + alpha - 1) * 0 + 1 = 1 for x > 0
    d = _mask(x <= 0)
    d *= y + (alpha - 1)
    d += 1
    d *= g
    return y, d


@reference("selu", 6, 7)
def selu(x, g):
    y = np.clip(x, -INF, 0)
    np.expm1(y, out=y)
    y *= SELU_SCALE * SELU_ALPHA
    y += np.clip(x, 0, INF) * SELU_SCALE
    d = np.clip(y, -INF, 0)
    d += SELU_SCALE * SELU_ALPHA
    positive = _mask(y > 0)
    positive *= SELU_SCALE * (1 - SELU_ALPHA)
    d += positive
    d *= g
    return y, d


@reference("celu", 6, 4)
def celu(x, g, alpha=1.0):
    y = np.clip(x, -INF, 0)
    y *= 1 / alpha
    np.expm1(y, out=y)
    y *= alpha
    y += np.clip(x, 0, INF)
    # f' = e^(x/alpha) = y/alpha + 1 for x <= 0; min(y, 0)/alpha + 1 is also 1 for x > 0
    d = np.clip(y, -INF, 0)
    d *= 1 / alpha
    d += 1
    d *= g
    return y, d


# --- self-gated units ---------------------------------------------------------------------

@reference("silu", 5, 4)
def silu(x, g):
    s = np.multiply(x, 0.5)             # sigmoid(x) = (1 + tanh(x / 2)) / 2
    np.tanh(s, out=s)
    s *= 0.5
    s += 0.5
    y = x * s
    d = 1 - y                           # f' = s + y (1 - s) = s (1 - y) + y
    d *= s
    d += y
    d *= g
    return y, d


@reference("swish", 5, 6)
def swish(x, g, beta=1.0):
    s = np.multiply(x, 0.5 * beta)
    np.tanh(s, out=s)
    s *= 0.5
    s += 0.5
    y = x * s
    d = np.multiply(y, -beta)           # f' = s + beta y (1 - s) = s (1 - beta y) + beta y
    d += 1
    d *= s
    d += y * beta
    d *= g
    return y, d


@reference("mish", 8, 10)
def mish(x, g):
    t = np.abs(x)                       # softplus(x) = max(x, 0) + ln(1 + e^-|x|)
    np.negative(t, out=t)
    np.exp(t, out=t)
    np.log1p(t, out=t)
    t += np.clip(x, 0, INF)
    np.tanh(t, out=t)
    y = x * t
    s = np.negative(x)                  # f' = t + x (1 - t^2) sigmoid(x)
    np.exp(s, out=s)
    s += 1
    np.reciprocal(s, out=s)
    d = np.square(t)
    np.subtract(1, d, out=d)
    d *= x
    d *= s
    d += t
    d *= g
    return y, d


def _gelu_derivative(x, cdf, g):
    d = np.square(x)                    # f' = Phi(x) + x e^(-x^2/2) / sqrt(2 pi)
    d *= -0.5
    np.exp(d, out=d)
    d *= x
    d *= 1 / math.sqrt(2 * math.pi)
    d += cdf
    d *= g
    return d


@reference("gelu", 28, 7)
def gelu(x, g):
    # the fastest exact erf in numpy: minnet's rational approximation (24 passes) in float32,
    # scipy's erf otherwise (one call, but one element at a time)
    cdf = np.multiply(x, 1 / math.sqrt(2))
    cdf = _erf_float32(cdf) if x.dtype == np.float32 else erf(cdf)
    cdf += 1
    cdf *= 0.5
    return x * cdf, _gelu_derivative(x, cdf, g)


@reference("gelu_scipy_erf", 5, 7)
def gelu_scipy_erf(x, g):
    cdf = np.multiply(x, 1 / math.sqrt(2))
    erf(cdf, out=cdf)
    cdf += 1
    cdf *= 0.5
    return x * cdf, _gelu_derivative(x, cdf, g)


# --- hard approximations --------------------------------------------------------------------

@reference("hard_sigmoid", 3, 5)
def hard_sigmoid(x, g):
    y = np.multiply(x, 1 / 6)
    y += 0.5
    np.clip(y, 0, 1, out=y)
    d = _mask(np.abs(x) < 3)
    d *= 1 / 6
    d *= g
    return y, d


@reference("hard_swish", 4, 7)
def hard_swish(x, g):
    gate = np.clip(x, -3, 3)            # hard_sigmoid(x), then x times it: no overflow
    gate += 3
    gate *= 1 / 6
    y = x * gate
    # f' = hard_sigmoid(x) + x / 6 inside (-3, 3)
    d = _mask(np.abs(x) < 3)
    d *= x
    d *= 1 / 6
    d += gate
    d *= g
    return y, d


@reference("hard_tanh", 1, 5)
def hard_tanh(x, g, min_val=-1.0, max_val=1.0):
    y = np.clip(x, min_val, max_val)
    inside = x > min_val
    inside &= x < max_val
    d = _mask(inside)
    d *= g
    return y, d


# --- activations over several inputs at once (along the last axis) ---------------------------

def _sigmoid(x):
    s = np.negative(x)
    np.exp(s, out=s)
    s += 1
    return np.reciprocal(s, out=s)


@reference("maxout", 4, 1)
def maxout(x, g, pieces=2):
    groups = x.reshape(x.shape[:-1] + (-1, pieces))
    y = groups.max(axis=-1)
    share = groups == y[..., None]      # ties share the gradient, as minnet's and torch's amax
    share = share / share.sum(axis=-1, keepdims=True, dtype=x.dtype)
    share *= g[..., None]
    return y, share.reshape(x.shape)


@reference("glu", 5, 6)
def glu(x, g):
    a, b = np.split(x, 2, axis=-1)
    s = _sigmoid(b)
    y = a * s
    d = np.empty_like(x)                # dL/da = g s, dL/db = g a s (1 - s), side by side
    da, db = np.split(d, 2, axis=-1)
    np.multiply(g, s, out=da)
    np.subtract(1, s, out=db)
    db *= da
    db *= a
    return y, d


@reference("softmax", 5, 4)
def softmax(x, g):
    y = x - x.max(axis=-1, keepdims=True)
    np.exp(y, out=y)
    y /= y.sum(axis=-1, keepdims=True)
    d = g * y                           # dL/dx = y (g - sum(g y))
    d -= y * d.sum(axis=-1, keepdims=True)
    return y, d


@reference("log_softmax", 5, 4)
def log_softmax(x, g):
    y = x - x.max(axis=-1, keepdims=True)
    y -= np.log(np.exp(y).sum(axis=-1, keepdims=True))
    d = np.exp(y)                       # dL/dx = g - softmax(x) sum(g)
    d *= g.sum(axis=-1, keepdims=True)
    np.subtract(g, d, out=d)
    return y, d


@reference("softmin", 6, 5)
def softmin(x, g):
    y, d = softmax(np.negative(x), g)
    return y, np.negative(d, out=d)
