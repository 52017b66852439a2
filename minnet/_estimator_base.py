"""What NeuralNetClassifier and NeuralNetRegressor share: their parameters, the network they
build, and training until the loss (or a validation score) stops improving.

The public estimators live in minnet/estimators.py; this file is the machinery under them.
"""
import math
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted, validate_data

from minnet import config, nn, optim
from minnet.callbacks import Callback
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


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _generator_for(random_state, owner):
    """A fresh numpy Generator for one fit, made from random_state; no global state is touched.

    An int seeds it (the same int, the same fit); a RandomState or Generator the user passes is
    asked for a seed (scikit-learn's convention for RandomState); None gives fresh OS entropy,
    a different network every fit (scikit-learn would draw from numpy's global state instead).
    """
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"{owner} expected random_state to be a non-negative int, got "
                             f"{random_state}")
        return np.random.default_rng(int(random_state))
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, np.random.Generator):
        return np.random.default_rng(random_state.integers(np.iinfo(np.int64).max))
    raise ValueError(f"{owner} expected random_state to be None, an int, a numpy RandomState or "
                     f"a numpy Generator, got {random_state!r}")


class _StopOnPlateau(Callback):
    """scikit-learn's MLP stopping rule as an mn.fit callback.

    An epoch improves when its monitored value beats the best so far by more than tol; after
    `patience` epochs in a row that do not, training stops. The best so far follows every new
    best, however small (unlike mn.callbacks.EarlyStopping, which waits for a gain of tol), so a
    loss creeping down by less than tol per epoch counts as settled, as in scikit-learn.
    With keep_best the weights of the best epoch are put back at the end.
    """

    def __init__(self, monitor, higher_is_better, tol, patience, keep_best):
        self.monitor, self.sign = monitor, 1.0 if higher_is_better else -1.0
        self.tol, self.patience, self.keep_best = tol, patience, keep_best

    def on_train_begin(self, model, loss, history):
        self.best, self.best_state, self.epochs_without_improvement = -math.inf, None, 0

    def on_epoch_end(self, model, loss, history):
        value = self.sign * history[self.monitor][-1]
        improved = value > self.best + self.tol
        self.epochs_without_improvement = 0 if improved else self.epochs_without_improvement + 1
        if value > self.best:
            self.best = value
            if self.keep_best:
                self.best_state = model.state_dict()
        self.stop_training = self.epochs_without_improvement >= self.patience

    def on_train_end(self, model, loss, history):
        if self.best_state is not None:
            model.load_state_dict(self.best_state)

    @property
    def best_value(self):
        """The best monitored value, with its own sign (the lowest loss, the highest score)."""
        return self.sign * self.best


class _NeuralNet(BaseEstimator):
    """What the classifier and the regressor share: parameters, the network, training."""

    def __init__(self, hidden_layer_sizes=(100,), activation="silu", activation_kwargs=None,
                 init="auto", l1=0.0, l2=0.0, optimizer="adam", learning_rate=1e-3,
                 batch_size=32, max_iter=500, tol=1e-4, n_iter_no_change=10,
                 early_stopping=False, validation_fraction=0.1, random_state=None,
                 verbose=False, warm_start=False):
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
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
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
        for name in ("batch_size", "max_iter", "n_iter_no_change"):
            value = getattr(self, name)
            if not _is_positive_int(value):
                raise ValueError(f"{owner} expected {name} to be a positive integer, got {value!r}")
        if not (_is_real(self.learning_rate) and 0 < self.learning_rate < math.inf):
            raise ValueError(f"{owner} expected a finite learning_rate > 0, got "
                             f"{self.learning_rate!r}")
        if not (_is_real(self.tol) and 0 <= self.tol < math.inf):
            raise ValueError(f"{owner} expected a finite tol >= 0, got {self.tol!r}")
        if not (_is_real(self.validation_fraction) and 0 < self.validation_fraction < 1):
            raise ValueError(f"{owner} expected validation_fraction strictly between 0 and 1, "
                             f"got {self.validation_fraction!r}")
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
        """Build (or, with warm_start, keep) the network and optimiser, then train to convergence.

        Everything random draws from this fit's own generator, lent to minnet for this thread.
        """
        generator = _generator_for(self.random_state, type(self).__name__)
        with config.use_generator(generator):
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
            X = X.astype(config.get_default_dtype())
            validation = None
            if self.early_stopping:
                X, X_val, targets, targets_val = self._validation_split(X, targets, generator)
                validation = (X_val, targets_val)
            self._run_epochs(loss_fn, X, targets, validation)
        self.model_.eval()
        return self

    def _run_epochs(self, loss_fn, X, targets, validation):
        """One mn.fit of up to max_iter epochs, ended by _StopOnPlateau."""
        stop = _StopOnPlateau("loss" if validation is None else "val_score",
                              higher_is_better=validation is not None, tol=self.tol,
                              patience=self.n_iter_no_change, keep_best=validation is not None)

        def score(targets, outputs):        # history's "score" and "val_score"
            return self._score(targets, outputs)

        # verbose asks for the bar even where stderr is not a terminal (a notebook, a log).
        self.history_ = train_network(self.model_, loss_fn, self.optimizer_, X, targets,
                                      epochs=self.max_iter, batch_size=self.batch_size,
                                      validation_data=validation,
                                      metrics=() if validation is None else (score,),
                                      progress="always" if self.verbose else False,
                                      callbacks=[stop])
        self.n_iter_ += self.history_.epochs
        if not stop.stop_training:
            # As scikit-learn's MLP does; the network is still usable, just not settled.
            warnings.warn(f"{type(self).__name__} used all max_iter={self.max_iter} epochs and "
                          f"the {'loss' if validation is None else 'validation score'} was still "
                          f"improving by more than tol={self.tol}; raise max_iter, or tol",
                          ConvergenceWarning, stacklevel=4)
        self.loss_ = float(self.history_["loss"][-1])
        self.best_loss_ = float(min(self.history_["loss"]))
        self.best_validation_score_ = None if validation is None else float(stop.best_value)

    def _validation_split(self, X, targets, generator):
        """Hold out validation_fraction of the rows (stratified by class where every class can
        appear on both sides) for early stopping."""
        n_validation = math.ceil(self.validation_fraction * len(X))
        if n_validation < 2 or len(X) - n_validation < 1:
            raise ValueError(f"{type(self).__name__}(early_stopping=True, validation_fraction="
                             f"{self.validation_fraction}) needs at least 2 validation rows and 1 "
                             f"training row; {len(X)} samples give {n_validation} validation rows")
        stratify = None
        if targets.ndim == 1 and np.issubdtype(targets.dtype, np.integer):
            counts = np.bincount(targets)
            n_classes = np.count_nonzero(counts)
            if (counts[counts > 0].min() >= 2 and n_validation >= n_classes
                    and len(X) - n_validation >= n_classes):
                stratify = targets
        seed = int(generator.integers(np.iinfo(np.int32).max))
        return train_test_split(X, targets, test_size=n_validation, stratify=stratify,
                                random_state=seed)

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
