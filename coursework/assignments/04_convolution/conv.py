"""Assignment 4: a convolution via im2col (see statement.md).

Images are NCHW: (batch, channels, height, width); a kernel is (out_channels, in_channels, kh, kw).
Vectorise with numpy: loops over the kernel's kh * kw offsets are fine, loops over images or
pixels are not.
"""
import numpy as np

import minnet as mn


def output_size(size, kernel, stride, padding):
    """How many positions a kernel takes along one axis: (size + 2 padding - kernel) // stride + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def im2col(x, kh, kw, stride=1, padding=0):
    """Every receptive field of x as one row: (N, C, H, W) -> (N * OH * OW, C * kh * kw).

    Rows run over (n, oh, ow) in that order; columns over (c, i, j), the order of
    weight.reshape(out_channels, -1)'s columns, so a convolution is one matrix product.
    Zero padding of `padding` pixels on each side.
    """
    # HINT: np.pad, then np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :,
    # HINT: ::stride, ::stride], transpose, reshape
    # YOUR CODE HERE
    raise NotImplementedError('np.pad, then np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride], transpose, reshape')


def col2im(cols, x_shape, kh, kw, stride=1, padding=0):
    """The adjoint of im2col: each entry of `cols` is added back to the pixel it came from.

    (N * OH * OW, C * kh * kw) -> x_shape = (N, C, H, W). Pixels in several receptive fields
    receive the sum of their entries; padding is cut off again.
    """
    # HINT: reshape to (N, OH, OW, C, kh, kw); for each (i, j) add the slice into a zero padded
    # HINT: image at [i : i + stride * OH : stride, j : ...]
    # YOUR CODE HERE
    raise NotImplementedError('reshape to (N, OH, OW, C, kh, kw); for each (i, j) add the slice into a zero padded image at [i : i + stride * OH : stride, j : ...]')


class Im2Col(mn.Function):
    """cols = im2col(x);  dL/dx = col2im(dL/dcols): the adjoint carries the gradient back."""

    @staticmethod
    def forward(ctx, x, kh, kw, stride=1, padding=0):
        # HINT: remember x.shape and the settings on ctx (ctx.x_shape = ...), return im2col(...)
        # YOUR CODE HERE
        raise NotImplementedError('remember x.shape and the settings on ctx (ctx.x_shape = ...), return im2col(...)')

    @staticmethod
    def backward(ctx, grad):
        # HINT: col2im(grad, ctx.x_shape, ...)
        # YOUR CODE HERE
        raise NotImplementedError('col2im(grad, ctx.x_shape, ...)')


def conv2d(x, weight, bias=None, stride=1, padding=0):
    """A convolution (cross-correlation, as every framework's) on Tensors, through Im2Col.

    y[n, o, p, q] = b[o] + sum_{c, i, j} W[o, c, i, j] x[n, c, p stride + i, q stride + j]
    Shape: x (N, C, H, W), weight (O, C, kh, kw), bias (O,) -> (N, O, OH, OW).
    """
    # HINT: cols = Im2Col.apply(x, kh=..., kw=..., stride=..., padding=...); cols @
    # HINT: weight.reshape(O, -1).T; + bias; reshape (N, OH, OW, O); transpose(0, 3, 1, 2)
    # YOUR CODE HERE
    raise NotImplementedError('cols = Im2Col.apply(x, kh=..., kw=..., stride=..., padding=...); cols @ weight.reshape(O, -1).T; + bias; reshape (N, OH, OW, O); transpose(0, 3, 1, 2)')
