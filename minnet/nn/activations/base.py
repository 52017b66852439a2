"""The base of every elementwise activation: `Activation` turns f and df into one op.

Also the two stable building blocks several activations share (sigmoid, softplus).
"""
import inspect
import math
import sys

import numpy as np

from minnet.config import get_default_dtype
from minnet.function import Function, is_grad_enabled
from minnet.nn.module import Module, Parameter
from minnet.tensor import Tensor

INF = math.inf
REGISTRY = {}        # name -> Activation subclass; published as mn.nn.ACTIVATIONS


class _ActivationFunction(Function):
    """y = activation.f(x);  dL/dx = dL/dy * activation.df(x, y), and its parameters' gradients.

    Without parameters to learn, forward and backward go through the activation's pair
    forward_with_cache / df_from_cache, which by default are f and df themselves. On the
    graph's last backward (ctx.last_use) the cache is handed over: df_from_cache(cache,
    overwrite=True) may write f'(x) into it, when the activation's method takes `overwrite`.
    """

    @staticmethod
    def forward(ctx, x, *parameters, activation):
        if parameters:          # parameter_grads(x, y, grad) needs x and y
            y = activation.f(x)
            ctx.save_for_backward(x, y)
        elif is_grad_enabled() and ctx.needs_input_grad[0]:
            y, cache = activation.forward_with_cache(x)
            ctx.save_for_backward(cache)
        else:                   # nothing will call backward: no cache to build or keep
            y = activation.f(x)
        ctx.activation = activation
        return y

    @staticmethod
    def backward(ctx, grad):
        activation = ctx.activation
        if len(ctx.parents) == 1:
            if ctx.last_use and type(activation)._df_overwrites:
                return (_times_grad(_consumed_cache_derivative(ctx, activation), grad),)
            (cache,) = ctx.saved
            return (_times_grad(activation.df_from_cache(cache), grad),)
        x, y = ctx.saved
        grad_x = input_grad(activation, x, y, grad) if ctx.needs_input_grad[0] else None
        if not any(ctx.needs_input_grad[1:]):
            return (grad_x,) + (None,) * (len(ctx.parents) - 1)
        grad_parameters = activation.parameter_grads(x, y, grad)
        return (grad_x, *_fitted_parameter_grads(activation, ctx.parents[1:], grad_parameters))


def _consumed_cache_derivative(ctx, activation):
    """f'(x) from the cache, which ctx gives up: df_from_cache may write into it."""
    # ctx lets go of the cache first, and this frame's name for it goes when it returns, so
    # a derivative written into the cache reaches _times_grad with nothing else referring to
    # it, and the product with grad goes into the same memory (no array allocated at all).
    (cache,) = ctx.saved
    ctx.saved = ()
    return activation.df_from_cache(cache, overwrite=True)


def _fitted_parameter_grads(activation, parameters, grads):
    """Each parameter's gradient summed to the parameter's shape, as numpy broadcast it.

    parameter_grads may return dL/dp per element of the input (grad * df/dp): the sum over
    the elements that shared one parameter value is the framework's job, so an activation
    writes only its derivative. Errors name the activation class and the parameter.
    """
    owner = type(activation).__name__
    names = [name for name, value in vars(activation).items() if isinstance(value, Parameter)]
    grads = grads if isinstance(grads, (tuple, list)) else (grads,)
    if len(grads) != len(parameters):
        raise RuntimeError(f"{owner}.parameter_grads returned {len(grads)} gradients for "
                           f"{len(parameters)} parameters ({', '.join(names)}): one per parameter, "
                           f"in the order of self.parameters()")
    fitted = []
    for name, p, g in zip(names, parameters, grads):
        g = np.asarray(g)
        if g.shape != p.shape:
            extra = g.ndim - p.ndim
            axes = tuple(range(extra)) + tuple(extra + i for i, n in enumerate(p.shape)
                                                if n == 1 and g.shape[extra + i] != 1)
            if extra < 0 or any(n not in (1, g.shape[extra + i]) for i, n in enumerate(p.shape)):
                raise RuntimeError(
                    f"{owner}.parameter_grads returned a gradient of shape {g.shape} for parameter "
                    f"'{name}' of shape {p.shape}: it cannot be summed to the parameter's shape "
                    f"(numpy broadcasting aligns trailing axes); return one of shape {p.shape}")
            g = g.sum(axis=axes, keepdims=True).reshape(p.shape) if axes else g.reshape(p.shape)
        fitted.append(g.astype(p.dtype, copy=False))
    return fitted


def input_grad(activation, x, y, grad):
    """dL/dx = dL/dy * activation.df(x, y) for y = activation.f(x)."""
    return _times_grad(activation.df(x, y), grad)


def _times_grad(derivative, grad):
    """derivative * grad, written into derivative when nothing else can see that array."""
    # When nothing but this function holds the derivative (a fresh temporary: getrefcount
    # counts our name and its own argument, and Python 3.10 one more on the caller's stack:
    # _TEMPORARY, measured below), the product can overwrite it instead of allocating one more
    # array: one pass fewer per backward (bench_activations, every row).
    if (sys.getrefcount(derivative) <= _TEMPORARY and isinstance(derivative, np.ndarray)
            and derivative.base is None and derivative.shape == grad.shape and derivative.dtype == grad.dtype
            and derivative.flags.writeable):
        return np.multiply(derivative, grad, out=derivative)
    return grad * derivative


def _references_inside(derivative, grad):
    return sys.getrefcount(derivative)


_TEMPORARY = _references_inside(np.empty(1), None)   # a temporary passed as _times_grad's are


class Activation(Module):
    """Base class of elementwise activations: define `f(x)` and `df(x, y)` on numpy arrays.

        class Square(Activation):
            '''f(x) = x^2;  f'(x) = 2x.'''
            def f(self, x):
                return x * x

            def df(self, x, y):
                return 2 * x

    An activation with parameters also defines `parameter_grads(x, y, grad)`, returning
    dL/dp for each of its parameters in the order of `self.parameters()`; grad * df/dp of
    the input's shape is enough: the framework sums it to the parameter's shape, as numpy
    broadcast the parameter in f (PReLU's per-channel slopes on axis 1 sum themselves).

    A class with a `name` (lower-case, e.g. name = "scaled_tanh") is registered in
    mn.nn.ACTIVATIONS when it is defined, wherever that is, so get_activation("scaled_tanh")
    and NeuralNetClassifier(activation="scaled_tanh") find it.

    An activation whose derivative needs only the output (sigmoid: y (1 - y)) sets
    `derivative_from_output = True`; backward then keeps y alone and calls df(None, y).

    Optional, for speed only: an activation whose df must recompute something f already
    had (SiLU's sigmoid(x)) may also define the pair `forward_with_cache(x)`, returning y and
    whatever backward needs, and `df_from_cache(cache)`, returning f'(x) from that alone.
    df_from_cache may take `overwrite=False`: when backward passes overwrite=True the graph
    is released right after (no retain_graph), so f'(x) may be written into the cache's own
    arrays (never into x or y, which the graph holds read-only). The pair must agree with f
    and df, which stay the definition (tests and check_activation check f and df); layers with
    parameters, and Sequential's fused Dense stack, use f and df.
    See SiLU, Softsign, Mish and Tanhshrink.

    Shape: (*) -> (*), the same shape as the input.
    """

    name = None                 # the key in ACTIVATIONS, e.g. "leaky_relu"
    elementwise = True
    output_range = (-INF, INF)
    zero_centred = False
    monotonic = True
    smooth = True
    saturating = False
    # True: df uses y only, so the input is not kept for backward. A net then holds one array
    # per layer, as a hand-written one does, instead of two (bench_deep_sigmoid's peak memory).
    derivative_from_output = False
    _df_overwrites = True       # df_from_cache takes `overwrite` (set per subclass)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # Whether df_from_cache takes `overwrite` (one written before it existed does not):
        # looked up once per class, not on every backward.
        cls._df_overwrites = "overwrite" in inspect.signature(cls.df_from_cache).parameters
        name = cls.__dict__.get("name")
        if name is None:
            return
        if not isinstance(name, str) or name != name.lower() or not name.isidentifier():
            raise ValueError(f"{cls.__name__}.name must be a lower-case identifier such as "
                             f"'scaled_tanh', got {name!r}")
        existing = REGISTRY.get(name)
        # Running a notebook cell again redefines the same class: that replaces it quietly.
        if existing is not None and (existing.__module__, existing.__qualname__) != (
                cls.__module__, cls.__qualname__):
            raise ValueError(f"{cls.__name__}.name = {name!r} is taken by "
                             f"{existing.__module__}.{existing.__qualname__}; choose another name")
        REGISTRY[name] = cls

    def f(self, x):
        raise NotImplementedError(f"{type(self).__name__} must define f(self, x)")

    def df(self, x, y):
        raise NotImplementedError(f"{type(self).__name__} must define df(self, x, y)")

    def forward_with_cache(self, x):
        """(y, cache): y = f(x) and what df_from_cache needs, by default x and y themselves."""
        y = self.f(x)
        return y, (None if self.derivative_from_output else x, y)

    def df_from_cache(self, cache, overwrite=False):
        """f'(x) from forward_with_cache's cache; by default df(x, y).

        overwrite=True: backward will not need the cache again, so f'(x) may be written into
        its arrays (the default cache is x and y, which are never overwritten).
        """
        x, y = cache
        return self.df(x, y)

    def parameter_grads(self, x, y, grad):
        raise NotImplementedError(f"{type(self).__name__} has parameters, so it must define "
                                  f"parameter_grads(self, x, y, grad)")

    def forward(self, x):
        x = _float_tensor(x)
        # An activation has no child modules, so its own Parameter attributes are exactly
        # self.parameters(), found without walking the module tree on every call (a deep net
        # calls its activations many times per step: bench_deep_sigmoid).
        parameters = [value for value in vars(self).values() if isinstance(value, Parameter)]
        return _ActivationFunction.apply(x, *parameters, activation=self)


def _float_tensor(x):
    """x as a Tensor of floats. f and df write into arrays of the input's dtype, so an integer
    or boolean input is computed in the default float dtype, as a Python list would be."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x.dtype.kind != "f":
        x = Tensor(x.data.astype(get_default_dtype()))
    return x


# --- building blocks several activations share ----------------------------------------------
#
# Each is a chain of numpy calls writing into one fresh array (out=np.empty_like(x) on the first,
# in place after it): one pass over memory per call and no temporaries, so an activation costs
# what a hand-written numpy version costs (bench_activations compares the two). `out=` also
# keeps a 0-d input an array, where a plain ufunc call would return a numpy scalar.

def _cache_or_fresh(cache, overwrite):
    """Where df_from_cache writes f': the cache array itself when backward hands it over
    (overwrite=True), else a fresh array. A read-only array (one the graph holds) never."""
    return cache if overwrite and cache.flags.writeable else np.empty_like(cache)


def _positive_part(x):
    """max(x, 0). np.clip with two bounds runs numpy's vectorised clip loop; np.maximum(x, 0)
    runs a slower one (bench_activations: relu, elu)."""
    return np.clip(x, 0, INF, out=np.empty_like(x))


def _negative_part(x):
    """min(x, 0), the same way as _positive_part."""
    return np.clip(x, -INF, 0, out=np.empty_like(x))


def _step(condition, like):
    """A 0/1 mask as numbers of like's dtype: where a derivative jumps. A mask times a value
    replaces np.where, whose select is a scalar loop far slower than a pass of arithmetic."""
    return condition.astype(like.dtype)


def _quotient(y, x, at_zero):
    """y / x, and `at_zero` (the limit of y / x at 0) where x = 0, where y / x is 0 / 0.

    Recovers Phi(x) from GELU's y = x Phi(x) and the like: one division instead of
    recomputing a transcendental. The zeros are fixed up afterwards, because a masked division
    (where=x != 0) is a scalar loop, slower than the division itself. For |x| below the
    smallest normal number (1e-38 in float32) y is subnormal, with fewer significant digits,
    and so is the quotient: checking for that too would cost two more passes.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        quotient = np.divide(y, x, out=np.empty_like(x))
    quotient[x == 0] = at_zero
    return quotient


def _sigmoid(x):
    """1 / (1 + e^-x), with one exp: for x below about -88 (float32) e^-x overflows to inf and
    1 / (1 + inf) = 0 is the exact limit, so the overflow warning is silenced, not avoided.
    Relative accuracy holds in the left tail too (0.5 tanh(x/2) + 0.5 would cancel there).
    """
    # One exp, rather than the two of the overflow-free e^min(x,0) / (1 + e^-|x|).
    with np.errstate(over="ignore"):
        y = np.negative(x, out=np.empty_like(x))
        np.exp(y, out=y)
    y += 1
    return np.reciprocal(y, out=y)


def _softplus(x):
    """ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|): the exponent is never positive."""
    y = np.abs(x, out=np.empty_like(x))
    np.negative(y, out=y)
    np.exp(y, out=y)
    np.log1p(y, out=y)
    y += _positive_part(x)
    return y
