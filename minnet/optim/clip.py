"""Gradient clipping, as torch.nn.utils: bound the gradients between backward and the update.

    loss.backward()
    mn.optim.clip_grad_norm_(model.parameters(), max_norm=1.0)   # or clip_grad_value_(..., 0.5)
    optimizer.step()

Clipping by norm rescales every gradient by the same factor, so the update keeps its
direction and only its length is capped (Pascanu et al. 2013, for exploding gradients in
recurrent networks). Clipping by value clamps each element on its own, which can turn the
direction. Both change the `.grad` arrays in place.
"""
import math

import numpy as np

from minnet.tensor import Tensor

# Added to the norm before dividing, as PyTorch does, so a zero gradient does not divide by zero.
_NORM_EPS = 1e-6


def _gradients(parameters, where):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = list(parameters)
    for i, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise TypeError(f"{where} expected Tensors (such as model.parameters()), got "
                            f"{type(p).__name__} at position {i}")
    return [p.grad for p in parameters if p.grad is not None]


def _number(name, value, where):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where} expected a number for {name}, got {type(value).__name__}")
    value = float(value)
    if not value >= 0:
        raise ValueError(f"{where} expected {name} >= 0, got {value}")
    return value


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Rescale the gradients in place so that their total norm is at most max_norm::

        total = || (||g_1||_p, ..., ||g_k||_p) ||_p    (the p-norm of all gradients as one vector;
                                                        p = inf: the largest |element|)
        g_i *= min(1, max_norm / (total + 1e-6))

    Parameters without a gradient are skipped. Returns the total norm *before* clipping (a
    numpy float64, so `.item()` and `float()` both work, as on PyTorch's 0-d tensor); it
    is worth logging, since it shows when gradients explode. As in PyTorch, a NaN total makes
    every gradient NaN and an infinite one multiplies them by 0 (inf * 0 = NaN), unless
    error_if_nonfinite=True, which raises a RuntimeError and leaves the gradients untouched.

    Shape: parameters is a Tensor or an iterable of Tensors; their .grad arrays keep their shapes.

        >>> w = mn.nn.Parameter([0.0, 0.0]); w.grad = np.array([3.0, 4.0], dtype=np.float32)
        >>> mn.optim.clip_grad_norm_([w], max_norm=1.0)
        5.0
        >>> w.grad.round(4)
        array([0.6, 0.8], dtype=float32)
    """
    where = "clip_grad_norm_"
    grads = _gradients(parameters, where)
    max_norm = _number("max_norm", max_norm, where)
    try:
        p = float(norm_type)          # float("inf") and float(math.inf) are both inf
    except (TypeError, ValueError):
        p = math.nan
    if not p > 0:
        raise ValueError(f"{where} expected norm_type > 0 or inf, got {norm_type!r}")
    grads = [g for g in grads if g.size]
    if not grads:
        return np.float64(0.0)
    if p == math.inf:
        total = max(float(np.max(np.abs(g))) for g in grads)
    else:
        # float64 sums: a float32 sum of squares of many large gradients overflows early.
        norms = [np.linalg.norm(g.ravel().astype(np.float64, copy=False), ord=p) for g in grads]
        total = float(np.linalg.norm(norms, ord=p))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"{where}: the total norm of order {norm_type} of the gradients is "
                           f"{total}, so they cannot be clipped; set error_if_nonfinite=False to "
                           f"scale them by it anyway (they become NaN)")
    coefficient = max_norm / (total + _NORM_EPS)
    if coefficient < 1 or math.isnan(coefficient):
        # A NaN total spreads to every gradient and an infinite one zeroes the finite
        # elements (inf * 0 is NaN), exactly as in PyTorch; numpy need not warn about it.
        with np.errstate(invalid="ignore"):
            for g in grads:
                g *= coefficient
    return np.float64(total)


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element in place to [-clip_value, clip_value].

    g = min(max(g, -clip_value), clip_value), elementwise. Parameters without a gradient are
    skipped. Returns None, as PyTorch.

    Shape: parameters is a Tensor or an iterable of Tensors; their .grad arrays keep their shapes.

        >>> w = mn.nn.Parameter([0.0, 0.0]); w.grad = np.array([3.0, -0.2], dtype=np.float32)
        >>> mn.optim.clip_grad_value_([w], clip_value=0.5)
        >>> w.grad
        array([ 0.5, -0.2], dtype=float32)
    """
    where = "clip_grad_value_"
    grads = _gradients(parameters, where)
    clip_value = _number("clip_value", clip_value, where)
    for g in grads:
        np.clip(g, -clip_value, clip_value, out=g)
