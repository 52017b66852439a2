"""The extension points: what a student writes works, and mistakes get errors naming their code.

Activations with learnable parameters (gradients summed to the parameter's shape by the
framework), activations registered by name, and optimisers written with the update hook, with
class-level defaults, or PyTorch's way (step() over self.param_groups, self.state[p] lazily).
"""
import re
from pathlib import Path

import numpy as np
import pytest

import minnet as mn
from minnet.nn.activations import ACTIVATIONS
from minnet.testing import check_activation, check_loss, check_optimizer


@pytest.fixture
def registry():
    """Restore mn.nn.ACTIVATIONS after a test that registers its own activations."""
    saved = dict(ACTIVATIONS)
    yield ACTIVATIONS
    ACTIVATIONS.clear()
    ACTIVATIONS.update(saved)


class ScaledTanh(mn.nn.Activation):
    """f(x) = a tanh(b x) with learnable a and b;  df/dx = a b (1 - tanh^2(b x))."""

    def __init__(self):
        self.a = mn.nn.Parameter(1.5)           # 0-d parameters keep the input's shape
        self.b = mn.nn.Parameter(0.5)

    def f(self, x):
        return self.a.data * np.tanh(self.b.data * x)

    def df(self, x, y):
        t = np.tanh(self.b.data * x)
        return self.a.data * self.b.data * (1 - t * t)

    def parameter_grads(self, x, y, grad):
        t = np.tanh(self.b.data * x)
        return grad * t, grad * self.a.data * x * (1 - t * t)      # per element: summed for us


def test_learnable_activation_gets_gradients_of_its_parameters_shape():
    layer = ScaledTanh()
    y = layer(mn.Tensor(np.random.default_rng(0).standard_normal((5, 3)), requires_grad=True))
    y.sum().backward()
    assert layer.a.grad.shape == () and layer.b.grad.shape == ()
    assert mn.gradcheck(layer, mn.Tensor(np.random.default_rng(1).standard_normal((4, 2)),
                                         requires_grad=True))


def test_learnable_activation_passes_the_kit():
    check_activation(ScaledTanh())


def test_per_channel_parameter_broadcast_on_the_last_axis_is_summed_per_channel():
    class ChannelScale(mn.nn.Activation):
        def __init__(self):
            self.scale = mn.nn.Parameter(np.array([1.0, 2.0, 3.0]))

        def f(self, x):
            return self.scale.data * x

        def df(self, x, y):
            return np.broadcast_to(self.scale.data, x.shape).copy()

        def parameter_grads(self, x, y, grad):
            return (grad * x,)

    layer = ChannelScale()
    x = np.arange(12.0).reshape(4, 3)
    layer(mn.Tensor(x, requires_grad=True)).sum().backward()
    np.testing.assert_allclose(layer.scale.grad, x.sum(axis=0))


def test_parameter_gradient_that_cannot_be_summed_names_the_class_and_parameter():
    class Unsummable(ScaledTanh):
        def __init__(self):
            super().__init__()
            self.b = mn.nn.Parameter([0.5, 0.5])

        def parameter_grads(self, x, y, grad):
            return grad * 0, (grad * x).T         # (2, 5) for b of shape (2,): axes swapped

    with pytest.raises(RuntimeError, match=r"Unsummable\.parameter_grads returned a gradient of "
                                           r"shape \(2, 5\) for parameter 'b' of shape \(2,\)"):
        Unsummable()(mn.Tensor(np.ones((5, 2)), requires_grad=True)).sum().backward()


def test_wrong_number_of_parameter_gradients_names_the_class():
    class OneMissing(ScaledTanh):
        def parameter_grads(self, x, y, grad):
            return (grad,)

    with pytest.raises(RuntimeError, match=r"OneMissing\.parameter_grads returned 1 gradients for 2 "
                                           r"parameters \(a, b\)"):
        OneMissing()(mn.Tensor(np.ones(3), requires_grad=True)).sum().backward()


# --- registration by name ---------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")   # one epoch only
def test_a_named_user_activation_is_registered_and_built_by_name(registry):
    class Cube(mn.nn.Activation):
        name = "cube_for_test"

        def f(self, x):
            return x ** 3

        def df(self, x, y):
            return 3 * x ** 2

    assert registry["cube_for_test"] is Cube
    assert isinstance(mn.nn.get_activation("cube_for_test"), Cube)
    clf = mn.estimators.NeuralNetClassifier(activation="cube_for_test", hidden_layer_sizes=(4,),
                                            max_iter=1)
    X, y = mn.datasets.make_moons(40)
    clf.fit(X, y)
    assert any(isinstance(m, Cube) for m in clf.model_.modules())


def test_an_unnamed_user_activation_is_not_registered(registry):
    before = dict(registry)

    class Anonymous(mn.nn.Activation):
        def f(self, x):
            return x

        def df(self, x, y):
            return np.ones_like(x)

    assert registry == before


def test_a_taken_name_is_refused_with_the_owner_named(registry):
    with pytest.raises(ValueError, match=r"MyReLU.name = 'relu' is taken by minnet.nn.activations"):
        class MyReLU(mn.nn.Activation):
            name = "relu"


def test_redefining_the_same_class_replaces_it(registry):
    def define():
        class Again(mn.nn.Activation):
            name = "again_for_test"
        return Again

    first, second = define(), define()
    assert registry["again_for_test"] is second is not first


def test_a_name_must_be_a_lower_case_identifier(registry):
    with pytest.raises(ValueError, match=r"lower-case identifier"):
        class Bad(mn.nn.Activation):
            name = "Bad Name"


# --- optimisers ---------------------------------------------------------------------------------------

def momentum_reference(p, g, state, lr=0.01, momentum=0.9):
    state["v"] = momentum * state.get("v", 0.0) + g
    return p - lr * state["v"]


class Momentum(mn.optim.Optimizer):
    """The update hook, with defaults as a class attribute."""
    defaults = dict(lr=0.01, momentum=0.9)

    def update(self, p, group, state):
        if "velocity" not in state:
            state["velocity"] = np.zeros_like(p.data)
        state["velocity"] *= group["momentum"]
        state["velocity"] += p.grad
        p.data -= group["lr"] * state["velocity"]


class TorchStyleMomentum(mn.optim.Optimizer):
    """PyTorch's way: __init__ passes defaults, step() walks the groups, state filled lazily."""

    def __init__(self, params, lr=0.01, momentum=0.9):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "velocity" not in state:
                    state["velocity"] = np.zeros_like(p.data)
                state["velocity"] = group["momentum"] * state["velocity"] + p.grad
                p.data -= group["lr"] * state["velocity"]


@pytest.mark.parametrize("optimizer", [Momentum, TorchStyleMomentum])
def test_user_optimizers_pass_the_kit(optimizer):
    check_optimizer(optimizer, momentum_reference, dict(lr=0.05, momentum=0.8))


def test_class_defaults_fill_missing_settings():
    opt = Momentum([mn.nn.Parameter(np.ones(2))], lr=0.5)
    assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[0]["momentum"] == 0.9


def test_an_unknown_setting_names_the_optimizer_and_what_it_takes():
    with pytest.raises(TypeError, match=r"Momentum got unknown settings \['beta'\]; it takes "
                                        r"\['lr', 'momentum'\]"):
        Momentum([mn.nn.Parameter(np.ones(2))], beta=0.5)


# --- a reported metric is never silently wrong --------------------------------------------------

def _separable(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2)).astype(np.float32)
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.float32)


def _regressor():
    mn.manual_seed(0)
    return mn.nn.Sequential(mn.nn.Dense(2, 16), mn.nn.Tanh(), mn.nn.Dense(16, 1))


def test_huber_regression_onto_01_labels_reports_accuracy_cut_at_their_midpoint():
    X, y = _separable()
    model = _regressor()
    history = mn.fit(model, mn.nn.HuberLoss(), mn.optim.Adam(model.parameters(), lr=0.01), X,
                     y[:, None], epochs=30, metrics=("accuracy",), progress=False, seed=0,
                     validation_data=(X, y[:, None]))
    output = mn.predict(model, X)[:, 0]
    assert history.threshold == 0.5 and "midpoint of the labels 0 and 1" in history.threshold_reason
    assert history["val_accuracy"][-1] == np.mean((output > 0.5) == y)
    assert np.mean((output > 0.5) == y) > np.mean((output > 0.0) == y)   # the old cut was worse


def test_mse_onto_minus_one_and_one_cuts_at_zero():
    X, y = _separable()
    model = _regressor()
    history = mn.fit(model, mn.nn.MSELoss(), mn.optim.SGD(model.parameters(), lr=0.05), X,
                     (2 * y - 1)[:, None], epochs=1, metrics=("accuracy",), progress=False)
    assert history.threshold == 0.0 and "-1 and 1" in history.threshold_reason


def test_an_unknown_loss_with_one_output_asks_for_a_threshold():
    class LogCosh(mn.nn.Loss):
        def forward(self, prediction, target):
            prediction, target = self.check_pair(prediction, target)
            d = (prediction - target).abs()
            return self.reduce(d + (1 + (-2 * d).exp()).log())

    X, y = _separable()
    model = _regressor()
    with pytest.raises(ValueError, match=r"outputs of LogCosh are logits, probabilities or label "
                                         r"values.*pass threshold= to fit"):
        mn.fit(model, LogCosh(), mn.optim.SGD(model.parameters(), lr=0.05), X, y[:, None],
               metrics=("accuracy",), progress=False)
    history = mn.fit(model, LogCosh(), mn.optim.SGD(model.parameters(), lr=0.05), X, y[:, None],
                     metrics=("accuracy",), progress=False, threshold=0.5)
    assert history.threshold == 0.5 and history.threshold_reason == "threshold=0.5 as given"


def test_decision_boundary_requires_a_threshold_for_one_score_unless_the_model_ends_in_sigmoid():
    X, y = _separable(20)
    with pytest.raises(ValueError, match=r"pass threshold="):
        mn.plot.decision_boundary(_regressor(), X, y)
    fig = mn.plot.decision_boundary(_regressor(), X, y, threshold=0.5)
    assert "class 1 where score > 0.5" in [t.get_text() for t in fig.axes[0].texts]
    probabilities = mn.nn.Sequential(_regressor(), mn.nn.Sigmoid())
    fig = mn.plot.decision_boundary(probabilities, X, y)
    assert "class 1 where score > 0.5" in [t.get_text() for t in fig.axes[0].texts]


# --- a loss of one's own ---------------------------------------------------------------------------

class LogCoshLoss(mn.nn.Loss):
    """l = log(cosh(d)) = |d| + log(1 + e^(-2|d|)) - log 2,  d = p - t (no overflow)."""

    def forward(self, prediction, target):
        prediction, target = self.check_pair(prediction, target)
        d = (prediction - target).abs()
        return self.reduce(d + (1 + (-2 * d).exp()).log() - float(np.log(2)))


def test_a_user_loss_gets_reduction_and_target_checks_from_the_base_class():
    with pytest.raises(ValueError, match=r"LogCoshLoss expected reduction in"):
        LogCoshLoss(reduction="average")
    with pytest.raises(ValueError, match=r"LogCoshLoss expected prediction and target of the same shape"):
        LogCoshLoss()(mn.Tensor(np.zeros(4)), np.zeros((4, 1)))
    check_loss(LogCoshLoss(), (6, 2), "real")


# --- the README's "Extending minnet" section runs ----------------------------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"
EXTENSION_POINTS = ("A Function", "An activation, registered", "An activation with learnable",
                    "A Module", "A Loss", "An optimiser", "A learning-rate schedule", "A callback",
                    "An initialiser")


def _section(title):
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def _python_blocks(section):
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_readme_has_an_example_for_every_extension_point():
    headings = re.findall(r"^### (.+)$", _section("Extending minnet"), re.M)
    for point in EXTENSION_POINTS:
        assert any(h.startswith(point) for h in headings), f"no '### {point}' example in the README"
    assert len(_python_blocks(_section("Extending minnet"))) >= len(EXTENSION_POINTS)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("index", range(len(_python_blocks(_section("Extending minnet")))))
def test_readme_extension_example_runs(index, registry, capsys):
    source = _python_blocks(_section("Extending minnet"))[index]
    exec(compile(source, f"README.md, Extending minnet, example {index + 1}", "exec"), {"__name__": "readme"})
    printed = capsys.readouterr().out.splitlines()
    for line, output in zip([ln for ln in source.splitlines() if ln.startswith("print(")], printed):
        shown = re.search(r"#\s*(.+)$", line)
        if shown:
            assert output.startswith(shown.group(1).split(":")[0].strip()), (line, output)


def test_readme_coursework_section_gives_both_commands():
    section = _section("Coursework")
    assert "python -m coursework release" in section and "python -m coursework grade" in section
