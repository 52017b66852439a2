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
    ### BEGIN SOLUTION
    n, c, h, w = x.shape
    oh, ow = output_size(h, kh, stride, padding), output_size(w, kw, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride][:, :, :oh, :ow]       # (N, C, OH, OW, kh, kw)
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw)
    ### END SOLUTION


def col2im(cols, x_shape, kh, kw, stride=1, padding=0):
    """The adjoint of im2col: each entry of `cols` is added back to the pixel it came from.

    (N * OH * OW, C * kh * kw) -> x_shape = (N, C, H, W). Pixels in several receptive fields
    receive the sum of their entries; padding is cut off again.
    """
    # HINT: reshape to (N, OH, OW, C, kh, kw); for each (i, j) add the slice into a zero padded
    # HINT: image at [i : i + stride * OH : stride, j : ...]
    ### BEGIN SOLUTION
    n, c, h, w = x_shape
    oh, ow = output_size(h, kh, stride, padding), output_size(w, kw, stride, padding)
    fields = cols.reshape(n, oh, ow, c, kh, kw).transpose(0, 3, 4, 5, 1, 2)   # (N, C, kh, kw, OH, OW)
    padded = np.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            padded[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride] += fields[:, :, i, j]
    return padded[:, :, padding:padding + h, padding:padding + w]
    ### END SOLUTION


class Im2Col(mn.Function):
    """cols = im2col(x);  dL/dx = col2im(dL/dcols): the adjoint carries the gradient back."""

    @staticmethod
    def forward(ctx, x, kh, kw, stride=1, padding=0):
        # HINT: remember x.shape and the settings on ctx (ctx.x_shape = ...), return im2col(...)
        ### BEGIN SOLUTION
        ctx.x_shape, ctx.settings = x.shape, (kh, kw, stride, padding)
        return im2col(x, kh, kw, stride, padding)
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        # HINT: col2im(grad, ctx.x_shape, ...)
        ### BEGIN SOLUTION
        return col2im(grad, ctx.x_shape, *ctx.settings)
        ### END SOLUTION


def conv2d(x, weight, bias=None, stride=1, padding=0):
    """A convolution (cross-correlation, as every framework's) on Tensors, through Im2Col.

    y[n, o, p, q] = b[o] + sum_{c, i, j} W[o, c, i, j] x[n, c, p stride + i, q stride + j]
    Shape: x (N, C, H, W), weight (O, C, kh, kw), bias (O,) -> (N, O, OH, OW).
    """
    # HINT: cols = Im2Col.apply(x, kh=..., kw=..., stride=..., padding=...); cols @
    # HINT: weight.reshape(O, -1).T; + bias; reshape (N, OH, OW, O); transpose(0, 3, 1, 2)
    ### BEGIN SOLUTION
    n, _, h, w = x.shape
    out_channels, _, kh, kw = weight.shape
    oh, ow = output_size(h, kh, stride, padding), output_size(w, kw, stride, padding)
    cols = Im2Col.apply(x, kh=kh, kw=kw, stride=stride, padding=padding)
    out = cols @ weight.reshape(out_channels, -1).T
    if bias is not None:
        out = out + bias
    return out.reshape(n, oh, ow, out_channels).transpose(0, 3, 1, 2)
    ### END SOLUTION
