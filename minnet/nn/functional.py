"""Functions on tensors with PyTorch's names and conventions (`mn.nn.functional`, like
`torch.nn.functional`): `linear` with the (out, in) weight layout and
`scaled_dot_product_attention`, each one op with its backward beside its forward.

    >>> import minnet.nn.functional as F
    >>> q = k = v = mn.Tensor(np.zeros((2, 4, 8)))
    >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
    (2, 4, 8)
"""
import math

import numpy as np

from minnet import config
from minnet.function import Function
from minnet.ops import unbroadcast
from minnet.tensor import Tensor


class Linear(Function):
    """y = x W^T + b, W of shape (out, in) as in torch.nn.Linear;
    dL/dx = g W,  dL/dW = g^T x,  dL/db = g summed over every leading axis."""

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        rows = x.reshape(-1, x.shape[-1])              # one matmul for all leading axes
        y = rows @ weight.T
        if bias is not None:
            y += bias
        ctx.save_for_backward(rows, weight)
        ctx.shape = x.shape
        return y.reshape(x.shape[:-1] + (weight.shape[0],))

    @staticmethod
    def backward(ctx, grad):
        rows, weight = ctx.saved
        grad_rows = grad.reshape(-1, grad.shape[-1])
        need = ctx.needs_input_grad
        grads = ((grad_rows @ weight).reshape(ctx.shape) if need[0] else None,
                 grad_rows.T @ rows if need[1] else None)
        return grads + ((grad_rows.sum(axis=0) if need[2] else None,) if len(need) == 3 else ())


def linear(x, weight, bias=None):
    """y = x W^T + b with W of shape (out_features, in_features), as torch.nn.functional.linear.

    (minnet's Dense stores W as (in, out) instead; this is for PyTorch-layout parameters such
    as MultiheadAttention's in_proj_weight.) Shape: (*, in) -> (*, out).
    """
    if x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear expected input with {weight.shape[1]} features for a weight of "
                         f"shape {tuple(weight.shape)} (out, in), got input of shape {tuple(x.shape)}")
    return Linear.apply(x, weight) if bias is None else Linear.apply(x, weight, bias)


class ScaledDotProductAttention(Function):
    """out = P V,  P = softmax(S) over the keys,  S = Q K^T * scale + mask  (scale 1/sqrt(E)).

    Backward, with dP = g V^T:
        dV = P^T g,   dS = P * (dP - sum_keys(dP * P))  (the softmax Jacobian),
        dQ = dS K * scale,   dK = dS^T Q * scale.
    The mask is additive (0 or -inf, or any float); masked keys get P = 0 and no gradient.
    With dropout, P is replaced by P * keep / (1 - p) after the softmax, as in PyTorch.
    """

    @staticmethod
    def forward(ctx, q, k, v, mask=None, scale=1.0, dropout_p=0.0):
        scores = q @ k.swapaxes(-1, -2)
        scores *= scale
        if mask is not None:
            scores += mask
        # softmax with the maximum subtracted: every exp <= 1, no overflow. A query whose keys
        # are all masked (maximum -inf) attends to nothing: weights 0, output 0, as PyTorch 2.13.
        row_max = scores.max(axis=-1, keepdims=True)
        row_max[np.isneginf(row_max)] = 0
        scores -= row_max
        probs = np.exp(scores, out=scores)
        total = probs.sum(axis=-1, keepdims=True)
        total[total == 0] = 1
        probs /= total
        dropped, scaled_keep = probs, None
        if dropout_p:
            keep = config.rng().random(probs.shape, dtype=np.float32) >= dropout_p
            scaled_keep = keep / probs.dtype.type(1 - dropout_p)
            dropped = probs * scaled_keep
        ctx.save_for_backward(q, k, v, probs, dropped, scaled_keep)
        ctx.scale, ctx.shapes = scale, (q.shape, k.shape, v.shape)
        return dropped @ v

    @staticmethod
    def backward(ctx, grad):
        q, k, v, probs, dropped, scaled_keep = ctx.saved
        q_shape, k_shape, v_shape = ctx.shapes
        grad_v = unbroadcast(dropped.swapaxes(-1, -2) @ grad, v_shape)
        grad_probs = grad @ v.swapaxes(-1, -2)
        if scaled_keep is not None:
            grad_probs *= scaled_keep
        grad_scores = grad_probs
        grad_scores -= (grad_probs * probs).sum(axis=-1, keepdims=True)
        grad_scores *= probs
        grad_scores *= ctx.scale
        grad_q = unbroadcast(grad_scores @ k, q_shape)
        grad_k = unbroadcast(grad_scores.swapaxes(-1, -2) @ q, k_shape)
        return grad_q, grad_k, grad_v


def attention_mask(owner, attn_mask, is_causal, query_length, key_length, dtype):
    """The additive float mask (0 where allowed, -inf where not) that attention adds to its
    scores, from a boolean mask (True = may attend, PyTorch's convention for
    scaled_dot_product_attention), a float mask (added as it is), and/or is_causal."""
    mask = None
    if attn_mask is not None:
        mask = np.asarray(attn_mask.data if isinstance(attn_mask, Tensor) else attn_mask)
        if mask.ndim < 2 or mask.shape[-2:] not in ((query_length, key_length), (1, key_length),
                                                     (query_length, 1), (1, 1)):
            raise ValueError(f"{owner} expected attn_mask of shape (..., {query_length}, {key_length}) "
                             f"(queries, keys), got {mask.shape}")
        if mask.dtype == bool:
            mask = np.where(mask, dtype.type(0), dtype.type(-np.inf))
        elif mask.dtype.kind == "f":
            mask = mask.astype(dtype, copy=False)
        else:
            raise TypeError(f"{owner} expected a boolean or float attn_mask, got dtype {mask.dtype}")
    if is_causal:
        # Query i may see keys 0 .. i (top-left aligned when L != S, as PyTorch's is_causal).
        allowed = np.tri(query_length, key_length, dtype=bool)
        causal = np.where(allowed, dtype.type(0), dtype.type(-np.inf))
        mask = causal if mask is None else mask + causal
    return mask


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None):
    """softmax(Q K^T / sqrt(E) + mask) V, as torch.nn.functional.scaled_dot_product_attention.

    Each query is compared with every key by a dot product; the softmax of those scores
    weighs the values. Dividing by sqrt(E) keeps the scores' spread near 1 whatever the width
    E, so the softmax does not saturate (Vaswani et al. 2017).
    attn_mask: boolean (True = this query may attend to this key) or float (added to the
    scores); is_causal: query i attends to keys 0..i only; dropout_p: dropout on the weights.

    Shape: query (*, L, E), key (*, S, E), value (*, S, Ev) -> (*, L, Ev); leading axes
    broadcast. A query whose every key is masked gets weights 0 and output 0, as in PyTorch 2.13.
    """
    query, key, value = (x if isinstance(x, Tensor) else Tensor(x) for x in (query, key, value))
    owner = "scaled_dot_product_attention"
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise ValueError(f"{owner} expected query, key and value with at least 2 axes (length, "
                         f"features), got shapes {query.shape}, {key.shape}, {value.shape}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(f"{owner} expected query (*, L, E), key (*, S, E) and value (*, S, Ev), "
                         f"got shapes {query.shape}, {key.shape}, {value.shape}")
    if not 0 <= dropout_p < 1:
        raise ValueError(f"{owner} expected 0 <= dropout_p < 1, got {dropout_p!r}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{owner}: pass attn_mask or is_causal=True, not both (as in PyTorch)")
    mask = attention_mask(owner, attn_mask, is_causal, query.shape[-2], key.shape[-2], query.dtype)
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    return ScaledDotProductAttention.apply(query, key, value, mask=mask, scale=scale,
                                           dropout_p=dropout_p)
