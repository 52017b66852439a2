"""Metrics for `fit`: the names it accepts, how outputs become labels, and the checks that make
a metric that cannot read the model's outputs fail before training, not after an epoch.

    accuracy, subset_accuracy, f1_micro, f1_macro, hamming   (labels: argmax or a threshold)
    mse, mae, r2                                             (values, one per target)

A callable metric(y_true, output) is accepted too; its __name__ names its History series.
"""
import numpy as np

from minnet.nn.losses import BCELoss, BCEWithLogitsLoss, HuberLoss, L1Loss, MSELoss


class _NoThreshold:
    """Stands for a threshold fit could not derive; a metric that needs one raises its reason."""

    def __init__(self, reason):
        self.reason = reason


def decision_threshold(loss_fn, y, threshold=None):
    """(threshold, reason): where one output per label becomes a 0/1 prediction, and why.

    Given explicitly, it is used. Otherwise it follows from the loss: BCELoss takes
    probabilities (0.5), BCEWithLogitsLoss logits (0); MSELoss, L1Loss and HuberLoss regress
    onto the two label values, so the cut is their midpoint (0.5 for 0/1 labels). For any
    other loss it cannot be known, and a metric that needs it raises, asking for threshold=.
    """
    if threshold is not None:
        return float(threshold), f"threshold={threshold:g} as given"
    if isinstance(loss_fn, BCELoss):
        return 0.5, "0.5: BCELoss takes probabilities"
    if isinstance(loss_fn, BCEWithLogitsLoss):
        return 0.0, "0: BCEWithLogitsLoss takes logits"
    name = type(loss_fn).__name__
    if isinstance(loss_fn, (MSELoss, L1Loss, HuberLoss)):
        values = np.unique(y)
        if len(values) == 2:
            middle = float(values.mean())
            return middle, (f"{middle:g}: the midpoint of the labels {values[0]:g} and {values[1]:g}, "
                            f"onto which {name} regresses")
        return _NoThreshold(f"{name} regresses, and y has {len(values)} distinct values, not two "
                            f"class labels; pass threshold= to fit"), "none"
    return _NoThreshold(
        f"fit cannot tell whether the outputs of {name} are logits, probabilities or label values, "
        f"so it will not guess where to cut them into labels; pass threshold= to fit (0 for "
        f"logits, 0.5 for probabilities)"), "none"


def _rows(shape):
    """A batch shape with its row count written N: (N, 3), (N,)."""
    return "(N,)" if len(shape) == 1 else "(N, " + ", ".join(map(str, shape[1:])) + ")"


def _values(output, y, threshold=None):
    """The outputs shaped like y, for a metric that compares them with the targets one by one."""
    if output.size != y.size:
        hint = ""
        if y.ndim == 1 and output.ndim == 2 and output.shape[1] > 1:
            hint = (f"; these look like scores for {output.shape[1]} classes, which 'accuracy', "
                    f"'f1_micro' and 'f1_macro' compare with integer labels")
        raise ValueError(f"expected one output per target, got outputs of shape {_rows(output.shape)} "
                         f"for targets of shape {_rows(y.shape)}{hint}")
    return output.reshape(y.shape)


def _labels(output, y, threshold):
    """Predicted labels shaped like y: argmax of (N, C) scores for integer labels, else a threshold."""
    if y.ndim == 1 and output.ndim == 2 and output.shape[1] > 1:
        return output.argmax(axis=1)
    if isinstance(threshold, _NoThreshold):
        raise ValueError(threshold.reason)
    return (_values(output, y) > threshold).astype(y.dtype)


def _sklearn_metric(name):
    """scikit-learn's metrics.<name>, imported on first use: `import minnet` stays fast."""
    from sklearn import metrics

    return getattr(metrics, name)


class _Score:
    """A scikit-learn score of the targets against the outputs, read by `reads` first:
    `_labels` (as predicted labels) or `_values` (value by value). fit calls `reads` on one
    row before training, so outputs a score cannot read fail at once, not after an epoch."""

    def __init__(self, sklearn_name, reads, **options):
        self.sklearn_name, self.reads, self.options = sklearn_name, reads, options

    def __call__(self, y, output, threshold):
        return _sklearn_metric(self.sklearn_name)(y, self.reads(output, y, threshold), **self.options)


METRICS = {
    "accuracy": _Score("accuracy_score", _labels),   # multi-label: the fraction of rows entirely right
    "subset_accuracy": _Score("accuracy_score", _labels),
    "f1_micro": _Score("f1_score", _labels, average="micro", zero_division=0),
    "f1_macro": _Score("f1_score", _labels, average="macro", zero_division=0),
    "hamming": _Score("hamming_loss", _labels),       # multi-label: the fraction of wrong labels (lower is better)
    "mse": _Score("mean_squared_error", _values),
    "mae": _Score("mean_absolute_error", _values),
    "r2": _Score("r2_score", _values),
}


def _metric_functions(metrics, validation):
    """name -> metric(y, output, threshold), one per metric; the names become History's keys."""
    if metrics is None:
        metrics = ()
    elif isinstance(metrics, str) or callable(metrics):   # one metric, not a sequence of letters
        metrics = (metrics,)
    functions = {}
    for metric in metrics:
        if isinstance(metric, str):
            if metric not in METRICS:
                raise ValueError(f"unknown metric {metric!r}; expected one of {sorted(METRICS)} "
                                 f"or a callable metric(y_true, output)")
            name, function = metric, METRICS[metric]
        elif callable(metric):
            name = getattr(metric, "__name__", type(metric).__name__)
            function = lambda y, output, threshold, f=metric: f(y, output)
        else:
            raise TypeError(f"a metric must be a name or a callable, got {type(metric).__name__}")
        # History keeps one series per name: a second metric of the same name (two lambdas are
        # both "<lambda>") would silently overwrite the first, so it is refused, not renamed.
        if name in functions:
            raise ValueError(f"fit got two metrics named {name!r}; History keeps one series per "
                             f"name, so one would overwrite the other. Give each its own name "
                             f"(define it with def, or set its __name__)")
        functions[name] = function
    taken = {"loss"} | ({"val_loss"} | {f"val_{name}" for name in functions} if validation else set())
    for name in functions:
        if name in taken:
            raise ValueError(f"fit got a metric named {name!r}, which History already uses for "
                             f"the {'validation ' if name.startswith('val_') else ''}series "
                             f"{name!r}; give the metric another name")
    return functions


def _check_scores(scores, output, y, threshold, data):
    """Each named metric (a _Score) must be able to read these outputs for these targets."""
    for name, score in scores.items():
        try:
            score.reads(output, y, threshold)
        except ValueError as error:
            raise ValueError(f"fit: metric {name!r} cannot score {data}: {error}") from error
