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

The classes live in files by topic: base.py (Activation itself), classic.py (sigmoid, tanh,
softplus, shrinkage), relu.py (the ReLU family and exponential linear units), gated.py
(GELU, Swish, Mish and their hard approximations), multi.py (Maxout, GLU, softmax). A new
activation is one class with a `name`, in any of them or in your own code: defining the class
registers it (Activation.__init_subclass__), so get_activation finds it by that name.
"""
from minnet.nn.activations.base import Activation, REGISTRY
from minnet.nn.activations.classic import (Identity, Sigmoid, Tanh, Softsign, Softplus, LogSigmoid,
                                           Tanhshrink, Softshrink, Hardshrink, Threshold)
from minnet.nn.activations.relu import (ReLU, LeakyReLU, PReLU, RReLU, ReLU6, ELU, SELU, CELU,
                                        SELU_ALPHA, SELU_SCALE)
from minnet.nn.activations.gated import GELU, Swish, SiLU, Mish, HardSigmoid, HardSwish, HardTanh
from minnet.nn.activations.multi import Maxout, GLU, Softmax, LogSoftmax, Softmin


# --- the registry -----------------------------------------------------------------------------

# Filled by the class definitions above (each class with a name registers itself); sorted
# once here so tables list the built-ins alphabetically. Classes defined later, a student's
# own, are appended to the same dict.
_built_in = sorted(REGISTRY.items())
REGISTRY.clear()
REGISTRY.update(_built_in)
ACTIVATIONS = REGISTRY


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


__all__ = ["Activation", "Identity", "Sigmoid", "Tanh", "Softsign", "Softplus", "LogSigmoid",
           "Tanhshrink", "Softshrink", "Hardshrink", "Threshold", "ReLU", "LeakyReLU", "PReLU",
           "RReLU", "ReLU6", "ELU", "SELU", "CELU", "SELU_ALPHA", "SELU_SCALE", "GELU", "Swish",
           "SiLU", "Mish", "HardSigmoid", "HardSwish", "HardTanh", "Maxout", "GLU", "Softmax",
           "LogSoftmax", "Softmin", "ACTIVATIONS", "get_activation"]
