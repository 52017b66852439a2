"""Function: one differentiable op, its forward and its backward side by side.

A Function subclass defines two static methods on numpy arrays:

    forward(ctx, *arrays, **options) -> array
    backward(ctx, grad) -> one gradient per array input (None where there is none)

`MyOp.apply(*tensors, **options)` runs forward on the tensors' data and, when any
input requires grad, records a Context in the output so that `Tensor.backward` can
call backward later. This is the same contract as torch.autograd.Function.
"""
import contextlib
import itertools
import threading

import numpy as np

from minnet.tensor import Tensor, as_tensor, _hold, _let_go

_op_numbers = itertools.count()      # Context.number: the order in which ops were recorded


class _GradMode(threading.local):
    """Grad mode is per thread, as in PyTorch: a `predict` under no_grad() in one thread
    must not switch recording off for a training loop in another."""
    enabled = True


_grad_mode = _GradMode()


@contextlib.contextmanager
def no_grad():
    """Context manager: operations inside record no graph (for evaluation and updates).

    It affects the current thread only.
    """
    previous, _grad_mode.enabled = _grad_mode.enabled, False
    try:
        yield
    finally:
        _grad_mode.enabled = previous


def is_grad_enabled() -> bool:
    """False inside `no_grad()` (in this thread)."""
    return _grad_mode.enabled


class Context:
    """What one op remembers between forward and backward.

    `parents` are the input Tensors (the graph's edges), `saved` the arrays forward
    kept for backward. Neither refers to the output, so the graph has no cycles and is
    freed by reference counting as soon as backward releases it. `number` counts up with
    every op recorded, so an op's number is higher than those of the ops behind its inputs.

    `held` are the arrays of the inputs and the output, read-only until the op is released
    (by backward, or when the graph is dropped): an in-place write into any of them would
    make backward compute a wrong gradient from changed values, so it raises at once instead.
    """

    def __init__(self, function, parents, needs_input_grad):
        self.number = next(_op_numbers)
        self.function = function
        self.parents = parents
        self.needs_input_grad = needs_input_grad
        self.saved = ()
        self.held = ()
        self.released = False

    def save_for_backward(self, *arrays):
        self.saved = arrays

    def release(self):
        """Drop the saved arrays and the edges: the intermediates can now be freed."""
        self.saved = None
        self.parents = ()
        self.released = True
        held, self.held = self.held, ()
        _let_go(held)

    def __del__(self):
        # A graph dropped without backward() gives its arrays back too.
        if self.held:
            _let_go(self.held)


class Function:
    """Base class of every differentiable op (see the module docstring)."""

    @staticmethod
    def forward(ctx, *arrays, **options):
        raise NotImplementedError("a Function subclass must define forward(ctx, *arrays)")

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    @classmethod
    def apply(cls, *inputs, **options):
        """Run the op on Tensors (array-likes become constant Tensors); record it for backward."""
        parents = inputs
        for x in inputs:
            if not isinstance(x, Tensor):
                # Python numbers take the dtype of the first floating tensor (not of a boolean mask).
                like = next((x for x in inputs if isinstance(x, Tensor) and x.dtype.kind == "f"), None)
                parents = tuple(as_tensor(x, like=like) for x in inputs)
                break
        needs_input_grad = tuple([p.requires_grad for p in parents])
        ctx = Context(cls, parents, needs_input_grad)
        try:
            output = cls.forward(ctx, *[p.data for p in parents], **options)
        except ValueError as error:
            shapes = ", ".join(str(p.shape) for p in parents)
            raise ValueError(f"{cls.__name__} with inputs of shapes {shapes}: {error}") from None
        if not (_grad_mode.enabled and True in needs_input_grad):
            return Tensor._wrap(output)
        result = Tensor._wrap(output, requires_grad=True)
        result._ctx = ctx
        ctx.held = _hold([p.data for p in parents] + [result.data])
        return result


def call_backward(ctx, grad):
    """Call ctx.function.backward and check that it gave one gradient per input."""
    grads = ctx.function.backward(ctx, grad)
    if not isinstance(grads, tuple):
        grads = (grads,)
    if len(grads) != len(ctx.parents):
        raise RuntimeError(f"{ctx.function.__name__}.backward returned {len(grads)} gradients "
                           f"for {len(ctx.parents)} inputs")
    return grads


def checked_grad(ctx, parent, grad):
    """grad as an array of parent's shape, or an error naming the op and the input.

    Tensor.backward calls this only for a gradient that is not already an array of the
    right shape (a number, a list, or a wrong shape), so the usual case costs one comparison.
    """
    grad = np.asarray(grad, dtype=parent.dtype)
    if grad.shape != parent.data.shape:
        i = next(i for i, p in enumerate(ctx.parents) if p is parent)
        raise RuntimeError(
            f"{ctx.function.__name__}.backward returned a gradient of shape {grad.shape} for "
            f"input {i} of shape {parent.shape}")
    return grad
