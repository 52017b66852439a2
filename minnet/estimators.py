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
    >>> clf = make_pipeline(StandardScaler(), NeuralNetClassifier(epochs=100, random_state=0))
    >>> clf.fit(X, y).score(X, y) > 0.9
    True

Networks train in minnet's default dtype (float32) for speed; predictions are computed in
float64 from those weights, so a sample's prediction never depends on which other samples
share its batch (scikit-learn checks this to 1e-9).
"""
import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from minnet import config, nn, optim
from minnet.function import no_grad
from minnet.regularizers import L1L2
from minnet.tensor import Tensor
from minnet.training import fit as train_network

# init="auto": the variance-preserving scheme each activation was derived for (see mn.init).
# SELU's self-normalisation assumes LeCun normal weights (Klambauer et al. 2017); the
# saturating, sigmoid/tanh-like and linear ones get Glorot's (Glorot & Bengio 2010); everything
# else is ReLU-like (zero or small for negative inputs) and gets He's (He et al. 2015).
_LECUN_ACTIVATIONS = frozenset({"selu"})
_XAVIER_ACTIVATIONS = frozenset({"identity", "sigmoid", "tanh", "softsign", "hard_sigmoid",
                                 "hard_tanh", "log_sigmoid", "tanhshrink", "softshrink",
                                 "hardshrink", "glu", "softmax", "log_softmax", "softmin"})
_AUTO_INIT = {"lecun": "lecun_normal", "xavier": "xavier_uniform", "he": "he_uniform"}

# X is validated as float64 or float32 (ints and bools become float64); training then casts it
# to minnet's default dtype.
_FLOAT_DTYPES = (np.float64, np.float32)


def auto_init(activation):
    """The initialiser init="auto" gives hidden layers followed by `activation` (a name).

        >>> auto_init("relu"), auto_init("tanh"), auto_init("selu")
        ('he_uniform', 'xavier_uniform', 'lecun_normal')
    """
    name = activation.lower()
    if name in _LECUN_ACTIVATIONS:
        return _AUTO_INIT["lecun"]
    if name in _XAVIER_ACTIVATIONS:
        return _AUTO_INIT["xavier"]
    return _AUTO_INIT["he"]


def _units_per_output(activation):
    """Dense outputs one hidden unit consumes: Maxout takes the max of `pieces` of them, GLU
    gates one half of its inputs with the other half; every other activation keeps the width."""
    if isinstance(activation, nn.Maxout):
        return activation.pieces
    if isinstance(activation, nn.GLU):
        return 2
    return 1


def _optimizers():
    """mn.optim's optimiser classes by lower-case name: {"sgd": SGD, "adam": Adam, ...}."""
    return {name.lower(): value for name, value in vars(optim).items()
            if isinstance(value, type) and issubclass(value, optim.Optimizer)
            and value is not optim.Optimizer}


def _is_positive_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1


def _seed_minnet(random_state):
    """Reseed minnet's one generator from random_state, so that fit is reproducible.

    None leaves the generator alone (then `mn.manual_seed` decides); an int seeds it directly;
    a numpy RandomState draws the seed (scikit-learn's convention).
    """
    if random_state is None:
        return
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        config.manual_seed(int(random_state))
    else:
        config.manual_seed(int(check_random_state(random_state).randint(np.iinfo(np.int32).max)))


class _NeuralNet(BaseEstimator):
    """What the classifier and the regressor share: parameters, the network, training."""

    def __init__(self, hidden_layer_sizes=(64,), activation="relu", activation_kwargs=None,
                 init="auto", l1=0.0, l2=0.0, optimizer="adam", learning_rate=1e-3,
                 batch_size=32, epochs=20, random_state=None, verbose=False, warm_start=False):
        # scikit-learn's contract: store the arguments untouched; fit validates them.
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.activation_kwargs = activation_kwargs
        self.init = init
        self.l1 = l1
        self.l2 = l2
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.epochs = epochs
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    # --- checking the parameters (in fit, never in __init__) ---------------------------------
    def _hidden_widths(self):
        sizes = self.hidden_layer_sizes
        widths = (sizes,) if isinstance(sizes, numbers.Integral) else sizes
        is_sequence = hasattr(widths, "__iter__") and not isinstance(widths, str)
        if not is_sequence or not all(_is_positive_int(width) for width in widths):
            raise ValueError(f"{type(self).__name__} expected hidden_layer_sizes to be a sequence "
                             f"of positive integers such as (64,) or (32, 32), got "
                             f"{self.hidden_layer_sizes!r}")
        return tuple(int(width) for width in widths)

    def _check_parameters(self):
        owner = type(self).__name__
        for name in ("batch_size", "epochs"):
            value = getattr(self, name)
            if not _is_positive_int(value):
                raise ValueError(f"{owner} expected {name} to be a positive integer, got {value!r}")
        if (isinstance(self.learning_rate, bool) or not isinstance(self.learning_rate, numbers.Real)
                or not self.learning_rate > 0):
            raise ValueError(f"{owner} expected learning_rate > 0, got {self.learning_rate!r}")
        if not isinstance(self.activation, str):
            raise TypeError(f"{owner} expected activation to be a name from mn.nn.ACTIVATIONS "
                            f"such as 'relu', got {type(self.activation).__name__}")
        if self.activation.lower() not in nn.ACTIVATIONS:
            raise ValueError(f"{owner} got unknown activation {self.activation!r}; expected one "
                             f"of: {', '.join(sorted(nn.ACTIVATIONS))}")
        self._optimizer_class()
        return self._hidden_widths()

    def _optimizer_class(self):
        if isinstance(self.optimizer, type) and issubclass(self.optimizer, optim.Optimizer):
            return self.optimizer
        known = _optimizers()
        if not isinstance(self.optimizer, str) or self.optimizer.lower() not in known:
            raise ValueError(f"{type(self).__name__} expected optimizer to be one of "
                             f"{sorted(known)} or an mn.optim.Optimizer class, "
                             f"got {self.optimizer!r}")
        return known[self.optimizer.lower()]

    # --- the network ------------------------------------------------------------------------
    def _make_activation(self):
        try:
            return nn.get_activation(self.activation, **(self.activation_kwargs or {}))
        except TypeError as error:
            raise TypeError(f"{type(self).__name__}: activation {self.activation!r} could not be "
                            f"built with activation_kwargs={self.activation_kwargs!r} ({error}); "
                            f"pass its arguments, e.g. activation_kwargs={{'pieces': 2}} for "
                            f"'maxout'") from None

    def _build_network(self, widths, n_inputs, n_outputs):
        """Dense -> activation for each hidden width, then a linear Dense to the outputs."""
        regularizer = L1L2(self.l1, self.l2) if (self.l1 or self.l2) else None
        auto = isinstance(self.init, str) and self.init == "auto"
        hidden_init = auto_init(self.activation) if auto else self.init
        # The output layer is linear (logits or values), Glorot's case.
        output_init = "xavier_uniform" if auto else self.init
        layers, width_in = [], n_inputs
        for width in widths:
            activation = self._make_activation()
            layers.append(nn.Dense(width_in, width * _units_per_output(activation),
                                   init=hidden_init, regularizer=regularizer))
            layers.append(activation)
            width_in = width
        layers.append(nn.Dense(width_in, n_outputs, init=output_init, regularizer=regularizer))
        return nn.Sequential(*layers)

    def _continuing(self):
        return bool(self.warm_start) and hasattr(self, "model_")

    def _train(self, widths, X, targets, n_outputs, loss_fn):
        """Build (or, with warm_start, keep) the network and optimiser, then run mn.fit."""
        dtype = config.get_default_dtype()
        _seed_minnet(self.random_state)
        if not self._continuing():
            self.model_ = self._build_network(widths, X.shape[1], n_outputs)
            self.optimizer_ = self._optimizer_class()(self.model_.parameters(),
                                                      lr=self.learning_rate)
            self.n_iter_ = 0
        else:
            # A new learning_rate takes effect on a warm start (schedules by hand); Adam's
            # moments and the network carry over.
            for group in self.optimizer_.param_groups:
                group["lr"] = self.learning_rate
        # verbose asks for the bar even where stderr is not a terminal (a notebook, a log).
        self.history_ = train_network(self.model_, loss_fn, self.optimizer_, X.astype(dtype),
                                      targets, epochs=self.epochs, batch_size=self.batch_size,
                                      progress="always" if self.verbose else False)
        self.model_.eval()
        self.n_iter_ += self.epochs
        self.loss_ = float(self.history_["loss"][-1])
        return self

    def _forward(self, X):
        """The network's raw outputs for validated X, computed in float64 (see module docstring)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=_FLOAT_DTYPES)
        with no_grad():
            return self.model_(Tensor(X.astype(np.float64))).data

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class NeuralNetClassifier(ClassifierMixin, _NeuralNet):
    """A multilayer perceptron classifier trained with minnet.

    1-D labels y (numbers or strings): the network has one output per class, read through
    softmax and trained with cross-entropy; `predict_proba` rows sum to 1.
    A 2-D 0/1 label matrix Y (n_samples, n_labels): multi-label classification, one sigmoid
    output per label trained with binary cross-entropy; probabilities are independent and
    `predict` returns the 0/1 matrix.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (64,)
        Width of each hidden layer; () gives a linear model (logistic regression).
    activation : str, default "relu"
        Any name in `mn.nn.ACTIVATIONS` ("tanh", "gelu", "selu", "maxout", ...).
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
    epochs : int, default 20
        Passes over the training data per call to fit. Small, so that scikit-learn's checks
        and grid searches stay fast; real problems usually want 100 or more.
    random_state : int, RandomState or None
        Seeds minnet's generator (mn.manual_seed) before building and training, so the same
        value gives identical predictions; None leaves minnet's generator as it is.
    verbose : bool, default False
        Show mn.fit's progress bar.
    warm_start : bool, default False
        Keep training the fitted network (and its optimiser state) on the next fit.

    Attributes
    ----------
    model_ : mn.nn.Sequential, the trained network (it outputs logits).
    classes_ : the class labels (1-D targets) or 0..n_labels-1 (multi-label).
    n_features_in_, feature_names_in_ : what fit saw.
    out_activation_ : "softmax" or "sigmoid", how outputs become probabilities.
    optimizer_ : the mn.optim optimiser (its state carries over with warm_start).
    history_ : the History mn.fit returned for the last fit.
    loss_ : training loss after the last epoch; n_iter_ : epochs trained in total.

    Examples
    --------
    >>> clf = NeuralNetClassifier(hidden_layer_sizes=(16,), epochs=200, random_state=0)
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
    The parameters are the classifier's (see NeuralNetClassifier). Neural networks learn best
    when both inputs and targets are on unit scale: put a StandardScaler before it, and wrap it
    in sklearn.compose.TransformedTargetRegressor(transformer=StandardScaler()) when y is large.

    Attributes
    ----------
    model_ : mn.nn.Sequential, the trained network.
    n_outputs_ : number of targets; n_features_in_, feature_names_in_ : what fit saw.
    optimizer_, history_, loss_, n_iter_ : as for NeuralNetClassifier.

    Examples
    --------
    >>> X = np.linspace(-1, 1, 40)[:, None]
    >>> reg = NeuralNetRegressor(epochs=200, learning_rate=1e-2, random_state=0).fit(X, 2 * X[:, 0])
    >>> reg.score(X, 2 * X[:, 0]) > 0.95
    True
    """

    def fit(self, X, y):
        """Train on X (n_samples, n_features) and y (n_samples,) or (n_samples, n_targets)."""
        widths = self._check_parameters()
        X, y = validate_data(self, X, y, reset=not self._continuing(), multi_output=True,
                             y_numeric=True, dtype=_FLOAT_DTYPES)
        targets = np.asarray(y, dtype=config.get_default_dtype()).reshape(len(y), -1)
        if self._continuing() and targets.shape[1] != self.n_outputs_:
            raise ValueError(f"NeuralNetRegressor(warm_start=True) was fitted on {self.n_outputs_} "
                             f"targets but this fit has {targets.shape[1]}")
        self.n_outputs_ = targets.shape[1]
        self._targets_1d = y.ndim == 1
        return self._train(widths, X, targets, self.n_outputs_, nn.MSELoss())

    def predict(self, X):
        """Predicted targets, (n_samples,) or (n_samples, n_targets) like the y given to fit."""
        outputs = self._forward(X)
        return outputs[:, 0] if self._targets_1d else outputs
