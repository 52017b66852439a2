"""Loss layers: Modules called as loss(prediction, target) that return a Tensor.

    MSELoss            (p - t)^2
    L1Loss             |p - t|
    HuberLoss(delta)   0.5 d^2 if |d| < delta else delta * (|d| - delta / 2),  d = p - t
    BCELoss            -(t log p + (1 - t) log(1 - p)),  p a probability
    BCEWithLogitsLoss  the same on a logit x, p = sigmoid(x), computed without sigmoid
    CrossEntropyLoss   -log softmax(x)_y,  x logits (N, C), y integer labels (N,)
    NLLLoss            -x_y,  x log-probabilities (N, C)

`reduction` is "mean" (the default), "sum" or "none" (one loss per element or sample), as in
PyTorch. The probability losses are written in their stable forms (each Function below says
how), so logits of +/-1e4 give finite losses and gradients without warnings.

    >>> loss = mn.nn.CrossEntropyLoss()
    >>> loss(mn.Tensor([[2.0, 0.0], [0.0, 2.0]]), np.array([0, 1]))
    tensor(0.12692805, dtype=float32)
"""
import numpy as np

from minnet.config import get_default_dtype
from minnet.function import Function
from minnet.nn.module import Module
from minnet.tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")
LOG_FLOOR = -100.0   # BCELoss clamps log p at -100, as PyTorch does, so p = 0 costs 100 not inf
BCE_EPS = 1e-12      # PyTorch's floor on p (1 - p) in BCELoss's gradient


class Loss(Module):
    """Base class of every loss: a Module called as loss(prediction, target) -> Tensor.

    It stores and checks `reduction` ("mean", "sum" or "none"); a subclass writes forward
    with two helpers: `check_pair(prediction, target)` (both as Tensors of one shape, the
    target finite, errors naming the loss) and `reduce(losses)` (per-element losses to the
    reduction asked for).

        class LogCosh(mn.nn.Loss):
            # l = log(cosh(d)) = |d| + log(1 + e^(-2|d|)) - log 2,  d = p - t: no overflow
            def forward(self, prediction, target):
                prediction, target = self.check_pair(prediction, target)
                d = (prediction - target).abs()
                return self.reduce(d + (1 + (-2 * d).exp()).log() - math.log(2))

    Shape: prediction (*), target (*) of the same shape -> scalar ((*) with reduction="none").
    """

    def __init__(self, reduction="mean"):
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{type(self).__name__} expected reduction in {_REDUCTIONS}, "
                             f"got {reduction!r}")
        self.reduction = reduction

    def reduce(self, losses):
        """The mean or the sum of `losses` (a Tensor), or the losses themselves for "none"."""
        if self.reduction == "mean":
            return losses.mean()
        if self.reduction == "sum":
            return losses.sum()
        return losses

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"

    def check_pair(self, prediction, target):
        """prediction as a Tensor, target as a Tensor of the same shape and floating dtype."""
        if not isinstance(prediction, Tensor):
            prediction = Tensor(prediction)
        if prediction.dtype.kind != "f":       # integer predictions: a float loss, as for floats
            like = target.dtype if isinstance(target, Tensor) and target.dtype.kind == "f" else None
            prediction = Tensor(prediction.data, dtype=like or get_default_dtype())
        if not isinstance(target, Tensor):
            target = Tensor(np.asarray(target, dtype=prediction.dtype))
        if prediction.shape != target.shape:
            raise ValueError(f"{type(self).__name__} expected prediction and target of the same "
                             f"shape, got {prediction.shape} and {target.shape}")
        if not np.all(np.isfinite(target.data)):
            raise ValueError(f"{type(self).__name__} got a target with NaN or infinite values")
        return prediction, target


class MSELoss(Loss):
    """Mean squared error: l = (p - t)^2;  dl/dp = 2 (p - t).

    Shape: prediction (*), target (*) of the same shape -> scalar ((*) with reduction="none").
    """

    def forward(self, prediction, target):
        prediction, target = self.check_pair(prediction, target)
        difference = prediction - target
        return self.reduce(difference * difference)


class L1Loss(Loss):
    """Mean absolute error: l = |p - t|;  dl/dp = sign(p - t).

    Shape: prediction (*), target (*) of the same shape -> scalar ((*) with reduction="none").
    """

    def forward(self, prediction, target):
        prediction, target = self.check_pair(prediction, target)
        return self.reduce((prediction - target).abs())


class HuberLoss(Loss):
    """Huber loss: quadratic near 0, linear beyond delta (robust to outliers).

    l = 0.5 d^2 if |d| < delta else delta (|d| - delta / 2),  d = p - t;
    dl/dp = d if |d| < delta else delta sign(d).
    Shape: prediction (*), target (*) of the same shape -> scalar ((*) with reduction="none").
    """

    def __init__(self, delta=1.0, reduction="mean"):
        super().__init__(reduction)
        if not delta > 0:
            raise ValueError(f"HuberLoss expected delta > 0, got {delta}")
        self.delta = float(delta)

    def forward(self, prediction, target):
        prediction, target = self.check_pair(prediction, target)
        return self.reduce(_Huber.apply(prediction, target, delta=self.delta))

    def extra_repr(self):
        return ", ".join(filter(None, [f"delta={self.delta:g}", super().extra_repr()]))


class _Huber(Function):
    """l = q (|d| - q / 2) with q = min(|d|, delta), d = p - t (0.5 d^2 inside, linear outside);
    dl/dp = clip(d, -delta, delta) = -dl/dt.

    q keeps d^2 out of the formula: a prediction of 1e30 or inf gives a finite gradient
    (delta), where squaring would overflow and 0 * inf would make it NaN."""

    @staticmethod
    def forward(ctx, p, t, delta):
        d = p - t
        size = np.abs(d)
        q = np.minimum(size, delta)
        ctx.save_for_backward(np.clip(d, -delta, delta))
        return q * (size - 0.5 * q)

    @staticmethod
    def backward(ctx, grad):
        (slope,) = ctx.saved
        return grad * slope, -grad * slope


# --- binary cross-entropy ----------------------------------------------------------------------

class _BinaryCrossEntropy(Function):
    """l = -(t max(log p, -100) + (1 - t) max(log(1 - p), -100));
    dl/dp = (p - t) / max(p (1 - p), 1e-12)  (PyTorch's clamps)."""

    @staticmethod
    def forward(ctx, p, t):
        ctx.save_for_backward(p, t)
        with np.errstate(divide="ignore"):         # log 0 = -inf, clamped on the next line
            log_p = np.maximum(np.log(p), LOG_FLOOR)
            log_not_p = np.maximum(np.log1p(-p), LOG_FLOOR)
        return -(t * log_p + (1 - t) * log_not_p)

    @staticmethod
    def backward(ctx, grad):
        p, t = ctx.saved
        return grad * (p - t) / np.maximum(p * (1 - p), BCE_EPS), None


class BCELoss(Loss):
    """Binary cross-entropy on probabilities: l = -(t log p + (1 - t) log(1 - p)).

    log is clamped at -100 (PyTorch's convention) so p of exactly 0 or 1 stays finite.
    Prefer BCEWithLogitsLoss on logits: it never needs the clamp.
    Shape: prediction (*) in [0, 1], target (*) in [0, 1] -> scalar ((*) with reduction="none").
    """

    def forward(self, prediction, target):
        prediction, target = self.check_pair(prediction, target)
        p = prediction.data
        nans = np.count_nonzero(np.isnan(p))
        if nans:           # as PyTorch: a NaN loss would hide where the NaN came from
            raise ValueError(f"BCELoss expected probabilities in [0, 1], got NaN in {nans} of "
                             f"{p.size} values; the model's output is NaN (a diverged run, or NaN "
                             f"in its input)")
        if np.any((p < 0) | (p > 1)):
            raise ValueError(f"BCELoss expected probabilities in [0, 1], got values from "
                             f"{np.nanmin(p):g} to {np.nanmax(p):g}; apply a Sigmoid first, or "
                             f"use BCEWithLogitsLoss on the logits")
        t = target.data
        if np.any((t < 0) | (t > 1)):
            raise ValueError(f"BCELoss expected targets in [0, 1], got values from {t.min():g} "
                             f"to {t.max():g}; the target is a probability (0/1 labels or "
                             f"soft labels in between)")
        return self.reduce(_BinaryCrossEntropy.apply(prediction, target))


class _BinaryCrossEntropyWithLogits(Function):
    """l = (1 - t) x + w (log(1 + e^-|x|) + max(-x, 0)),  w = 1 + (pos_weight - 1) t;
    dl/dx = (1 - t) + w (sigmoid(x) - 1)  (= sigmoid(x) - t when pos_weight = 1).

    Both forms use e^-|x| only, which never overflows, so |x| = 1e4 is safe."""

    @staticmethod
    def forward(ctx, x, t, pos_weight=None):
        exp_neg_abs = np.exp(-np.abs(x))
        # sigmoid(x) from e^-|x|: 1/(1+e) for x >= 0, e/(1+e) for x < 0; both branches agree at 0.
        sigmoid = np.where(x >= 0, 1, exp_neg_abs) / (1 + exp_neg_abs)
        softplus_neg = np.log1p(exp_neg_abs) + np.maximum(-x, 0)       # log(1 + e^-x)
        scale = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
        ctx.save_for_backward(sigmoid, t, scale)
        return (1 - t) * x + scale * softplus_neg

    @staticmethod
    def backward(ctx, grad):
        sigmoid, t, scale = ctx.saved
        return grad * ((1 - t) + scale * (sigmoid - 1)), None


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits x (sigmoid folded in, stable for any x).

    l = max(x, 0) - x t + log(1 + e^-|x|);  dl/dx = sigmoid(x) - t.
    pos_weight (one number or one per class) multiplies the positive term, as in PyTorch.
    Shape: prediction (*), target (*) in [0, 1] -> scalar ((*) with reduction="none").

        >>> mn.nn.BCEWithLogitsLoss()(mn.Tensor([1e4, -1e4]), np.array([1.0, 0.0]))
        tensor(0., dtype=float32)
    """

    def __init__(self, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.pos_weight = None if pos_weight is None else np.asarray(pos_weight, dtype=np.float64)

    def forward(self, prediction, target):
        prediction, target = self.check_pair(prediction, target)
        pos_weight = None if self.pos_weight is None else self.pos_weight.astype(prediction.dtype)
        return self.reduce(_BinaryCrossEntropyWithLogits.apply(prediction, target,
                                                                pos_weight=pos_weight))


# --- multi-class cross-entropy ------------------------------------------------------------------

def _check_labels(owner, scores, labels, what):
    """labels as an integer array of shape (N,) with values in [0, C)."""
    if scores.ndim != 2:
        raise ValueError(f"{owner} expected {what} of shape (N, C), got shape {scores.shape}")
    labels = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
    if labels.shape != scores.shape[:1]:
        raise ValueError(f"{owner} expected integer labels of shape ({scores.shape[0]},) for "
                         f"{what} of shape {scores.shape}, got labels of shape {labels.shape}")
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise ValueError(f"{owner} expected integer class labels, got non-integer values "
                             f"such as {labels[labels != np.round(labels)][:3]} (dtype {labels.dtype})")
        labels = labels.astype(np.int64)
    elif labels.dtype.kind not in "iu":
        raise TypeError(f"{owner} expected integer class labels, got dtype {labels.dtype}")
    classes = scores.shape[1]
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        bad = labels[(labels < 0) | (labels >= classes)]
        raise ValueError(f"{owner} got labels out of range for {classes} classes (expected 0 to "
                         f"{classes - 1}): {np.unique(bad)[:5].tolist()}")
    return labels


def _check_weight(owner, weight):
    if weight is None:
        return None
    weight = np.asarray(getattr(weight, "data", weight), dtype=np.float64)
    if weight.ndim != 1 or np.any(weight < 0) or not np.all(np.isfinite(weight)):
        raise ValueError(f"{owner} expected weight to be a 1-D array of non-negative class "
                         f"weights, got {weight!r}")
    return weight


def _class_weights(owner, weight, classes, dtype):
    if weight is None:
        return None
    if weight.shape != (classes,):
        raise ValueError(f"{owner} has {weight.shape[0]} class weights but the input has "
                         f"{classes} classes")
    return weight.astype(dtype)


def _reduce_per_sample(losses, reduction, denominator):
    if reduction == "none":
        return losses
    total = losses.sum()
    return total if reduction == "sum" else total / denominator


def _scale_per_sample(grad, reduction, denominator):
    """The factor each sample's gradient is multiplied by: grad[i], grad or grad / denominator."""
    if reduction == "none":
        return grad[:, None]
    return grad if reduction == "sum" else grad / denominator


class _SoftmaxCrossEntropy(Function):
    """Fused log-softmax + negative log-likelihood, with optional class weights w and label
    smoothing e over C classes:

        l_i = (1 - e) w_y (-log p_iy) + (e / C) sum_c w_c (-log p_ic),   p = softmax(x_i)
        dl_i/dx_i = (1 - e) w_y (p - onehot(y)) + (e / C) (sum(w) p - w)

    log softmax is x - max - log(sum e^(x - max)) (log-sum-exp), so no exp overflows;
    "mean" divides by sum_i w_yi (N without weights), as PyTorch does. `keep` (or None) is
    False for the samples whose label is ignore_index: their loss and gradient are 0 and they
    do not count in the mean."""

    @staticmethod
    def forward(ctx, logits, labels, weight, label_smoothing, reduction, keep=None):
        rows = np.arange(len(labels))
        classes = logits.shape[1]
        log_probs = logits - logits.max(axis=1, keepdims=True)
        log_probs -= np.log(np.exp(log_probs).sum(axis=1, keepdims=True))
        losses = -log_probs[rows, labels]
        if weight is None:
            label_weight, denominator = None, len(labels)
        else:
            label_weight = weight[labels]
            losses *= label_weight
            denominator = label_weight.sum()
        if label_smoothing:
            smooth = -(log_probs.sum(axis=1) if weight is None else log_probs @ weight)
            losses = (1 - label_smoothing) * losses + (label_smoothing / classes) * smooth
        if keep is not None:
            losses = losses * keep
            denominator = keep.sum(dtype=logits.dtype) if weight is None else (label_weight * keep).sum()
        ctx.save_for_backward(log_probs, labels, label_weight, weight, keep)
        ctx.options = label_smoothing, reduction, denominator
        with np.errstate(invalid="ignore"):      # every label ignored: 0 / 0 = NaN, as PyTorch
            return np.asarray(_reduce_per_sample(losses, reduction, denominator), dtype=logits.dtype)

    @staticmethod
    def backward(ctx, grad):
        log_probs, labels, label_weight, weight, keep = ctx.saved
        label_smoothing, reduction, denominator = ctx.options
        classes = log_probs.shape[1]
        probs = np.exp(log_probs)
        rows = np.arange(len(labels))
        hard = 1 - label_smoothing
        if weight is None:
            probs[rows, labels] -= hard
            if label_smoothing:
                probs -= label_smoothing / classes
        else:
            soft = label_smoothing / classes
            probs *= (hard * label_weight + soft * weight.sum())[:, None]
            probs[rows, labels] -= hard * label_weight
            if label_smoothing:
                probs -= soft * weight
        if keep is not None:
            probs *= keep[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            probs *= _scale_per_sample(grad, reduction, denominator)
        return probs


class CrossEntropyLoss(Loss):
    """Cross-entropy of logits against integer class labels: l = -log softmax(x)_y.

    Softmax is folded in (do not put a Softmax layer before it); the fused backward is
    dl/dx = softmax(x) - onehot(y), divided by N for reduction="mean".
    weight: optional per-class weights (C,); label_smoothing e in [0, 1) mixes the one-hot
    target with the uniform distribution, as in PyTorch. Labels equal to ignore_index (-100 by
    default, PyTorch's) add nothing to the loss and are not counted in the mean (padding).
    Shape: logits (N, C), labels (N,) integers in [0, C) -> scalar ((N,) with reduction="none");
    over sequences as in PyTorch, logits (N, C, d1, ...) with labels (N, d1, ...), e.g. a
    language model's (N, vocabulary, T) against the next tokens (N, T).

        >>> mn.nn.CrossEntropyLoss()(mn.Tensor([[1e4, -1e4]]), np.array([1]))
        tensor(20000., dtype=float32)
    """

    def __init__(self, weight=None, reduction="mean", label_smoothing=0.0, ignore_index=-100):
        super().__init__(reduction)
        if not 0 <= label_smoothing < 1:
            raise ValueError(f"CrossEntropyLoss expected 0 <= label_smoothing < 1, got {label_smoothing}")
        self.weight = _check_weight("CrossEntropyLoss", weight)
        self.label_smoothing = float(label_smoothing)
        self.ignore_index = int(ignore_index)

    def forward(self, logits, labels):
        if not isinstance(logits, Tensor):
            logits = Tensor(logits)
        labels = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
        positions = None
        if logits.ndim > 2:          # (N, C, d1, ...): every position a sample, classes last
            positions = (logits.shape[0],) + logits.shape[2:]
            if labels.shape != positions:
                raise ValueError(f"CrossEntropyLoss expected labels of shape {positions} for logits "
                                 f"of shape {logits.shape} (N, C, d1, ...), got labels of shape "
                                 f"{labels.shape}")
            axes = (0,) + tuple(range(2, logits.ndim)) + (1,)
            logits = logits.transpose(*axes).reshape(-1, logits.shape[1])
            labels = labels.reshape(-1)
        keep = None
        ignored = labels == self.ignore_index
        if labels.shape == logits.shape[:1] and ignored.any():
            keep, labels = ~ignored, np.where(ignored, 0, labels)
        labels = _check_labels("CrossEntropyLoss", logits, labels, "logits")
        weight = _class_weights("CrossEntropyLoss", self.weight, logits.shape[1], logits.dtype)
        losses = _SoftmaxCrossEntropy.apply(
            logits, labels=labels, weight=weight, label_smoothing=self.label_smoothing,
            reduction=self.reduction, keep=None if keep is None else keep.astype(logits.dtype))
        return losses.reshape(positions) if positions and self.reduction == "none" else losses

    def extra_repr(self):
        extras = [super().extra_repr()]
        if self.label_smoothing:
            extras.append(f"label_smoothing={self.label_smoothing:g}")
        if self.weight is not None:
            extras.append(f"weight={self.weight.tolist()}")
        if self.ignore_index != -100:
            extras.append(f"ignore_index={self.ignore_index}")
        return ", ".join(filter(None, extras))


class _NegativeLogLikelihood(Function):
    """l_i = -w_y x_iy;  dl_i/dx_ic = -w_y where c = y_i, else 0."""

    @staticmethod
    def forward(ctx, log_probs, labels, weight, reduction):
        rows = np.arange(len(labels))
        label_weight = np.ones(len(labels), log_probs.dtype) if weight is None else weight[labels]
        losses = -log_probs[rows, labels] * label_weight
        denominator = label_weight.sum()
        ctx.save_for_backward(labels, label_weight)
        ctx.options = log_probs.shape, reduction, denominator
        return np.asarray(_reduce_per_sample(losses, reduction, denominator), dtype=log_probs.dtype)

    @staticmethod
    def backward(ctx, grad):
        labels, label_weight = ctx.saved
        shape, reduction, denominator = ctx.options
        out = np.zeros(shape, dtype=label_weight.dtype)
        out[np.arange(len(labels)), labels] = -label_weight
        out *= _scale_per_sample(grad, reduction, denominator)
        return out


class NLLLoss(Loss):
    """Negative log-likelihood of log-probabilities: l = -x_y (weighted by weight[y] if given).

    Pair it with a LogSoftmax layer; LogSoftmax + NLLLoss = CrossEntropyLoss.
    Shape: log-probabilities (N, C), labels (N,) -> scalar ((N,) with reduction="none").
    """

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = _check_weight("NLLLoss", weight)

    def forward(self, log_probs, labels):
        if not isinstance(log_probs, Tensor):
            log_probs = Tensor(log_probs)
        labels = _check_labels("NLLLoss", log_probs, labels, "log-probabilities")
        weight = _class_weights("NLLLoss", self.weight, log_probs.shape[1], log_probs.dtype)
        return _NegativeLogLikelihood.apply(log_probs, labels=labels, weight=weight,
                                            reduction=self.reduction)
