"""What NeuralNetClassifier and NeuralNetRegressor share (minnet/_estimator_base.py): each fit
draws from its own generator and leaves the user's random state alone, also in threads; training
runs until the loss or the validation score stops improving."""
import threading

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_iris, make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.preprocessing import StandardScaler

import minnet as mn
from minnet import config
from minnet.estimators import NeuralNetClassifier, NeuralNetRegressor


def blobs(n_samples=90, labels=(0, 1, 2), seed=0, cluster_std=1.0):
    X, y = make_blobs(n_samples=n_samples, centers=len(labels), cluster_std=cluster_std,
                      random_state=seed)
    return StandardScaler().fit_transform(X), np.asarray(labels)[y]


def fit_briefly(estimator, X, y):
    """Fit with a max_iter below n_iter_no_change: the budget always runs out first, which fit
    reports with a ConvergenceWarning (documented behaviour, asserted here)."""
    assert estimator.max_iter < estimator.n_iter_no_change
    with pytest.warns(ConvergenceWarning, match=f"max_iter={estimator.max_iter}"):
        return estimator.fit(X, y)


# --- the estimator's own randomness --------------------------------------------------------------

@pytest.mark.parametrize("Estimator", [NeuralNetClassifier, NeuralNetRegressor])
def test_same_random_state_gives_identical_predictions(Estimator):
    X, y = blobs()
    method = "predict_proba" if Estimator is NeuralNetClassifier else "predict"
    runs = [getattr(fit_briefly(Estimator(max_iter=3, random_state=seed), X, y), method)(X)
            for seed in (7, 7, 8)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


@pytest.mark.parametrize("random_state", [0, None, np.random.RandomState(0),
                                          np.random.default_rng(0)],
                         ids=["int", "None", "RandomState", "Generator"])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_fit_and_predict_leave_minnet_and_numpy_global_random_state_alone(random_state,
                                                                          early_stopping):
    X, y = blobs()
    generator = mn.manual_seed(11)
    minnet_state = generator.bit_generator.state
    np.random.seed(11)
    numpy_state = np.random.get_state()
    clf = NeuralNetClassifier(max_iter=3, early_stopping=early_stopping,
                              random_state=random_state)
    fit_briefly(clf, X, y).predict_proba(X)
    assert config.rng() is generator
    assert generator.bit_generator.state == minnet_state
    after = np.random.get_state()
    assert after[0] == numpy_state[0] and after[2:] == numpy_state[2:]
    np.testing.assert_array_equal(after[1], numpy_state[1])


def test_an_int_random_state_ignores_minnet_manual_seed():
    X, y = blobs()
    runs = []
    for seed in (1, 2):
        mn.manual_seed(seed)
        runs.append(fit_briefly(NeuralNetClassifier(max_iter=2, random_state=0), X,
                                y).predict_proba(X))
    np.testing.assert_array_equal(runs[0], runs[1])


def test_random_state_none_gives_a_new_network_every_fit():
    X, y = blobs()
    runs = []
    for _ in range(2):
        mn.manual_seed(5)      # minnet's global seed does not decide an estimator's randomness
        runs.append(fit_briefly(NeuralNetClassifier(max_iter=2), X, y).predict_proba(X))
    assert not np.array_equal(runs[0], runs[1])


@pytest.mark.parametrize("make_state", [lambda: np.random.RandomState(3),
                                        lambda: np.random.default_rng(3)],
                         ids=["RandomState", "Generator"])
def test_a_random_state_object_seeds_the_fit_reproducibly(make_state):
    X, y = blobs()
    runs = [fit_briefly(NeuralNetClassifier(max_iter=2, random_state=make_state()), X,
                        y).predict_proba(X) for _ in range(2)]
    np.testing.assert_array_equal(runs[0], runs[1])


@pytest.mark.parametrize("random_state", [-1, "seven", 1.5])
def test_an_unusable_random_state_is_named_in_the_error(random_state):
    X, y = blobs(n_samples=12)
    with pytest.raises(ValueError, match="random_state"):
        NeuralNetClassifier(random_state=random_state).fit(X, y)


def test_cross_validation_in_threads_gives_the_scores_of_one_thread():
    # joblib's threading backend fits the five folds in two threads at once: each fit must keep
    # its own generator and grad mode while the other thread trains or predicts.
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = NeuralNetClassifier(max_iter=40, n_iter_no_change=50, random_state=0)
    with pytest.warns(ConvergenceWarning):
        sequential = cross_val_score(clf, X, y, cv=5, n_jobs=1)
    for _ in range(3):
        with pytest.warns(ConvergenceWarning), joblib.parallel_backend("threading"):
            threaded = cross_val_score(clf, X, y, cv=5, n_jobs=2)
        np.testing.assert_array_equal(threaded, sequential)
    assert sequential.mean() > 0.8


def test_fits_in_two_threads_use_their_own_generators():
    X, y = blobs()
    expected = fit_briefly(NeuralNetClassifier(max_iter=3, random_state=1), X, y).predict_proba(X)
    results, barrier = {}, threading.Barrier(2)

    def fit_in_thread(seed):
        barrier.wait()          # both fits draw their weights and batches at the same time
        clf = NeuralNetClassifier(max_iter=3, random_state=seed).fit(X, y)
        results[seed] = clf.predict_proba(X)

    threads = [threading.Thread(target=fit_in_thread, args=(seed,)) for seed in (1, 2)]
    # One warnings context for both threads (the warning filters are process-wide).
    with pytest.warns(ConvergenceWarning):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    np.testing.assert_array_equal(results[1], expected)


# --- training until it stops improving -----------------------------------------------------------

def test_training_stops_before_the_budget_once_the_loss_settles():
    # Overlapping classes: the loss levels off at the classes' overlap, well before max_iter.
    X, y = blobs(n_samples=200, labels=(0, 1), cluster_std=4.0)
    clf = NeuralNetClassifier(hidden_layer_sizes=(8,), learning_rate=1e-2,
                              random_state=0).fit(X, y)
    losses, n, tol = clf.history_["loss"], clf.n_iter_no_change, clf.tol
    assert clf.n_iter_ < clf.max_iter
    assert len(losses) == clf.n_iter_
    # The rule that stopped it: none of the last n epochs beat the best before them by tol.
    assert min(losses[-n:]) > min(losses[:-n]) - tol
    assert clf.best_loss_ == min(losses)


def test_running_out_of_budget_warns_and_keeps_the_network():
    X, y = blobs()
    clf = NeuralNetClassifier(max_iter=2, random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"max_iter=2 epochs.*tol=0\.0001"):
        clf.fit(X, y)
    assert clf.n_iter_ == 2
    assert clf.predict(X).shape == (len(X),)


def test_n_iter_no_change_epochs_after_the_first_stop_training_when_nothing_counts():
    # With a tol no epoch can beat, the first epoch sets the baseline and n_iter_no_change
    # more end it.
    X, y = blobs()
    clf = NeuralNetRegressor(tol=1e9, n_iter_no_change=3, random_state=0).fit(X, y)
    assert clf.n_iter_ == 4


def test_verbose_shows_the_progress_bar_with_the_loss(capsys):
    X, y = blobs(n_samples=20)
    fit_briefly(NeuralNetClassifier(max_iter=2, verbose=True, random_state=0), X, y)
    shown = capsys.readouterr().err
    assert "epoch 2/2" in shown and "loss=" in shown


def test_quiet_by_default(capsys):
    X, y = blobs(n_samples=20)
    fit_briefly(NeuralNetClassifier(max_iter=2, random_state=0), X, y)
    assert capsys.readouterr() == ("", "")


def test_early_stopping_scores_a_held_out_fifth_of_the_rows():
    # 100 rows with validation_fraction=0.2: every validation score is a multiple of 1/20.
    X, y = blobs(n_samples=100, labels=(0, 1), cluster_std=3.0)
    clf = NeuralNetClassifier(early_stopping=True, validation_fraction=0.2, max_iter=30,
                              n_iter_no_change=50, random_state=0)
    fit_briefly(clf, X, y)
    scores = np.array(clf.history_["val_score"])
    assert len(scores) == clf.n_iter_ == 30
    np.testing.assert_allclose(scores * 20, np.round(scores * 20), atol=1e-9)
    assert clf.best_validation_score_ == scores.max()


def test_early_stopping_stops_when_the_validation_score_does_not_improve():
    # Random labels: the training loss keeps falling (memorising) but the validation score
    # cannot improve for long, so early stopping ends training where plain training would not.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 5)), rng.integers(0, 2, 200)
    clf = NeuralNetClassifier(early_stopping=True, max_iter=300, random_state=0).fit(X, y)
    assert clf.n_iter_ < 300
    assert clf.best_validation_score_ < 0.8


def test_early_stopping_keeps_the_network_of_the_best_validation_epoch():
    X, y = blobs(n_samples=100, labels=(0, 1), cluster_std=3.0)
    clf = NeuralNetClassifier(early_stopping=True, validation_fraction=0.2, max_iter=25,
                              n_iter_no_change=50, random_state=0)
    fit_briefly(clf, X, y)
    best_epoch = int(np.argmax(clf.history_["val_score"])) + 1
    rerun = NeuralNetClassifier(early_stopping=True, validation_fraction=0.2,
                                max_iter=best_epoch, n_iter_no_change=50, random_state=0)
    fit_briefly(rerun, X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), rerun.predict_proba(X))


def test_early_stopping_without_enough_rows_for_a_validation_split_says_so():
    X, y = blobs(n_samples=9)
    with pytest.raises(ValueError, match="validation_fraction=0.1.*9 samples"):
        NeuralNetClassifier(early_stopping=True).fit(X, y)
