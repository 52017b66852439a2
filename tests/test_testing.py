"""minnet.testing: every built-in passes the kit, and the kit catches the mistakes students make.

The built-ins are taken from the registries (mn.nn.ACTIVATIONS, the layers and losses exported
by mn.nn, the optimisers in mn.optim), so a new one without a case here fails the suite.
The optimisers are checked against update rules written here in plain numpy from the
papers' (and PyTorch's documented) pseudo-code.
"""
import inspect

import numpy as np
import pytest

import minnet as mn
from minnet.nn import ACTIVATIONS, Activation
from minnet.testing import (check_activation, check_function, check_loss, check_module,
                            check_optimizer)

L = mn.nn

# --- every built-in activation ------------------------------------------------------------------

ACTIVATION_ARGUMENTS = {"maxout": dict(pieces=3), "threshold": dict(threshold=0.5, value=-1.0)}
ACTIVATION_VARIANTS = {
    "prelu per channel": lambda: L.PReLU(num_parameters=3),
    "swish trainable": lambda: L.Swish(beta=1.5, trainable=True),
    "gelu tanh": lambda: L.GELU(approximate="tanh"),
    "softplus beta 2": lambda: L.Softplus(beta=2.0, threshold=5.0),
    "rrelu eval": lambda: L.RReLU().eval(),
    "maxout 2": lambda: L.Maxout(pieces=2),
    "glu axis 1": lambda: L.GLU(axis=1),
    "softmax axis 0": lambda: L.Softmax(axis=0),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_every_registered_activation_passes_the_kit(name):
    check_activation(ACTIVATIONS[name](**ACTIVATION_ARGUMENTS.get(name, {})))


@pytest.mark.parametrize("variant", sorted(ACTIVATION_VARIANTS))
def test_activation_variants_pass_the_kit(variant):
    check_activation(ACTIVATION_VARIANTS[variant]())


# --- every built-in layer -----------------------------------------------------------------------

def _block():
    return L.Sequential(L.Dense(4, 4), L.Tanh(), L.Dense(4, 4))


LAYER_CASES = {
    "Dense": [lambda: (L.Dense(3, 2), (4, 3)), lambda: (L.Dense(3, 2, bias=False), (4, 3))],
    "Conv2D": [lambda: (L.Conv2D(2, 3, 3, padding=1), (2, 2, 5, 5)),
               lambda: (L.Conv2D(2, 2, (2, 3), stride=2, dilation=(1, 2)), (1, 2, 6, 7))],
    "MaxPool2D": [lambda: (L.MaxPool2D(2), (2, 2, 4, 4))],
    "AvgPool2D": [lambda: (L.AvgPool2D(3, stride=2, padding=1), (2, 2, 5, 5))],
    "Flatten": [lambda: (L.Flatten(), (2, 3, 4))],
    "Dropout": [lambda: (L.Dropout(0.3), (4, 5))],
    "BatchNorm1D": [lambda: (L.BatchNorm1D(3), (5, 3))],
    "BatchNorm2D": [lambda: (L.BatchNorm2D(2), (3, 2, 3, 3))],
    "LayerNorm": [lambda: (L.LayerNorm(4), (3, 4)), lambda: (L.LayerNorm((2, 3)), (2, 2, 3))],
    "Sequential": [lambda: (_block(), (3, 4))],
    "Residual": [lambda: (L.Residual(_block()), (3, 4)),
                 lambda: (L.Residual(L.Dense(4, 6), projection=L.Dense(4, 6, bias=False)), (3, 4))],
}
# Exported Modules that are not layers one can call on an input.
NOT_LAYERS = {"Module", "ModuleList", "ModuleDict"}


def _exported(base):
    return {name for name in L.__all__ if inspect.isclass(getattr(L, name))
            and issubclass(getattr(L, name), base)}


def _layer_names():
    loss_base = getattr(L, "Loss", None) or type(L.MSELoss()).__mro__[1]
    return _exported(L.Module) - _exported(Activation) - _exported(loss_base) - NOT_LAYERS


def test_every_exported_layer_has_a_kit_case():
    missing = _layer_names() - set(LAYER_CASES)
    assert not missing, f"add a case for {sorted(missing)} to LAYER_CASES in tests/test_testing.py"


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("name, index", [(n, i) for n in sorted(LAYER_CASES)
                                         for i in range(len(LAYER_CASES[n]))])
def test_every_layer_passes_the_kit(name, index, mode):
    if not hasattr(L, name):
        pytest.fail(f"mn.nn.{name} is in LAYER_CASES but not exported by mn.nn")
    mn.manual_seed(0)
    layer, shape = LAYER_CASES[name][index]()
    layer.train(mode == "train")
    check_module(layer, shape, batch_of_one=not (name == "BatchNorm1D" and mode == "train"))


# --- every built-in loss ------------------------------------------------------------------------

LOSS_CASES = {
    "MSELoss": lambda: (L.MSELoss(), (5, 3), "real", {}),
    "L1Loss": lambda: (L.L1Loss(), (5, 3), "real", {}),
    "HuberLoss": lambda: (L.HuberLoss(delta=0.5), (5, 3), "real", {}),
    "BCELoss": lambda: (L.BCELoss(), (6,), "binary", dict(predictions="probabilities")),
    "BCEWithLogitsLoss": lambda: (L.BCEWithLogitsLoss(), (6, 2), "probability", {}),
    "CrossEntropyLoss": lambda: (L.CrossEntropyLoss(label_smoothing=0.1), (6, 3), "labels", {}),
    "NLLLoss": lambda: (L.NLLLoss(), (6, 3), "labels", dict(predictions="log_probabilities")),
}


def test_every_exported_loss_has_a_kit_case():
    loss_base = getattr(L, "Loss", None) or type(L.MSELoss()).__mro__[1]
    missing = _exported(loss_base) - {"Loss"} - set(LOSS_CASES)
    assert not missing, f"add a case for {sorted(missing)} to LOSS_CASES in tests/test_testing.py"


@pytest.mark.parametrize("name", sorted(LOSS_CASES))
def test_every_loss_passes_the_kit(name):
    loss, shape, target, options = LOSS_CASES[name]()
    check_loss(loss, shape, target, **options)


# --- every built-in optimiser, against numpy references -------------------------------------------

def sgd_reference(p, g, state, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    g = g + weight_decay * p
    if momentum:
        state["b"] = g if "b" not in state else momentum * state["b"] + (1 - dampening) * g
        g = g + momentum * state["b"] if nesterov else state["b"]
    return p - lr * g


def adam_reference(p, g, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                   amsgrad=False, decoupled=False):
    if decoupled:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    t = state["t"] = state.get("t", 0) + 1
    m = state["m"] = betas[0] * state.get("m", 0) + (1 - betas[0]) * g
    v = state["v"] = betas[1] * state.get("v", 0) + (1 - betas[1]) * g * g
    if amsgrad:
        v = state["vmax"] = np.maximum(state.get("vmax", 0), v)
    return p - lr * (m / (1 - betas[0] ** t)) / (np.sqrt(v / (1 - betas[1] ** t)) + eps)


def rmsprop_reference(p, g, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                      centered=False):
    g = g + weight_decay * p
    s = state["s"] = alpha * state.get("s", 0) + (1 - alpha) * g * g
    if centered:
        a = state["a"] = alpha * state.get("a", 0) + (1 - alpha) * g
        s = s - a * a
    step = g / (np.sqrt(s) + eps)
    if momentum:
        step = state["b"] = momentum * state.get("b", 0) + step
    return p - lr * step


def adagrad_reference(p, g, state, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                      initial_accumulator_value=0.0, eps=1e-10):
    g = g + weight_decay * p
    t = state["t"] = state.get("t", 0) + 1
    state["sum"] = state.get("sum", initial_accumulator_value) + g * g
    return p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(state["sum"]) + eps)


OPTIMIZER_CASES = {
    "SGD": [(sgd_reference, dict(lr=0.1)),
            (sgd_reference, dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
            (sgd_reference, dict(lr=0.1, momentum=0.9, nesterov=True)),
            (sgd_reference, dict(lr=0.1, momentum=0.5, dampening=0.3))],
    "Adam": [(adam_reference, dict(lr=0.01)),
             (adam_reference, dict(lr=0.01, weight_decay=0.1, amsgrad=True))],
    "AdamW": [(lambda p, g, s, **k: adam_reference(p, g, s, decoupled=True, **k),
               dict(lr=0.01, weight_decay=0.1))],
    "RMSprop": [(rmsprop_reference, dict(lr=0.01)),
                (rmsprop_reference, dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1))],
    "Adagrad": [(adagrad_reference, dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1))],
}


def test_every_optimizer_has_a_kit_case():
    base = mn.optim.Optimizer
    exported = {name for name, value in vars(mn.optim).items() if inspect.isclass(value)
                and issubclass(value, base) and value is not base and not name.startswith("_")}
    missing = exported - set(OPTIMIZER_CASES)
    assert not missing, f"add a case for {sorted(missing)} to OPTIMIZER_CASES in tests/test_testing.py"


@pytest.mark.parametrize("name, index", [(n, i) for n in sorted(OPTIMIZER_CASES)
                                         for i in range(len(OPTIMIZER_CASES[n]))])
def test_every_optimizer_matches_its_reference(name, index):
    reference, settings = OPTIMIZER_CASES[name][index]
    check_optimizer(getattr(mn.optim, name), reference, settings)
