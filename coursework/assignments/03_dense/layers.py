"""Assignment 3: a Dense layer, initialisation and gradient flow (see statement.md).

Parameters are float32 (minnet's default); every random draw comes from the `rng` passed in,
so a seed gives the same network every time.
"""
import numpy as np

import minnet as mn


def xavier_uniform(fan_in, fan_out, rng):
    """W ~ U(-l, l), l = sqrt(6 / (fan_in + fan_out)): Var(W) = 2 / (fan_in + fan_out) (Glorot & Bengio 2010).

    Shape: (fan_in, fan_out).
    """
    # HINT: rng.uniform(-limit, limit, size=(fan_in, fan_out))
    # YOUR CODE HERE
    raise NotImplementedError('rng.uniform(-limit, limit, size=(fan_in, fan_out))')


def he_normal(fan_in, fan_out, rng):
    """W ~ N(0, 2 / fan_in): keeps the signal's scale through ReLU layers (He et al. 2015).

    Shape: (fan_in, fan_out).
    """
    # HINT: rng.normal(0.0, std, size=...) with std = sqrt(2 / fan_in)
    # YOUR CODE HERE
    raise NotImplementedError('rng.normal(0.0, std, size=...) with std = sqrt(2 / fan_in)')


INITIALISERS = {"xavier_uniform": xavier_uniform, "he_normal": he_normal}


class Linear(mn.nn.Module):
    """y = x @ W + b, W of shape (in_features, out_features), b of shape (out_features,) at zero.

    Shape: (N, in_features) -> (N, out_features).
    """

    def __init__(self, in_features, out_features, init="he_normal", rng=None):
        self.in_features, self.out_features = in_features, out_features
        rng = np.random.default_rng() if rng is None else rng
        # HINT: self.weight = mn.nn.Parameter(INITIALISERS[init](...).astype(np.float32)); self.bias
        # HINT: of zeros
        # YOUR CODE HERE
        raise NotImplementedError('self.weight = mn.nn.Parameter(INITIALISERS[init](...).astype(np.float32)); self.bias of zeros')

    def forward(self, x):
        # HINT: raise ValueError(f"Linear(3 -> 2) expected input with 3 features, got shape ...") on
        # HINT: a wrong width
        # YOUR CODE HERE
        raise NotImplementedError('raise ValueError(f"Linear(3 -> 2) expected input with 3 features, got shape ...") on a wrong width')


def gradient_norms(activation, init, depth=20, width=64, batch=256, seed=0):
    """The gradient that reaches each layer: ||dL/dW_k|| for k = 1 (first) .. depth (last).

    The network is `depth` blocks of Linear(width, width, init) followed by a fresh
    activation layer (a class such as mn.nn.Sigmoid); the input is standard normal of shape
    (batch, width), drawn with np.random.default_rng(seed), which also initialises the layers;
    L = mean(output^2). Returns a list of `depth` floats.
    """
    # HINT: build the blocks in a list, run x through them, L = (out * out).mean(), L.backward(),
    # HINT: read layer.weight.grad
    # YOUR CODE HERE
    raise NotImplementedError('build the blocks in a list, run x through them, L = (out * out).mean(), L.backward(), read layer.weight.grad')
