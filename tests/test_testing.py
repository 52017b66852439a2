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


class _Flat(L.Module):
    """A layer whose call returns several tensors (RNN's output and state, attention's output
    and weights), or needs more than its input, seen by the kit as one flat output."""

    def __init__(self, layer, call=lambda layer, x: layer(x)):
        self.layer, self.call = layer, call

    def forward(self, x):
        outputs = self.call(self.layer, x)
        parts = [outputs] if isinstance(outputs, mn.Tensor) else [
            part for item in outputs for part in (item if isinstance(item, tuple) else (item,))]
        return mn.concatenate([part.reshape(-1) for part in parts if part is not None])


_IDS = np.array([2, 0, 4, 2])          # Embedding: fixed ids, plus the kit's input to check dL/dW


LAYER_CASES = {
    "Embedding": [lambda: (_Flat(L.Embedding(5, 3, padding_idx=1), lambda m, x: m(_IDS) + x), (4, 3))],
    "RNN": [lambda: (_Flat(L.RNN(3, 2, num_layers=2, batch_first=True)), (2, 4, 3)),
            lambda: (_Flat(L.RNN(3, 2, nonlinearity="relu")), (4, 2, 3))],
    "LSTM": [lambda: (_Flat(L.LSTM(3, 2, num_layers=2, batch_first=True)), (2, 4, 3))],
    "GRU": [lambda: (_Flat(L.GRU(3, 2, batch_first=True)), (2, 4, 3))],
    "RNNCell": [lambda: (L.RNNCell(3, 2), (4, 3))],
    "LSTMCell": [lambda: (_Flat(L.LSTMCell(3, 2)), (4, 3))],
    "GRUCell": [lambda: (L.GRUCell(3, 2), (4, 3))],
    "MultiheadAttention": [lambda: (_Flat(L.MultiheadAttention(4, 2, batch_first=True),
                                          lambda m, x: m(x, x, x, is_causal=True)), (2, 3, 4))],
    "PositionalEncoding": [lambda: (L.PositionalEncoding(4, max_len=8), (2, 3, 4))],
    "TransformerBlock": [lambda: (L.TransformerBlock(4, 2, d_ff=6), (2, 3, 4))],
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


# --- the kit catches real mistakes ----------------------------------------------------------------

def _row(report, prefix):
    rows = [c for c in report.checks if c.name.startswith(prefix)]
    assert rows, f"no check named {prefix!r} in\n{report}"
    return rows


class LeakyWithWrongNegativeSide(Activation):
    """f(x) = x if x > 0 else 0.1 x, but df claims 0.01 on the negative side."""

    def f(self, x):
        return np.where(x > 0, x, 0.1 * x)

    def df(self, x, y):
        return np.where(x > 0, 1.0, 0.01)


def test_kit_catches_a_derivative_wrong_on_part_of_the_domain():
    report = check_activation(LeakyWithWrongNegativeSide(), raise_on_failure=False)
    (row,) = _row(report, "df matches")
    assert row.passed is False
    assert "expected 0.1" in row.detail and "got 0.01" in row.detail and "(input -" in row.detail


class NaiveSigmoid(Activation):
    """f(x) = 1 / (1 + e^-x) written directly: e^-x overflows for x below about -709."""

    def f(self, x):
        return 1 / (1 + np.exp(-x))

    def df(self, x, y):
        return y * (1 - y)


def test_kit_catches_a_sigmoid_that_overflows():
    report = check_activation(NaiveSigmoid(), raise_on_failure=False)
    (row,) = _row(report, "finite, no warnings")
    assert row.passed is False and "overflow" in row.detail
    assert _row(report, "df matches")[0].passed               # the formula itself is right
    assert all("overflow" in c.detail for c in report.failures)


class HalfInFloat64(Activation):
    """f(x) = x / 2 with a numpy float64 constant, which promotes float32 inputs."""

    def f(self, x):
        return np.float64(0.5) * x

    def df(self, x, y):
        return np.full_like(x, 0.5)


def test_kit_catches_float64_output_for_float32_input():
    report = check_activation(HalfInFloat64(), raise_on_failure=False)
    (row,) = _row(report, "float32 in")
    assert row.passed is False and "float32 inputs gave a float64 output" in row.detail


class DoubleInPlace(mn.Function):
    """y = 2 x, computed by doubling x where it lies (the caller's array)."""

    @staticmethod
    def forward(ctx, x):
        x *= 2
        return x

    @staticmethod
    def backward(ctx, grad):
        return 2 * grad


def test_kit_catches_an_op_that_changes_its_input_in_place():
    report = check_function(DoubleInPlace, raise_on_failure=False)
    (row,) = _row(report, "inputs and incoming gradient unmodified")
    assert row.passed is False and "in place" in row.detail


class MulWithoutUnbroadcast(mn.Function):
    """y = a b, but backward forgets to sum the gradient back to each operand's shape."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        return grad * b, grad * a


def test_kit_catches_a_gradient_that_ignores_broadcasting():
    report = check_function(MulWithoutUnbroadcast, raise_on_failure=False)
    rows = _row(report, "gradcheck")
    assert next(r for r in rows if r.name.endswith("(3, 4), (3, 4)")).passed
    broadcast = next(r for r in rows if r.name.endswith("(3, 4), (4,)"))
    assert broadcast.passed is False and "shape (3, 4) for input 1 of shape (4,)" in broadcast.detail


def test_a_failing_check_raises_an_assertion_error_carrying_the_table():
    with pytest.raises(AssertionError) as caught:
        check_activation(NaiveSigmoid())
    message = str(caught.value)
    assert "NaiveSigmoid" in message and "FAIL" in message and "failed" in message
    assert "overflow encountered in exp" in message


def test_report_table_marks_each_check_and_counts_them():
    report = check_activation(LeakyWithWrongNegativeSide(), raise_on_failure=False)
    lines = str(report).splitlines()
    assert lines[0] == "LeakyWithWrongNegativeSide()"
    assert sum(line.lstrip().startswith("FAIL") for line in lines) == len(report.failures) >= 1
    assert lines[-1].strip().endswith(f"{len(report.failures)} failed")
    assert not report.passed


def test_kit_catches_a_loss_that_broadcasts_a_wrong_target_silently():
    class SquaredError(mn.nn.Module):
        reduction = "mean"

        def forward(self, prediction, target):
            difference = prediction - mn.Tensor(np.asarray(target, dtype=prediction.dtype))
            return (difference * difference).mean()

    report = check_loss(SquaredError(), (5,), "real", raise_on_failure=False)
    (row,) = _row(report, "refuses a target")
    assert row.passed is False and "accepted" in row.detail


class SGDThatScalesTheGradientInPlace(mn.optim.SGD):
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                p.grad *= group["lr"]          # the mistake: the gradient is shared
                p.data -= p.grad


def test_kit_catches_an_optimizer_that_changes_the_gradient():
    report = check_optimizer(SGDThatScalesTheGradientInPlace, sgd_reference, dict(lr=0.1),
                             raise_on_failure=False)
    assert _row(report, "matches the reference")[0].passed
    assert _row(report, "step() leaves the gradients unmodified")[0].passed is False


def test_kit_catches_adam_without_bias_correction():
    def adam_without_correction(p, g, state, lr):
        m = state["m"] = 0.9 * state.get("m", 0) + 0.1 * g
        v = state["v"] = 0.999 * state.get("v", 0) + 0.001 * g * g
        return p - lr * m / (np.sqrt(v) + 1e-8)

    report = check_optimizer(mn.optim.Adam, adam_without_correction, dict(lr=0.01),
                             raise_on_failure=False)
    row = _row(report, "matches the reference")[0]
    assert row.passed is False and "after step 1" in row.detail


def test_kit_reports_a_crash_as_a_failed_row_not_an_exception():
    class Unfinished(Activation):
        def f(self, x):
            raise NotImplementedError("write f")

        def df(self, x, y):
            raise NotImplementedError("write df")

    report = check_activation(Unfinished(), raise_on_failure=False)
    assert not report.passed
    assert all("NotImplementedError: write f" in c.detail for c in report.failures)


def test_kit_leaves_a_layer_as_it_found_it():
    layer = L.BatchNorm1D(3)
    before = {k: v.copy() for k, v in layer.state_dict().items()}
    check_module(layer, (5, 3), batch_of_one=False)
    after = layer.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)
    assert all(p.grad is None for p in layer.parameters())


def test_shapes_may_be_given_as_plain_shapes_including_0d():
    report = check_function(lambda t: t * t, 1, shapes=[(), (4,), (2, 3)])
    assert [c.name for c in report.checks[:3]] == [
        "gradcheck float64, shapes ()", "gradcheck float64, shapes (4,)", "gradcheck float64, shapes (2, 3)"]


def test_kit_reports_a_parameter_gradient_that_cannot_be_summed_to_its_shape():
    class TransposedGradient(Activation):
        """f(x) = w * x per feature, but dL/dw comes back transposed."""

        def __init__(self):
            self.w = mn.nn.Parameter([1.0, 2.0, 3.0])

        def f(self, x):
            return self.w.data * x

        def df(self, x, y):
            return np.broadcast_to(self.w.data, x.shape).copy()

        def parameter_grads(self, x, y, grad):
            return (np.swapaxes(grad * x, 0, -1),)

    report = check_activation(TransposedGradient(), shapes=[(4, 3)], raise_on_failure=False)
    (row,) = _row(report, "gradcheck")
    assert row.passed is False
    assert "TransposedGradient.parameter_grads returned a gradient of shape (3, 4) for parameter 'w'" \
        in row.detail


# --- the Tensor's differentiable methods and operators --------------------------------------------

TENSOR_CASES = {
    "sin": (lambda t: t.sin(), {}), "cos": (lambda t: t.cos(), {}), "tanh": (lambda t: t.tanh(), {}),
    "sigmoid": (lambda t: t.sigmoid(), {}), "relu": (lambda t: t.relu(), {}),
    "exp": (lambda t: t.exp(), dict(extremes=(-1e4, -100.0, -30.0, 30.0, 80.0))),
    "log": (lambda t: t.log(), dict(domain=(0.1, 3.0), kinks=())),
    "sqrt": (lambda t: t.sqrt(), dict(domain=(0.1, 3.0), kinks=())),
    "abs": (lambda t: t.abs(), {}), "neg": (lambda t: -t, {}),
    "sum": (lambda t: t.sum(), {}), "mean": (lambda t: t.mean(), {}), "max": (lambda t: t.max(), {}),
    "logsumexp": (lambda t: t.logsumexp(), {}),
    "clip": (lambda t: t.clip(-1.0, 1.0), dict(kinks=(-1.0, 1.0))),
    "maximum": (lambda a, b: a.maximum(b), {}),
    "add": (lambda a, b: a + b, {}), "sub": (lambda a, b: a - b, {}), "mul": (lambda a, b: a * b, {}),
    "div": (lambda a, b: a / b, dict(domain=(0.5, 2.0), kinks=(), extremes=(1e-3, 1.0, 1e3))),
    "pow": (lambda a, b: a ** b, dict(domain=(0.5, 2.0), kinks=(), extremes=(1e-3, 1.0, 10.0))),
    "matmul": (lambda a, b: a @ b, dict(shapes=[((3, 4), (4, 2)), ((2, 3, 4), (4, 5)), ((4,), (4, 3))],
                                        kinks=())),
    "reshape and transpose": (lambda t: t.reshape(1, -1).T, dict(shapes=[(3, 4), (2, 6)])),
    "getitem": (lambda t: t[1:, ::2], dict(shapes=[(3, 4), (4, 5)])),
}


@pytest.mark.parametrize("name", sorted(TENSOR_CASES))
def test_tensor_methods_and_operators_pass_the_kit(name):
    function, options = TENSOR_CASES[name]
    check_function(function, function.__code__.co_argcount, **options)
