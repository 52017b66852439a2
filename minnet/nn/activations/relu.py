"""The ReLU family: ReLU, its leaky, parametric, randomised and capped variants, and the
exponential linear units (ELU, SELU, CELU)."""
import numpy as np

from minnet import config
from minnet.nn.module import Parameter
from minnet.tensor import Tensor
from minnet.nn.activations.base import INF, Activation, _negative_part, _positive_part, _step


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
    derivative_from_output = True

    def f(self, x):
        return _positive_part(x)

    def df(self, x, y):
        return np.sign(y)                # 1 where x > 0, 0 where x <= 0, NaN where x is NaN


def _leaky(x, slope):
    """x for x > 0, slope * x otherwise: max(x, 0) + slope min(x, 0), for any slope."""
    y = _negative_part(x)
    y *= slope
    y += _positive_part(x)
    return y


def _leaky_derivative(x, slope):
    """1 for x > 0, slope otherwise: slope + (1 - slope) [x > 0]."""
    derivative = _step(x > 0, x)
    derivative *= 1 - slope
    derivative += slope
    return derivative


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

    def f(self, x):
        return _leaky(x, self.negative_slope)

    def df(self, x, y):
        return _leaky_derivative(x, self.negative_slope)

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
        return _leaky(x, self._slope(x))

    def df(self, x, y):
        return _leaky_derivative(x, self._slope(x))

    def parameter_grads(self, x, y, grad):
        contribution = _negative_part(x)                # df/da = min(x, 0)
        contribution *= grad
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
        return _leaky(x, slope)

    def df(self, x, y):
        # Used in evaluation only (forward below handles training): the mean slope.
        return _leaky_derivative(x, (self.lower + self.upper) / 2)

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
        # y (6 - y) > 0 exactly inside (0, 6), 0 at and beyond the kinks, NaN for a NaN input
        # (a mask would say 0 there and hide the NaN).
        derivative = np.subtract(6, y, out=np.empty_like(y))
        derivative *= y
        return np.sign(derivative, out=derivative)


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
        y = np.expm1(_negative_part(x), out=np.empty_like(x))
        y *= self.alpha
        y += _positive_part(x)
        return y

    def df(self, x, y):
        # alpha e^x = y + alpha for x <= 0, from the output instead of a second exp; a 0/1
        # mask makes it (y + alpha - 1) * 0 + 1 = 1 for x > 0, for either sign of alpha. y is
        # clipped to |alpha| first (no change where x <= 0) so that y = +inf never meets the 0.
        bound = abs(self.alpha)
        derivative = np.clip(y, -bound, bound)
        derivative += self.alpha - 1
        derivative *= _step(x <= 0, x)
        derivative += 1
        return derivative

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

    derivative_from_output = True

    def f(self, x):
        y = np.expm1(_negative_part(x), out=np.empty_like(x))
        y *= SELU_SCALE * SELU_ALPHA
        positive = _positive_part(x)
        positive *= SELU_SCALE
        y += positive
        return y

    def df(self, x, y):
        # scale alpha e^x = y + scale alpha for x <= 0, where y <= 0; scale where y > 0 (x > 0).
        derivative = np.clip(y, -INF, 0, out=np.empty_like(y))
        derivative += SELU_SCALE * SELU_ALPHA
        positive = _step(y > 0, y)
        positive *= SELU_SCALE * (1 - SELU_ALPHA)
        derivative += positive
        return derivative


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

    derivative_from_output = True

    def f(self, x):
        y = _negative_part(x)
        y *= 1 / self.alpha
        np.expm1(y, out=y)
        y *= self.alpha
        y += _positive_part(x)
        return y

    def df(self, x, y):
        # e^(x / alpha) = y / alpha + 1 for x <= 0, where y <= 0 (for either sign of alpha);
        # min(y, 0) / alpha + 1 is also the 1 of x > 0, where y = x > 0.
        derivative = np.clip(y, -INF, 0, out=np.empty_like(y))
        derivative *= 1 / self.alpha
        derivative += 1
        return derivative

    def extra_repr(self):
        return f"alpha={self.alpha}"
