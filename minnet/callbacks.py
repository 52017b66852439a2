"""Callbacks: code that `mn.fit` runs at fixed points of training, to watch it or to steer it.

    recorder = mn.callbacks.GradientNormRecorder()
    stop = mn.callbacks.EarlyStopping(patience=5)
    mn.fit(model, loss_fn, optimizer, X, y, epochs=100, validation_data=(X_val, y_val),
           callbacks=[recorder, stop])
    recorder.norms["0"]          # layer 0's gradient norm at every step, during training
    stop.best_epoch              # the epoch whose weights the model now holds

fit calls the hooks of each callback, in the order the list gives them, at these points:

    on_train_begin                  once, before the first epoch
      on_epoch_begin                before each epoch
        on_step_begin               before each batch's forward pass
        (forward, loss, loss.backward())
        on_after_backward           every p.grad holds this batch's gradient, p.data the
                                    weights that produced it; before clipping and before
                                    optimizer.step(): the place to measure gradients
        (clip_grad_norm_ if asked, optimizer.step())
        on_step_end                 after optimizer.step(): p.data holds the updated weights
      on_epoch_end                  after the epoch's record (with validation) is in history
    on_train_end                    once, after the last epoch (also when stopped early;
                                    not when training raised an error)

Every hook is called as hook(model, loss, history): the model being trained, a loss and the
History so far. loss is None at the three begin hooks, the batch's loss (a float, penalty
included) at on_after_backward and on_step_end, the epoch's mean loss at on_epoch_end, and
the last epoch's mean loss at on_train_end. Before each call fit also sets on the callback:
`optimizer`, `epochs`, `steps_per_epoch`, `epoch` (1-based) and `step` (1-based within the
epoch). A callback that sets `self.stop_training = True` ends training after the epoch.

No autograd graph is alive at on_step_end, on_epoch_end or on_train_end, so those may
write weights (EarlyStopping puts the best ones back at on_train_end); at
on_after_backward the graph is released too, and gradients may be changed in place.
"""
import math

import numpy as np

from minnet.diagnostics import activation_statistics, gradient_norms
from minnet.optim.schedulers import ReduceLROnPlateau

HOOKS = ("on_train_begin", "on_epoch_begin", "on_step_begin", "on_after_backward", "on_step_end",
         "on_epoch_end", "on_train_end")


class Callback:
    """Base class: every hook does nothing; override the ones you need (see the module docstring).

        >>> class PrintLoss(mn.callbacks.Callback):
        ...     def on_epoch_end(self, model, loss, history):
        ...         print(f"epoch {self.epoch}: loss {loss:.3f}")
    """

    stop_training = False

    def on_train_begin(self, model, loss, history):
        """Once, before the first epoch (loss is None)."""

    def on_epoch_begin(self, model, loss, history):
        """Before each epoch; self.epoch is its number, from 1 (loss is None)."""

    def on_step_begin(self, model, loss, history):
        """Before each batch's forward pass; self.step counts from 1 in each epoch (loss is None)."""

    def on_after_backward(self, model, loss, history):
        """After loss.backward(), before clipping and optimizer.step(): p.grad is this batch's."""

    def on_step_end(self, model, loss, history):
        """After optimizer.step(): p.data holds the updated weights; loss is the batch's."""

    def on_epoch_end(self, model, loss, history):
        """After the epoch's record is in history; loss is the epoch's mean training loss."""

    def on_train_end(self, model, loss, history):
        """Once, after the last epoch or an early stop; loss is the last epoch's."""


class CallbackList:
    """What fit uses to call its callbacks: one call(hook, loss) runs the hook of each in order."""

    def __init__(self, callbacks, model, optimizer, history, epochs, steps_per_epoch):
        if callbacks is None:
            callbacks = []
        if isinstance(callbacks, Callback) or not isinstance(callbacks, (list, tuple)):
            raise TypeError(f"fit expected callbacks=[...], a list of mn.callbacks.Callback objects, "
                            f"got {type(callbacks).__name__}")
        for i, callback in enumerate(callbacks):
            if not isinstance(callback, Callback):
                raise TypeError(f"fit expected mn.callbacks.Callback objects in callbacks, got "
                                f"{type(callback).__name__} at position {i}")
        self.callbacks = list(callbacks)
        self.model, self.history = model, history
        for callback in self.callbacks:
            callback.optimizer, callback.epochs, callback.steps_per_epoch = optimizer, epochs, steps_per_epoch
            callback.stop_training = False
        self.epoch = self.step = 0

    def __bool__(self):
        return bool(self.callbacks)

    def call(self, hook, loss=None):
        for callback in self.callbacks:
            callback.epoch, callback.step = self.epoch, self.step
            getattr(callback, hook)(self.model, loss, self.history)

    @property
    def stop_training(self):
        return any(callback.stop_training for callback in self.callbacks)


# --- stopping early ----------------------------------------------------------------------------

_HIGHER_IS_BETTER = ("accuracy", "subset_accuracy", "f1_micro", "f1_macro", "r2")


class EarlyStopping(Callback):
    """Stop when a monitored value has not improved for `patience` epochs; keep the best weights.

    After each epoch the monitored value (history[monitor][-1], "val_loss" by default) is an
    improvement when it beats the best so far by more than min_delta:

        mode "min":  value < best - min_delta        mode "max":  value > best + min_delta

    mode="auto" takes "max" for accuracy, f1 and r2 (and their "val_" twins), else "min".
    After `patience` epochs in a row without one, training stops. With restore_best=True the
    model's parameters and buffers are set back to those at the end of the best epoch when
    training ends, whether it stopped early or ran out of epochs.

    Read afterwards: best (the best value), best_epoch (1-based, as history's epochs),
    stopped_epoch (None when training ran to the end), restored (whether weights were put back).

        >>> stop = mn.callbacks.EarlyStopping(patience=3)
        >>> history = mn.fit(model, loss_fn, optimizer, X, y, epochs=100,
        ...                  validation_data=(X_val, y_val), callbacks=[stop])
        >>> stop.best_epoch, history["val_loss"][stop.best_epoch - 1] == stop.best
        (12, True)
    """

    def __init__(self, patience, min_delta=0.0, restore_best=True, monitor="val_loss", mode="auto"):
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 0:
            raise ValueError(f"EarlyStopping expected a non-negative integer patience, got {patience!r}")
        if not min_delta >= 0:
            raise ValueError(f"EarlyStopping expected min_delta >= 0, got {min_delta!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping expected mode 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = "max" if monitor.removeprefix("val_") in _HIGHER_IS_BETTER else "min"
        self.patience, self.min_delta, self.restore_best = int(patience), min_delta, restore_best
        self.monitor, self.mode = monitor, mode
        self._reset()

    def _reset(self):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = self.stopped_epoch = None
        self.wait, self.restored, self._best_state = 0, False, None

    def on_train_begin(self, model, loss, history):
        self._reset()

    def _improves(self, value):
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, model, loss, history):
        if self.monitor not in history:
            hint = (" (pass validation_data to fit, or monitor='loss')"
                    if self.monitor.startswith("val_") else "")
            raise ValueError(f"EarlyStopping monitors {self.monitor!r}, which the history does not "
                             f"have{hint}; it has {list(history.keys())}")
        value = history[self.monitor][-1]
        if self._improves(value):
            self.best, self.best_epoch, self.wait = value, history.epochs, 0
            if self.restore_best:
                self._best_state = model.state_dict()      # copies, so later steps cannot touch it
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = history.epochs
            self.stop_training = True

    def on_train_end(self, model, loss, history):
        if self.restore_best and self._best_state is not None and self.best_epoch != history.epochs:
            model.load_state_dict(self._best_state)
            self.restored = True

    def __repr__(self):
        return (f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, "
                f"monitor={self.monitor!r}, mode={self.mode!r}, best_epoch={self.best_epoch})")


# --- recorders ---------------------------------------------------------------------------------

class GradientNormRecorder(Callback):
    """Record each layer's gradient norm during training, at every `every`-th step.

    At on_after_backward (the gradients of this step, before clipping and before the update):

        norms[layer].append(||dL/dW_layer||)     per layer with a `parameter` ("weight"), as
                                                 mn.diagnostics.gradient_norms gives it
        total_norms.append(||(all gradients)||)  the norm clip_grad_norm_ would see
        losses.append(loss), steps.append(global step, counted from 1)

    Every layer with a weight must get a gradient at each recorded step (as gradient_norms
    requires). Norms that grow layer after layer towards the input are exploding gradients;
    norms that shrink are vanishing ones.

        >>> recorder = mn.callbacks.GradientNormRecorder(every=10)
        >>> mn.fit(model, loss_fn, optimizer, X, y, epochs=5, callbacks=[recorder])
        >>> recorder.steps[:3], list(recorder.norms)
        ([1, 11, 21], ['0', '2', '4'])
    """

    def __init__(self, every=1, parameter="weight"):
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"GradientNormRecorder expected a positive integer every, got {every!r}")
        self.every, self.parameter = int(every), parameter
        self.steps, self.norms, self.total_norms, self.losses = [], {}, [], []
        self._count = 0

    def on_train_begin(self, model, loss, history):
        self.steps, self.norms, self.total_norms, self.losses = [], {}, [], []
        self._count = 0

    def on_after_backward(self, model, loss, history):
        self._count += 1
        if (self._count - 1) % self.every:
            return
        for name, value in gradient_norms(model, self.parameter).items():
            self.norms.setdefault(name, []).append(value)
        squares = sum(float(np.sum(np.square(p.grad, dtype=np.float64)))
                      for p in model.parameters() if p.grad is not None)
        self.total_norms.append(math.sqrt(squares))
        self.losses.append(loss)
        self.steps.append(self._count)


class ActivationStatisticsRecorder(Callback):
    """Record per-layer activation statistics on a fixed batch X after every `every`-th epoch.

    At on_epoch_end, mn.diagnostics.activation_statistics(model, X, layer_types) (one forward
    pass in eval mode, no graph): statistics[layer][name].append(value) for name in mean,
    std, zeros, saturated, dead; epochs.append(epoch). Watch saturation creep up in a sigmoid
    net, or ReLU units die, while the network trains.

    Shape: X (N, ...), a batch the model accepts.

        >>> watch = mn.callbacks.ActivationStatisticsRecorder(X[:256], layer_types=mn.nn.Activation)
        >>> mn.fit(model, loss_fn, optimizer, X, y, epochs=5, callbacks=[watch])
        >>> watch.statistics["1"]["dead"]          # fraction of dead units after each epoch
    """

    STATISTICS = ("mean", "std", "zeros", "saturated", "dead")

    def __init__(self, X, every=1, layer_types=None):
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"ActivationStatisticsRecorder expected a positive integer every, got {every!r}")
        self.X, self.every, self.layer_types = X, int(every), layer_types
        self.epochs, self.statistics = [], {}

    def on_train_begin(self, model, loss, history):
        self.epochs, self.statistics = [], {}

    def on_epoch_end(self, model, loss, history):
        if (history.epochs - 1) % self.every:
            return
        for layer, entry in activation_statistics(model, self.X, self.layer_types).items():
            record = self.statistics.setdefault(layer, {name: [] for name in self.STATISTICS})
            for name in self.STATISTICS:
                record[name].append(entry[name])
        self.epochs.append(history.epochs)


class LearningRateScheduler(Callback):
    """Step an mn.optim scheduler from fit: after every batch (interval="step", for warm-up and
    OneCycleLR) or after every epoch (interval="epoch"). ReduceLROnPlateau is stepped with
    history[monitor][-1] at each epoch's end. `lrs` records the first group's learning rate
    used by each step or epoch.

        >>> optimizer = mn.optim.SGD(model.parameters(), lr=0.1)
        >>> warmup = mn.optim.LinearLR(optimizer, start_factor=0.1, total_iters=100)
        >>> mn.fit(model, loss_fn, optimizer, X, y, epochs=5,
        ...        callbacks=[mn.callbacks.LearningRateScheduler(warmup, interval="step")])
    """

    def __init__(self, scheduler, interval="epoch", monitor="val_loss"):
        if interval not in ("step", "epoch"):
            raise ValueError(f"LearningRateScheduler expected interval 'step' or 'epoch', got {interval!r}")
        if not hasattr(scheduler, "step") or not hasattr(scheduler, "optimizer"):
            raise TypeError(f"LearningRateScheduler expected an mn.optim scheduler, got "
                            f"{type(scheduler).__name__}")
        self.scheduler, self.interval, self.monitor = scheduler, interval, monitor
        self.plateau = isinstance(scheduler, ReduceLROnPlateau)
        if self.plateau and interval != "epoch":
            raise ValueError("ReduceLROnPlateau reads a value per epoch: use interval='epoch'")
        self.lrs = []

    def _lr(self):
        return self.scheduler.optimizer.param_groups[0]["lr"]

    def on_step_end(self, model, loss, history):
        if self.interval == "step":
            self.lrs.append(self._lr())
            self.scheduler.step()

    def on_epoch_end(self, model, loss, history):
        if self.interval != "epoch":
            return
        self.lrs.append(self._lr())
        if not self.plateau:
            self.scheduler.step()
        elif self.monitor not in history:
            raise ValueError(f"LearningRateScheduler steps ReduceLROnPlateau with {self.monitor!r}, "
                             f"which the history does not have; it has {list(history.keys())}")
        else:
            self.scheduler.step(history[self.monitor][-1])
