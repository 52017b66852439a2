"""Assignment 2: activations and their derivatives (see statement.md).

Each class defines f(self, x) and df(self, x, y) on numpy arrays; y = f(x). Keep float32
inputs float32 (Python numbers, not np.float64 constants) and never change x or y in place.
"""
import numpy as np

import minnet as mn


class Softsign(mn.nn.Activation):
    """f(x) = x / (1 + |x|);  f'(x) = 1 / (1 + |x|)^2.  Range (-1, 1)."""

    output_range = (-1.0, 1.0)

    def f(self, x):
        # HINT: np.abs
        # YOUR CODE HERE
        raise NotImplementedError('np.abs')

    def df(self, x, y):
        # HINT: 1 / (1 + |x|)^2
        # YOUR CODE HERE
        raise NotImplementedError('1 / (1 + |x|)^2')


class StableSigmoid(mn.nn.Activation):
    """f(x) = 1 / (1 + e^-x);  f'(x) = y (1 - y).  Range (0, 1), finite for every x."""

    output_range = (0.0, 1.0)
    derivative_from_output = True       # backward calls df(None, y)

    def f(self, x):
        # HINT: e = exp(-|x|) never overflows; x >= 0: 1 / (1 + e), x < 0: e / (1 + e)
        # YOUR CODE HERE
        raise NotImplementedError('e = exp(-|x|) never overflows; x >= 0: 1 / (1 + e), x < 0: e / (1 + e)')

    def df(self, x, y):
        # HINT: only y is available (x is None): y (1 - y)
        # YOUR CODE HERE
        raise NotImplementedError('only y is available (x is None): y (1 - y)')


class ELU(mn.nn.Activation):
    """f(x) = x if x > 0 else alpha (e^x - 1);  f'(x) = 1 if x > 0 else y + alpha."""

    def __init__(self, alpha=1.0):
        self.alpha = float(alpha)
        self.output_range = (-self.alpha, float("inf"))

    def f(self, x):
        # HINT: np.expm1 of np.minimum(x, 0) is exact near 0 and cannot overflow
        # YOUR CODE HERE
        raise NotImplementedError('np.expm1 of np.minimum(x, 0) is exact near 0 and cannot overflow')

    def df(self, x, y):
        # HINT: np.where(x > 0, 1.0, y + alpha), in x's dtype
        # YOUR CODE HERE
        raise NotImplementedError("np.where(x > 0, 1.0, y + alpha), in x's dtype")


class ScaledTanh(mn.nn.Activation):
    """f(x) = a tanh(b x), a and b learnable;  df/dx = a b (1 - t^2), df/da = t, df/db = a x (1 - t^2),
    with t = tanh(b x)."""

    name = "scaled_tanh"

    def __init__(self, a=1.0, b=1.0):
        self.a = mn.nn.Parameter(a)          # 0-d: a Python float becomes a float32 scalar
        self.b = mn.nn.Parameter(b)

    def f(self, x):
        # HINT: self.a.data and self.b.data are the parameters' arrays
        # YOUR CODE HERE
        raise NotImplementedError("self.a.data and self.b.data are the parameters' arrays")

    def df(self, x, y):
        # HINT: a b (1 - tanh(b x)^2)
        # YOUR CODE HERE
        raise NotImplementedError('a b (1 - tanh(b x)^2)')

    def parameter_grads(self, x, y, grad):
        # HINT: return (grad * df/da, grad * df/db), each of x's shape: minnet sums them to ()
        # YOUR CODE HERE
        raise NotImplementedError("return (grad * df/da, grad * df/db), each of x's shape: minnet sums them to ()")
