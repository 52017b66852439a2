"""Weight penalties: a Tensor added to the loss, so autograd differentiates it once.

    L1(l1)        penalty(w) = l1 * sum |w|              (pushes weights to exactly zero)
    L2(l2)        penalty(w) = l2 * sum w^2              (weight decay: shrinks every weight)
    L1L2(l1, l2)  penalty(w) = l1 * sum |w| + l2 * sum w^2

This is Keras's convention: no factor 1/2 in the L2 term, so its gradient is 2 * l2 * w.
A layer takes one through `regularizer=` and reports it from `penalty()`; the model's
`regularization_loss()` sums them, and `mn.fit` adds that to the data loss.

    >>> w = mn.nn.Parameter([[1.0, -2.0]])
    >>> mn.regularizers.L1L2(l1=0.1, l2=0.01)(w)
    tensor(0.35000002, dtype=float32, requires_grad=True)
"""
import numbers

from minnet.tensor import Tensor


def _strength(owner, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner} expected a number for {name}, got {type(value).__name__}")
    if not value >= 0:        # also refuses NaN
        raise ValueError(f"{owner} expected {name} >= 0, got {value}")
    return float(value)


class Regularizer:
    """Base class: a callable `penalty(w) -> scalar Tensor`."""

    def __call__(self, weight):
        if not isinstance(weight, Tensor):
            raise TypeError(f"{self!r} expected a Tensor or Parameter, got {type(weight).__name__}")
        return self.penalty(weight)

    def penalty(self, weight):
        raise NotImplementedError(f"{type(self).__name__} must define penalty(self, weight) -> Tensor")


class L1L2(Regularizer):
    """penalty(w) = l1 * sum |w| + l2 * sum w^2;  gradient l1 * sign(w) + 2 * l2 * w.

    A term whose strength is 0 is left out of the graph entirely.
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _strength(type(self).__name__, "l1", l1)
        self.l2 = _strength(type(self).__name__, "l2", l2)

    def penalty(self, weight):
        total = None
        if self.l1:
            total = self.l1 * weight.abs().sum()
        if self.l2:
            squares = self.l2 * (weight * weight).sum()
            total = squares if total is None else total + squares
        if total is None:
            return Tensor(0.0, dtype=weight.dtype)
        return total

    def __repr__(self):
        return f"L1L2(l1={self.l1:g}, l2={self.l2:g})"


class L1(L1L2):
    """penalty(w) = l1 * sum |w| (lasso);  gradient l1 * sign(w), 0 at w = 0."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1, l2=0.0)

    def __repr__(self):
        return f"L1(l1={self.l1:g})"


class L2(L1L2):
    """penalty(w) = l2 * sum w^2 (ridge, weight decay);  gradient 2 * l2 * w."""

    def __init__(self, l2=0.01):
        super().__init__(l1=0.0, l2=l2)

    def __repr__(self):
        return f"L2(l2={self.l2:g})"
