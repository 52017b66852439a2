"""The primitive ops. Each is a Function: forward and backward side by side.

Each docstring gives the op and its local derivative; backward multiplies that derivative
by `grad` (the gradient of the final scalar with respect to this op's output). Ops with
two inputs broadcast like numpy, so their backward sums the gradient back down to each
input's shape (`unbroadcast`).
"""
import numpy as np

from minnet.function import Function


def unbroadcast(grad, shape):
    """Sum `grad` over the axes that broadcasting added or stretched, giving `shape`."""
    if grad.shape == shape:
        return grad
    added = grad.ndim - len(shape)
    if added:
        grad = grad.sum(axis=tuple(range(added)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def _normalize_axis(axis, ndim):
    """None, an int or a tuple of ints (negative allowed) -> None or a sorted tuple of axes."""
    if axis is None:
        return None
    axes = (axis,) if np.isscalar(axis) else tuple(axis)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of range for an array of {ndim} dimensions")
    return tuple(sorted(int(a) % ndim for a in axes))


def _expand(grad, shape, axis, keepdims):
    """Broadcast the gradient of a reduction back over the axes it reduced."""
    if axis is not None and not keepdims:
        grad = np.expand_dims(grad, axis)
    return np.broadcast_to(grad, shape)


# --- arithmetic -----------------------------------------------------------------------------

class Add(Function):
    """a + b;  d/da = 1, d/db = 1."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = a.shape, b.shape
        return a + b

    @staticmethod
    def backward(ctx, grad):
        a_shape, b_shape = ctx.shapes
        return unbroadcast(grad, a_shape), unbroadcast(grad, b_shape)


class Sub(Function):
    """a - b;  d/da = 1, d/db = -1."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = a.shape, b.shape
        return a - b

    @staticmethod
    def backward(ctx, grad):
        a_shape, b_shape = ctx.shapes
        return unbroadcast(grad, a_shape), unbroadcast(-grad, b_shape)


class Mul(Function):
    """a * b;  d/da = b, d/db = a."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(grad * b, a.shape) if need_a else None,
                unbroadcast(grad * a, b.shape) if need_b else None)


class Div(Function):
    """a / b;  d/da = 1/b, d/db = -a/b^2."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        return (unbroadcast(grad / b, a.shape) if need_a else None,
                unbroadcast(-grad * a / (b * b), b.shape) if need_b else None)


class Neg(Function):
    """-x;  d/dx = -1."""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Pow(Function):
    """a^b;  d/da = b a^(b-1),  d/db = a^b ln a (taken as 0 where a <= 0)."""

    @staticmethod
    def forward(ctx, a, b):
        y = a ** b
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx, grad):
        a, b, y = ctx.saved
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if need_a:
            # Where b = 0 the derivative is 0, also at a = 0 or +/-inf, where b a^(b-1) would be
            # 0 * inf: raising a to 0 there instead (a^0 = 1 for every a) keeps the product 0.
            grad_a = unbroadcast(grad * b * a ** np.where(b == 0, 0, b - 1), a.shape)
        if need_b:
            # ln a is undefined for a <= 0; log of 1 there avoids the warning, the mask the value.
            log_a = np.log(np.where(a > 0, a, 1))
            grad_b = unbroadcast(grad * y * log_a, b.shape)
        return grad_a, grad_b


class MatMul(Function):
    """a @ b (1-D, 2-D or batched, as np.matmul);  d/da = grad @ b^T,  d/db = a^T @ grad."""

    @staticmethod
    def forward(ctx, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul needs arrays of at least one dimension, got a scalar")
        inner_a, inner_b = a.shape[-1], b.shape[-2] if b.ndim > 1 else b.shape[0]
        if inner_a != inner_b:
            raise ValueError(f"the last axis of the left operand ({inner_a}) must equal the "
                             f"second-to-last of the right ({inner_b})")
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        # Treat vectors as a (1, k) row and a (k, 1) column so one rule covers every case.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        # Column axis first: for vector @ vector the gradient is 0-d and needs both axes back.
        if b.ndim == 1:
            grad = np.expand_dims(grad, -1)
        if a.ndim == 1:
            grad = np.expand_dims(grad, -2)
        need_a, need_b = ctx.needs_input_grad
        grad_a = unbroadcast(grad @ b2.swapaxes(-1, -2), a2.shape).reshape(a.shape) if need_a else None
        grad_b = unbroadcast(a2.swapaxes(-1, -2) @ grad, b2.shape).reshape(b.shape) if need_b else None
        return grad_a, grad_b


# --- elementwise functions ------------------------------------------------------------------

class Exp(Function):
    """e^x;  d/dx = e^x (the output itself)."""

    @staticmethod
    def forward(ctx, x):
        y = np.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return grad * y


class Log(Function):
    """ln x;  d/dx = 1/x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad / x


class Sqrt(Function):
    """sqrt(x);  d/dx = 1 / (2 sqrt(x))."""

    @staticmethod
    def forward(ctx, x):
        y = np.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return grad / (2 * y)


class Abs(Function):
    """|x|;  d/dx = sign(x), taken as 0 at x = 0 (as PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * np.sign(x)


class Clip(Function):
    """clip(x, min, max);  d/dx = 1 where min <= x <= max, else 0 (bounds inclusive, as PyTorch)."""

    @staticmethod
    def forward(ctx, x, min=None, max=None):
        inside = np.ones(x.shape, dtype=bool)
        if min is not None:
            inside &= x >= min
        if max is not None:
            inside &= x <= max
        ctx.save_for_backward(inside)
        return np.clip(x, min, max)

    @staticmethod
    def backward(ctx, grad):
        (inside,) = ctx.saved
        return grad * inside


class Where(Function):
    """where(condition, a, b);  d/da = condition, d/db = not condition (no gradient to condition)."""

    @staticmethod
    def forward(ctx, condition, a, b):
        condition = condition.astype(bool, copy=False)
        ctx.save_for_backward(condition)
        ctx.shapes = a.shape, b.shape
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        (condition,) = ctx.saved
        a_shape, b_shape = ctx.shapes
        zero = np.zeros((), dtype=grad.dtype)
        return (None,
                unbroadcast(np.where(condition, grad, zero), a_shape),
                unbroadcast(np.where(condition, zero, grad), b_shape))


# --- reductions -----------------------------------------------------------------------------

class Sum(Function):
    """sum(x, axis);  d/dx_i = 1 for every summed element."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.axis, ctx.keepdims, ctx.shape = _normalize_axis(axis, x.ndim), keepdims, x.shape
        return np.sum(x, axis=ctx.axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        return _expand(grad, ctx.shape, ctx.axis, ctx.keepdims)


class Mean(Function):
    """mean(x, axis);  d/dx_i = 1/n, n the number of elements averaged."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.axis, ctx.keepdims, ctx.shape = _normalize_axis(axis, x.ndim), keepdims, x.shape
        ctx.count = x.size if ctx.axis is None else int(np.prod([x.shape[a] for a in ctx.axis]))
        return np.mean(x, axis=ctx.axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        return _expand(grad / ctx.count, ctx.shape, ctx.axis, ctx.keepdims)


def _extreme(ctx, x, reduce, axis, keepdims):
    """Forward of Max and Min: reduce with np.max or np.min, remember who gets the gradient."""
    axis = _normalize_axis(axis, x.ndim)
    y = reduce(x, axis=axis, keepdims=True)
    if ctx.needs_input_grad[0]:
        mask = x == y
        # Ties share the gradient equally, so it still sums to grad (PyTorch's amax does the
        # same); counting in x's dtype keeps a float32 gradient float32.
        ctx.save_for_backward(mask / mask.sum(axis=axis, keepdims=True, dtype=x.dtype))
    ctx.axis, ctx.keepdims = axis, keepdims
    return y if keepdims else np.squeeze(y, axis=axis)


class Max(Function):
    """max(x, axis);  d/dx_i = 1/t where x_i is one of the t tied maxima, else 0."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        return _extreme(ctx, x, np.max, axis, keepdims)

    @staticmethod
    def backward(ctx, grad):
        (share,) = ctx.saved
        return _expand(grad, share.shape, ctx.axis, ctx.keepdims) * share


class Min(Function):
    """min(x, axis);  d/dx_i = 1/t where x_i is one of the t tied minima, else 0."""

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        return _extreme(ctx, x, np.min, axis, keepdims)

    @staticmethod
    def backward(ctx, grad):
        return Max.backward(ctx, grad)


# --- shape ops ------------------------------------------------------------------------------

class Reshape(Function):
    """reshape(x, shape);  the gradient is reshaped back."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return np.reshape(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return np.reshape(grad, ctx.shape)


class Transpose(Function):
    """transpose(x, axes);  the gradient is permuted back by the inverse permutation."""

    @staticmethod
    def forward(ctx, x, axes=None):
        y = np.transpose(x, axes)
        # argsort inverts the permutation only once negative axes are made positive.
        ctx.axes = None if axes is None else tuple(a % x.ndim for a in axes)
        return y

    @staticmethod
    def backward(ctx, grad):
        return np.transpose(grad, None if ctx.axes is None else np.argsort(ctx.axes))


def _is_advanced(index):
    """Does this index use integer or boolean arrays (numpy's advanced indexing)?"""
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (list, np.ndarray)) for p in parts)


class GetItem(Function):
    """x[index];  the gradient goes back to the selected positions (summed where repeated)."""

    @staticmethod
    def forward(ctx, x, index):
        ctx.index, ctx.shape, ctx.dtype = index, x.shape, x.dtype
        return x[index]

    @staticmethod
    def backward(ctx, grad):
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        if _is_advanced(ctx.index):
            np.add.at(out, ctx.index, grad)   # x[[0, 0]] must send back both gradients
        else:
            out[ctx.index] = grad
        return out


class Pad(Function):
    """pad(x, pad_width, value) with a constant;  the gradient is the un-padded centre."""

    @staticmethod
    def forward(ctx, x, pad_width, value=0):
        widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
        ctx.centre = tuple(slice(before, before + n) for (before, _), n in zip(widths, x.shape))
        return np.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.centre]


class Concatenate(Function):
    """concatenate(xs, axis);  the gradient is split back into the pieces."""

    @staticmethod
    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        ctx.splits = np.cumsum([x.shape[axis] for x in xs])[:-1]
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.split(grad, ctx.splits, axis=ctx.axis))


class Stack(Function):
    """stack(xs, axis);  the gradient is unstacked along the new axis."""

    @staticmethod
    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        return np.stack(xs, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.moveaxis(grad, ctx.axis, 0))


# --- functional forms of the ops that are not Tensor methods ----------------------------------

def where(condition, a, b):
    """Elementwise `a if condition else b`, differentiable in a and b."""
    return Where.apply(condition, a, b)


def pad(x, pad_width, value=0):
    """Pad with a constant; pad_width as in np.pad: ((before, after), ...) or one int."""
    return Pad.apply(x, pad_width=pad_width, value=value)


def concatenate(tensors, axis=0):
    """Join tensors along an existing axis."""
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors, axis=0):
    """Join tensors along a new axis."""
    return Stack.apply(*tensors, axis=axis)
