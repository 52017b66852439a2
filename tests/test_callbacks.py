"""mn.callbacks and fit(callbacks=..., clip_grad_norm=...): when hooks run, what they see, and the
callbacks built on them (EarlyStopping, the recorders, LearningRateScheduler)."""
import numpy as np
import pytest

import minnet as mn
from minnet.callbacks import (ActivationStatisticsRecorder, Callback, EarlyStopping, GradientNormRecorder,
                              LearningRateScheduler)
from minnet.diagnostics import activation_statistics, gradient_norms
from minnet.nn import Dense, MSELoss, Sequential, Tanh
from minnet.training import History, NonFiniteLossError

rng = np.random.default_rng(0)
X = rng.standard_normal((40, 3))
Y = (X @ np.array([1.0, -2.0, 0.5]))[:, None]


def _model(seed=0):
    mn.manual_seed(seed)
    return Sequential(Dense(3, 4), Tanh(), Dense(4, 1))


def _fit(model, callbacks=(), lr=0.05, optimizer=None, **options):
    options = {"epochs": 2, "batch_size": 20, "progress": False, "shuffle": False, **options}
    optimizer = optimizer or mn.optim.SGD(model.parameters(), lr=lr)
    return mn.fit(model, MSELoss(), optimizer, X, Y, callbacks=list(callbacks), **options)


class Log(Callback):
    """Writes down every hook call: (hook, epoch, step, loss)."""

    def __init__(self):
        self.calls = []

    def _log(self, hook, loss):
        self.calls.append((hook, self.epoch, self.step, loss))


for _hook in ("on_train_begin", "on_epoch_begin", "on_step_begin", "on_after_backward", "on_step_end",
              "on_epoch_end", "on_train_end"):
    setattr(Log, _hook, lambda self, model, loss, history, _hook=_hook: self._log(_hook, loss))


# --- the hooks ---------------------------------------------------------------------------------

def test_hooks_run_in_the_documented_order_with_epoch_and_step():
    log = Log()
    _fit(_model(), [log])
    expected = [("on_train_begin", 0, 0)]
    for epoch in (1, 2):
        expected.append(("on_epoch_begin", epoch, 0))
        for step in (1, 2):
            expected += [("on_step_begin", epoch, step), ("on_after_backward", epoch, step),
                         ("on_step_end", epoch, step)]
        expected.append(("on_epoch_end", epoch, 2))
    expected.append(("on_train_end", 2, 2))
    assert [call[:3] for call in log.calls] == expected


def test_hooks_receive_the_step_loss_the_epoch_loss_and_none_before_anything_is_computed():
    log = Log()
    history = _fit(_model(), [log])
    losses = {hook: [loss for h, _, _, loss in log.calls if h == hook] for hook, *_ in log.calls}
    assert all(loss is None for hook in ("on_train_begin", "on_epoch_begin", "on_step_begin")
               for loss in losses[hook])
    assert losses["on_after_backward"] == losses["on_step_end"]
    step_losses = np.array(losses["on_step_end"]).reshape(2, 2)
    np.testing.assert_allclose(step_losses.mean(axis=1), history["loss"])     # equal batches
    assert losses["on_epoch_end"] == history["loss"] and losses["on_train_end"] == [history["loss"][-1]]


def test_on_after_backward_sees_the_gradients_before_the_update_and_on_step_end_after_it():
    class Watch(Callback):
        def on_after_backward(self, model, loss, history):
            self.weight, self.grad = model[0].weight.data.copy(), model[0].weight.grad.copy()

        def on_step_end(self, model, loss, history):
            self.updated = model[0].weight.data.copy()

    watch = Watch()
    _fit(_model(), [watch], lr=0.1, epochs=1, batch_size=40)
    np.testing.assert_allclose(watch.updated, watch.weight - 0.1 * watch.grad, rtol=1e-6)


def test_fit_tells_each_callback_its_optimizer_and_the_run_length():
    log, model = Log(), _model()
    optimizer = mn.optim.SGD(model.parameters(), lr=0.01)
    _fit(model, [log], optimizer=optimizer, epochs=3, batch_size=15)
    assert log.optimizer is optimizer and log.epochs == 3 and log.steps_per_epoch == 3


def test_a_callback_that_sets_stop_training_ends_training_after_that_epoch():
    class StopAfterTwo(Callback):
        def on_epoch_end(self, model, loss, history):
            self.stop_training = history.epochs == 2

    log = Log()
    history = _fit(_model(), [StopAfterTwo(), log], epochs=10)
    assert history.epochs == 2 and log.calls[-1][0] == "on_train_end"


def test_on_train_end_is_not_called_when_training_raises():
    log = Log()
    with pytest.raises(NonFiniteLossError):
        _fit(_model(), [log], lr=1e6, epochs=5)
    assert "on_train_end" not in [call[0] for call in log.calls]


@pytest.mark.parametrize("callbacks, message", [
    (Log(), "callbacks=\\[...\\], a list"),
    ([Log(), print], "got builtin_function_or_method at position 1"),
])
def test_callbacks_that_are_not_a_list_of_callbacks_are_refused(callbacks, message):
    model = _model()
    with pytest.raises(TypeError, match=message):
        mn.fit(model, MSELoss(), mn.optim.SGD(model.parameters(), lr=0.1), X, Y, callbacks=callbacks,
               progress=False)


# --- clip_grad_norm in fit ---------------------------------------------------------------------

class Updates(Callback):
    """The total norm of each step's gradient (before clipping) and of the weight change."""

    def __init__(self):
        self.grad_norms, self.changes = [], []

    def on_after_backward(self, model, loss, history):
        self.before = [p.data.copy() for p in model.parameters()]
        self.grad_norms.append(np.sqrt(sum(np.sum(p.grad ** 2) for p in model.parameters())))

    def on_step_end(self, model, loss, history):
        squares = sum(np.sum((p.data - b) ** 2) for p, b in zip(model.parameters(), self.before))
        self.changes.append(np.sqrt(squares))


def test_clip_grad_norm_caps_each_sgd_step_at_lr_times_max_norm():
    updates = Updates()
    _fit(_model(), [updates], lr=0.1, clip_grad_norm=0.5, epochs=3)
    grad_norms, changes = np.array(updates.grad_norms), np.array(updates.changes)
    assert (grad_norms > 0.5).any()                               # clipping did happen
    np.testing.assert_allclose(changes, 0.1 * np.minimum(grad_norms, 0.5), rtol=1e-4)


def test_without_clip_grad_norm_the_step_is_lr_times_the_gradient_norm():
    updates = Updates()
    _fit(_model(), [updates], lr=0.1, epochs=2)
    np.testing.assert_allclose(updates.changes, 0.1 * np.array(updates.grad_norms), rtol=1e-4)


@pytest.mark.parametrize("value", [0, -1.0, "1", True])
def test_fit_refuses_a_clip_grad_norm_that_is_not_a_positive_number(value):
    with pytest.raises(ValueError, match="clip_grad_norm to be a positive max_norm"):
        _fit(_model(), clip_grad_norm=value)


# --- EarlyStopping -----------------------------------------------------------------------------

def _drive(stop, values, model=None):
    """Run EarlyStopping's hooks over a series of monitored values, as fit would.

    Before epoch e, every weight of the model is set to e, so restored weights show their epoch.
    Returns the number of epochs run.
    """
    model = model or _model()
    history = History()
    stop.on_train_begin(model, None, history)
    for epoch, value in enumerate(values, 1):
        for p in model.parameters():
            p.data = np.full_like(p.data, epoch)
        history.append({"loss": 0.0, "val_loss": value})
        stop.on_epoch_end(model, 0.0, history)
        if stop.stop_training:
            break
    stop.on_train_end(model, 0.0, history)
    return history.epochs, model


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    stop = EarlyStopping(patience=2)
    epochs, _ = _drive(stop, [1.0, 0.8, 0.9, 0.85, 0.7, 0.6])
    assert epochs == 4 and stop.stopped_epoch == 4
    assert stop.best_epoch == 2 and stop.best == 0.8


def test_early_stopping_restores_the_best_epochs_weights():
    stop = EarlyStopping(patience=2)
    _, model = _drive(stop, [1.0, 0.8, 0.9, 0.85])
    assert stop.restored and all(np.all(p.data == 2) for p in model.parameters())


def test_early_stopping_without_restore_keeps_the_last_weights():
    stop = EarlyStopping(patience=2, restore_best=False)
    _, model = _drive(stop, [1.0, 0.8, 0.9, 0.85])
    assert not stop.restored and all(np.all(p.data == 4) for p in model.parameters())


def test_early_stopping_restores_the_best_weights_when_epochs_run_out_too():
    stop = EarlyStopping(patience=5)
    epochs, model = _drive(stop, [1.0, 0.5, 0.7])
    assert epochs == 3 and stop.stopped_epoch is None
    assert stop.restored and all(np.all(p.data == 2) for p in model.parameters())


def test_early_stopping_does_not_count_improvements_below_min_delta():
    stop = EarlyStopping(patience=2, min_delta=0.1)
    epochs, _ = _drive(stop, [1.0, 0.95, 0.92, 0.5])
    assert epochs == 3 and stop.best_epoch == 1


def test_early_stopping_with_patience_zero_stops_at_the_first_bad_epoch():
    epochs, _ = _drive(EarlyStopping(patience=0), [1.0, 0.9, 0.95, 0.1])
    assert epochs == 3


def test_early_stopping_watches_accuracy_for_a_rise():
    stop = EarlyStopping(patience=1, monitor="val_accuracy")
    assert stop.mode == "max"
    model, history = _model(), History()
    stop.on_train_begin(model, None, history)
    for accuracy in (0.5, 0.7, 0.6):
        history.append({"val_accuracy": accuracy})
        stop.on_epoch_end(model, 0.0, history)
    assert stop.best_epoch == 2 and stop.stop_training


def test_early_stopping_counts_a_nan_as_no_improvement():
    epochs, _ = _drive(EarlyStopping(patience=1), [1.0, float("nan"), 0.5])
    assert epochs == 2


def test_early_stopping_in_fit_stops_and_puts_back_the_weights_of_the_best_epoch():
    class Snapshots(Callback):
        def on_train_begin(self, model, loss, history):
            self.states = []

        def on_epoch_end(self, model, loss, history):
            self.states.append(model.state_dict())

    # Validating against -Y: the better the model fits Y, the worse its validation loss,
    # so the first epoch is the best one.
    model, snapshots, stop = _model(), Snapshots(), EarlyStopping(patience=2)
    history = _fit(model, [snapshots, stop], epochs=20, validation_data=(X, -Y))
    assert history.epochs == 3 and stop.best_epoch == 1 and stop.stopped_epoch == 3
    assert history["val_loss"][0] < history["val_loss"][1] < history["val_loss"][2]
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, snapshots.states[0][name])


def test_early_stopping_says_what_to_pass_when_there_is_no_validation_loss():
    with pytest.raises(ValueError, match=r"monitors 'val_loss'.*pass validation_data to fit"):
        _fit(_model(), [EarlyStopping(patience=2)])


@pytest.mark.parametrize("kwargs, message", [
    ({"patience": -1}, "non-negative integer patience"), ({"patience": 1.5}, "non-negative integer"),
    ({"patience": 1, "min_delta": -0.1}, "min_delta >= 0"), ({"patience": 1, "mode": "lowest"}, "mode"),
])
def test_early_stopping_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EarlyStopping(**kwargs)


# --- recorders ---------------------------------------------------------------------------------

def test_gradient_norm_recorder_records_what_gradient_norms_gives_at_each_step():
    class Reference(Callback):
        def on_train_begin(self, model, loss, history):
            self.norms = []

        def on_after_backward(self, model, loss, history):
            self.norms.append(gradient_norms(model))

    recorder, reference = GradientNormRecorder(), Reference()
    _fit(_model(), [recorder, reference], epochs=3)
    assert recorder.steps == [1, 2, 3, 4, 5, 6] and list(recorder.norms) == ["0", "2"]
    for layer in ("0", "2"):
        assert recorder.norms[layer] == [norms[layer] for norms in reference.norms]


def test_gradient_norm_recorder_records_every_nth_step_with_its_loss():
    recorder, log = GradientNormRecorder(every=2), Log()
    _fit(_model(), [recorder, log], epochs=3)
    step_losses = [loss for hook, _, _, loss in log.calls if hook == "on_step_end"]
    assert recorder.steps == [1, 3, 5] and len(recorder.norms["0"]) == 3
    assert recorder.losses == step_losses[::2]


def test_gradient_norm_recorder_sees_the_gradients_before_clipping():
    recorder, updates = GradientNormRecorder(), Updates()
    _fit(_model(), [recorder, updates], lr=0.5, clip_grad_norm=0.01)
    np.testing.assert_allclose(recorder.total_norms, updates.grad_norms, rtol=1e-6)
    assert min(recorder.total_norms) > 0.01


def test_activation_statistics_recorder_records_each_layer_after_each_epoch():
    watch = ActivationStatisticsRecorder(X[:10], layer_types=Tanh)
    model = _model()
    _fit(model, [watch], epochs=3)
    assert watch.epochs == [1, 2, 3] and list(watch.statistics) == ["1"]
    final = activation_statistics(model, X[:10], Tanh)["1"]
    assert all(watch.statistics["1"][name][-1] == final[name] for name in ("mean", "std", "saturated"))
    assert len(set(watch.statistics["1"]["std"])) == 3          # it changed as the net trained


def test_learning_rate_scheduler_steps_a_warmup_after_every_batch():
    model = _model()
    optimizer = mn.optim.SGD(model.parameters(), lr=0.1)
    warmup = mn.optim.LinearLR(optimizer, start_factor=0.25, total_iters=3)
    scheduling = LearningRateScheduler(warmup, interval="step")
    _fit(model, [scheduling], optimizer=optimizer, epochs=3)
    np.testing.assert_allclose(scheduling.lrs, [0.025, 0.05, 0.075, 0.1, 0.1, 0.1])


def test_learning_rate_scheduler_steps_once_per_epoch_and_feeds_a_plateau_its_value():
    model = _model()
    optimizer = mn.optim.SGD(model.parameters(), lr=0.1)
    plateau = mn.optim.ReduceLROnPlateau(optimizer, factor=0.5, patience=0)
    scheduling = LearningRateScheduler(plateau)
    _fit(model, [scheduling], optimizer=optimizer, epochs=4, validation_data=(X, -Y))  # val_loss rises
    assert scheduling.lrs == [0.1, 0.1, 0.05, 0.025]


def test_learning_rate_scheduler_rejects_what_is_not_a_scheduler_or_interval():
    optimizer = mn.optim.SGD(_model().parameters(), lr=0.1)
    with pytest.raises(TypeError, match="expected an mn.optim scheduler"):
        LearningRateScheduler(optimizer)
    with pytest.raises(ValueError, match="interval 'step' or 'epoch'"):
        LearningRateScheduler(mn.optim.ExponentialLR(optimizer, 0.9), interval="batch")
