"""Weight initialisers: the variance argument made into code.

A layer with fan_in inputs of variance v and weights of variance s^2 gives outputs of
variance fan_in * s^2 * v. Keeping that equal to v layer after layer needs:

    LeCun  (Glorot's forward half)  s^2 = 1 / fan_in               (SELU, linear, tanh-ish)
    Xavier (Glorot & Bengio 2010)   s^2 = 2 / (fan_in + fan_out)    (sigmoid, tanh)
    He     (He et al. 2015)         s^2 = 2 / fan_in                (ReLU: it zeroes half the inputs)

Each scheme comes twice: `he_normal(shape)` returns a new array, `he_normal_(w)` fills the
Parameter w in place. `init="he_normal"` in a layer means the same thing.
Everything is drawn from the seeded generator (`mn.manual_seed`).
"""
import math

import numpy as np

from minnet import config
from minnet.inplace import writable_data

_GAINS = {"linear": 1.0, "identity": 1.0, "sigmoid": 1.0, "conv1d": 1.0, "conv2d": 1.0,
          "conv3d": 1.0, "conv_transpose1d": 1.0, "conv_transpose2d": 1.0,
          "conv_transpose3d": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0),
          "selu": 3.0 / 4}   # PyTorch's table (torch.nn.init.calculate_gain)


def calculate_gain(nonlinearity, param=None):
    """The factor PyTorch multiplies a standard deviation by for each nonlinearity.

    leaky_relu: sqrt(2 / (1 + negative_slope^2)), negative_slope = param or 0.01.
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain('leaky_relu') expected a number for param, got {slope!r}")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity not in _GAINS:
        raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; "
                         f"expected one of {sorted(_GAINS) + ['leaky_relu']}")
    return _GAINS[nonlinearity]


def fan_in_fan_out(shape):
    """(fan_in, fan_out) of a weight.

    Dense weights are (in, out): fan_in = in, fan_out = out. Conv weights are
    (out, in, kh, kw): each output sees in*kh*kw inputs, so fan_in = in*kh*kw and
    fan_out = out*kh*kw (the receptive field counts). A vector has fan_in = fan_out = its length.
    """
    shape = tuple(shape)
    if len(shape) == 0:
        raise ValueError("fan_in_fan_out needs a shape with at least one dimension, got ()")
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _fan(shape, mode):
    fan_in, fan_out = fan_in_fan_out(shape)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return fan_in if mode == "fan_in" else fan_out


def _uniform(shape, bound, dtype):
    return config.rng().uniform(-bound, bound, size=shape).astype(dtype or config.get_default_dtype())


def _normal(shape, std, dtype, mean=0.0):
    return config.rng().normal(mean, std, size=shape).astype(dtype or config.get_default_dtype())


def zeros(shape, dtype=None):
    """All zeros (the usual bias)."""
    return np.zeros(shape, dtype=dtype or config.get_default_dtype())


def ones(shape, dtype=None):
    """All ones (BatchNorm's scale)."""
    return np.ones(shape, dtype=dtype or config.get_default_dtype())


def constant(shape, value, dtype=None):
    """Every element equal to `value` (e.g. a 0.1 bias to keep ReLUs alive)."""
    return np.full(shape, value, dtype=dtype or config.get_default_dtype())


def uniform(shape, low=0.0, high=1.0, dtype=None):
    """U(low, high)."""
    return config.rng().uniform(low, high, size=shape).astype(dtype or config.get_default_dtype())


def normal(shape, mean=0.0, std=1.0, dtype=None):
    """N(mean, std^2)."""
    return _normal(shape, std, dtype, mean)


def xavier_uniform(shape, gain=1.0, dtype=None):
    """U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))  (Glorot & Bengio 2010)."""
    fan_in, fan_out = fan_in_fan_out(shape)
    return _uniform(shape, gain * math.sqrt(6.0 / (fan_in + fan_out)), dtype)


def xavier_normal(shape, gain=1.0, dtype=None):
    """N(0, s^2), s = gain * sqrt(2 / (fan_in + fan_out))  (Glorot & Bengio 2010)."""
    fan_in, fan_out = fan_in_fan_out(shape)
    return _normal(shape, gain * math.sqrt(2.0 / (fan_in + fan_out)), dtype)


def he_uniform(shape, a=0.0, mode="fan_in", nonlinearity="relu", dtype=None):
    """U(-b, b), b = gain * sqrt(3 / fan)  (He et al. 2015; gain sqrt(2) for ReLU).

    `a` is the negative slope used when nonlinearity="leaky_relu".
    """
    gain = calculate_gain(nonlinearity, a)
    return _uniform(shape, gain * math.sqrt(3.0 / _fan(shape, mode)), dtype)


def he_normal(shape, a=0.0, mode="fan_in", nonlinearity="relu", dtype=None):
    """N(0, s^2), s = gain / sqrt(fan)  (He et al. 2015; s^2 = 2 / fan_in for ReLU)."""
    gain = calculate_gain(nonlinearity, a)
    return _normal(shape, gain / math.sqrt(_fan(shape, mode)), dtype)


def lecun_uniform(shape, dtype=None):
    """U(-b, b), b = sqrt(3 / fan_in)  (LeCun et al. 1998): variance 1 / fan_in."""
    fan_in, _ = fan_in_fan_out(shape)
    return _uniform(shape, math.sqrt(3.0 / fan_in), dtype)


def lecun_normal(shape, dtype=None):
    """N(0, 1 / fan_in)  (LeCun et al. 1998); with SELU it makes a self-normalising net."""
    fan_in, _ = fan_in_fan_out(shape)
    return _normal(shape, math.sqrt(1.0 / fan_in), dtype)


def orthogonal(shape, gain=1.0, dtype=None):
    """A (semi-)orthogonal matrix times gain (Saxe et al. 2014), via QR of a Gaussian matrix.

    Dimensions after the first are flattened, as in PyTorch.
    """
    if len(shape) < 2:
        raise ValueError(f"orthogonal needs a shape with at least 2 dimensions, got {tuple(shape)}")
    rows, cols = shape[0], math.prod(shape[1:])
    flat = config.rng().standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))      # makes the result uniformly distributed (Mezzadri 2007)
    if rows < cols:
        q = q.T
    return (gain * q).reshape(shape).astype(dtype or config.get_default_dtype())


# --- in-place forms on Parameters ---------------------------------------------------------------

def _in_place(function):
    def fill_(tensor, *args, **kwargs):
        values = function(tensor.shape, *args, dtype=tensor.dtype, **kwargs)
        writable_data(tensor, fill_.__name__ + "()")[...] = values
        return tensor
    fill_.__name__ = function.__name__ + "_"
    fill_.__doc__ = f"In place on a Parameter: {function.__doc__.splitlines()[0]}"
    return fill_


zeros_ = _in_place(zeros)
ones_ = _in_place(ones)
constant_ = _in_place(constant)
uniform_ = _in_place(uniform)
normal_ = _in_place(normal)
xavier_uniform_ = _in_place(xavier_uniform)
xavier_normal_ = _in_place(xavier_normal)
he_uniform_ = _in_place(he_uniform)
he_normal_ = _in_place(he_normal)
lecun_uniform_ = _in_place(lecun_uniform)
lecun_normal_ = _in_place(lecun_normal)
orthogonal_ = _in_place(orthogonal)

INITIALIZERS = {f.__name__: f for f in (zeros, ones, uniform, normal, xavier_uniform, xavier_normal,
                                        he_uniform, he_normal, lecun_uniform, lecun_normal, orthogonal)}
_ALIASES = {"glorot_uniform": "xavier_uniform", "glorot_normal": "xavier_normal",
            "kaiming_uniform": "he_uniform", "kaiming_normal": "he_normal"}


def initialize(parameter, init):
    """Fill `parameter` in place by `init`: a name from INITIALIZERS (or an alias such as
    "glorot_uniform"), or a callable that takes the Parameter and either fills it in place
    (like `he_normal_`) or returns an array of its shape."""
    if isinstance(init, str):
        name = _ALIASES.get(init, init)
        if name not in INITIALIZERS:
            raise ValueError(f"unknown initialiser {init!r}; expected one of "
                             f"{sorted(INITIALIZERS) + sorted(_ALIASES)} or a callable")
        values = INITIALIZERS[name](parameter.shape, dtype=parameter.dtype)
        writable_data(parameter, f"initialize({init!r})")[...] = values
    elif callable(init):
        result = init(parameter)
        if result is not None and result is not parameter:
            result = np.asarray(getattr(result, "data", result))
            if result.shape != parameter.shape:
                raise ValueError(f"init callable returned shape {result.shape} for a parameter "
                                 f"of shape {parameter.shape}")
            writable_data(parameter, "initialize(callable)")[...] = result
    else:
        raise TypeError(f"init must be a name or a callable, got {type(init).__name__}")
    return parameter
