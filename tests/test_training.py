"""mn.fit, History, predict: the loop, its metrics, seeding, validation, errors and memory."""
import re
import tracemalloc

import numpy as np
import pytest

import minnet as mn
from minnet.nn import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Dense, MSELoss, Sequential
from minnet.regularizers import L2
from minnet.training import METRICS, History, NonFiniteLossError

rng = np.random.default_rng(0)
X = rng.standard_normal((120, 4))
Y_CLASS = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)          # three classes
Y_MULTI = np.stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 2] > 0], axis=1).astype(np.float64)
Y_REG = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3


def _model(outputs=3, seed=0, **dense_options):
    mn.manual_seed(seed)
    return Sequential(Dense(4, 16, **dense_options), Dense(16, outputs))


def _fit(model, loss_fn, y, lr=0.05, **options):
    options = {"epochs": 3, "batch_size": 16, "progress": False, "seed": 0, **options}
    return mn.fit(model, loss_fn, mn.optim.Adam(model.parameters(), lr=lr), X, y, **options)


def test_training_lowers_the_loss_on_a_learnable_problem():
    history = _fit(_model(), CrossEntropyLoss(), Y_CLASS, epochs=15, metrics=("accuracy",))
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["accuracy"][-1] > 0.85


def test_history_has_one_value_per_epoch_for_every_series():
    history = _fit(_model(), CrossEntropyLoss(), Y_CLASS, epochs=4, validation_data=(X[:30], Y_CLASS[:30]),
                   metrics=("accuracy", "f1_macro"))
    assert list(history) == ["loss", "accuracy", "f1_macro", "val_loss", "val_accuracy", "val_f1_macro"]
    assert len(history) == 4 and all(len(values) == 4 for _, values in history.items())
    assert history.loss is history["loss"] is history.history["loss"]


def test_history_repr_and_missing_keys():
    history = History()
    history.append({"loss": 0.5, "accuracy": 0.75})
    assert repr(history) == "History(epochs=1, last: loss=0.5, accuracy=0.75)"
    with pytest.raises(KeyError, match="it has \\['loss', 'accuracy'\\]"):
        history["val_loss"]
    with pytest.raises(AttributeError, match="val_loss"):
        history.val_loss


def test_reported_loss_is_the_mean_of_the_batch_losses_before_each_step():
    model = _model(outputs=1)
    optimizer = mn.optim.SGD(model.parameters(), lr=0.0)     # lr 0: every batch sees the same model
    history = mn.fit(model, MSELoss(), optimizer, X, Y_REG[:, None], epochs=1, batch_size=50, progress=False)
    expected = ((mn.predict(model, X) - Y_REG[:, None]) ** 2).mean()
    assert history["loss"][0] == pytest.approx(expected, rel=1e-5)


def test_validation_loss_and_metrics_are_computed_in_eval_mode_on_the_validation_set():
    model = _model()
    history = _fit(model, CrossEntropyLoss(), Y_CLASS, epochs=2, validation_data=(X[:40], Y_CLASS[:40]),
                   metrics=("accuracy",))
    output = mn.predict(model, X[:40])
    assert history["val_accuracy"][-1] == pytest.approx(np.mean(output.argmax(1) == Y_CLASS[:40]))
    assert history["val_loss"][-1] == pytest.approx(
        CrossEntropyLoss()(mn.Tensor(output), Y_CLASS[:40]).item(), rel=1e-6)


def test_regularization_loss_is_added_to_the_loss():
    plain, penalised = _model(), _model(regularizer=L2(10.0))
    optimizer_options = {"lr": 0.0}
    loss_plain = mn.fit(plain, CrossEntropyLoss(), mn.optim.SGD(plain.parameters(), **optimizer_options),
                        X, Y_CLASS, batch_size=120, progress=False)["loss"][0]
    loss_penalised = mn.fit(penalised, CrossEntropyLoss(), mn.optim.SGD(penalised.parameters(), **optimizer_options),
                            X, Y_CLASS, batch_size=120, progress=False)["loss"][0]
    assert loss_penalised - loss_plain == pytest.approx(penalised.regularization_loss().item(), rel=1e-5)


def test_regularization_shrinks_the_weights():
    plain = _model()
    _fit(plain, CrossEntropyLoss(), Y_CLASS, epochs=5)
    penalised = _model(regularizer=L2(0.1))
    _fit(penalised, CrossEntropyLoss(), Y_CLASS, epochs=5)
    assert np.abs(penalised[0].weight.data).sum() < 0.7 * np.abs(plain[0].weight.data).sum()


def test_same_seed_gives_bit_identical_weights():
    weights = []
    for _ in range(2):
        model = _model(seed=7)
        _fit(model, CrossEntropyLoss(), Y_CLASS, epochs=2, seed=3)
        weights.append([p.data.copy() for p in model.parameters()])
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


def test_different_shuffling_seeds_give_different_weights():
    a, b = _model(seed=7), _model(seed=7)
    _fit(a, CrossEntropyLoss(), Y_CLASS, seed=1)
    _fit(b, CrossEntropyLoss(), Y_CLASS, seed=2)
    assert not np.array_equal(a[0].weight.data, b[0].weight.data)


def test_without_seed_shuffling_follows_manual_seed():
    results = []
    for _ in range(2):
        model = _model(seed=7)
        mn.manual_seed(11)
        _fit(model, CrossEntropyLoss(), Y_CLASS, seed=None)
        results.append(model[0].weight.data.copy())
    np.testing.assert_array_equal(*results)


def test_model_mode_is_restored_after_fit():
    model = _model().eval()
    _fit(model, CrossEntropyLoss(), Y_CLASS, epochs=1)
    assert not model.training


def test_model_trains_in_train_mode():
    seen = []
    model = _model()
    model.register_forward_hook(lambda module, inputs, output: seen.append(module.training))
    _fit(model.eval(), CrossEntropyLoss(), Y_CLASS, epochs=1, validation_data=(X, Y_CLASS))
    # fit's check of one validation row before training, 8 training steps, one validation pass
    assert seen == [False] + [True] * 8 + [False]


def test_float32_model_trains_in_float32_on_float64_data():
    model = _model()
    _fit(model, CrossEntropyLoss(), Y_CLASS, epochs=1)
    assert all(p.dtype == np.float32 for p in model.parameters())


def test_multilabel_metrics_threshold_logits_at_zero():
    model = _model()
    history = _fit(model, BCEWithLogitsLoss(), Y_MULTI, epochs=2, validation_data=(X, Y_MULTI),
                   metrics=("accuracy", "hamming", "f1_micro"))
    predicted = (mn.predict(model, X) > 0).astype(float)
    assert history["val_accuracy"][-1] == pytest.approx(np.mean(np.all(predicted == Y_MULTI, axis=1)))
    assert history["val_hamming"][-1] == pytest.approx(np.mean(predicted != Y_MULTI))


def test_bce_on_probabilities_thresholds_at_one_half():
    mn.manual_seed(0)
    model = Sequential(Dense(4, 3), _Sigmoid())
    history = _fit(model, BCELoss(), Y_MULTI, epochs=1, validation_data=(X, Y_MULTI), metrics=("hamming",))
    predicted = (mn.predict(model, X) > 0.5).astype(float)
    assert history["val_hamming"][-1] == pytest.approx(np.mean(predicted != Y_MULTI))


class _Sigmoid(mn.nn.Module):
    def forward(self, x):
        return 1 / (1 + (-x).exp())


def test_regression_metrics_match_scikit_learn():
    from sklearn.metrics import mean_absolute_error, r2_score
    model = _model(outputs=1)
    history = _fit(model, MSELoss(), Y_REG[:, None], validation_data=(X, Y_REG[:, None]), metrics=("mae", "r2", "mse"))
    output = mn.predict(model, X)
    assert history["val_mae"][-1] == pytest.approx(mean_absolute_error(Y_REG, output[:, 0]), rel=1e-5)
    assert history["val_r2"][-1] == pytest.approx(r2_score(Y_REG, output[:, 0]), rel=1e-5)
    assert history["val_mse"][-1] == pytest.approx(history["val_loss"][-1], rel=1e-5)


def test_callable_metric_is_named_after_the_function():
    def mean_output(y_true, output):
        return float(output.mean())
    history = _fit(_model(), CrossEntropyLoss(), Y_CLASS, epochs=1, metrics=(mean_output,))
    assert "mean_output" in history


def test_every_named_metric_runs_on_class_labels():
    history = _fit(_model(), CrossEntropyLoss(), Y_CLASS, epochs=1,
                   metrics=("accuracy", "subset_accuracy", "f1_micro", "f1_macro", "hamming"))
    assert all(0 <= history[name][0] <= 1 for name in ("accuracy", "f1_micro", "f1_macro", "hamming"))
    assert set(METRICS) >= {"accuracy", "f1_micro", "f1_macro", "hamming", "subset_accuracy", "mse", "mae", "r2"}


def test_divergence_stops_with_an_error_naming_epoch_and_step():
    model = _model(outputs=1)
    y_huge = Y_REG[:, None] * 1e20
    with pytest.raises(NonFiniteLossError, match=r"epoch \d+, step \d+ of 8.*smaller learning rate"):
        mn.fit(model, MSELoss(), mn.optim.SGD(model.parameters(), lr=10.0), X, y_huge,
               epochs=5, batch_size=16, progress=False)


def test_weights_blown_up_by_the_last_step_stop_with_a_validation_error_not_warnings():
    class BlowUp(mn.callbacks.Callback):
        def on_step_end(self, model, loss, history):
            for p in model.parameters():
                p.data[...] = 3e38

    model = _model(outputs=1)
    with pytest.raises(NonFiniteLossError, match=r"validation loss became (inf|nan) after epoch 1"):
        mn.fit(model, MSELoss(), mn.optim.SGD(model.parameters(), lr=0.01), X, Y_REG[:, None],
               epochs=1, batch_size=len(X), validation_data=(X, Y_REG[:, None]), progress=False,
               callbacks=[BlowUp()])


def test_non_finite_loss_error_is_a_floating_point_error():
    assert issubclass(NonFiniteLossError, FloatingPointError)


@pytest.mark.parametrize("X_bad, y_bad, error, message", [
    (X[:10], Y_CLASS, ValueError, r"same number of samples, got X of shape \(10, 4\) and y of shape \(120,\)"),
    (np.where(np.arange(480).reshape(120, 4) == 5, np.nan, X), Y_CLASS, ValueError, "X contains 1 NaN"),
    (X, np.full(120, "a"), TypeError, "y must be numeric"),
    (X[:0], Y_CLASS[:0], ValueError, "no samples"),
])
def test_bad_data_is_refused_up_front(X_bad, y_bad, error, message):
    model = _model()
    with pytest.raises(error, match=message):
        mn.fit(model, CrossEntropyLoss(), mn.optim.SGD(model.parameters(), lr=0.1), X_bad, y_bad, progress=False)


@pytest.mark.parametrize("options, message", [
    ({"batch_size": 0}, "batch_size"), ({"epochs": 1.5}, "epochs"), ({"metrics": ("accuracy_top5",)}, "unknown metric"),
    ({"validation_data": X}, "validation_data"),
])
def test_bad_options_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        _fit(_model(), CrossEntropyLoss(), Y_CLASS, **options)


def _fails_before_training(error, message, y=Y_CLASS, loss_fn=None, **options):
    """fit raises `error` matching `message`, and no step has changed the weights."""
    model = _model()
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(error, match=message):
        _fit(model, loss_fn or CrossEntropyLoss(), y, epochs=1, **options)
    for old, p in zip(before, model.parameters()):
        np.testing.assert_array_equal(p.data, old)


@pytest.mark.parametrize("X_val, y_val, message", [
    (X[:10, :3], Y_CLASS[:10],
     r"^fit: validation_data's X_val of shape \(10, 3\) does not fit the model, which trains on X of shape "
     r"\(120, 4\): Dense\(4 -> 16\) expected input with 4 features"),
    (X[:10], Y_CLASS[:10] + 3,
     r"^fit: validation_data's y_val of shape \(10,\) does not fit CrossEntropyLoss for the model's outputs "
     r"of shape \(N, 3\): .*out of range for 3 classes \(expected 0 to 2\): \[3, 4\]"),
    (X[:10], -1 - Y_CLASS[:10], r"^fit: validation_data's y_val .* out of range for 3 classes"),
    (X[:10], Y_MULTI[:10], r"^fit: validation_data's y_val of shape \(10, 3\) does not fit CrossEntropyLoss"),
])
def test_validation_data_that_the_model_or_loss_refuses_fails_before_training(X_val, y_val, message):
    _fails_before_training(ValueError, message, validation_data=(X_val, y_val))


def test_validation_targets_outside_bce_range_fail_before_training():
    mn.manual_seed(0)
    model = Sequential(Dense(4, 3), _Sigmoid())
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"^fit: validation_data's y_val of shape \(10, 3\) does not fit BCELoss "
                                         r"for the model's outputs of shape \(N, 3\): BCELoss expected targets in \[0, 1\]"):
        _fit(model, BCELoss(), Y_MULTI, epochs=1, validation_data=(X[:10], 2 * Y_MULTI[:10]))
    for old, p in zip(before, model.parameters()):
        np.testing.assert_array_equal(p.data, old)


def test_validation_labels_of_another_type_keep_the_losss_error_type():
    _fails_before_training(TypeError, r"^fit: validation_data's y_val .*expected integer class labels",
                           validation_data=(X[:10], np.ones(10, dtype=bool)))


def test_a_label_a_hand_written_loss_cannot_index_is_named_as_validation_data():
    class PickedScore(mn.nn.Loss):                  # -mean of the score at each label
        def forward(self, prediction, target):
            return -prediction[np.arange(len(target)), target].mean()
    _fails_before_training(IndexError, r"^fit: validation_data's y_val .*PickedScore.*index 3 is out of bounds",
                           loss_fn=PickedScore(), validation_data=(X[:10], np.full(10, 3)))


@pytest.mark.parametrize("metrics", ["accuracy", ["accuracy"], ("accuracy",)])
def test_one_metric_name_is_one_metric_not_its_letters(metrics):
    history = _fit(_model(), CrossEntropyLoss(), Y_CLASS, epochs=1, metrics=metrics)
    assert list(history) == ["loss", "accuracy"]


def test_one_callable_metric_needs_no_list():
    def mean_output(y_true, output):
        return float(output.mean())
    assert "mean_output" in _fit(_model(), CrossEntropyLoss(), Y_CLASS, epochs=1, metrics=mean_output)


@pytest.mark.parametrize("metrics, message", [
    ([lambda y, out: 1.0, lambda y, out: 2.0], r"two metrics named '<lambda>'.*define it with def"),
    (["accuracy", "accuracy"], r"two metrics named 'accuracy'"),
    ([lambda y, out: 1.0, "mse"], None),                            # different names: both kept
])
def test_two_metrics_of_one_name_are_refused_not_overwritten(metrics, message):
    if message is None:
        assert {"<lambda>", "mse"} <= set(_fit(_model(outputs=1), MSELoss(), Y_REG[:, None], epochs=1, metrics=metrics))
        return
    _fails_before_training(ValueError, message, metrics=metrics)


def loss(y_true, output):            # a metric named like History's own series
    return 0.0


def test_a_metric_named_like_the_loss_is_refused():
    _fails_before_training(ValueError, r"metric named 'loss', which History already uses", metrics=[loss])


@pytest.mark.parametrize("metric", ["mse", "mae", "r2"])
def test_value_metric_on_class_scores_fails_before_training(metric):
    _fails_before_training(ValueError, rf"^fit: metric '{metric}' cannot score the training data: expected one "
                           r"output per target, got outputs of shape \(N, 3\) for targets of shape \(N,\); "
                           r"these look like scores for 3 classes", metrics=[metric])


def test_label_metric_without_a_threshold_fails_before_training():
    class Squared(mn.nn.Loss):
        def forward(self, prediction, target):
            return ((prediction - target) ** 2).mean()
    _fails_before_training(ValueError, r"^fit: metric 'accuracy' cannot score the training data: .*pass threshold=",
                           y=Y_MULTI, loss_fn=Squared(), metrics="accuracy")


@pytest.mark.parametrize("name", ["epochs", "batch_size"])
@pytest.mark.parametrize("value", [False, True, 0, 0.0, 2.0, -1, "3", None, np.float32(4)])
def test_epochs_and_batch_size_must_be_true_positive_integers(name, value):
    with pytest.raises(ValueError, match=rf"fit expected {name} to be a positive integer.*got {re.escape(repr(value))}"):
        _fit(_model(), CrossEntropyLoss(), Y_CLASS, **{name: value})


def test_numpy_integers_are_accepted_for_epochs_and_batch_size():
    history = _fit(_model(), CrossEntropyLoss(), Y_CLASS, epochs=np.int64(2), batch_size=np.int32(40))
    assert history.epochs == 2


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, True])
def test_predict_names_itself_for_a_bad_batch_size(batch_size):
    message = rf"^predict expected batch_size to be a positive integer.*got {re.escape(repr(batch_size))}"
    with pytest.raises(ValueError, match=message):
        mn.predict(_model(), X, batch_size=batch_size)


@pytest.mark.parametrize("X_bad", [X[:0], np.zeros((0, 4)), np.float32(1.0)])
def test_predict_on_no_samples_says_so(X_bad):
    shape = re.escape(str(np.shape(X_bad)))
    with pytest.raises(ValueError, match=rf"predict expected X with .* at least one row, got X of shape {shape}"):
        mn.predict(_model(), X_bad)


def test_progress_bar_hidden_when_stderr_is_not_a_terminal(capsys):
    _fit(_model(), CrossEntropyLoss(), Y_CLASS, epochs=1, progress=True)
    assert capsys.readouterr().err == ""


def test_progress_always_shows_the_bar_with_the_loss(capsys):
    _fit(_model(), CrossEntropyLoss(), Y_CLASS, epochs=2, progress="always", metrics=("accuracy",))
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "loss=" in err and "accuracy=" in err


def test_predict_batches_in_eval_mode_and_matches_a_direct_call():
    model = _model()
    expected = model(mn.Tensor(X.astype(np.float32))).data
    np.testing.assert_allclose(mn.predict(model, X, batch_size=7), expected, rtol=1e-6)
    assert model.training


def test_thousand_training_steps_do_not_grow_memory():
    model = _model()
    optimizer = mn.optim.Adam(model.parameters(), lr=1e-3)

    def train(epochs):
        mn.fit(model, CrossEntropyLoss(), optimizer, X, Y_CLASS, epochs=epochs, batch_size=12, progress=False,
               seed=0)

    train(10)                             # warm-up: optimiser state and scratch arrays exist now
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        train(100)                        # 10 steps per epoch: 1,000 steps
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert current - baseline < 100_000, f"memory grew by {current - baseline} bytes over 1,000 steps"
    assert peak - baseline < 2_000_000, f"peak memory rose by {peak - baseline} bytes during 1,000 steps"


def test_predict_changes_no_shared_mode_while_another_thread_trains():
    import threading
    inside, release = threading.Event(), threading.Event()

    class Pause(mn.nn.Module):
        """Holds the predicting thread inside forward while the main thread looks at the model."""
        def forward(self, x):
            if threading.current_thread().name == "predict":
                inside.set()
                release.wait(10)
            return x

    mn.manual_seed(0)
    model = mn.nn.Sequential(mn.nn.Dense(20, 20), mn.nn.Dropout(0.5), Pause())
    X = np.ones((4, 20), np.float32)
    with mn.no_grad():
        expected = model[0](mn.Tensor(X)).data          # no dropout: what predict must give
    result = {}
    predicting = threading.Thread(name="predict",
                                  target=lambda: result.update(y=mn.predict(model, X)))
    predicting.start()
    try:
        assert inside.wait(10)
        assert model[1].training                        # still training mode for this thread
        dropped = model(mn.Tensor(X)).data
        assert np.count_nonzero(dropped == 0) > np.count_nonzero(expected == 0)
    finally:
        release.set()
        predicting.join()
    np.testing.assert_array_equal(result["y"], expected)
    assert model.training and model[1].training


def test_evaluating_is_eval_mode_in_this_thread_only():
    model = mn.nn.Sequential(mn.nn.Dropout(0.5))
    with mn.nn.evaluating():
        assert not model[0].training
    assert model[0].training
    model.eval()
    assert not model[0].training and not model.training
