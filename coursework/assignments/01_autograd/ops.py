"""Assignment 1: autograd ops and broadcasting (see statement.md).

Write the parts marked YOUR CODE HERE. Arrays are numpy arrays; keep their dtype (use Python
numbers, not np.float64 constants, so float32 stays float32) and never change an input in
place (x = x * 2, not x *= 2).
"""
import numpy as np

import minnet as mn


def unbroadcast(grad, shape):
    """Sum `grad` to `shape`, undoing numpy broadcasting.

    Example: unbroadcast(np.ones((2, 3, 4)), (3, 1)) is an array of shape (3, 1) full of 8.
    """
    # HINT: sum over the first grad.ndim - len(shape) axes, then with keepdims=True over each axis
    # HINT: where shape has a 1
    # YOUR CODE HERE
    raise NotImplementedError('sum over the first grad.ndim - len(shape) axes, then with keepdims=True over each axis where shape has a 1')


class Mul(mn.Function):
    """y = a * b;  dy/da = b, dy/db = a (each summed back to its input's shape)."""

    @staticmethod
    def forward(ctx, a, b):
        # HINT: keep a and b for backward with ctx.save_for_backward(a, b), then return a * b
        # YOUR CODE HERE
        raise NotImplementedError('keep a and b for backward with ctx.save_for_backward(a, b), then return a * b')

    @staticmethod
    def backward(ctx, grad):
        # HINT: a, b = ctx.saved_tensors; return one gradient per input, each through unbroadcast
        # YOUR CODE HERE
        raise NotImplementedError('a, b = ctx.saved_tensors; return one gradient per input, each through unbroadcast')


class Div(mn.Function):
    """y = a / b;  dy/da = 1 / b, dy/db = -a / b^2."""

    @staticmethod
    def forward(ctx, a, b):
        # HINT: as Mul: save what backward needs, return a / b
        # YOUR CODE HERE
        raise NotImplementedError('as Mul: save what backward needs, return a / b')

    @staticmethod
    def backward(ctx, grad):
        # HINT: grad / b for a, -grad * a / b**2 for b, each through unbroadcast
        # YOUR CODE HERE
        raise NotImplementedError('grad / b for a, -grad * a / b**2 for b, each through unbroadcast')


class LogSumExp(mn.Function):
    """y = log(sum(exp(x), axis));  dy/dx = softmax(x) along axis.  Shape: the axis is removed."""

    @staticmethod
    def forward(ctx, x, axis=-1):
        # HINT: m = x.max(axis, keepdims=True); y = m + log(sum(exp(x - m))) never overflows; keep
        # HINT: the softmax with ctx.save_for_backward and the axis with ctx.axis = axis for backward
        # YOUR CODE HERE
        raise NotImplementedError('m = x.max(axis, keepdims=True); y = m + log(sum(exp(x - m))) never overflows; keep the softmax with ctx.save_for_backward and the axis with ctx.axis = axis for backward')

    @staticmethod
    def backward(ctx, grad):
        # HINT: (softmax,) = ctx.saved_tensors; put the removed axis back with
        # HINT: np.expand_dims(grad, ctx.axis) (the axis forward kept) and multiply by the softmax
        # YOUR CODE HERE
        raise NotImplementedError('(softmax,) = ctx.saved_tensors; put the removed axis back with np.expand_dims(grad, ctx.axis) (the axis forward kept) and multiply by the softmax')
