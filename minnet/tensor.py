"""Tensor: a numpy array that remembers how it was made, so gradients can flow back.

    >>> x = mn.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    array([2., 4., 6.], dtype=float32)

Every operator below is a `Function` from ops.py; `backward()` walks the recorded graph
in reverse topological order and applies each op's local backward rule (the chain rule).
"""
import heapq
import numbers
import sys

import numpy as np

from minnet import guard
from minnet.config import get_default_dtype


def _to_array(data, dtype=None, copy=False):
    """numpy arrays keep their dtype; Python numbers and lists take the default float dtype."""
    if isinstance(data, Tensor):
        data = data._data
    if type(data) is guard.HeldArray:    # Tensor.data's view of a held array: that array
        data = guard.plain_array(data)
    if isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data)
    else:
        try:
            array = np.asarray(data, dtype=dtype or get_default_dtype())
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"Tensor expected numeric data (a number, a nested list of numbers or a numpy "
                f"array), got {type(data).__name__}: {error}") from None
    if array.dtype.kind not in "fiub":
        raise TypeError(
            f"Tensor expected numeric data (float, int or bool), got an array of dtype {array.dtype}")
    if dtype is not None and array.dtype != dtype:
        array = array.astype(dtype)
    elif copy and isinstance(data, np.ndarray):
        array = array.copy()
    return array


class Tensor:
    """An n-dimensional array with an optional gradient.

    Tensor(data, requires_grad=False, dtype=None): `data` is a number, nested list or numpy
    array, always copied (as `torch.tensor`): changing the array later does not change the
    tensor. `mn.from_numpy(array)` shares the array's memory instead. Arrays keep their dtype;
    numbers and lists become `mn.get_default_dtype()`. Only floating tensors can require grad.

    While a recorded op waits for backward, its inputs' and output's arrays are read-only: a
    numpy write such as `x.data[:] = 0` raises a ValueError that names the op holding the
    array, instead of making the gradient silently wrong (minnet.guard). The tensor's
    own in-place operators (`-=`, `zero_()`, ...) and optimisers copy a held array instead
    (minnet.inplace). backward() releases the arrays, and so does dropping the graph.
    """

    # Makes `ndarray + Tensor` call Tensor.__radd__ instead of numpy broadcasting over it.
    __array_priority__ = 1000

    def __init__(self, data, requires_grad=False, dtype=None):
        self._init(_to_array(data, None if dtype is None else np.dtype(dtype), copy=True),
                   requires_grad)

    @classmethod
    def _wrap(cls, array, requires_grad=False):
        """A tensor around `array` itself, not a copy (for op outputs and from_numpy)."""
        tensor = cls.__new__(cls)
        tensor._init(_to_array(array), requires_grad)
        return tensor

    def _init(self, data, requires_grad):
        self._data = data
        if requires_grad and self._data.dtype.kind != "f":
            raise TypeError(f"only floating tensors can require grad, got dtype {self._data.dtype}")
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._ctx = None           # the Context of the op that made this tensor (None for leaves)
        self._retain_grad = False

    # --- the array ----------------------------------------------------------------------------
    @property
    def data(self):
        """The numpy array behind the tensor (shared, not copied).

        While a recorded op holds it for backward it is read-only, and it comes as a read-only
        view whose write errors say which op holds it and how to let it go (minnet.guard).
        """
        array = self._data
        if id(array) in guard._held:
            return guard.explained_view(array, self)
        return array

    @data.setter
    def data(self, array):
        # A numpy scalar (what arithmetic on a 0-d array gives) or a list becomes an array.
        self._data = array if type(array) is np.ndarray else _to_array(array)

    # --- numpy-like attributes -------------------------------------------------------------
    @property
    def shape(self):
        return self._data.shape

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def size(self):
        return self._data.size

    @property
    def is_leaf(self):
        """True for tensors made by the user rather than by an op."""
        return self._ctx is None

    def numpy(self):
        """The underlying array (shared, not copied; read-only while a graph holds it)."""
        return self.data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self._data.item()

    def detach(self):
        """A tensor sharing this data but cut off from the graph."""
        return Tensor._wrap(self._data)

    def retain_grad(self):
        """Keep .grad on this non-leaf tensor after backward (leaves always keep theirs)."""
        self._retain_grad = True
        return self

    def __len__(self):
        return len(self._data)

    def __bool__(self):
        # As numpy: only a one-element tensor has a truth value. Without this, Python would
        # fall back on len(), and `if x == y:` would be true for any non-empty x and y.
        return bool(self._data)

    def __repr__(self):
        body = np.array2string(self._data, separator=", ", prefix="tensor(")
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"tensor({body}, dtype={self.dtype}{grad})"

    # --- autograd -------------------------------------------------------------------------
    def backward(self, grad=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) * grad into `.grad` of every leaf that requires grad.

        `grad` defaults to 1 for a one-element tensor. The graph is released afterwards
        (its saved arrays freed) unless `retain_graph=True`.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad: no input of the "
                "computation had requires_grad=True (or it ran inside mn.no_grad())")
        if grad is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a one-element tensor, got shape "
                    f"{self.shape}; reduce it first (e.g. .sum() or .mean()) or pass grad=")
            grad = np.ones_like(self._data)
        else:
            grad = np.asarray(_data(grad), dtype=self.dtype)
            if grad.shape != self.shape:
                raise ValueError(
                    f"backward() got grad of shape {grad.shape} for a tensor of shape {self.shape}")

        # The gradient that has reached each op output so far, by id. Ops are numbered as
        # they are recorded (Context.number) and an op's inputs always existed before it, so
        # taking op outputs highest number first visits each one after every op that used it:
        # after all of its gradient has arrived. Leaves only collect (leaf, gradient) pairs.
        grads, pending, leaf_grads = {}, [], []
        if self._ctx is None:
            leaf_grads.append((self, grad))
        else:
            grads[id(self)] = grad
            pending.append((-self._ctx.number, self))
        while pending:
            node = heapq.heappop(pending)[1]
            node_grad = grads.pop(id(node))
            if node._retain_grad:
                node.grad = (_unshared(node_grad, node.dtype, steal=False)
                             if node.grad is None else _summed(node.grad, node_grad, node.dtype))
            ctx = node._ctx
            if ctx.released:
                raise RuntimeError(
                    f"backward() reached a {ctx.function.__name__} whose graph was already "
                    f"released by an earlier backward(); pass retain_graph=True to the first "
                    f"call to go through the same graph twice")
            ctx.last_use = not retain_graph     # the op may consume its saved arrays
            for parent, parent_grad in zip(ctx.parents, call_backward(ctx, node_grad)):
                if parent_grad is None or not parent.requires_grad:
                    continue
                if type(parent_grad) is not np.ndarray or parent_grad.shape != parent._data.shape:
                    parent_grad = checked_grad(ctx, parent, parent_grad)
                if parent._ctx is None:
                    leaf_grads.append((parent, parent_grad))
                    continue
                key = id(parent)
                if key in grads:
                    # A tensor used twice receives the sum of its gradients (multivariate chain rule).
                    grads[key] = grads[key] + parent_grad
                else:
                    grads[key] = parent_grad
                    heapq.heappush(pending, (-parent._ctx.number, parent))
            parent_grad = None      # no stray reference: a leaf may take the array over (_unshared)
            if not retain_graph:
                ctx.release()
        # Leaves last, when no op's gradient tuple refers to their arrays any more, so a leaf
        # may take its array over (_unshared) instead of copying it. A leaf used twice gets
        # the sum of its gradients here.
        while leaf_grads:
            leaf, leaf_grad = leaf_grads.pop()
            leaf.grad = (_unshared(leaf_grad, leaf.dtype, steal=True)
                         if leaf.grad is None else _summed(leaf.grad, leaf_grad, leaf.dtype))

    # --- operators (each one a Function in ops.py) ------------------------------------------
    def __add__(self, other): return ops.Add.apply(self, other)
    def __radd__(self, other): return ops.Add.apply(other, self)
    def __sub__(self, other): return ops.Sub.apply(self, other)
    def __rsub__(self, other): return ops.Sub.apply(other, self)
    def __mul__(self, other): return ops.Mul.apply(self, other)
    def __rmul__(self, other): return ops.Mul.apply(other, self)
    def __truediv__(self, other): return ops.Div.apply(self, other)
    def __rtruediv__(self, other): return ops.Div.apply(other, self)
    def __matmul__(self, other): return ops.MatMul.apply(self, other)
    def __rmatmul__(self, other): return ops.MatMul.apply(other, self)
    def __pow__(self, other): return ops.Pow.apply(self, other)
    def __rpow__(self, other): return ops.Pow.apply(other, self)
    def __neg__(self): return ops.Neg.apply(self)
    def __getitem__(self, index): return ops.GetItem.apply(self, index=_index_data(index))

    # In place (minnet/inplace.py): under no_grad they change this tensor's array, as in
    # `p -= lr * p.grad`; on a parameter outside no_grad they raise PyTorch's error.
    def __iadd__(self, other): return inplace.arithmetic(self, other, "+")
    def __isub__(self, other): return inplace.arithmetic(self, other, "-")
    def __imul__(self, other): return inplace.arithmetic(self, other, "*")
    def __itruediv__(self, other): return inplace.arithmetic(self, other, "/")

    def zero_(self):
        """Set every element to 0 in place (under no_grad for a parameter)."""
        return inplace.method(self, "zero_", lambda a: a.fill(0))

    def fill_(self, value):
        """Set every element to `value` in place."""
        return inplace.method(self, "fill_", lambda a: a.fill(_data(value)))

    def copy_(self, source):
        """Copy `source` (broadcast to this shape) into this tensor in place."""
        return inplace.method(self, "copy_", lambda a: np.copyto(a, _data(source), casting="same_kind"),
                              source=source)

    def clamp_(self, min=None, max=None):
        """Clip every element into [min, max] in place."""
        if min is None and max is None:
            raise ValueError("clamp_() needs min, max or both")
        return inplace.method(self, "clamp_", lambda a: np.clip(a, _data(min), _data(max), out=a))

    # Comparisons give boolean tensors and record no gradient.
    def __lt__(self, other): return Tensor._wrap(self._data < _data(other))
    def __le__(self, other): return Tensor._wrap(self._data <= _data(other))
    def __gt__(self, other): return Tensor._wrap(self._data > _data(other))
    def __ge__(self, other): return Tensor._wrap(self._data >= _data(other))
    def __eq__(self, other): return Tensor._wrap(self._data == _data(other))
    def __ne__(self, other): return Tensor._wrap(self._data != _data(other))
    __hash__ = object.__hash__   # defining __eq__ would otherwise make tensors unhashable

    # --- methods ----------------------------------------------------------------------------
    def sum(self, axis=None, keepdims=False): return ops.Sum.apply(self, axis=axis, keepdims=keepdims)
    def mean(self, axis=None, keepdims=False): return ops.Mean.apply(self, axis=axis, keepdims=keepdims)
    def max(self, axis=None, keepdims=False): return ops.Max.apply(self, axis=axis, keepdims=keepdims)
    def min(self, axis=None, keepdims=False): return ops.Min.apply(self, axis=axis, keepdims=keepdims)
    def exp(self): return ops.Exp.apply(self)
    def log(self): return ops.Log.apply(self)
    def sqrt(self): return ops.Sqrt.apply(self)
    def abs(self): return ops.Abs.apply(self)
    def clip(self, min=None, max=None): return ops.Clip.apply(self, min=min, max=max)
    def sin(self): return math_ops.Sin.apply(self)
    def cos(self): return math_ops.Cos.apply(self)
    def tanh(self): return math_ops.Tanh.apply(self)
    def sigmoid(self): return math_ops.Sigmoid.apply(self)
    def relu(self): return math_ops.ReLU.apply(self)
    def maximum(self, other): return math_ops.Maximum.apply(self, other)
    def minimum(self, other): return math_ops.Minimum.apply(self, other)

    def logsumexp(self, axis=None, keepdims=False):
        """ln sum e^x over `axis`, computed without overflow."""
        return math_ops.LogSumExp.apply(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape):
        """reshape(2, 3) or reshape((2, 3)); one dimension may be -1."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.Reshape.apply(self, shape=shape)

    def transpose(self, *axes):
        """Reverse the axes, or permute them as given: transpose(0, 2, 1)."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return ops.Transpose.apply(self, axes=axes or None)

    @property
    def T(self):
        return self.transpose()


def _summed(grad, new_grad, dtype):
    """grad + new_grad in the tensor's dtype: a float32 parameter's .grad stays float32 over
    any number of backward calls, also when an op's backward promoted its gradient."""
    return np.add(grad, new_grad, dtype=dtype, casting="same_kind")


def _unshared(grad, dtype, steal):
    """grad itself when nothing else refers to it (and steal is allowed), else a copy.

    Like PyTorch's AccumulateGrad, a leaf takes over a gradient that nobody else holds
    instead of copying it: matmul and reduction gradients are fresh arrays, and a copy of
    every weight gradient would be a pass over memory for nothing. getrefcount counts the
    caller's name, our argument and its own argument (3 on Python 3.11+; 3.10's calls keep
    one more on the caller's stack): _ALONE, measured below, means no other grad, saved
    array or user variable can see this array. Only leaves steal: a retained non-leaf grad
    is also passed on to backward.
    """
    if (steal and sys.getrefcount(grad) <= _ALONE and grad.base is None and grad.dtype == dtype
            and grad.flags.writeable):
        return grad
    return np.array(grad, dtype=dtype)


def _references_inside(grad, dtype, steal):
    return sys.getrefcount(grad)


def _references_when_alone():
    """getrefcount inside a function called as _unshared is, for an array only a local holds."""
    grad = np.empty(1)
    return _references_inside(grad, grad.dtype, steal=True)


_ALONE = _references_when_alone()


def _data(x):
    return x._data if isinstance(x, Tensor) else x


def _index_data(index):
    """Tensors used as indices become their arrays."""
    if isinstance(index, tuple):
        return tuple(_data(i) for i in index)
    return _data(index)


def tensor(data, requires_grad=False, dtype=None):
    """Shorthand for Tensor(data, requires_grad, dtype), as in torch.tensor: a copy of data."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def from_numpy(array, requires_grad=False):
    """A tensor that shares `array`'s memory, as torch.from_numpy: no copy is made.

    A write to the array is a write to the tensor. While a recorded op holds the tensor for
    backward, the array is read-only, so such a write raises instead of corrupting a gradient.

        >>> a = np.array([1.0, 2.0], dtype=np.float32)
        >>> mn.from_numpy(a).data is a
        True
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expected a numpy array, got {type(array).__name__}")
    return Tensor._wrap(array, requires_grad=requires_grad)


def as_tensor(x, like=None):
    """x itself if it is a Tensor; otherwise a constant Tensor.

    A Python number next to a floating tensor takes that tensor's dtype, so that
    `x * 2` stays float32 when x is float32.
    """
    if isinstance(x, Tensor):
        return x
    if isinstance(x, numbers.Number) and like is not None and like.dtype.kind == "f":
        return Tensor._wrap(np.asarray(x, dtype=like.dtype))
    return Tensor._wrap(_to_array(x))


# Imported last because ops.py and function.py build on Tensor (defined above):
# the operators above look them up only when they run.
from minnet import ops, math_ops  # noqa: E402
from minnet.function import call_backward, checked_grad  # noqa: E402
from minnet import inplace  # noqa: E402
