"""gradcheck: compare autograd's gradients with central finite differences in float64.

    d<f, w>/dx_i  ~  (<f(x + eps e_i), w> - <f(x - eps e_i), w>) / (2 eps)

for a random weighting w of the outputs, so `fn` may return a tensor of any shape
(w = 1 for a scalar output, so a failure reports its true gradient).
"""
import numpy as np

from minnet import config
from minnet.function import no_grad
from minnet.tensor import Tensor


def gradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check the gradients of `fn(*inputs)` for every input that requires grad.

    When `fn` is a Module its parameters are checked too. Everything is converted to float64
    for the check and restored afterwards. The random generator is rewound before each call,
    so stochastic layers (Dropout, RReLU) draw the same numbers every time.

    Returns True, or raises an AssertionError naming the input (or parameter), the index of
    the worst element, and the analytic and numeric values there.
    """
    inputs = [Tensor(x.data.astype(np.float64), requires_grad=x.requires_grad)
              if isinstance(x, Tensor) and x.dtype.kind == "f" else x for x in inputs]
    checked = [(f"input {i}", x) for i, x in enumerate(inputs)
               if isinstance(x, Tensor) and x.requires_grad]
    parameters = list(fn.named_parameters()) if hasattr(fn, "named_parameters") else []
    original_data = [p.data for _, p in parameters]
    for name, p in parameters:
        p.data, p.grad = p.data.astype(np.float64), None
        checked.append((f"parameter '{name}'", p))
    if not checked:
        raise ValueError("gradcheck found nothing to check: no input requires grad and fn has "
                         "no parameters")

    generator_state = config.rng().bit_generator.state

    def evaluate():
        config.rng().bit_generator.state = generator_state
        return fn(*inputs)

    try:
        output = evaluate()
        # A scalar output is checked as it is, so the reported values are its true gradient.
        weights = (np.ones(output.shape) if output.size == 1
                   else np.random.default_rng(seed).standard_normal(output.shape))
        if output.requires_grad:
            output.backward(weights)
        with no_grad():
            for name, x in checked:
                analytic = x.grad if x.grad is not None else np.zeros_like(x.data)
                numeric = _numeric_gradient(lambda: np.sum(evaluate().data * weights), x.data, eps)
                _compare(name, x.shape, analytic, numeric, atol, rtol, weighted=output.size != 1)
    finally:
        for (_, p), data in zip(parameters, original_data):
            p.data, p.grad = data, None
    return True


def _numeric_gradient(objective, array, eps):
    """Central differences of a scalar objective with respect to each element of `array`."""
    numeric = np.zeros_like(array)
    flat = array.reshape(-1)          # a view: writing to it perturbs the input in place
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        plus = objective()
        flat[i] = original - eps
        minus = objective()
        flat[i] = original
        numeric.flat[i] = (plus - minus) / (2 * eps)
    return numeric


def _compare(name, shape, analytic, numeric, atol, rtol, weighted=False):
    error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    if error.size and error.max() > 0:
        worst = np.unravel_index(np.argmax(error), shape)
        raise AssertionError(
            f"gradcheck failed for {name} of shape {tuple(shape)} at index {tuple(map(int, worst))}: "
            f"analytic gradient {analytic[worst]:.8g}, numeric gradient {numeric[worst]:.8g} "
            f"(tolerance atol={atol:g} + rtol={rtol:g} * |numeric|)"
            + ("; both are gradients of sum(output * w) for a fixed random w" if weighted else ""))
