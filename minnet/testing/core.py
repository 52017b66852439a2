"""The checks shared by every check_* function, each run on a callable of Tensors.

A subject is `call(*tensors) -> Tensor`, with an optional Module whose parameters are
checked and cast along with the inputs. Every check builds fresh Tensors from the example
arrays, so the student's code never sees the same array twice.
"""
import contextlib
import re

import numpy as np

from minnet import config
from minnet.gradcheck import gradcheck
from minnet.tensor import Tensor
from minnet.testing.report import CheckFailure, compare, require_finite

# Where overflow, cancellation and division by zero hide: exp overflows past 88.7 in float32
# and 709.8 in float64; 1e-30 is tiny but normal in float32 (y / x style derivatives).
EXTREMES = (-1e6, -1e4, -1e3, -710.0, -100.0, -89.0, -30.0, -1e-30,
            1e-30, 30.0, 89.0, 100.0, 710.0, 1e3, 1e4, 1e6)
# float32 against float64: float32 carries about 7 significant digits.
FLOAT32_RTOL, FLOAT32_ATOL = 1e-4, 1e-5


def shape_text(shapes):
    return ", ".join(str(tuple(s)) for s in shapes)


def _parameters(module):
    return list(module.named_parameters()) if module is not None else []


@contextlib.contextmanager
def cast_parameters(module, dtype):
    """Run a block with the module's parameters in `dtype`; restore them (and no grads) after."""
    saved = [(p, p.data) for _, p in _parameters(module)]
    for p, data in saved:
        p.data, p.grad = data.astype(dtype), None
    try:
        yield
    finally:
        for p, data in saved:
            p.data, p.grad = data, None


def forward_backward(call, arrays, dtype, module=None, seed=0, passes=1):
    """Output, input gradients and parameter gradients of `sum(call(*inputs) * w)` for a fixed
    random w (ones for a one-element output), with the inputs cast to dtype. With passes=2
    the same inputs go forward and backward twice, so the gradients are accumulated."""
    tensors = [Tensor(np.array(a, dtype=dtype), requires_grad=True) for a in arrays]
    for _, p in _parameters(module):
        p.grad = None
    state = config.rng().bit_generator.state
    for _ in range(passes):
        config.rng().bit_generator.state = state     # stochastic layers draw alike each pass
        output = call(*tensors)
        if not isinstance(output, Tensor):
            raise CheckFailure(f"expected a Tensor as output, got {type(output).__name__}")
        weights = (np.ones(output.shape) if output.size == 1
                   else np.random.default_rng(seed).standard_normal(output.shape))
        if output.requires_grad:
            output.backward(weights.astype(output.dtype))
    grads = [t.grad for t in tensors]
    parameter_grads = {name: p.grad for name, p in _parameters(module)}
    return output.data, grads, parameter_grads


def check_gradcheck(call, arrays, module=None, atol=1e-5, rtol=1e-3):
    """mn.gradcheck in float64 on the inputs (and the module's parameters)."""
    tensors = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    subject = module if module is not None and call is module else call
    try:
        gradcheck(subject, *tensors, atol=atol, rtol=rtol)
    except AssertionError as error:
        message = str(error).replace("gradcheck failed for ", "")
        found = re.search(r"^input (\d+) of shape \S.*? at index \(([\d, ]*)\)", message)
        if found:
            i, index = int(found.group(1)), tuple(int(k) for k in found.group(2).split(",") if k.strip())
            message += f"; there input {i} = {np.asarray(arrays[i])[index]:.6g}"
        raise CheckFailure(message) from None


def check_dtypes(call, arrays, module=None):
    """float32 in: float32 out; gradients float32 and of their input's (parameter's) shape,
    and still float32 (and doubled) after a second backward accumulates into them."""
    state = config.rng().bit_generator.state
    output, grads, parameter_grads = forward_backward(call, arrays, np.float32, module)
    if output.dtype != np.float32:
        raise CheckFailure(f"float32 inputs gave a {output.dtype} output (keep the input's dtype: "
                           f"use Python floats, not np.float64 constants)")
    for i, (a, g) in enumerate(zip(arrays, grads)):
        if g is None:
            continue
        if g.shape != np.shape(a):
            raise CheckFailure(f"gradient of input {i} has shape {g.shape}, the input {np.shape(a)}")
        if g.dtype != np.float32:
            raise CheckFailure(f"gradient of float32 input {i} is {g.dtype}")
    for name, p in _parameters(module):
        g = parameter_grads[name]
        if g is None:
            raise CheckFailure(f"parameter '{name}' got no gradient")
        if g.shape != p.shape:
            raise CheckFailure(f"gradient of parameter '{name}' has shape {g.shape}, the "
                               f"parameter {p.shape}")
        if g.dtype != p.dtype:
            raise CheckFailure(f"gradient of {p.dtype} parameter '{name}' is {g.dtype}")
    config.rng().bit_generator.state = state
    twice = forward_backward(call, arrays, np.float32, module, passes=2)
    for what, once, accumulated in ([(f"input {i}", g, g2) for i, (g, g2) in enumerate(zip(grads, twice[1]))]
                                    + [(f"parameter '{n}'", parameter_grads[n], twice[2][n])
                                       for n in parameter_grads]):
        if once is None or accumulated is None:
            continue
        if accumulated.dtype != once.dtype:
            raise CheckFailure(f"the gradient of {what} became {accumulated.dtype} on a second "
                               f"backward (it was {once.dtype})")
        compare(f"gradient of {what} after two backward passes, against twice one pass",
                accumulated, 2 * once.astype(np.float64), 1e-6, 1e-5)


def check_agreement(call, arrays, module=None):
    """float32 and float64 runs agree to float32 precision (outputs and gradients)."""
    state = config.rng().bit_generator.state      # a stochastic layer draws the same numbers twice
    low = forward_backward(call, arrays, np.float32, module)
    config.rng().bit_generator.state = state
    with cast_parameters(module, np.float64):
        high = forward_backward(call, arrays, np.float64, module)
    scale = max(1.0, float(np.max(np.abs(high[0]), initial=0.0)))
    compare("output", low[0], high[0], FLOAT32_ATOL * scale, FLOAT32_RTOL)
    for i, (g32, g64) in enumerate(zip(low[1], high[1])):
        if g32 is not None and g64 is not None:
            gscale = max(1.0, float(np.max(np.abs(g64), initial=0.0)))
            compare(f"gradient of input {i}", g32, g64, FLOAT32_ATOL * gscale, FLOAT32_RTOL,
                    where=np.asarray(arrays[i], dtype=np.float64))
    for name in low[2]:
        if low[2][name] is not None and high[2][name] is not None:
            gscale = max(1.0, float(np.max(np.abs(high[2][name]), initial=0.0)))
            compare(f"gradient of parameter '{name}'", low[2][name], high[2][name],
                    FLOAT32_ATOL * gscale, FLOAT32_RTOL)


def check_unmodified(call, arrays, module=None):
    """Forward and backward leave the input arrays and the incoming gradient as they were."""
    tensors = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    originals = [t.data.copy() for t in tensors]
    inputs = [t.data for t in tensors]
    with cast_parameters(module, np.float64):
        output = call(*tensors)
        upstream = np.random.default_rng(1).standard_normal(output.shape)
        upstream_copy = upstream.copy()
        if output.requires_grad:
            output.backward(upstream)
    for i, (t, array, original) in enumerate(zip(tensors, inputs, originals)):
        if not np.array_equal(array, original, equal_nan=True) or not np.array_equal(
                t.data, original, equal_nan=True):
            changed = np.unravel_index(np.argmax(array != original), original.shape) if original.ndim else ()
            raise CheckFailure(f"input {i} was changed in place at {list(map(int, changed))}: was "
                               f"{original[changed]:.6g}, now {array[changed]:.6g} (compute a new "
                               f"array, e.g. x = x * 2, not x *= 2)")
    if not np.array_equal(upstream, upstream_copy):
        raise CheckFailure("backward changed the incoming gradient in place (other ops share it)")


def check_extremes(call, arrays, module=None):
    """Outputs and gradients finite, in float32 and float64 (the report fails any warning)."""
    for dtype in (np.float32, np.float64):
        with cast_parameters(module, dtype):
            output, grads, parameter_grads = forward_backward(call, arrays, dtype, module)
        name = np.dtype(dtype).name
        where = np.asarray(arrays[0]) if len(arrays) == 1 else None
        require_finite(f"{name} output", output, where if output.shape == np.shape(arrays[0]) else None)
        for i, g in enumerate(grads):
            if g is not None:
                require_finite(f"{name} gradient of input {i}", g, np.asarray(arrays[i]))
        for pname, g in parameter_grads.items():
            if g is not None:
                require_finite(f"{name} gradient of parameter '{pname}'", g)
