"""Instruments to look inside a network: per-layer gradient norms and activation statistics.

    >>> model = mn.nn.Sequential(mn.nn.Dense(4, 8), mn.nn.ReLU(), mn.nn.Dense(8, 1))
    >>> loss = model(mn.Tensor(X)).sum(); loss.backward()
    >>> gradient_norms(model)                      # doctest: +SKIP
    {'0': 1.93, '2': 3.41}
    >>> activation_statistics(model, X)["1"]       # doctest: +SKIP
    {'layer': 'ReLU', 'mean': 0.41, 'std': 0.58, 'zeros': 0.49, 'saturated': nan, 'dead': 0.0}

Layer names are the dotted names of `model.named_modules()` ("0", "encoder.2", ...), the
same names `mn.plot` puts on its axes.
"""
import math

import numpy as np

from minnet.function import no_grad
from minnet.nn.module import evaluating
from minnet.tensor import Tensor

SATURATION_TOLERANCE = 0.01   # "saturated": within 1% of the output range's width of a bound


def gradient_norms(model, parameter="weight"):
    """{layer name: ||dL/dW||} (Frobenius norm) for every layer with a `weight`, after backward.

    Read after `loss.backward()`: a norm that shrinks layer by layer towards the input is the
    vanishing gradient. Raises a ValueError naming the layer when a weight has no gradient.
    """
    norms = {}
    for name, module in model.named_modules():
        weight = vars(module).get(parameter)
        if weight is None or not hasattr(weight, "grad"):
            continue
        label = name or type(module).__name__
        if weight.grad is None:
            raise ValueError(f"gradient_norms: {label} ({type(module).__name__}) has no gradient for its "
                             f"{parameter}; call loss.backward() first")
        norms[label] = float(np.sqrt(np.sum(np.square(weight.grad, dtype=np.float64))))
    if not norms:
        raise ValueError(f"gradient_norms found no layer with a {parameter!r} parameter in {type(model).__name__}")
    return norms


def _leaf_modules(model, layer_types):
    leaves = [(name or type(module).__name__, module) for name, module in model.named_modules()
              if not any(True for _ in module.named_children())]
    if layer_types is not None:
        leaves = [(name, module) for name, module in leaves if isinstance(module, layer_types)]
    return leaves


def layer_outputs(model, X, layer_types=None):
    """{layer name: output array} for every leaf layer (or every layer of `layer_types`) on batch X.

    Runs one forward pass under no_grad in eval mode through forward hooks; the model's mode
    is restored and the hooks removed afterwards, even if the forward pass fails. A layer
    called twice keeps its last output.
    """
    outputs = {}
    handles = []
    for name, module in _leaf_modules(model, layer_types):
        def record(module, inputs, output, name=name):
            outputs[name] = np.array(getattr(output, "data", output))
        handles.append(module.register_forward_hook(record))
    try:
        with evaluating(), no_grad():
            model(X if isinstance(X, Tensor) else Tensor(X))
    finally:
        for handle in handles:
            handle.remove()
    return outputs


def _saturated_fraction(module, y):
    """Share of outputs within 1% of the range width of a bound, for bounded activations only."""
    low, high = getattr(module, "output_range", (-math.inf, math.inf))
    if not (math.isfinite(low) and math.isfinite(high)):
        # unbounded (ReLU above, Swish, ...): saturation in this sense does not exist
        return math.nan
    tolerance = SATURATION_TOLERANCE * (high - low)
    return float(np.mean((y - low <= tolerance) | (high - y <= tolerance)))


def activation_statistics(model, X, layer_types=None, keep_values=False):
    """Per-layer statistics of the outputs on batch X: {layer name: {statistic: value}}.

    For each leaf layer (or each layer of `layer_types`, e.g. mn.nn.Activation)::

      layer      the layer's class name
      mean, std  over every output value
      zeros      fraction of exact zeros (ReLU's sparse, inactive outputs)
      saturated  fraction within 1% of the range width of either bound of a bounded
                 activation's `output_range` (Sigmoid near 0 or 1, Tanh near -1 or 1);
                 nan for layers that are not bounded on both sides
      dead       fraction of units (every non-batch position) that are zero for every sample
                 of the batch: a dead ReLU unit passes no gradient back for this data
      values     the output array itself (only with keep_values=True; for mn.plot)

    Shape: X (N, ...), the input the model expects.
    """
    statistics = {}
    modules = dict(_leaf_modules(model, layer_types))
    for name, y in layer_outputs(model, X, layer_types).items():
        y64 = y.astype(np.float64)
        per_unit = y.reshape(len(y), -1) if y.ndim > 1 else y.reshape(-1, 1)
        entry = {
            "layer": type(modules[name]).__name__,
            "mean": float(y64.mean()),
            "std": float(y64.std()),
            "zeros": float(np.mean(y == 0)),
            "saturated": _saturated_fraction(modules[name], y64),
            "dead": float(np.mean(np.all(per_unit == 0, axis=0))),
        }
        if keep_values:
            entry["values"] = y
        statistics[name] = entry
    return statistics
