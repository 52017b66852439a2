"""NeuralNetClassifier and NeuralNetRegressor: scikit-learn's contract, then real tasks."""
import numpy as np
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_iris, make_blobs, make_multilabel_classification
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import estimator_checks_generator

import minnet as mn
from minnet.estimators import NeuralNetClassifier, NeuralNetRegressor, auto_init

# Arguments an activation needs before it can be built (everything else builds bare).
ACTIVATION_KWARGS = {"threshold": {"threshold": 0.0, "value": 0.0}, "maxout": {"pieces": 2}}


def blobs(n_samples=90, labels=(0, 1, 2), seed=0):
    X, y = make_blobs(n_samples=n_samples, centers=len(labels), cluster_std=1.0, random_state=seed)
    return StandardScaler().fit_transform(X), np.asarray(labels)[y]


# --- scikit-learn's own estimator checks, one test per check -------------------------------------

def _check_id(estimator, check):
    """e.g. "NeuralNetClassifier-check_fit2d_1sample" (with the check's arguments, if any)."""
    function, arguments = getattr(check, "func", check), getattr(check, "keywords", {})
    extra = "(" + ",".join(f"{k}={v}" for k, v in arguments.items()) + ")" if arguments else ""
    return f"{type(estimator).__name__}-{function.__name__}{extra}"


# scikit-learn's own estimator checks, one test each. Built as a list: older scikit-learn's
# parametrize_with_checks hands pytest a generator, which pytest 9 deprecates (an error here).
ESTIMATOR_CHECKS = [pytest.param(estimator, check, id=_check_id(estimator, check))
                    for base in (NeuralNetClassifier(), NeuralNetRegressor())
                    for estimator, check in estimator_checks_generator(base)]


@pytest.mark.parametrize("estimator, check", ESTIMATOR_CHECKS)
def test_passes_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


# --- real tasks -----------------------------------------------------------------------------------

def test_scaled_pipeline_in_grid_search_classifies_iris():
    X, y = load_iris(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                        random_state=0)
    pipeline = Pipeline([("scale", StandardScaler()),
                         ("net", NeuralNetClassifier(hidden_layer_sizes=(16,), epochs=40,
                                                     random_state=0))])
    search = GridSearchCV(pipeline, {"net__learning_rate": [1e-3, 1e-2]}, cv=3)
    search.fit(X_train, y_train)
    assert search.score(X_test, y_test) > 0.9


def test_multilabel_matrix_gives_independent_sigmoid_outputs_better_than_chance():
    X, Y = make_multilabel_classification(n_samples=400, n_features=20, n_classes=5,
                                          random_state=0)
    X_train, X_test, Y_train, Y_test = train_test_split(X, Y, test_size=0.25, random_state=0)
    model = make_pipeline(StandardScaler(), NeuralNetClassifier(hidden_layer_sizes=(32,),
                                                                learning_rate=1e-2, epochs=30,
                                                                random_state=0))
    predicted = model.fit(X_train, Y_train).predict(X_test)
    probabilities = model.predict_proba(X_test)
    assert predicted.shape == Y_test.shape
    assert set(np.unique(predicted)) <= {0, 1}
    np.testing.assert_array_equal(predicted, (probabilities > 0.5).astype(int))
    # Chance: always answer each label's majority value in the training set.
    majority = (Y_train.mean(axis=0) > 0.5).astype(int)
    chance_accuracy = (Y_test == majority).mean()
    assert (predicted == Y_test).mean() > chance_accuracy + 0.05


def test_multilabel_probabilities_need_not_sum_to_one():
    X, Y = make_multilabel_classification(n_samples=60, n_classes=4, random_state=1)
    X = StandardScaler().fit_transform(X)
    clf = NeuralNetClassifier(epochs=5, random_state=0).fit(X, Y)
    assert clf.out_activation_ == "sigmoid"
    assert not np.allclose(clf.predict_proba(X).sum(axis=1), 1.0)


def test_regressor_explains_diabetes_with_standardised_inputs_and_target():
    # Ridge regression scores about 0.41 here; a small tanh net should come close.
    X, y = load_diabetes(return_X_y=True)
    net = NeuralNetRegressor(hidden_layer_sizes=(16,), activation="tanh", epochs=20,
                             random_state=0)
    model = TransformedTargetRegressor(make_pipeline(StandardScaler(), net),
                                       transformer=StandardScaler())
    assert cross_val_score(model, X, y, cv=5).mean() > 0.35


def test_regressor_predicts_in_the_shape_of_its_targets():
    X = np.random.default_rng(0).normal(size=(30, 3))
    one, two = X[:, 0], X[:, :2]
    assert NeuralNetRegressor(epochs=2).fit(X, one).predict(X).shape == (30,)
    assert NeuralNetRegressor(epochs=2).fit(X, two).predict(X).shape == (30, 2)


@pytest.mark.parametrize("labels", [("cat", "dog", "emu"), ("no", "yes"), (-1, 1), (2.0, 7.0, 9.0)])
def test_labels_of_any_values_round_trip(labels):
    X, y = blobs(labels=labels)
    clf = NeuralNetClassifier(learning_rate=1e-2, epochs=20, random_state=0).fit(X, y)
    predicted = clf.predict(X)
    np.testing.assert_array_equal(clf.classes_, np.sort(np.asarray(labels)))
    assert predicted.dtype == y.dtype
    assert (predicted == y).mean() > 0.9


@pytest.mark.parametrize("labels", [(0, 1), (0, 1, 2)])
def test_predict_proba_rows_sum_to_one(labels):
    X, y = blobs(labels=labels)
    probabilities = NeuralNetClassifier(epochs=3, random_state=0).fit(X, y).predict_proba(X)
    assert probabilities.shape == (len(X), len(labels))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(probabilities >= 0)


@pytest.mark.parametrize("Estimator", [NeuralNetClassifier, NeuralNetRegressor])
def test_same_random_state_gives_identical_predictions(Estimator):
    X, y = blobs()
    method = "predict_proba" if Estimator is NeuralNetClassifier else "predict"
    runs = [getattr(Estimator(epochs=3, random_state=seed).fit(X, y), method)(X)
            for seed in (7, 7, 8)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_random_state_none_follows_minnet_manual_seed():
    X, y = blobs()
    runs = []
    for _ in range(2):
        mn.manual_seed(5)
        runs.append(NeuralNetClassifier(epochs=2).fit(X, y).predict_proba(X))
    np.testing.assert_array_equal(runs[0], runs[1])


# --- the network inside -------------------------------------------------------------------------

def test_model_is_the_fitted_minnet_network():
    X, y = blobs()
    clf = NeuralNetClassifier(hidden_layer_sizes=(8, 4), epochs=1).fit(X, y)
    dense = [layer for layer in clf.model_ if isinstance(layer, mn.nn.Dense)]
    assert isinstance(clf.model_, mn.nn.Sequential)
    assert [(d.in_features, d.out_features) for d in dense] == [(2, 8), (8, 4), (4, 3)]
    with mn.no_grad():
        logits = clf.model_(mn.Tensor(X)).data
    np.testing.assert_array_equal(np.argmax(logits, axis=1),
                                  np.argmax(clf.predict_proba(X), axis=1))


def test_fitted_model_can_be_inspected_with_diagnostics():
    X, y = blobs()
    clf = NeuralNetClassifier(hidden_layer_sizes=(8,), activation="relu", epochs=1).fit(X, y)
    statistics = mn.diagnostics.activation_statistics(clf.model_, X)
    assert statistics["1"]["layer"] == "ReLU"
    assert 0.0 <= statistics["1"]["zeros"] <= 1.0


def test_empty_hidden_layer_sizes_is_a_linear_model():
    X, y = blobs()
    clf = NeuralNetClassifier(hidden_layer_sizes=(), epochs=1).fit(X, y)
    assert [type(layer) for layer in clf.model_] == [mn.nn.Dense]


@pytest.mark.parametrize("activation", sorted(mn.nn.ACTIVATIONS))
def test_every_registered_activation_builds_and_trains(activation):
    X, y = blobs(n_samples=30)
    clf = NeuralNetClassifier(hidden_layer_sizes=(6,), activation=activation, epochs=2,
                              activation_kwargs=ACTIVATION_KWARGS.get(activation),
                              random_state=0).fit(X, y)
    assert isinstance(clf.model_[1], mn.nn.ACTIVATIONS[activation])
    assert clf.model_[2].in_features == 6
    assert np.isfinite(clf.loss_)


def test_maxout_hidden_layer_gets_pieces_dense_units_per_unit():
    X, y = blobs(n_samples=30)
    clf = NeuralNetClassifier(hidden_layer_sizes=(5,), activation="maxout",
                              activation_kwargs={"pieces": 3}, epochs=1).fit(X, y)
    assert clf.model_[0].out_features == 15


@pytest.mark.parametrize("activation, expected", [
    ("relu", "he_uniform"), ("leaky_relu", "he_uniform"), ("gelu", "he_uniform"),
    ("sigmoid", "xavier_uniform"), ("tanh", "xavier_uniform"), ("selu", "lecun_normal")])
def test_auto_init_picks_the_scheme_derived_for_the_activation(activation, expected):
    assert auto_init(activation) == expected


@pytest.mark.parametrize("activation, expected_variance", [
    ("relu", 2 / 200), ("tanh", 2 / (200 + 300)), ("selu", 1 / 200)])
def test_auto_init_gives_hidden_weights_the_schemes_variance(activation, expected_variance):
    # 200 inputs -> 300 units: the variance is estimated from 60,000 weights, so within 5%.
    X = np.zeros((2, 200))
    clf = NeuralNetRegressor(hidden_layer_sizes=(300,), activation=activation, epochs=1,
                             learning_rate=1e-12, random_state=0).fit(X, [0.0, 0.0])
    np.testing.assert_allclose(clf.model_[0].weight.data.var(), expected_variance, rtol=0.05)


def test_l2_penalty_shrinks_the_weights():
    X, y = blobs()
    norms = [np.abs(NeuralNetClassifier(l2=l2, learning_rate=1e-2, epochs=30, random_state=0)
                    .fit(X, y).model_[0].weight.data).sum() for l2 in (0.0, 0.05)]
    assert norms[1] < 0.8 * norms[0]


def test_warm_start_keeps_training_the_same_network():
    X, y = blobs()
    clf = NeuralNetClassifier(epochs=3, warm_start=True, random_state=0).fit(X, y)
    network, first_loss = clf.model_, clf.loss_
    clf.fit(X, y)
    assert clf.model_ is network
    assert clf.n_iter_ == 6
    assert clf.loss_ < first_loss


def test_warm_start_applies_a_new_learning_rate():
    X, y = blobs()
    clf = NeuralNetClassifier(epochs=1, warm_start=True, random_state=0).fit(X, y)
    clf.set_params(learning_rate=0.05).fit(X, y)
    assert [group["lr"] for group in clf.optimizer_.param_groups] == [0.05]


def test_without_warm_start_fit_starts_over():
    X, y = blobs()
    clf = NeuralNetClassifier(epochs=3, random_state=0).fit(X, y)
    network = clf.model_
    clf.fit(X, y)
    assert clf.model_ is not network
    assert clf.n_iter_ == 3


@pytest.mark.parametrize("parameter, value", [
    ("hidden_layer_sizes", (0,)), ("hidden_layer_sizes", "wide"), ("activation", "sparkle"),
    ("optimizer", "newton"), ("learning_rate", 0.0), ("epochs", 0), ("batch_size", 2.5)])
def test_bad_parameters_fail_in_fit_with_their_name(parameter, value):
    clf = NeuralNetClassifier(**{parameter: value})     # __init__ never validates
    X, y = blobs(n_samples=12)
    with pytest.raises(ValueError, match=parameter):
        clf.fit(X, y)


def test_activation_missing_its_arguments_says_how_to_pass_them():
    X, y = blobs(n_samples=12)
    with pytest.raises(TypeError, match="activation_kwargs"):
        NeuralNetClassifier(activation="maxout").fit(X, y)


def test_multiclass_multioutput_targets_are_refused():
    X, _ = blobs(n_samples=12)
    Y = np.tile([[0, 1], [2, 0], [1, 2]], (4, 1))
    with pytest.raises(ValueError, match="multiclass-multioutput"):
        NeuralNetClassifier(epochs=1).fit(X, Y)
