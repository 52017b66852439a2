"""scikit-learn estimators: a minnet network behind fit / predict / predict_proba / score.

    NeuralNetClassifier   1-D labels (any values, strings too) -> softmax + cross-entropy
                          2-D 0/1 label matrix (multi-label)   -> sigmoid + binary cross-entropy
    NeuralNetRegressor    1-D or 2-D real targets              -> identity + mean squared error

Both follow scikit-learn's estimator contract, so they work inside Pipeline, GridSearchCV and
cross_val_score: `__init__` only stores its arguments, `fit` returns self, and everything learned
ends in "_". The fitted network is `model_`, a plain `mn.nn.Sequential`, so a student can look
inside it (`print(model_)`, `mn.diagnostics`) or keep training it by hand.

    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = mn.datasets.load_iris()
    >>> clf = make_pipeline(StandardScaler(), NeuralNetClassifier(random_state=0))
    >>> clf.fit(X, y).score(X, y) > 0.9
    True

Training runs until the loss stops improving, as scikit-learn's MLPClassifier does: at most
`max_iter` epochs, stopping once `n_iter_no_change` epochs in a row fail to beat the best
training loss (or, with early_stopping=True, the best score on a held-out validation split) by
more than `tol`; a budget that runs out is reported with scikit-learn's ConvergenceWarning.

Each fit draws its randomness (initial weights, shuffling, the validation split) from its own
generator made from `random_state`, lent to minnet for the current thread only
(`mn.config.use_generator`), so fitting never reseeds or advances minnet's global generator
(`mn.manual_seed`) or numpy's, and fits in parallel threads (joblib's threading backend) give
the same results as one after another.

Networks train in minnet's default dtype (float32) for speed; predictions are computed in
float64 from those weights, so a sample's prediction never depends on which other samples
share its batch (scikit-learn checks this to 1e-9).
"""
import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d, validate_data

from minnet import config, nn
from minnet._estimator_base import _FLOAT_DTYPES, _NeuralNet, auto_init
from minnet.tensor import Tensor

__all__ = ["NeuralNetClassifier", "NeuralNetRegressor", "auto_init"]


class NeuralNetClassifier(ClassifierMixin, _NeuralNet):
    """A multilayer perceptron classifier trained with minnet.

    1-D labels y (numbers or strings): the network has one output per class, read through
    softmax and trained with cross-entropy; `predict_proba` rows sum to 1.
    A 2-D 0/1 label matrix Y (n_samples, n_labels): multi-label classification, one sigmoid
    output per label trained with binary cross-entropy; probabilities are independent and
    `predict` returns the 0/1 matrix.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (100,)
        Width of each hidden layer; () gives a linear model (logistic regression).
    activation : str, default "silu"
        Any name in `mn.nn.ACTIVATIONS` ("relu", "tanh", "gelu", "selu", "maxout", ...).
        SiLU, x * sigmoid(x), is smooth and has no dead units; with the other defaults it
        scored at least as well as ReLU and tanh on every dataset of
        benchmarks/bench_estimators.py.
    activation_kwargs : dict or None
        Arguments for the activation, e.g. {"negative_slope": 0.1} or {"pieces": 2}.
    init : str or callable, default "auto"
        "auto" picks He for ReLU-like activations, Xavier for sigmoid/tanh-like ones and
        LeCun for SELU (see `auto_init`); otherwise any `mn.init` name or callable.
    l1, l2 : float, default 0.0
        Weight penalty l1 * sum|W| + l2 * sum W^2 on every Dense weight (not the biases).
    optimizer : str or mn.optim.Optimizer class, default "adam"
    learning_rate : float, default 1e-3
    batch_size : int, default 32
    max_iter : int, default 500
        The most epochs (passes over the training data) one call to fit may run. If they run
        out before training has converged, fit warns with sklearn's ConvergenceWarning and
        keeps the network it has.
    tol : float, default 1e-4
        The improvement that counts: an epoch improves when its training loss is more than tol
        below the lowest so far (with early_stopping: its validation score more than tol above
        the highest so far), scikit-learn's rule.
    n_iter_no_change : int, default 10
        Training stops after this many epochs in a row without such an improvement.
    early_stopping : bool, default False
        Hold out validation_fraction of the training rows (stratified by class when possible),
        monitor the score on them (accuracy, or R^2 for the regressor) instead of the training
        loss, and keep the network of the best validation epoch.
    validation_fraction : float, default 0.1
        The held-out share for early_stopping.
    random_state : int, RandomState, Generator or None
        Seeds this estimator's own generator, which draws the initial weights, the shuffling
        and the validation split: the same int gives identical predictions. None gives a fresh
        generator every fit. minnet's global generator (mn.manual_seed) and numpy's are never
        used or advanced.
    verbose : bool, default False
        Show mn.fit's progress bar with each epoch's loss (and validation score).
    warm_start : bool, default False
        Keep training the fitted network (and its optimiser state) on the next fit.

    Attributes
    ----------
    model_ : mn.nn.Sequential
        The trained network (it outputs logits).
    classes_ : numpy.ndarray
        The class labels (1-D targets) or 0..n_labels-1 (multi-label).
    n_features_in_, feature_names_in_
        What fit saw.
    out_activation_ : str
        "softmax" or "sigmoid": how outputs become probabilities.
    optimizer_ : mn.optim.Optimizer
        The optimiser (its state carries over with warm_start).
    history_ : mn.History
        What mn.fit returned for the last fit: "loss" per epoch; with early_stopping also
        "val_loss", and "score" and "val_score" (accuracy, or R^2) on the training and
        validation rows.
    loss_, best_loss_ : float
        The training loss after the last epoch, and the lowest one.
    best_validation_score_ : float or None
        The best validation score (None without early_stopping).
    n_iter_ : int
        Epochs trained in total (across fits with warm_start).

    Examples
    --------
    >>> clf = NeuralNetClassifier(learning_rate=1e-2, random_state=0)
    >>> clf.fit([[0.0], [1.0], [2.0], [3.0]], ["no", "no", "yes", "yes"]).predict([[2.5]])
    array(['yes'], dtype='<U3')
    """

    def fit(self, X, y):
        """Train on X (n_samples, n_features) and labels y (n_samples,) or (n_samples, n_labels)."""
        widths = self._check_parameters()
        X, y = validate_data(self, X, y, reset=not self._continuing(), multi_output=True,
                             dtype=_FLOAT_DTYPES)
        check_classification_targets(y)
        kind = type_of_target(y)
        if kind == "multilabel-indicator":
            classes = np.arange(y.shape[1])
            targets = np.asarray(y, dtype=config.get_default_dtype())
            loss_fn, out_activation = nn.BCEWithLogitsLoss(), "sigmoid"
        elif kind in ("binary", "multiclass"):
            # A column vector of labels is still single-label: scikit-learn warns and ravels.
            y = column_or_1d(y, warn=True)
            encoder = LabelEncoder().fit(y)
            classes, targets = encoder.classes_, encoder.transform(y)
            loss_fn, out_activation = nn.CrossEntropyLoss(), "softmax"
        else:
            raise ValueError(f"NeuralNetClassifier expected 1-D class labels or a 2-D 0/1 "
                             f"multi-label matrix, got {kind} targets of shape {np.shape(y)}")
        if self._continuing() and not np.array_equal(classes, self.classes_):
            raise ValueError(f"NeuralNetClassifier(warm_start=True) was fitted on classes "
                             f"{self.classes_.tolist()} but this fit has {classes.tolist()}")
        self.classes_, self.out_activation_ = classes, out_activation
        self._label_dtype = y.dtype
        return self._train(widths, X, targets, len(classes), loss_fn)

    def _score(self, targets, logits):
        """Accuracy of raw network outputs against encoded targets (the validation score): the
        share of rows predicted right, every label right for a multi-label fit."""
        if self.out_activation_ == "sigmoid":
            return float(np.mean(np.all((logits > 0) == (targets > 0.5), axis=1)))
        return float(np.mean(np.argmax(logits, axis=1) == targets))

    def predict_proba(self, X):
        """Class probabilities (n_samples, n_classes): softmax rows summing to 1, or independent
        sigmoid probabilities per label for a multi-label fit."""
        logits = Tensor(self._forward(X))
        squash = nn.Sigmoid() if self.out_activation_ == "sigmoid" else nn.Softmax()
        return squash(logits).data

    def predict(self, X):
        """Labels (n_samples,) taken from classes_, or the 0/1 matrix for a multi-label fit."""
        probabilities = self.predict_proba(X)
        if self.out_activation_ == "sigmoid":
            return (probabilities > 0.5).astype(self._label_dtype)
        return self.classes_[np.argmax(probabilities, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class NeuralNetRegressor(RegressorMixin, _NeuralNet):
    """A multilayer perceptron regressor trained with minnet: linear outputs, mean squared error.

    y may be 1-D (one target) or 2-D (n_samples, n_targets); predict returns the same shape.
    The parameters are the classifier's (see NeuralNetClassifier).

    The target is standardised inside the estimator: the network learns
    (y - y_mean_) / y_scale_, each target column to mean 0 and standard deviation 1, and
    predict maps its outputs back (outputs * y_scale_ + y_mean_). So an unscaled target
    (prices, counts, disease progression in the hundreds) trains as well as a unit-scale one,
    and `tol` means the same for every target. The inputs are not scaled: put a StandardScaler
    before the regressor in a pipeline.

    Attributes
    ----------
    model_ : mn.nn.Sequential
        The trained network (it predicts standardised targets).
    y_mean_, y_scale_ : numpy.ndarray
        Arrays of shape (n_targets,): the target's mean and standard deviation in the
        training data (a constant target gets scale 1).
    n_outputs_ : int
        The number of targets.
    n_features_in_, feature_names_in_
        What fit saw.
    optimizer_, history_, n_iter_
        As for NeuralNetClassifier.
    loss_, best_loss_ : float
        As for NeuralNetClassifier, in standardised units (MSE / variance).
    best_validation_score_ : float or None
        With early_stopping, the best validation R^2.

    Examples
    --------
    >>> X = np.linspace(-1, 1, 40)[:, None]
    >>> reg = NeuralNetRegressor(random_state=0).fit(X, 100 * X[:, 0] + 500)
    >>> reg.score(X, 100 * X[:, 0] + 500) > 0.95
    True
    """

    def fit(self, X, y):
        """Train on X (n_samples, n_features) and y (n_samples,) or (n_samples, n_targets)."""
        widths = self._check_parameters()
        X, y = validate_data(self, X, y, reset=not self._continuing(), multi_output=True,
                             y_numeric=True, dtype=_FLOAT_DTYPES)
        y_2d = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if self._continuing():
            if y_2d.shape[1] != self.n_outputs_:
                raise ValueError(f"NeuralNetRegressor(warm_start=True) was fitted on "
                                 f"{self.n_outputs_} targets but this fit has {y_2d.shape[1]}")
        else:
            # A warm start keeps the first fit's scaling: the network learned in those units.
            scale = y_2d.std(axis=0)
            self.y_mean_, self.y_scale_ = y_2d.mean(axis=0), np.where(scale > 0, scale, 1.0)
        self.n_outputs_ = y_2d.shape[1]
        self._targets_1d = y.ndim == 1
        targets = ((y_2d - self.y_mean_) / self.y_scale_).astype(config.get_default_dtype())
        return self._train(widths, X, targets, self.n_outputs_, nn.MSELoss())

    def _score(self, targets, outputs):
        """R^2 of raw (standardised) outputs: the validation score. R^2 is the same in
        standardised and original units, since both sides get the same affine map."""
        return float(r2_score(targets, outputs))

    def predict(self, X):
        """Predicted targets, (n_samples,) or (n_samples, n_targets) like the y given to fit."""
        outputs = self._forward(X) * self.y_scale_ + self.y_mean_
        return outputs[:, 0] if self._targets_1d else outputs
