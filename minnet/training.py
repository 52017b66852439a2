"""Training: `fit` runs the mini-batch loop, `History` keeps what happened, `predict` evaluates.

One step of the loop is the whole of gradient descent:

    loss = loss_fn(model(x_batch), y_batch) + model.regularization_loss()
    optimizer.zero_grad(); loss.backward(); optimizer.step()

    >>> history = mn.fit(model, mn.nn.CrossEntropyLoss(), mn.optim.Adam(model.parameters()),
    ...                  X, y, epochs=10, batch_size=32, metrics=("accuracy",), seed=0)
    >>> history.loss[-1], history["accuracy"][-1]
"""
import math
import sys

import numpy as np

from minnet import config
from minnet.callbacks import CallbackList
from minnet.optim.clip import clip_grad_norm_
from minnet.function import no_grad
from minnet.nn.module import evaluating
from minnet.metrics import (METRICS, _NoThreshold, _Score, _check_scores, _metric_functions, _rows,
                            decision_threshold)
from minnet.tensor import Tensor


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite (the run diverged)."""


class History:
    """Per-epoch records of a `fit`: "loss", "val_loss", each metric and its "val_" twin.

    Read a series as `history["loss"]`, `history.loss` or `history.history["loss"]` (Keras's
    spelling); `history.epochs` counts the epochs run.
    """

    def __init__(self):
        self.history = {}
        self.epochs = 0

    def append(self, record):
        """Add one epoch's values, e.g. {"loss": 0.31, "accuracy": 0.9}."""
        for name, value in record.items():
            self.history.setdefault(name, []).append(value)
        self.epochs += 1

    def __getitem__(self, name):
        if name not in self.history:
            raise KeyError(f"History has no {name!r}; it has {list(self.history)}")
        return self.history[name]

    def __getattr__(self, name):
        history = self.__dict__.get("history", {})
        if name in history:
            return history[name]
        raise AttributeError(f"History has no {name!r}; it has {list(history)}")

    def __contains__(self, name):
        return name in self.history

    def __iter__(self):
        return iter(self.history)

    def __len__(self):
        return self.epochs

    def keys(self):
        return self.history.keys()

    def items(self):
        return self.history.items()

    def __repr__(self):
        last = ", ".join(f"{name}={values[-1]:.4g}" for name, values in self.history.items())
        return f"History(epochs={self.epochs}" + (f", last: {last})" if last else ")")


# --- checking the data ---------------------------------------------------------------------------

def _check_arrays(X, y, dtype, where):
    X, y = np.asarray(X), np.asarray(y)
    for name, array in (("X", X), ("y", y)):
        if array.dtype.kind not in "fiub":
            raise TypeError(f"{where}: {name} must be numeric, got an array of dtype {array.dtype}")
        if array.ndim == 0:
            raise ValueError(f"{where}: {name} must have one row per sample, got a scalar")
        if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            raise ValueError(f"{where}: {name} contains {np.sum(~np.isfinite(array))} NaN or "
                             f"infinite values")
    if len(X) != len(y):
        raise ValueError(f"{where}: X and y must have the same number of samples, got X of shape "
                         f"{X.shape} and y of shape {y.shape}")
    if len(X) == 0:
        raise ValueError(f"{where}: got no samples (X of shape {X.shape})")
    if X.dtype != dtype:
        X = X.astype(dtype)
    if y.dtype.kind == "f" and y.dtype != dtype:
        y = y.astype(dtype)
    return X, y


def _check_validation_data(model, loss_fn, X, X_val, y_val):
    """Fail before training, not after an epoch: one row of X_val through the model (in eval
    mode, without a graph, as validation runs), then the loss of outputs like that row's for
    every label of y_val. Returns the row's output. PyTorch Lightning's "sanity check", which
    runs two validation batches first, exists for the same reason."""
    try:
        output = predict(model, X_val[:1])
    except _REFUSALS as error:
        raise _refusal(error)(f"fit: validation_data's X_val of shape {X_val.shape} does not fit "
                              f"the model, which trains on X of shape {X.shape}: {error}") from error
    try:
        with no_grad():
            loss_fn(Tensor(np.repeat(output, len(y_val), axis=0)), y_val)
    except _REFUSALS as error:
        raise _refusal(error)(f"fit: validation_data's y_val of shape {y_val.shape} does not fit "
                              f"{type(loss_fn).__name__} for the model's outputs of shape "
                              f"{_rows(output.shape)}: {error}") from error
    return output


# How a layer or a loss refuses data (a label past the last class is an IndexError in a loss
# that indexes by label). Re-raised as the same built-in type, with validation_data named.
_REFUSALS = (ValueError, TypeError, IndexError)


def _refusal(error):
    return next(kind for kind in _REFUSALS if isinstance(error, kind))


def _positive_int(name, value, where="fit"):
    # bool is an int to Python, and 0.0 == 0: both would silently train for no epochs.
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{where} expected {name} to be a positive integer (an int, not a bool "
                         f"or a float), got {value!r}")
    return int(value)


def _model_dtype(model):
    dtypes = [p.dtype for p in model.parameters() if p.dtype.kind == "f"]
    return dtypes[0] if dtypes else config.get_default_dtype()


# --- evaluation ----------------------------------------------------------------------------------

def predict(model, X, batch_size=256):
    """The model's outputs for X as a numpy array, in eval mode without a graph, batch by batch.

        >>> predict(model, X_test).argmax(axis=1)      # class predictions from logits
    """
    batch_size = _positive_int("batch_size", batch_size, where="predict")
    X = np.asarray(X)
    if X.ndim == 0 or len(X) == 0:       # as fit, scikit-learn and Keras: nothing to predict
        raise ValueError(f"predict expected X with one row per sample and at least one row, "
                         f"got X of shape {X.shape}")
    dtype = _model_dtype(model)
    # evaluating(), not model.eval(): another thread may be training this model meanwhile
    with evaluating(), no_grad():
        outputs = [model(Tensor(X[start:start + batch_size].astype(dtype, copy=False))).data
                   for start in range(0, len(X), batch_size)]
    return np.concatenate(outputs)


def _show_progress(progress):
    if progress == "always":
        return True
    return bool(progress) and sys.stderr is not None and sys.stderr.isatty()


# --- the loop ------------------------------------------------------------------------------------

def _train_epoch(model, loss_fn, optimizer, X, y, order, batch_size, epoch, bar, keep_outputs,
                 callbacks, clip_grad_norm=None, parameters=()):
    """One pass over the rows of X, y in `order`; returns the mean loss and, if asked, the outputs."""
    model.train()
    n, total, outputs = len(order), 0.0, []
    steps = math.ceil(n / batch_size)
    # A diverging run overflows long before anything else goes wrong; the finiteness check
    # below reports it once, with epoch and step, instead of a shower of numpy warnings.
    with np.errstate(over="ignore", invalid="ignore"):
        for step, start in enumerate(range(0, n, batch_size), 1):
            if callbacks:
                callbacks.step = step
                callbacks.call("on_step_begin")
            rows = order[start:start + batch_size]     # one gather per batch, never a copy of X
            x_batch, y_batch = X[rows], y[rows]
            output = model(Tensor(x_batch))
            loss = loss_fn(output, y_batch)
            penalty = model.regularization_loss()
            if penalty.requires_grad:
                loss = loss + penalty
            value = float(loss.data)
            if not math.isfinite(value):
                raise NonFiniteLossError(
                    f"fit: the loss became {value} at epoch {epoch}, step {step} of {steps}; "
                    f"training diverged. Try a smaller learning rate (now "
                    f"{optimizer.param_groups[0].get('lr')}), or scale the inputs.")
            optimizer.zero_grad()
            loss.backward()
            if callbacks:
                callbacks.call("on_after_backward", value)
            if clip_grad_norm is not None:
                clip_grad_norm_(parameters, clip_grad_norm)
            optimizer.step()
            if callbacks:
                callbacks.call("on_step_end", value)
            total += value * len(x_batch)
            if keep_outputs:
                outputs.append(output.data)
            bar.update()
            bar.set_postfix(loss=f"{total / min(start + batch_size, n):.4f}", refresh=False)
    return total / n, (np.concatenate(outputs) if keep_outputs else None)


def fit(model, loss_fn, optimizer, X, y, epochs=1, batch_size=32, validation_data=None,
        metrics=(), progress=True, seed=None, shuffle=True, callbacks=None, clip_grad_norm=None,
        threshold=None):
    """Train `model` by mini-batch gradient descent; returns a History.

    Each step minimises loss_fn(model(x), y) + model.regularization_loss() on a batch of
    `batch_size` rows, reshuffled every epoch (shuffle=True) by np.random.default_rng(seed),
    or by minnet's generator (`mn.manual_seed`) when seed is None.

    The History holds, per epoch: "loss" (the sample-weighted mean of the batch losses, penalty
    included, as Keras reports it), each metric on the training batches (outputs taken in train
    mode as they were computed), and with validation_data=(X_val, y_val) "val_loss" and
    "val_<metric>" computed in eval mode without a graph.

    metrics: names from METRICS ("accuracy", "subset_accuracy", "f1_micro", "f1_macro",
    "hamming", "mse", "mae", "r2"), computed with scikit-learn, or callables f(y_true, output);
    one name or callable alone is one metric. Each becomes a History series under its name
    (a callable's __name__), so two metrics of one name are refused rather than overwritten.
    Scores of shape (N, C) with 1-D integer labels are turned into labels by argmax; anything
    else (binary or multi-label outputs) by `threshold`, which, when not given, follows from the
    loss (see decision_threshold): 0.5 for BCELoss's probabilities, 0 for BCEWithLogitsLoss's
    logits, the midpoint of the two label values for MSELoss, L1Loss and HuberLoss; for any
    other loss such a metric raises until threshold= is given. What was used, and why, is in
    history.threshold and history.threshold_reason.

    progress: True shows a tqdm bar on stderr only when stderr is a terminal; "always" shows it
    anyway (e.g. in a log file); False never does.

    callbacks: a list of mn.callbacks.Callback objects whose hooks run at the start and end of
    training, of each epoch and of each step, and between backward and the update
    (mn.callbacks describes when each runs and what it receives); EarlyStopping ends training
    early, GradientNormRecorder records per-layer gradient norms at every step.

    clip_grad_norm: a max_norm; after each backward (and the callbacks' on_after_backward) the
    gradients of model.parameters() are rescaled by mn.optim.clip_grad_norm_ so that their
    total 2-norm is at most clip_grad_norm. None (the default) leaves them alone.

    Before the first step, fit runs one row of X (with named metrics) and one row of X_val
    through the model in eval mode without a graph, and the loss on every label of y_val:
    validation data the model or the loss refuses, or a metric that cannot read the model's
    outputs, raises at once, naming validation_data or the metric, not after an epoch.

    A loss that becomes NaN or infinite stops training with NonFiniteLossError (a
    FloatingPointError) naming the epoch and step. The model's train/eval mode is restored
    at the end.
    """
    epochs = _positive_int("epochs", epochs)
    batch_size = _positive_int("batch_size", batch_size)
    dtype = _model_dtype(model)
    X, y = _check_arrays(X, y, dtype, "fit")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("fit expected validation_data=(X_val, y_val)")
        X_val, y_val = _check_arrays(*validation_data, dtype, "fit(validation_data)")
    metric_functions = _metric_functions(metrics, validation=validation_data is not None)
    if clip_grad_norm is not None and (isinstance(clip_grad_norm, bool) or not isinstance(
            clip_grad_norm, (int, float, np.integer, np.floating)) or not clip_grad_norm > 0):
        raise ValueError(f"fit expected clip_grad_norm to be a positive max_norm or None, got "
                         f"{clip_grad_norm!r}")
    parameters = model.parameters() if clip_grad_norm is not None else ()
    threshold, threshold_reason = decision_threshold(loss_fn, y, threshold)
    # Whatever would fail after the first epoch fails now: named metrics that cannot read the
    # model's outputs, validation data the model or the loss refuses.
    scores = {name: f for name, f in metric_functions.items() if isinstance(f, _Score)}
    if scores:
        _check_scores(scores, predict(model, X[:1]), y[:1], threshold, "the training data")
    if validation_data is not None:
        val_row = _check_validation_data(model, loss_fn, X, X_val, y_val)
        _check_scores(scores, val_row, y_val[:1], threshold, "validation_data")
    generator = np.random.default_rng(seed) if seed is not None else config.rng()
    n = len(X)
    steps = math.ceil(n / batch_size)
    history = History()
    history.threshold = None if isinstance(threshold, _NoThreshold) else threshold
    history.threshold_reason = threshold_reason
    hooks = CallbackList(callbacks, model, optimizer, history, epochs, steps)
    was_training = model.training
    from tqdm.auto import tqdm      # here, not at the top: `import minnet` stays fast

    bar = tqdm(total=epochs * steps, disable=not _show_progress(progress), unit="batch",
               file=sys.stderr, dynamic_ncols=True)
    try:
        hooks.call("on_train_begin")
        for epoch in range(1, epochs + 1):
            hooks.epoch, hooks.step = epoch, 0
            hooks.call("on_epoch_begin")
            bar.set_description(f"epoch {epoch}/{epochs}")
            order = generator.permutation(n) if shuffle else np.arange(n)
            loss, outputs = _train_epoch(model, loss_fn, optimizer, X, y, order, batch_size, epoch,
                                         bar, bool(metric_functions), hooks, clip_grad_norm, parameters)
            record = {"loss": loss}
            record.update((name, float(f(y[order], outputs, threshold))) for name, f in metric_functions.items())
            if validation_data is not None:
                # As in _train_epoch: a last step that blew the weights up is reported once,
                # as a non-finite validation loss, not as numpy's overflow warnings.
                with no_grad(), np.errstate(over="ignore", invalid="ignore"):
                    val_output = predict(model, X_val)
                    penalty = float(model.regularization_loss().data)
                    record["val_loss"] = float(loss_fn(Tensor(val_output), y_val).data) + penalty
                if not math.isfinite(record["val_loss"]):
                    raise NonFiniteLossError(
                        f"fit: the validation loss became {record['val_loss']} after epoch "
                        f"{epoch}: training diverged in its last steps. Try a smaller learning "
                        f"rate (now {optimizer.param_groups[0].get('lr')}), or scale the inputs.")
                record.update((f"val_{name}", float(f(y_val, val_output, threshold)))
                              for name, f in metric_functions.items())
            history.append(record)
            bar.set_postfix({name: f"{value:.4f}" for name, value in record.items()})
            hooks.call("on_epoch_end", loss)
            if hooks.stop_training:
                break
        hooks.call("on_train_end", history["loss"][-1] if history.epochs else None)
    finally:
        bar.close()
        model.train(was_training)
    return history
