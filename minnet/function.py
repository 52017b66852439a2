"""Function: one differentiable op, its forward and its backward side by side.

A Function subclass defines two static methods on numpy arrays:

    forward(ctx, *arrays, **options) -> array
    backward(ctx, grad) -> one gradient per input (None where there is none)

`MyOp.apply(*inputs, **options)` runs forward on the inputs' data and, when any input
requires grad, records a Context in the output so that `Tensor.backward` can call backward
later. This is the contract of torch.autograd.Function, on numpy arrays:

- Positional inputs that are not Tensors (numbers, lists, arrays) become constant inputs:
  forward receives them as arrays, and backward may return None for them, or leave them out
  and return one gradient per Tensor input only. Options that are not data (a mode, an axis)
  go by keyword: `MyOp.apply(x, axis=0)` passes `axis=0` to forward.
- `ctx.save_for_backward(*arrays)` keeps arrays for backward, which reads them back as
  `ctx.saved` (or `ctx.saved_tensors`, PyTorch's name); `ctx.needs_input_grad` tells which
  inputs need a gradient.

    class Cube(mn.Function):          # y = x^3;  dy/dx = 3 x^2
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2
"""
import contextlib
import itertools
import threading

import numpy as np

from minnet import guard
from minnet.tensor import Tensor, as_tensor

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

    `last_use`, an optional hint for ops that may consume their saved arrays: True while
    backward runs for the last time (the graph is released right after it, no retain_graph),
    so backward may write its result into an array it saved itself, as a hand-written version
    overwrites its forward intermediate. Never into a held array (those are read-only) nor
    one it did not create; False (the default) whenever a later backward may need them again.
    """

    def __init__(self, function, parents, needs_input_grad):
        self.number = next(_op_numbers)
        self.function = function
        self.parents = parents
        self.needs_input_grad = needs_input_grad
        self.saved = ()
        self.held = ()
        self.given = None          # the positional inputs as given, when some were not Tensors
        self.released = False
        self.last_use = False      # set by Tensor.backward just before it calls backward

    def save_for_backward(self, *arrays):
        self.saved = arrays

    @property
    def saved_tensors(self):
        """The arrays given to save_for_backward (PyTorch's name for `saved`)."""
        return self.saved

    def release(self):
        """Drop the saved arrays and the edges: the intermediates can now be freed."""
        self.saved = self.given = None
        self.parents = ()
        self.released = True
        held, self.held = self.held, ()
        guard.let_go(held)

    def __del__(self):
        # A graph dropped without backward() gives its arrays back too. This may run inside
        # the garbage collector, so it must never wait for a lock (see minnet.guard).
        if self.held:
            try:
                guard.let_go_later(self.held)
            except (AttributeError, TypeError):     # interpreter shutdown: modules torn down
                pass


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
        parents, given = inputs, None
        for x in inputs:
            if not isinstance(x, Tensor):
                parents, given = _constant_inputs(cls, inputs), inputs
                break
        needs_input_grad = tuple([p.requires_grad for p in parents])
        ctx = Context(cls, parents, needs_input_grad)
        if given is not None:
            ctx.given = given
        try:
            output = cls.forward(ctx, *[p._data for p in parents], **options)
        except ValueError as error:
            shapes = ", ".join(str(p.shape) for p in parents)
            raise ValueError(f"{cls.__name__} with inputs of shapes {shapes}: {error}") from None
        if not (_grad_mode.enabled and True in needs_input_grad):
            result = Tensor._wrap(output)
            if result._data.base is not None and not result._data.flags.writeable:
                guard.adopt(result._data)         # a view of a held array: writeable with it
            return result
        result = Tensor._wrap(output, requires_grad=True)
        result._ctx = ctx
        ctx.held = guard.hold([p._data for p in parents], result._data, cls.__name__)
        return result


def _constant_inputs(cls, inputs):
    """Every input as a Tensor: numbers and array-likes become constants.

    A Python number takes the dtype of the first floating tensor (not of a boolean mask),
    so that `x * 2` stays float32.
    """
    like = next((x for x in inputs if isinstance(x, Tensor) and x.dtype.kind == "f"), None)
    parents = []
    for i, x in enumerate(inputs):
        try:
            parents.append(as_tensor(x, like=like))
        except TypeError:
            raise TypeError(
                f"{cls.__name__}.apply: positional input {i} is {_describe(x)}, neither a Tensor "
                f"nor numeric data; pass options by keyword, as in "
                f"{cls.__name__}.apply(x, name=value), and forward receives them as keywords"
            ) from None
    return tuple(parents)


def _describe(x):
    text = repr(x)
    return f"a {type(x).__name__} ({text if len(text) <= 40 else text[:37] + '...'})"


def call_backward(ctx, grad):
    """Call ctx.function.backward and check that it gave one gradient per input.

    For inputs given as constants (numbers, arrays), backward may return None or leave them
    out: a backward that returns one gradient per Tensor input is accepted too.
    """
    grads = ctx.function.backward(ctx, grad)
    if not isinstance(grads, tuple):
        grads = (grads,)
    if len(grads) == len(ctx.parents):
        return grads
    if ctx.given is not None:
        tensor_inputs = [isinstance(x, Tensor) for x in ctx.given]
        if len(grads) == sum(tensor_inputs):
            given = iter(grads)
            return tuple(next(given) if is_tensor else None for is_tensor in tensor_inputs)
        inputs = "; ".join(f"input {i}: " + ("a Tensor of shape " + str(x.shape) if is_tensor
                                             else _describe(x) + ", a constant")
                           for i, (x, is_tensor) in enumerate(zip(ctx.given, tensor_inputs)))
        raise RuntimeError(
            f"{ctx.function.__name__}.backward returned {len(grads)} gradients for "
            f"{len(ctx.parents)} inputs ({inputs}): return one gradient per input (None for a "
            f"constant) or one per Tensor input ({sum(tensor_inputs)})")
    raise RuntimeError(f"{ctx.function.__name__}.backward returned {len(grads)} gradients "
                       f"for {len(ctx.parents)} inputs: return one per input, None where an "
                       f"input needs none")


def checked_grad(ctx, parent, grad):
    """grad as an array of parent's shape, or an error naming the op and the input.

    Tensor.backward calls this only for a gradient that is not already an array of the
    right shape (a number, a list, or a wrong shape), so the usual case costs one comparison.
    """
    grad = np.asarray(grad, dtype=parent.dtype)
    if grad.shape != parent._data.shape:
        i = next(i for i, p in enumerate(ctx.parents) if p is parent)
        raise RuntimeError(
            f"{ctx.function.__name__}.backward returned a gradient of shape {grad.shape} for "
            f"input {i} of shape {parent.shape}")
    return grad
