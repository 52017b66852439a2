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
        ### BEGIN SOLUTION
        return x / (1 + np.abs(x))
        ### END SOLUTION

    def df(self, x, y):
        # HINT: 1 / (1 + |x|)^2
        ### BEGIN SOLUTION
        return 1 / (1 + np.abs(x)) ** 2
        ### END SOLUTION


class StableSigmoid(mn.nn.Activation):
    """f(x) = 1 / (1 + e^-x);  f'(x) = y (1 - y).  Range (0, 1), finite for every x."""

    output_range = (0.0, 1.0)
    derivative_from_output = True       # backward calls df(None, y)

    def f(self, x):
        # HINT: e = exp(-|x|) never overflows; x >= 0: 1 / (1 + e), x < 0: e / (1 + e)
        ### BEGIN SOLUTION
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        ### END SOLUTION

    def df(self, x, y):
        # HINT: only y is available (x is None): y (1 - y)
        ### BEGIN SOLUTION
        return y * (1 - y)
        ### END SOLUTION


class ELU(mn.nn.Activation):
    """f(x) = x if x > 0 else alpha (e^x - 1);  f'(x) = 1 if x > 0 else y + alpha."""

    def __init__(self, alpha=1.0):
        self.alpha = float(alpha)
        self.output_range = (-self.alpha, float("inf"))

    def f(self, x):
        # HINT: np.expm1 of np.minimum(x, 0) is exact near 0 and cannot overflow
        ### BEGIN SOLUTION
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))
        ### END SOLUTION

    def df(self, x, y):
        # HINT: np.where(x > 0, 1.0, y + alpha), in x's dtype
        ### BEGIN SOLUTION
        return np.where(x > 0, 1, y + self.alpha).astype(x.dtype)
        ### END SOLUTION


class ScaledTanh(mn.nn.Activation):
    """f(x) = a tanh(b x), a and b learnable;  df/dx = a b (1 - t^2), df/da = t, df/db = a x (1 - t^2),
    with t = tanh(b x)."""

    name = "scaled_tanh"

    def __init__(self, a=1.0, b=1.0):
        self.a = mn.nn.Parameter(a)          # 0-d: a Python float becomes a float32 scalar
        self.b = mn.nn.Parameter(b)

    def f(self, x):
        # HINT: self.a.data and self.b.data are the parameters' arrays
        ### BEGIN SOLUTION
        return self.a.data * np.tanh(self.b.data * x)
        ### END SOLUTION

    def df(self, x, y):
        # HINT: a b (1 - tanh(b x)^2)
        ### BEGIN SOLUTION
        t = np.tanh(self.b.data * x)
        return self.a.data * self.b.data * (1 - t * t)
        ### END SOLUTION

    def parameter_grads(self, x, y, grad):
        # HINT: return (grad * df/da, grad * df/db), each of x's shape: minnet sums them to ()
        ### BEGIN SOLUTION
        t = np.tanh(self.b.data * x)
        return grad * t, grad * self.a.data * x * (1 - t * t)
        ### END SOLUTION
