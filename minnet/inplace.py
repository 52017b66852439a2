"""In-place changes to a Tensor: `p -= lr * p.grad`, `zero_()`, `fill_()`, `copy_()`, `clamp_()`.

The rules, PyTorch's where it has one:

- Outside `mn.no_grad()`, a leaf that requires grad (a parameter) cannot change in place:
  the change would not be part of any graph. PyTorch's error says so; wrap updates in
  `with mn.no_grad():`, as an optimiser does.
- Under `no_grad` (or when no tensor involved requires grad) the tensor's array changes in
  place and the tensor is returned. If a recorded op still holds that array for backward
  (minnet.guard), the tensor first takes a copy of it ("copy on write"): the graph keeps the
  values its forward saw, so its backward stays right, and the tensor holds the new values.
- Outside `no_grad`, `y += x` with y or x in a graph is recorded as the ordinary op: y becomes
  the new tensor y + x (Python's own rule for `+=` on a value without `__iadd__`). The
  methods zero_, fill_, copy_ and clamp_ cannot rebind a name, so there they raise.
"""
import numpy as np

from minnet import guard
from minnet.function import is_grad_enabled
from minnet.tensor import Tensor

_UFUNCS = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide}


def writable_data(tensor, what):
    """The tensor's array, ready for an in-place write by `what` (for error messages).

    A copy replaces it first when a recorded op holds it; a view of an array a recorded op
    holds (writing would change what the graph saw, copying would end the view) and an array
    made read-only outside minnet are refused, each with a message that says so.
    """
    array = tensor._data
    held = guard.held_how(array)
    if held == "own":
        tensor.data = array = array.copy()
        return array
    if held == "base":
        raise ValueError(
            f"{what}: this tensor (shape {array.shape}) is a view of an array that a graph holds "
            f"for backward, so writing into it would change the values that graph saw, and a "
            f"copy would no longer be a view. Let the graph go first (backward() without "
            f"retain_graph=True, or del loss), or give the tensor its own copy: t.data = "
            f"t.data.copy()")
    if array.flags.writeable:
        return array
    raise ValueError(
        f"{what}: the tensor's array (shape {array.shape}, {array.dtype}) is read-only and no "
        f"minnet graph holds it: it was made read-only outside minnet (setflags(write=False), "
        f"np.broadcast_to, a read-only buffer). Give the tensor a writeable copy first: "
        f"t.data = t.data.copy()")


def arithmetic(tensor, other, symbol):
    """tensor {symbol}= other: in place under no_grad, recorded as an op in a graph."""
    other_needs_grad = isinstance(other, Tensor) and other.requires_grad
    if is_grad_enabled() and (tensor.requires_grad or other_needs_grad):
        _refuse_leaf(tensor, f"x {symbol}= ...")
        return {"+": Tensor.__add__, "-": Tensor.__sub__, "*": Tensor.__mul__,
                "/": Tensor.__truediv__}[symbol](tensor, other)
    value = other._data if isinstance(other, Tensor) else other
    array = writable_data(tensor, f"x {symbol}= y")
    try:
        _UFUNCS[symbol](array, value, out=array, casting="same_kind")
    except TypeError:
        raise TypeError(f"x {symbol}= y: x is {array.dtype} and the result is "
                        f"{np.result_type(array, value)}, which cannot be written into x in "
                        f"place; write x = x {symbol} y for a new tensor") from None
    except ValueError:
        raise ValueError(f"x {symbol}= y: y must broadcast to x's shape {array.shape} to be "
                         f"written into it in place, got shape {np.shape(value)}") from None
    return tensor


def method(tensor, name, write, source=None):
    """Run write(array) on the tensor's array in place (zero_, fill_, copy_, clamp_)."""
    if is_grad_enabled():
        _refuse_leaf(tensor, f"{name}()")
        if tensor.requires_grad:
            raise RuntimeError(
                f"{name}() on a tensor made by an op ({tensor._ctx.function.__name__}) outside "
                f"mn.no_grad(): minnet does not record in-place ops in a graph. Use an "
                f"out-of-place op (y = y.clip(...), y = y * 0), or run it under mn.no_grad()")
        if isinstance(source, Tensor) and source.requires_grad:
            raise RuntimeError(
                f"{name}() from a tensor that requires grad outside mn.no_grad(): the copy would "
                f"carry no gradient. Use y = x * 1 to stay in the graph, or copy under no_grad()")
    array = writable_data(tensor, f"{name}()")
    try:
        write(array)
    except TypeError as error:
        raise TypeError(f"{name}() on a {array.dtype} tensor of shape {array.shape}: {error}") from None
    except ValueError as error:
        raise ValueError(f"{name}() on a tensor of shape {array.shape}: {error}") from None
    return tensor


def _refuse_leaf(tensor, what):
    if tensor.requires_grad and tensor.is_leaf:
        raise RuntimeError(
            f"a leaf Variable that requires grad is being used in an in-place operation "
            f"({what}, on a tensor of shape {tensor.shape}): the change would not be part of "
            f"any graph. Update parameters inside `with mn.no_grad():`, as an optimiser does")
