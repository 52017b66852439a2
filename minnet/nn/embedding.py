"""Embedding: a learnable table of vectors, one row per token, looked up by integer index."""
import numpy as np

from minnet import config
from minnet.function import Function
from minnet.nn.module import Module, Parameter
from minnet.tensor import Tensor


class EmbeddingLookup(Function):
    """y[...] = W[index[...]];  dL/dW[k] = sum of grad over the positions where index == k.

    The lookup is a one-hot matrix times W without the matrix: forward gathers rows, backward
    scatters the gradient back to them, adding where a token occurs more than once.
    Rows at `padding_idx` get no gradient (as in PyTorch), so a padding vector stays put.
    """

    @staticmethod
    def forward(ctx, weight, indices, padding_idx=None):
        # indices come as a constant input, not an option, so the in-place guard keeps them
        # read-only until backward has used them.
        ctx.save_for_backward(indices)
        ctx.shape, ctx.padding_idx = weight.shape, padding_idx
        return weight[indices]

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved
        grad_weight = np.zeros(ctx.shape, dtype=grad.dtype)
        # add.at, not grad_weight[indices] += grad: a repeated index must add every time.
        np.add.at(grad_weight, indices.reshape(-1), grad.reshape(-1, ctx.shape[1]))
        if ctx.padding_idx is not None:
            grad_weight[ctx.padding_idx] = 0
        return grad_weight, None


def check_indices(owner, indices, num_embeddings):
    """indices as an integer numpy array with values in [0, num_embeddings), or a clear error."""
    array = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise TypeError(f"{owner} expected integer indices, got non-integer values such as "
                            f"{array[array != np.round(array)][:3].tolist()} (dtype {array.dtype})")
        array = array.astype(np.int64)
    elif array.dtype.kind not in "iu":
        raise TypeError(f"{owner} expected integer indices, got an array of dtype {array.dtype}")
    if array.size and (array.min() < 0 or array.max() >= num_embeddings):
        bad = np.unique(array[(array < 0) | (array >= num_embeddings)])
        raise IndexError(f"{owner} expected indices from 0 to {num_embeddings - 1}, got "
                         f"{bad[:5].tolist()}{' ...' if bad.size > 5 else ''}")
    return array


class Embedding(Module):
    """A lookup table: token k becomes the learnable vector weight[k], as torch.nn.Embedding.

    y = W[index];  W of shape (num_embeddings, embedding_dim), drawn from N(0, 1) as in
    PyTorch. It equals one_hot(index) @ W, computed without building the one-hot matrix.
    padding_idx: that row starts at zero and never receives a gradient (for padding tokens).

    Shape: integer indices (*) -> (*, embedding_dim). Indices must be integers in
    [0, num_embeddings); floats holding whole numbers are accepted.

        >>> table = mn.nn.Embedding(10, 3)
        >>> table(np.array([[1, 2, 1]])).shape
        (1, 3, 3)
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None):
        for name, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Embedding expected a positive integer for {name}, got {value!r}")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding({num_embeddings}, {embedding_dim}) expected padding_idx "
                                 f"from {-num_embeddings} to {num_embeddings - 1}, got {padding_idx}")
            padding_idx = int(padding_idx) % num_embeddings
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = padding_idx
        weight = config.rng().standard_normal((num_embeddings, embedding_dim))
        if padding_idx is not None:
            weight[padding_idx] = 0
        self.weight = Parameter(weight.astype(config.get_default_dtype()))

    def forward(self, indices):
        indices = check_indices(f"Embedding({self.extra_repr()})", indices, self.num_embeddings)
        return EmbeddingLookup.apply(self.weight, indices, padding_idx=self.padding_idx)

    def extra_repr(self):
        extra = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{extra}"
