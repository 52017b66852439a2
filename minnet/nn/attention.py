"""Attention layers: MultiheadAttention (PyTorch's parameter layout), sinusoidal positional
encoding, and a pre-norm transformer block small enough to read on one screen.

The attention itself is one op, `functional.scaled_dot_product_attention`:
softmax(Q K^T / sqrt(d) + mask) V. Everything here is projections and reshapes around it.
"""
import math

import numpy as np

from minnet import config, init
from minnet.nn.activations import Activation, get_activation
from minnet.nn.dense import Dense
from minnet.nn.functional import ScaledDotProductAttention, attention_mask, linear
from minnet.nn.layers import Dropout, LayerNorm
from minnet.nn.module import Module, Parameter, Sequential
from minnet.tensor import Tensor

POSITION_BASE = 10000.0     # Vaswani et al. 2017: wavelengths from 2 pi to 10000 * 2 pi


class Projection(Module):
    """y = x W^T + b with W of shape (out, in): torch.nn.Linear's layout, so that
    MultiheadAttention's `out_proj.weight` loads from PyTorch as it is. W ~ U(-1/sqrt(in),
    1/sqrt(in)) (PyTorch's default), b = 0 (MultiheadAttention's). Shape: (*, in) -> (*, out)."""

    def __init__(self, in_features, out_features, bias=True):
        bound = 1 / math.sqrt(in_features)
        weight = config.rng().uniform(-bound, bound, (out_features, in_features))
        self.weight = Parameter(weight.astype(config.get_default_dtype()))
        self.bias = Parameter(init.zeros((out_features,))) if bias else None

    def forward(self, x):
        return linear(x, self.weight, self.bias)

    def extra_repr(self):
        bias = "" if self.bias is not None else ", bias=False"
        return f"{self.weight.shape[1]} -> {self.weight.shape[0]}{bias}"


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al. 2017), as torch.nn.MultiheadAttention:

        Q = query W_q^T + b_q,  K = key W_k^T + b_k,  V = value W_v^T + b_v   (W_q; W_k; W_v
        stacked as in_proj_weight (3E, E)), each split into num_heads heads of E / num_heads;
        head_i = softmax(Q_i K_i^T / sqrt(E / num_heads) + mask) V_i;
        output = concat(head_1 .. head_h) W_o^T + b_o   (out_proj).

    forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False) -> (output, weights). Masks follow
    PyTorch's MultiheadAttention: a boolean attn_mask (L, S) or (N * heads, L, S) is True
    where attention is NOT allowed, a float one is added to the scores; key_padding_mask
    (N, S) is True at padding keys. is_causal=True masks the future (query i sees keys <= i).
    weights (N, L, S), averaged over heads unless average_attn_weights=False (N, heads, L, S),
    are differentiable, as PyTorch's; need_weights=False returns None and runs attention as
    one op, skipping the weights' extra matmul (use it when the weights are not needed).

    Shape: query (N, L, E) with batch_first=True, (L, N, E) otherwise, or unbatched (L, E);
    key and value (N, S, E) likewise; output like query.

        >>> attention = mn.nn.MultiheadAttention(8, 2, batch_first=True)
        >>> x = mn.Tensor(np.zeros((3, 5, 8)))
        >>> output, weights = attention(x, x, x)
        >>> output.shape, weights.shape
        ((3, 5, 8), (3, 5, 5))
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, batch_first=False):
        for name, value in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"MultiheadAttention expected a positive integer for {name}, "
                                 f"got {value!r}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by "
                             f"num_heads ({num_heads}): each head takes embed_dim / num_heads "
                             f"features")
        if not 0 <= dropout < 1:
            raise ValueError(f"MultiheadAttention expected 0 <= dropout < 1, got {dropout!r}")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout, self.batch_first = float(dropout), bool(batch_first)
        self.in_proj_weight = init.initialize(Parameter(init.zeros((3 * embed_dim, embed_dim))),
                                              "xavier_uniform")
        self.in_proj_bias = Parameter(init.zeros((3 * embed_dim,))) if bias else None
        self.out_proj = Projection(embed_dim, embed_dim, bias)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        owner = f"MultiheadAttention({self.extra_repr()})"
        self_attention = query is key and key is value
        query, key, value = (x if isinstance(x, Tensor) else Tensor(x) for x in (query, key, value))
        for name, x in (("query", query), ("key", key), ("value", value)):
            if x.ndim not in (2, 3) or x.shape[-1] != self.embed_dim:
                raise ValueError(f"{owner} expected {name} of shape (N, L, {self.embed_dim}) "
                                 f"{'' if self.batch_first else '(L, N, E) as batch_first=False '}"
                                 f"or (L, {self.embed_dim}), got {tuple(x.shape)}")
        batched = query.ndim == 3
        if not batched:
            query, key, value = (x.reshape((1,) + x.shape) for x in (query, key, value))
        elif not self.batch_first:
            query, key, value = (x.transpose(1, 0, 2) for x in (query, key, value))
        batch, length, keys = query.shape[0], query.shape[1], key.shape[1]
        if key.shape[:2] != value.shape[:2] or key.shape[0] != batch:
            raise ValueError(f"{owner} expected key and value of one batch and length, matching "
                             f"query's batch, got query {tuple(query.shape)}, key "
                             f"{tuple(key.shape)}, value {tuple(value.shape)} (batch first)")
        mask = self._mask(owner, attn_mask, key_padding_mask, is_causal, batch, length, keys,
                          query.dtype)

        heads = (self.num_heads, self.head_dim)
        if self_attention:       # one matmul for Q, K and V
            qkv = linear(query, self.in_proj_weight, self.in_proj_bias)
            qkv = qkv.reshape(batch, length, 3, *heads).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]                           # (N, heads, L, d) each
        else:
            rows = [slice(i * self.embed_dim, (i + 1) * self.embed_dim) for i in range(3)]
            biases = [None if self.in_proj_bias is None else self.in_proj_bias[r] for r in rows]
            q, k, v = (linear(x, self.in_proj_weight[r], b)
                       .reshape(batch, x.shape[1], *heads).transpose(0, 2, 1, 3)
                       for x, r, b in zip((query, key, value), rows, biases))
        options = dict(mask=mask, scale=1 / math.sqrt(self.head_dim),
                       dropout_p=self.dropout if self.training else 0.0)
        if need_weights:
            # The weights as an op's output, so that they carry gradients as PyTorch's do:
            # attention over the identity matrix as values gives the weights themselves (P I = P),
            # after dropout, as PyTorch returns them; the output is then P V.
            weights = ScaledDotProductAttention.apply(q, k, np.eye(keys, dtype=q.dtype), **options)
            heads_out = weights @ v
        else:
            heads_out = ScaledDotProductAttention.apply(q, k, v, **options)
        concatenated = heads_out.transpose(0, 2, 1, 3).reshape(batch, length, self.embed_dim)
        output = self.out_proj(concatenated)

        if not batched:
            output = output.reshape(length, self.embed_dim)
        elif not self.batch_first:
            output = output.transpose(1, 0, 2)
        if not need_weights:
            return output, None
        if average_attn_weights:
            weights = weights.mean(axis=1)
        return output, weights if batched else weights[0]

    def _mask(self, owner, attn_mask, key_padding_mask, is_causal, batch, length, keys, dtype):
        """One additive mask (N or 1, heads or 1, L, S): 0 where allowed, -inf where not."""
        if attn_mask is not None:
            attn_mask = np.asarray(getattr(attn_mask, "data", attn_mask))
            if attn_mask.ndim == 3:
                if attn_mask.shape[0] != batch * self.num_heads:
                    raise ValueError(f"{owner} expected a 3-D attn_mask of shape "
                                     f"({batch * self.num_heads}, {length}, {keys}) (N * heads, L, S), "
                                     f"got {attn_mask.shape}")
                attn_mask = attn_mask.reshape(batch, self.num_heads, *attn_mask.shape[1:])
            if attn_mask.dtype == bool:
                attn_mask = ~attn_mask             # PyTorch's MHA: True = not allowed
        mask = attention_mask(owner, attn_mask, is_causal, length, keys, dtype)
        if key_padding_mask is not None:
            padding = np.asarray(getattr(key_padding_mask, "data", key_padding_mask))
            if padding.shape != (batch, keys):
                raise ValueError(f"{owner} expected key_padding_mask of shape ({batch}, {keys}) "
                                 f"(N, S), got {padding.shape}")
            if padding.dtype == bool:
                padding = np.where(padding, dtype.type(-np.inf), dtype.type(0))
            padding = padding.astype(dtype)[:, None, None, :]
            mask = padding if mask is None else mask + padding
        return mask

    def __repr__(self):
        # One line, as a layer: the summary table would list out_proj alone and hide the
        # in_proj parameters, which live on this module itself.
        return f"MultiheadAttention({self.extra_repr()})"

    def extra_repr(self):
        extras = [f"{self.embed_dim}, num_heads={self.num_heads}"]
        if self.dropout:
            extras.append(f"dropout={self.dropout:g}")
        if self.batch_first:
            extras.append("batch_first=True")
        return ", ".join(extras)


def sinusoidal_positions(length, dim, base=POSITION_BASE):
    """The (length, dim) table PE[p, 2i] = sin(p / base^(2i/dim)), PE[p, 2i+1] = cos(same),
    in the default dtype: every position a different mix of waves, each a fixed rotation
    away from the next, so attention can read relative offsets (Vaswani et al. 2017)."""
    positions = np.arange(length, dtype=np.float64)[:, None]
    frequencies = base ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)
    table = np.zeros((length, dim))
    table[:, 0::2] = np.sin(positions * frequencies)
    table[:, 1::2] = np.cos(positions * frequencies[:dim // 2])
    return table.astype(config.get_default_dtype())


class PositionalEncoding(Module):
    """Adds sinusoidal_positions to a sequence: y = x + PE[:T]. No parameters.

    Attention alone ignores order (it treats its inputs as a set); adding a different vector
    at every position lets it tell them apart.

    Shape: (N, T, d_model) or (T, d_model) -> the same; T at most max_len.

        >>> mn.nn.PositionalEncoding(4)(mn.Tensor(np.zeros((1, 2, 4)))).data.round(3)
        array([[[0.   , 1.   , 0.   , 1.   ],
                [0.841, 0.54 , 0.01 , 1.   ]]])
    """

    def __init__(self, d_model, max_len=5000):
        self.d_model, self.max_len = int(d_model), int(max_len)
        self.table = sinusoidal_positions(max_len, d_model)

    def forward(self, x):
        if x.ndim < 2 or x.shape[-1] != self.d_model or x.shape[-2] > self.max_len:
            raise ValueError(f"PositionalEncoding({self.extra_repr()}) expected input of shape "
                             f"(N, T, {self.d_model}) or (T, {self.d_model}) with "
                             f"T <= {self.max_len}, got {tuple(x.shape)}")
        return x + self.table[:x.shape[-2]].astype(x.dtype, copy=False)

    def extra_repr(self):
        return f"{self.d_model}, max_len={self.max_len}"


class TransformerBlock(Module):
    """A pre-norm transformer block (as torch.nn.TransformerEncoderLayer with norm_first=True):

        x = x + Dropout(SelfAttention(LayerNorm(x)))
        x = x + Dropout(MLP(LayerNorm(x))),   MLP = Dense(d, d_ff) -> GELU -> Dense(d_ff, d)

    Normalising before each sublayer leaves the residual path x -> x untouched, so the
    gradient reaches early blocks undiminished. activation: a name ("gelu", "relu", ...) or an
    Activation; d_ff defaults to 4 * d_model. forward(x, attn_mask=None, is_causal=False,
    key_padding_mask=None), masks as MultiheadAttention's.

    Shape: (N, T, d_model) -> (N, T, d_model).

        >>> block = mn.nn.TransformerBlock(16, num_heads=2)
        >>> block(mn.Tensor(np.zeros((3, 5, 16))), is_causal=True).shape
        (3, 5, 16)
    """

    def __init__(self, d_model, num_heads, d_ff=None, dropout=0.0, activation="gelu"):
        d_ff = 4 * d_model if d_ff is None else d_ff
        if not isinstance(activation, Activation):
            activation = get_activation(activation)
        self.norm1 = LayerNorm(d_model)
        self.self_attn = MultiheadAttention(d_model, num_heads, dropout, batch_first=True)
        self.norm2 = LayerNorm(d_model)
        self.mlp = Sequential(Dense(d_model, d_ff), activation, Dense(d_ff, d_model))
        self.dropout = Dropout(dropout)

    def forward(self, x, attn_mask=None, is_causal=False, key_padding_mask=None):
        h = self.norm1(x)
        attended, _ = self.self_attn(h, h, h, key_padding_mask=key_padding_mask, need_weights=False,
                                     attn_mask=attn_mask, is_causal=is_causal)
        x = x + self.dropout(attended)
        return x + self.dropout(self.mlp(self.norm2(x)))
