"""Convolution and pooling over images: Conv2D, MaxPool2D, AvgPool2D (NCHW).

A convolution is a matrix product in disguise (im2col). Copy every receptive field of the
padded input into a column,

    cols[n, (i, j, c), (y, x)] = x_padded[n, c, y*sh + i*dh, x*sw + j*dw]

and the convolution is one matrix product per sample, out[n] = W (out, kh*kw*c) @ cols[n].
Its backward is two more products: dW = sum_n grad[n] @ cols[n]^T and dcols = W^T @ grad[n],
and col2im adds each column back to the pixels it was copied from (one strided slice per
kernel offset (i, j): the only Python loop, kh*kw iterations). Average pooling reads the
same kernel-offset windows; max pooling reduces one axis at a time (see MaxPool2DFunction).
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from minnet import config
from minnet import init as initializers
from minnet.function import Function
from minnet.nn.module import Module, Parameter


def _pair(value, name, layer):
    """An int or a pair of ints -> a pair of positive ints."""
    pair = (value, value) if isinstance(value, int) and not isinstance(value, bool) else value
    if (not isinstance(pair, (tuple, list)) or len(pair) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in pair)):
        raise ValueError(f"{layer}: {name} must be a positive int or a pair of positive ints, "
                         f"got {value!r}")
    return tuple(pair)


def _padding(padding, kernel, dilation, stride, layer):
    """padding as int, pair, "valid" or "same" -> ((top, bottom), (left, right))."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError(f"{layer}: padding='same' needs stride 1 (as in PyTorch), got stride {stride}")
        # Total padding d*(k-1) keeps the size; for even kernels the odd pixel goes to the
        # bottom/right, as PyTorch does.
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    pair = (padding, padding) if isinstance(padding, int) and not isinstance(padding, bool) else padding
    if (not isinstance(pair, (tuple, list)) or len(pair) != 2
            or not all(isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in pair)):
        raise ValueError(f"{layer}: padding must be a non-negative int, a pair, 'valid' or 'same', "
                         f"got {padding!r}")
    return (pair[0], pair[0]), (pair[1], pair[1])


def _output_size(size, kernel, stride, dilation, pads):
    return (size + pads[0] + pads[1] - dilation * (kernel - 1) - 1) // stride + 1


def _pad(x, pads, value=0.0):
    """x zero-padded (or `value`-padded) on its last two axes; x itself when no padding."""
    (top, bottom), (left, right) = pads
    if top == bottom == left == right == 0:
        return x
    n, c, h, w = x.shape
    padded = np.full((n, c, h + top + bottom, w + left + right), value, dtype=x.dtype)
    padded[:, :, top:top + h, left:left + w] = x
    return padded


def _offset_slice(i, j, out_size, stride, dilation):
    """The pixels that kernel offset (i, j) reads for every output position."""
    (oh, ow), (sh, sw), (dh, dw) = out_size, stride, dilation
    return (slice(None), slice(None),
            slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
            slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def _col2im(dcols, padded_shape, kernel, out_size, stride, dilation, pads):
    """Add dcols (N, kh, kw, C, OH, OW) back onto the input pixels; crop the padding."""
    dx = np.zeros(padded_shape, dtype=dcols.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            dx[_offset_slice(i, j, out_size, stride, dilation)] += dcols[:, i, j]
    (top, bottom), (left, right) = pads
    return dx[:, :, top:padded_shape[2] - bottom, left:padded_shape[3] - right]


class Conv2DFunction(Function):
    """y[n, o] = sum_c x[n, c] * W[o, c] + b[o]  (cross-correlation, as in every framework).

    dL/dW[o] = sum_n grad[n, o] (x) x[n]; dL/dx = full correlation of grad with the flipped W;
    both are matrix products on the im2col columns (see the module docstring).
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None, stride=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1)):
        n, c, _, _ = x.shape
        out_channels, _, kh, kw = weight.shape
        padded = _pad(x, pads)
        oh = _output_size(x.shape[2], kh, stride[0], dilation[0], pads[0])
        ow = _output_size(x.shape[3], kw, stride[1], dilation[1], pads[1])
        # All windows as a strided view (no copy), then one copy into (N, kh*kw*C, OH*OW) so
        # that the product below is a plain BLAS sgemm per sample. Rows are ordered (i, j, c)
        # rather than (c, i, j) so that in backward each kernel offset's rows form one
        # contiguous block for col2im to read, which is faster than gathering strided rows.
        windows = sliding_window_view(padded, (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1),
                                      axis=(2, 3))
        windows = windows[:, :, ::stride[0], ::stride[1], ::dilation[0], ::dilation[1]]
        cols = np.ascontiguousarray(windows.transpose(0, 4, 5, 1, 2, 3)).reshape(n, kh * kw * c, oh * ow)
        weight_matrix = weight.transpose(0, 2, 3, 1).reshape(out_channels, kh * kw * c)
        # W @ cols broadcasts over the batch: one sgemm per sample, and the result is already
        # NCHW. (One big gemm on (K, N*OH*OW) columns is slower, because its output then
        # needs a transposing copy.)
        out = weight_matrix @ cols
        if bias is not None:
            out += bias[:, None]
        ctx.save_for_backward(cols, weight_matrix)
        ctx.geometry = weight.shape, padded.shape, (oh, ow), stride, dilation, pads
        return out.reshape(n, out_channels, oh, ow)

    @staticmethod
    def backward(ctx, grad):
        cols, weight_matrix = ctx.saved
        weight_shape, padded_shape, out_size, stride, dilation, pads = ctx.geometry
        out_channels, c, kh, kw = weight_shape
        n = grad.shape[0]
        grad = grad.reshape(n, out_channels, -1)
        need_x, need_w = ctx.needs_input_grad[:2]
        grad_w = grad_b = grad_x = None
        if need_w:
            grad_w = (grad @ cols.transpose(0, 2, 1)).sum(axis=0)
            grad_w = grad_w.reshape(out_channels, kh, kw, c).transpose(0, 3, 1, 2)
        if len(ctx.needs_input_grad) == 3 and ctx.needs_input_grad[2]:
            grad_b = grad.sum(axis=(0, 2))
        if need_x:
            dcols = (weight_matrix.T @ grad).reshape(n, kh, kw, c, *out_size)
            grad_x = _col2im(dcols, padded_shape, (kh, kw), out_size, stride, dilation, pads)
        return (grad_x, grad_w) if len(ctx.needs_input_grad) == 2 else (grad_x, grad_w, grad_b)


class Conv2D(Module):
    """2-D convolution over NCHW images: y[n, o] = b[o] + sum_c W[o, c] * x[n, c].

    `*` is cross-correlation with the given stride, dilation and zero padding (int, pair,
    "valid" = none, or "same" = output as large as the input, stride 1 only; for an even
    kernel the extra pixel of padding goes bottom/right as in PyTorch). The weight is
    initialised by `init` (fan_in = in_channels*kh*kw); the bias starts at zero, as
    mn.nn.Dense's does, so a freshly initialised layer adds no offset to its inputs.

    Shape: (N, in_channels, H, W) -> (N, out_channels, OH, OW) with
    OH = floor((H + pad_top + pad_bottom - dilation*(kh-1) - 1) / stride) + 1.

        >>> conv = mn.nn.Conv2D(3, 8, 3, padding="same")
        >>> conv(mn.Tensor(np.zeros((2, 3, 32, 32), np.float32))).shape
        (2, 8, 32, 32)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 bias=True, init="he_uniform", regularizer=None):
        name = f"Conv2D({in_channels} -> {out_channels})"
        for value, what in ((in_channels, "in_channels"), (out_channels, "out_channels")):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name}: {what} must be a positive int, got {value!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size, "kernel_size", name)
        self.stride = _pair(stride, "stride", name)
        self.dilation = _pair(dilation, "dilation", name)
        self.padding = padding
        self._pads = _padding(padding, self.kernel_size, self.dilation, self.stride, name)
        dtype = config.get_default_dtype()
        self.weight = Parameter(np.zeros((out_channels, in_channels, *self.kernel_size), dtype=dtype))
        initializers.initialize(self.weight, init)
        self.bias = Parameter(np.zeros(out_channels, dtype=dtype)) if bias else None
        self.regularizer = regularizer

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{self._name()} expected input of shape (N, {self.in_channels}, H, W), "
                             f"got shape {tuple(x.shape)}")
        for axis in (0, 1):
            reach = self.dilation[axis] * (self.kernel_size[axis] - 1) + 1
            if x.shape[2 + axis] + sum(self._pads[axis]) < reach:
                raise ValueError(f"{self._name()}: the padded input {tuple(x.shape)} is smaller than "
                                 f"the kernel's reach {reach} along {'HW'[axis]}")
        inputs = (x, self.weight) if self.bias is None else (x, self.weight, self.bias)
        return Conv2DFunction.apply(*inputs, stride=self.stride, pads=self._pads, dilation=self.dilation)

    def penalty(self):
        return None if self.regularizer is None else self.regularizer(self.weight)

    def _name(self):
        return f"Conv2D({self.in_channels} -> {self.out_channels})"

    def extra_repr(self):
        text = f"{self.in_channels} -> {self.out_channels}, kernel={self.kernel_size}"
        if self.stride != (1, 1):
            text += f", stride={self.stride}"
        if self.padding not in (0, (0, 0), "valid"):
            text += f", padding={self.padding!r}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.bias is None:
            text += ", bias=False"
        return text


# --- pooling --------------------------------------------------------------------------------

def _along(axis, start, stride, count):
    """Index of positions start, start + stride, ... (count of them) along one axis of NCHW."""
    index = [slice(None)] * 4
    index[axis] = slice(start, start + stride * (count - 1) + 1, stride)
    return tuple(index)


def _max_along(x, axis, kernel, stride, count):
    """Max over windows along one axis, and the first offset in each window that holds it."""
    candidates = [x[_along(axis, k, stride, count)] for k in range(kernel)]
    out = candidates[0].copy()
    for candidate in candidates[1:]:
        np.maximum(out, candidate, out=out)
    # first = how many leading offsets do not hold the max. Counted with boolean arithmetic:
    # np.copyto(first, k, where=...) is far slower (its masked int8 loop is not vectorised).
    first = np.zeros(out.shape, dtype=np.int8 if kernel <= 127 else np.int32)
    not_yet = np.ones(out.shape, dtype=bool)
    for candidate in candidates[:-1]:
        not_yet &= candidate != out
        first += not_yet
    return out, first


def _unmax_along(grad, first, axis, kernel, stride, size):
    """Backward of _max_along: each window's gradient goes to its first max."""
    shape = list(grad.shape)
    shape[axis] = size
    dx = np.zeros(shape, dtype=grad.dtype)
    for k in range(kernel):
        region = dx[_along(axis, k, stride, grad.shape[axis])]
        if stride < kernel:       # overlapping windows: a pixel may collect from several
            region += grad * (first == k)
        else:                     # each pixel in one window at most: write, no temporary
            np.multiply(grad, first == k, out=region)
    return dx


class MaxPool2DFunction(Function):
    """y = max over each window;  the gradient goes to the position of the max.

    The max over a kh x kw window is separable: first the max over kw along each row, then
    over kh of those row maxima. Reducing along W first keeps PyTorch's tie rule (the first
    maximum in row-major window order gets the whole gradient): the first row holding the
    max, and in it the first column. The second pass reads whole contiguous rows, which is
    much faster than comparing all kh*kw strided slices (benchmarks/bench_conv.py).
    """

    @staticmethod
    def forward(ctx, x, kernel=(2, 2), stride=(2, 2), pads=((0, 0), (0, 0))):
        padded = _pad(x, pads, value=-np.inf)  # padding never wins a max
        oh, ow = (_output_size(x.shape[2 + a], kernel[a], stride[a], 1, pads[a]) for a in (0, 1))
        row_max, first_column = _max_along(padded, 3, kernel[1], stride[1], ow)
        out, first_row = _max_along(row_max, 2, kernel[0], stride[0], oh)
        ctx.save_for_backward(first_row, first_column)
        ctx.geometry = padded.shape, kernel, stride, pads
        return out

    @staticmethod
    def backward(ctx, grad):
        first_row, first_column = ctx.saved
        padded_shape, kernel, stride, pads = ctx.geometry
        grad_row_max = _unmax_along(grad, first_row, 2, kernel[0], stride[0], padded_shape[2])
        dx = _unmax_along(grad_row_max, first_column, 3, kernel[1], stride[1], padded_shape[3])
        (top, bottom), (left, right) = pads
        return dx[:, :, top:padded_shape[2] - bottom, left:padded_shape[3] - right]


class AvgPool2DFunction(Function):
    """y = mean over each window;  every position in a window gets grad / divisor.

    The divisor is kh*kw (count_include_pad=True, padding counts as zeros) or the number of
    real pixels in the window (count_include_pad=False), as in PyTorch.
    """

    @staticmethod
    def forward(ctx, x, kernel=(2, 2), stride=(2, 2), pads=((0, 0), (0, 0)), count_include_pad=True):
        padded = _pad(x, pads)
        out_size = tuple(_output_size(x.shape[2 + a], kernel[a], stride[a], 1, pads[a]) for a in (0, 1))
        windows = sliding_window_view(padded, kernel, axis=(2, 3))[:, :, ::stride[0], ::stride[1]]
        total = windows.sum(axis=(4, 5))
        if count_include_pad:
            divisor = np.asarray(kernel[0] * kernel[1], dtype=x.dtype)
        else:
            ones = _pad(np.ones((1, 1, *x.shape[2:]), dtype=x.dtype), pads)
            divisor = sliding_window_view(ones, kernel, axis=(2, 3))[:, :, ::stride[0], ::stride[1]].sum(axis=(4, 5))
        ctx.save_for_backward(divisor)
        ctx.geometry = padded.shape, kernel, out_size, stride, pads
        return total / divisor

    @staticmethod
    def backward(ctx, grad):
        (divisor,) = ctx.saved
        padded_shape, kernel, out_size, stride, pads = ctx.geometry
        share = grad / divisor
        dcols = np.broadcast_to(share[:, None, None], (share.shape[0], *kernel, *share.shape[1:]))
        return _col2im(dcols, padded_shape, kernel, out_size, stride, (1, 1), pads)


class _Pool2D(Module):
    """Shared argument handling of MaxPool2D and AvgPool2D."""

    def __init__(self, kernel_size, stride=None, padding=0):
        name = f"{type(self).__name__}({kernel_size!r})"
        self.kernel_size = _pair(kernel_size, "kernel_size", name)
        self.stride = self.kernel_size if stride is None else _pair(stride, "stride", name)
        if isinstance(padding, str):
            raise ValueError(f"{name}: padding must be an int or a pair of ints, got {padding!r}")
        pads = _padding(padding, self.kernel_size, (1, 1), self.stride, name)
        if any(p > k // 2 for (p, _), k in zip(pads, self.kernel_size)):
            raise ValueError(f"{name}: padding should be at most half the kernel size "
                             f"{self.kernel_size}, got {padding!r}")
        self.padding, self._pads = padding, pads

    def _check(self, x):
        if x.ndim != 4:
            raise ValueError(f"{type(self).__name__}({self.extra_repr()}) expected input of shape "
                             f"(N, C, H, W), got shape {tuple(x.shape)}")
        for axis in (0, 1):
            if x.shape[2 + axis] + sum(self._pads[axis]) < self.kernel_size[axis]:
                raise ValueError(f"{type(self).__name__}({self.extra_repr()}): input {tuple(x.shape)} "
                                 f"is smaller than the kernel along {'HW'[axis]}")

    def extra_repr(self):
        text = f"kernel={self.kernel_size}"
        if self.stride != self.kernel_size:
            text += f", stride={self.stride}"
        if self.padding not in (0, (0, 0)):
            text += f", padding={self.padding!r}"
        return text


class MaxPool2D(_Pool2D):
    """Max over each kh x kw window: y[n, c, i, j] = max_{a,b} x[n, c, i*sh + a, j*sw + b].

    `stride` defaults to the kernel size; padding is implicit -inf (never the max) and at
    most half the kernel. Ties: the first maximum in row-major window order receives the
    whole gradient, as in PyTorch.

    Shape: (N, C, H, W) -> (N, C, OH, OW), OH = floor((H + 2*pad - kh) / sh) + 1.

        >>> mn.nn.MaxPool2D(2)(mn.Tensor(np.arange(16.0).reshape(1, 1, 4, 4))).data
        array([[[[ 5.,  7.],
                 [13., 15.]]]])
    """

    def forward(self, x):
        self._check(x)
        return MaxPool2DFunction.apply(x, kernel=self.kernel_size, stride=self.stride, pads=self._pads)


class AvgPool2D(_Pool2D):
    """Mean over each kh x kw window: y[n, c, i, j] = sum_{a,b} x[n, c, i*sh + a, j*sw + b] / divisor.

    Zero padding; divisor = kh*kw when count_include_pad (PyTorch's default), else the
    number of non-padding pixels in the window.

    Shape: (N, C, H, W) -> (N, C, OH, OW), OH = floor((H + 2*pad - kh) / sh) + 1.

        >>> mn.nn.AvgPool2D(2)(mn.Tensor(np.arange(16.0).reshape(1, 1, 4, 4))).data
        array([[[[ 2.5,  4.5],
                 [10.5, 12.5]]]])
    """

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad=True):
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = bool(count_include_pad)

    def forward(self, x):
        self._check(x)
        return AvgPool2DFunction.apply(x, kernel=self.kernel_size, stride=self.stride, pads=self._pads,
                                       count_include_pad=self.count_include_pad)

    def extra_repr(self):
        text = super().extra_repr()
        return text if self.count_include_pad else text + ", count_include_pad=False"
