"""Assignment 6: a mini-project: train, diagnose and report (see statement.md).

The data: scikit-learn's 1,797 handwritten digits (8x8 pixels scaled to [0, 1], labels 0-9),
split by `load_data` into 1,347 for training and 450 for validation. Use minnet's public API
(mn.nn, mn.optim, mn.fit, mn.callbacks) and, where you like, your code from assignments 1-5.
"""
import numpy as np

import minnet as mn


def load_data(seed=0):
    """(X_train, y_train, X_val, y_val): a fixed shuffle of load_digits, 450 samples held out."""
    X, y = mn.datasets.load_digits()
    order = np.random.default_rng(seed).permutation(len(X))
    X, y = X[order], y[order]
    return X[450:], y[450:], X[:450], y[:450]


def build_model(seed=0):
    """A classifier (N, 64) -> (N, 10) logits, with at least one hidden layer.

    Seed minnet first (mn.manual_seed(seed)) so that the same seed builds the same network.
    """
    # HINT: mn.manual_seed(seed); mn.nn.Sequential(mn.nn.Dense(64, hidden), an activation, ...,
    # HINT: mn.nn.Dense(hidden, 10))
    # YOUR CODE HERE
    raise NotImplementedError('mn.manual_seed(seed); mn.nn.Sequential(mn.nn.Dense(64, hidden), an activation, ..., mn.nn.Dense(hidden, 10))')


def train(model, X_train, y_train, X_val, y_val, seed=0):
    """Train `model` with cross-entropy; return mn.fit's History, with "val_accuracy" in it.

    It must reach a validation accuracy of at least 0.95 in under a minute.
    """
    # HINT: mn.fit(model, mn.nn.CrossEntropyLoss(), mn.optim.Adam(...), X_train, y_train,
    # HINT: epochs=..., validation_data=(X_val, y_val), metrics=("accuracy",), progress=False,
    # HINT: seed=seed)
    # YOUR CODE HERE
    raise NotImplementedError('mn.fit(model, mn.nn.CrossEntropyLoss(), mn.optim.Adam(...), X_train, y_train, epochs=..., validation_data=(X_val, y_val), metrics=("accuracy",), progress=False, seed=seed)')


def gradient_norms(model, X, y):
    """{parameter name: ||dL/dp||} for L = CrossEntropyLoss()(model(X), y), one backward pass.

    Names as in model.named_parameters() ("0.weight", ...); the model's gradients are zeroed
    first, so earlier passes do not add in.
    """
    # HINT: model.zero_grad(); loss = mn.nn.CrossEntropyLoss()(model(mn.Tensor(X)), y);
    # HINT: loss.backward(); np.linalg.norm(p.grad)
    # YOUR CODE HERE
    raise NotImplementedError('model.zero_grad(); loss = mn.nn.CrossEntropyLoss()(model(mn.Tensor(X)), y); loss.backward(); np.linalg.norm(p.grad)')
