"""Layers without a convolution or a matrix product: Flatten, Dropout, BatchNorm1D/2D, LayerNorm."""
import numpy as np

from minnet import config
from minnet.function import Function
from minnet.nn.module import Module, Parameter


class Flatten(Module):
    """Merge axes start_axis..end_axis into one: (N, C, H, W) -> (N, C*H*W) by default.

    Shape: ``(N, *rest) -> (N, prod(rest))`` with the defaults start_axis=1, end_axis=-1.

        >>> mn.nn.Flatten()(mn.Tensor(np.zeros((2, 3, 4, 5)))).shape
        (2, 60)
    """

    def __init__(self, start_axis=1, end_axis=-1):
        self.start_axis, self.end_axis = start_axis, end_axis

    def forward(self, x):
        start, end = self.start_axis % max(x.ndim, 1), self.end_axis % max(x.ndim, 1)
        if not (-x.ndim <= self.start_axis < x.ndim and -x.ndim <= self.end_axis < x.ndim) or start > end:
            raise ValueError(f"Flatten({self.extra_repr()}) cannot flatten axes {self.start_axis}.."
                             f"{self.end_axis} of an input of shape {tuple(x.shape)}")
        # The merged size written out, not -1: numpy cannot infer -1 for an empty batch.
        merged = int(np.prod(x.shape[start:end + 1]))
        return x.reshape(x.shape[:start] + (merged,) + x.shape[end + 1:])

    def extra_repr(self):
        return f"start_axis={self.start_axis}, end_axis={self.end_axis}"


class DropoutFunction(Function):
    """y = x * mask / (1 - p);  dy/dx = mask / (1 - p), with mask ~ Bernoulli(1 - p)."""

    @staticmethod
    def forward(ctx, x, p=0.5):
        if p == 1:
            scaled_mask = np.zeros_like(x)
        else:
            keep = config.rng().random(x.shape, dtype=np.float32) >= p
            scaled_mask = keep.astype(x.dtype) * x.dtype.type(1 / (1 - p))
        ctx.save_for_backward(scaled_mask)
        return x * scaled_mask

    @staticmethod
    def backward(ctx, grad):
        (scaled_mask,) = ctx.saved
        return grad * scaled_mask


class Dropout(Module):
    """Inverted dropout: in training zero each element with probability p and scale the rest
    by 1/(1-p), so E[y] = x and evaluation needs no rescaling; identity in eval mode.

    y = x * m / (1 - p),  m ~ Bernoulli(1 - p) drawn from mn.config.rng().

    Shape: any -> the same.

        >>> drop = mn.nn.Dropout(0.5).eval()
        >>> drop(mn.Tensor([1.0, 2.0])).data
        array([1., 2.], dtype=float32)
    """

    def __init__(self, p=0.5):
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"Dropout expected a probability p in [0, 1], got {p!r}")
        self.p = float(p)

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        return DropoutFunction.apply(x, p=self.p)

    def extra_repr(self):
        return f"p={self.p}"


class BatchNormFunction(Function):
    """y = gamma * xhat + beta,  xhat = (x - mean) / sqrt(var + eps), statistics per channel.

    In training, mean and (biased) var come from the batch itself, so each x affects every
    output of its channel; over the m values of a channel (Ioffe & Szegedy 2015):

        dx = (1/m) / sqrt(var + eps) * (m * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat)),
        dxhat = grad * gamma,  dgamma = sum(grad * xhat),  dbeta = sum(grad).

    In evaluation mean and var are constants (the running estimates): dx = dxhat / sqrt(var + eps).
    """

    @staticmethod
    def forward(ctx, x, gamma=None, beta=None, axes=(0,), eps=1e-5, mean=None, var=None):
        shape = [1] * x.ndim
        shape[1] = x.shape[1]
        batch_stats = mean is None
        if batch_stats:
            mean = x.mean(axis=axes, keepdims=True)
            centred = x - mean
            var = np.mean(centred * centred, axis=axes, keepdims=True)
        else:
            # The float32 running estimates must not round a float64 input's statistics.
            centred = x - mean.astype(x.dtype, copy=False).reshape(shape)
            var = var.astype(x.dtype, copy=False).reshape(shape)
        inv_std = 1 / np.sqrt(var + eps)
        xhat = centred * inv_std
        ctx.save_for_backward(xhat, inv_std, gamma)
        ctx.axes, ctx.batch_stats = axes, batch_stats
        ctx.batch_mean, ctx.batch_var = mean, var   # read by BatchNorm to update its running stats
        if gamma is None:
            return xhat
        return xhat * gamma.reshape(shape) + beta.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        xhat, inv_std, gamma = ctx.saved
        axes = ctx.axes
        dxhat = grad if gamma is None else grad * gamma.reshape(inv_std.shape)
        if ctx.batch_stats:
            grad_x = inv_std * (dxhat - dxhat.mean(axis=axes, keepdims=True)
                                - xhat * (dxhat * xhat).mean(axis=axes, keepdims=True))
        else:
            grad_x = dxhat * inv_std
        if gamma is None:
            return (grad_x,)
        grad_gamma = (grad * xhat).sum(axis=axes)
        grad_beta = grad.sum(axis=axes)
        return grad_x, grad_gamma, grad_beta


class _BatchNorm(Module):
    """Batch normalisation over axis 1 (channels); subclasses fix which input ranks are valid."""

    input_shapes = {}   # ndim -> how the shape reads in messages

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True):
        name = f"{type(self).__name__}({num_features!r})"
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features <= 0:
            raise ValueError(f"{name}: num_features must be a positive int")
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"{name}: momentum must be in [0, 1] or None, got {momentum!r}")
        if eps <= 0:
            raise ValueError(f"{name}: eps must be positive, got {eps!r}")
        self.num_features, self.eps, self.momentum, self.affine = num_features, eps, momentum, affine
        dtype = config.get_default_dtype()
        self.weight = Parameter(np.ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype=dtype)) if affine else None
        self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
        self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
        self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))

    def forward(self, x):
        name = f"{type(self).__name__}({self.num_features})"
        if x.ndim not in self.input_shapes or x.shape[1] != self.num_features:
            expected = " or ".join(s.format(C=self.num_features) for s in self.input_shapes.values())
            raise ValueError(f"{name} expected input of shape {expected}, got shape {tuple(x.shape)}")
        axes = (0,) + tuple(range(2, x.ndim))
        m = x.data.size // self.num_features
        if self.training and m < 2:
            raise ValueError(f"{name} needs more than one value per channel in training, got input "
                             f"of shape {tuple(x.shape)}")
        params = (self.weight, self.bias) if self.affine else ()
        if not self.training:
            return BatchNormFunction.apply(x, *params, axes=axes, eps=self.eps,
                                           mean=self.running_mean, var=self.running_var)
        out = BatchNormFunction.apply(x, *params, axes=axes, eps=self.eps)
        self._update_running_stats(out, x, m)
        return out

    def _update_running_stats(self, out, x, m):
        """running = (1 - momentum) * running + momentum * batch, with the unbiased variance
        (m / (m - 1) * biased), as PyTorch; momentum=None gives the cumulative average."""
        ctx = getattr(out, "_ctx", None)
        if ctx is not None:
            mean, var = ctx.batch_mean, ctx.batch_var
        else:   # no graph recorded (no_grad): recompute the statistics
            axes = (0,) + tuple(range(2, x.ndim))
            mean, var = x.data.mean(axis=axes), x.data.var(axis=axes)
        mean, var = np.ravel(mean), np.ravel(var) * (m / (m - 1))
        self.num_batches_tracked = self.num_batches_tracked + 1
        factor = 1 / self.num_batches_tracked if self.momentum is None else self.momentum
        dtype = self.running_mean.dtype
        self.running_mean = ((1 - factor) * self.running_mean + factor * mean).astype(dtype)
        self.running_var = ((1 - factor) * self.running_var + factor * var).astype(dtype)

    def extra_repr(self):
        text = f"{self.num_features}, eps={self.eps:g}, momentum={self.momentum}"
        return text if self.affine else text + ", affine=False"


class BatchNorm1D(_BatchNorm):
    """Batch normalisation of features (Ioffe & Szegedy 2015), as torch.nn.BatchNorm1d.

    y = gamma * (x - mean) / sqrt(var + eps) + beta, per feature c. Training: mean and biased
    var of the batch (over N, and L for 3-D input); the running estimates move by `momentum`
    towards the batch mean and the unbiased var. Eval: the running estimates are used.

    Shape: (N, C) -> (N, C) or (N, C, L) -> (N, C, L).

        >>> bn = mn.nn.BatchNorm1D(2)
        >>> bn(mn.Tensor([[1.0, 10.0], [3.0, 30.0]])).data.round(3)
        array([[-1., -1.],
               [ 1.,  1.]], dtype=float32)
        >>> bn.running_mean
        array([0.2, 2. ], dtype=float32)
    """

    input_shapes = {2: "(N, {C})", 3: "(N, {C}, L)"}


class BatchNorm2D(_BatchNorm):
    """Batch normalisation of image channels, as torch.nn.BatchNorm2d.

    y = gamma * (x - mean) / sqrt(var + eps) + beta, statistics per channel over N, H and W
    (training: the batch's; eval: the running estimates, updated as in BatchNorm1D).

    Shape: (N, C, H, W) -> (N, C, H, W).

        >>> mn.nn.BatchNorm2D(8)(mn.Tensor(np.random.randn(4, 8, 5, 5))).shape
        (4, 8, 5, 5)
    """

    input_shapes = {4: "(N, {C}, H, W)"}


class LayerNormFunction(Function):
    """y = gamma * xhat + beta,  xhat = (x - mean) / sqrt(var + eps), statistics per sample.

    mean and the biased var are taken over the trailing `axes` of each sample, so each output
    depends on every input of its own sample; over those m values (Ba et al. 2016), with the
    same closed form as batch normalisation along the other axes:

        dx = 1 / sqrt(var + eps) * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),
        dxhat = grad * gamma,  dgamma = sum over the leading axes of grad * xhat,  dbeta = sum of grad.
    """

    @staticmethod
    def forward(ctx, x, gamma=None, beta=None, axes=(-1,), eps=1e-5):
        mean = x.mean(axis=axes, keepdims=True)
        centred = x - mean
        var = np.mean(centred * centred, axis=axes, keepdims=True)
        inv_std = 1 / np.sqrt(var + eps)
        xhat = centred * inv_std
        ctx.save_for_backward(xhat, inv_std, gamma)
        ctx.axes, ctx.has_beta = axes, beta is not None
        out = xhat if gamma is None else xhat * gamma
        return out if beta is None else out + beta

    @staticmethod
    def backward(ctx, grad):
        xhat, inv_std, gamma = ctx.saved
        axes = ctx.axes
        dxhat = grad if gamma is None else grad * gamma
        grad_x = inv_std * (dxhat - dxhat.mean(axis=axes, keepdims=True)
                            - xhat * (dxhat * xhat).mean(axis=axes, keepdims=True))
        if gamma is None:
            return (grad_x,)
        leading = tuple(range(grad.ndim - len(axes)))
        grad_gamma = (grad * xhat).sum(axis=leading)
        if not ctx.has_beta:
            return grad_x, grad_gamma
        return grad_x, grad_gamma, grad.sum(axis=leading)


class LayerNorm(Module):
    """Layer normalisation (Ba et al. 2016), as torch.nn.LayerNorm: each sample normalised
    over its trailing `normalized_shape` axes, then scaled and shifted elementwise.

    y = (x - mean) / sqrt(var + eps) * weight + bias, mean and biased var over the last
    len(normalized_shape) axes of each sample; weight starts at ones, bias at zeros, both of
    shape normalized_shape (elementwise_affine=False: neither; bias=False: no bias).

    Unlike BatchNorm1D it uses no batch statistics, so training and evaluation compute the
    same function and a batch of one sample works.

    Shape: ``(*, *normalized_shape)`` -> the same, e.g. (N, D) -> (N, D) with normalized_shape=D,
    or (N, T, D) -> (N, T, D).

        >>> ln = mn.nn.LayerNorm(3)
        >>> ln(mn.Tensor([[1.0, 2.0, 3.0], [10.0, 10.0, 40.0]])).data.round(3)
        array([[-1.225,  0.   ,  1.225],
               [-0.707, -0.707,  1.414]], dtype=float32)
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else normalized_shape
        valid = isinstance(shape, (tuple, list)) and len(shape) > 0 and all(
            isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0 for d in shape)
        if not valid:
            raise ValueError(f"LayerNorm expected normalized_shape to be a positive int or a non-empty "
                             f"tuple of positive ints, got {normalized_shape!r}")
        if not eps > 0:
            raise ValueError(f"LayerNorm({normalized_shape!r}): eps must be positive, got {eps!r}")
        self.normalized_shape, self.eps = tuple(int(d) for d in shape), eps
        self.elementwise_affine = elementwise_affine
        dtype = config.get_default_dtype()
        self.weight = Parameter(np.ones(shape, dtype=dtype)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(shape, dtype=dtype)) if elementwise_affine and bias else None

    def forward(self, x):
        k = len(self.normalized_shape)
        if tuple(x.shape[x.ndim - k:]) != self.normalized_shape or x.ndim < k:
            raise ValueError(f"LayerNorm({self.extra_repr()}) expected input whose last {k} axes have "
                             f"shape {self.normalized_shape}, got shape {tuple(x.shape)}")
        params = tuple(p for p in (self.weight, self.bias) if p is not None)
        return LayerNormFunction.apply(x, *params, axes=tuple(range(-k, 0)), eps=self.eps)

    def extra_repr(self):
        shape = self.normalized_shape[0] if len(self.normalized_shape) == 1 else self.normalized_shape
        text = f"{shape}, eps={self.eps:g}"
        if not self.elementwise_affine:
            return text + ", elementwise_affine=False"
        return text if self.bias is not None else text + ", bias=False"
