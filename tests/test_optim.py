"""mn.optim: each update rule by hand for two steps, and 15-step trajectories against torch.optim."""
import math
import re

import numpy as np
import pytest

import minnet as mn
from minnet import optim
from minnet.nn import Parameter


def _run(make, p0, grad_of, steps):
    """Values of a parameter after each of `steps` updates, its gradient given by grad_of(p)."""
    p = Parameter(np.array(p0, dtype=np.float64))
    optimizer = make([p])
    values = []
    for _ in range(steps):
        p.grad = grad_of(p.data.copy())
        optimizer.step()
        values.append(p.data.copy())
    return values


def _quadratic_grad(p):
    return 2.0 * p          # the gradient of p^2


def _sgd_by_hand(lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    p, buffer = 1.0, None
    out = []
    for _ in range(2):
        g = 2 * p + weight_decay * p
        if momentum:
            buffer = g if buffer is None else momentum * buffer + (1 - dampening) * g
            g = g + momentum * buffer if nesterov else buffer
        p = p - lr * g
        out.append(p)
    return out


def _adam_by_hand(lr, beta1, beta2, eps, weight_decay=0.0, decoupled=False, amsgrad=False):
    p, m, v, v_max = 1.0, 0.0, 0.0, 0.0
    out = []
    for t in (1, 2):
        g = 2 * p
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)
        v_used = v_max if amsgrad else v
        p = p - lr / (1 - beta1 ** t) * m / (math.sqrt(v_used / (1 - beta2 ** t)) + eps)
        out.append(p)
    return out


def _rmsprop_by_hand(lr, alpha, eps, weight_decay=0.0, momentum=0.0, centered=False):
    p, s, a, b = 1.0, 0.0, 0.0, 0.0
    out = []
    for _ in range(2):
        g = 2 * p + weight_decay * p
        s = alpha * s + (1 - alpha) * g * g
        a = alpha * a + (1 - alpha) * g
        d = math.sqrt(s - a * a if centered else s) + eps
        if momentum:
            b = momentum * b + g / d
            p = p - lr * b
        else:
            p = p - lr * g / d
        out.append(p)
    return out


def _adagrad_by_hand(lr, lr_decay=0.0, weight_decay=0.0, initial=0.0, eps=1e-10):
    p, total = 1.0, initial
    out = []
    for t in (1, 2):
        g = 2 * p + weight_decay * p
        total += g * g
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (math.sqrt(total) + eps)
        out.append(p)
    return out


HAND_CASES = [
    ("sgd", lambda ps: optim.SGD(ps, lr=0.1), _sgd_by_hand(0.1)),
    ("sgd_momentum", lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1),
     _sgd_by_hand(0.1, momentum=0.9, dampening=0.1)),
    ("sgd_nesterov_decay", lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.5),
     _sgd_by_hand(0.1, momentum=0.9, nesterov=True, weight_decay=0.5)),
    ("adam", lambda ps: optim.Adam(ps, lr=0.1), _adam_by_hand(0.1, 0.9, 0.999, 1e-8)),
    ("adam_decay_amsgrad", lambda ps: optim.Adam(ps, lr=0.1, betas=(0.8, 0.9), weight_decay=0.3, amsgrad=True),
     _adam_by_hand(0.1, 0.8, 0.9, 1e-8, weight_decay=0.3, amsgrad=True)),
    ("adamw", lambda ps: optim.AdamW(ps, lr=0.1, weight_decay=0.2),
     _adam_by_hand(0.1, 0.9, 0.999, 1e-8, weight_decay=0.2, decoupled=True)),
    ("rmsprop", lambda ps: optim.RMSprop(ps, lr=0.01), _rmsprop_by_hand(0.01, 0.99, 1e-8)),
    ("rmsprop_centered_momentum", lambda ps: optim.RMSprop(ps, lr=0.01, alpha=0.9, momentum=0.5, centered=True,
                                                           weight_decay=0.1),
     _rmsprop_by_hand(0.01, 0.9, 1e-8, weight_decay=0.1, momentum=0.5, centered=True)),
    ("adagrad", lambda ps: optim.Adagrad(ps, lr=0.1), _adagrad_by_hand(0.1)),
    ("adagrad_decay", lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.5, weight_decay=0.1,
                                               initial_accumulator_value=0.3),
     _adagrad_by_hand(0.1, lr_decay=0.5, weight_decay=0.1, initial=0.3)),
]


@pytest.mark.parametrize("name, make, expected", HAND_CASES, ids=[c[0] for c in HAND_CASES])
def test_first_two_steps_match_the_formula_by_hand(name, make, expected):
    got = _run(make, [1.0], _quadratic_grad, 2)
    np.testing.assert_allclose([v[0] for v in got], expected, rtol=1e-12)


def test_adam_first_step_moves_every_weight_by_about_lr():
    # After one step m_hat / sqrt(v_hat) = sign(g): Adam's step size does not depend on |g|.
    got = _run(lambda ps: optim.Adam(ps, lr=0.01), [1.0, -3.0, 50.0], lambda p: p ** 3, 1)[0]
    np.testing.assert_allclose(got - np.array([1.0, -3.0, 50.0]), [-0.01, 0.01, -0.01], rtol=1e-6)


@pytest.mark.parametrize("name, make, expected", HAND_CASES, ids=[c[0] for c in HAND_CASES])
def test_updates_keep_float32_and_the_same_array(name, make, expected):
    p = Parameter(np.ones((3, 2), np.float32))
    data = p.data
    optimizer = make([p])
    for _ in range(2):
        p.grad = 2 * p.data
        optimizer.step()
    assert p.data is data and p.dtype == np.float32
    assert all(v.dtype == np.float32 for s in optimizer.state.values() for v in s.values()
               if isinstance(v, np.ndarray))


def test_parameters_without_gradient_are_left_alone():
    a, b = Parameter(np.ones(2)), Parameter(np.ones(2))
    optimizer = optim.SGD([a, b], lr=0.5)
    a.grad = np.ones(2)
    optimizer.step()
    assert np.all(a.data == 0.5) and np.all(b.data == 1)


def test_zero_grad_clears_gradients():
    p = Parameter(np.ones(2))
    p.grad = np.ones(2)
    optimizer = optim.Adam([p])
    optimizer.zero_grad()
    assert p.grad is None


def test_parameter_groups_take_their_own_learning_rate():
    a, b = Parameter(np.ones(1)), Parameter(np.ones(1))
    optimizer = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad, b.grad = np.ones(1), np.ones(1)
    optimizer.step()
    assert a.data[0] == pytest.approx(0.9) and b.data[0] == pytest.approx(0.5)


def test_state_dict_round_trip_continues_the_same_trajectory():
    def make(ps):
        return optim.Adam(ps, lr=0.1, amsgrad=True)
    reference = _run(make, [1.0, 2.0], _quadratic_grad, 4)
    p = Parameter(np.array([1.0, 2.0]))
    first = make([p])
    for _ in range(2):
        p.grad = 2 * p.data
        first.step()
    saved = first.state_dict()
    q = Parameter(p.data.copy())
    second = make([q])
    second.load_state_dict(saved)
    for _ in range(2):
        q.grad = 2 * q.data
        second.step()
    np.testing.assert_array_equal(q.data, reference[-1])


def test_state_dict_is_a_copy_and_numbers_parameters():
    p = Parameter(np.ones(2))
    optimizer = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.ones(2)
    optimizer.step()
    state = optimizer.state_dict()
    assert state["param_groups"][0]["params"] == [0] and state["param_groups"][0]["lr"] == 0.1
    state["state"][0]["momentum_buffer"][:] = 99
    assert np.all(optimizer.state[p]["momentum_buffer"] == 1)


def test_load_state_dict_refuses_a_different_shape():
    p = Parameter(np.ones(2))
    optimizer = optim.Adam([p])
    p.grad = np.ones(2)
    optimizer.step()
    other = optim.Adam([Parameter(np.ones(3))])
    with pytest.raises(ValueError, match=r"shape \(2,\), the parameter \(3,\)"):
        other.load_state_dict(optimizer.state_dict())
    with pytest.raises(ValueError, match="groups of"):
        optim.Adam([Parameter(np.ones(2)), Parameter(np.ones(2))]).load_state_dict(optimizer.state_dict())


@pytest.mark.parametrize("make, message", [
    (lambda ps: optim.SGD(ps, lr=-0.1), "lr >= 0"),
    (lambda ps: optim.SGD(ps, lr=0.1, nesterov=True), "nesterov"),
    (lambda ps: optim.Adam(ps, betas=(0.9, 1.0)), "betas"),
    (lambda ps: optim.RMSprop(ps, alpha=1.5), "alpha"),
    (lambda ps: optim.SGD([{"params": ps, "learning_rate": 0.1}], lr=0.1), "unknown settings"),
    (lambda ps: optim.SGD([], lr=0.1), "empty parameter list"),
])
def test_bad_settings_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make([Parameter(np.ones(2))])


OPTIMIZERS = [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop, optim.Adagrad]


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda o: o.__name__)
@pytest.mark.parametrize("setting, value, error", [
    ("lr", float("inf"), ValueError), ("lr", float("nan"), ValueError), ("lr", -0.1, ValueError),
    ("lr", "0.01", TypeError), ("lr", None, TypeError), ("lr", True, TypeError),
    ("weight_decay", float("inf"), ValueError), ("weight_decay", "0", TypeError),
    ("eps", -1e-8, ValueError),
])
def test_a_bad_hyperparameter_names_the_optimiser_and_the_setting(optimizer, setting, value, error):
    options = {"lr": 0.1, setting: value}
    if optimizer is optim.SGD and setting == "eps":
        options = {"lr": 0.1, "momentum": value}             # SGD has no eps
        setting = "momentum"
    with pytest.raises(error, match=rf"^{optimizer.__name__} expected {setting}\b.*{re.escape(repr(value))}"):
        optimizer([Parameter(np.ones(2))], **options)


@pytest.mark.parametrize("optimizer, options, error, message", [
    (optim.Adam, {"betas": 0.9}, TypeError, r"Adam expected betas to be two real numbers"),
    (optim.Adam, {"betas": (0.9,)}, TypeError, r"Adam expected betas to be two real numbers"),
    (optim.AdamW, {"betas": ("0.9", 0.999)}, TypeError, r"AdamW expected betas to be two real numbers"),
    (optim.AdamW, {"betas": (0.9, float("nan"))}, ValueError, r"AdamW expected betas in \[0, 1\)"),
    (optim.RMSprop, {"alpha": float("inf")}, ValueError, r"RMSprop expected 0 <= alpha <= 1"),
    (optim.RMSprop, {"centered": "yes"}, TypeError, r"RMSprop expected centered to be True or False"),
    (optim.Adam, {"amsgrad": 1}, TypeError, r"Adam expected amsgrad to be True or False"),
    (optim.SGD, {"lr": 0.1, "momentum": "0.9", "nesterov": True}, TypeError, r"SGD expected momentum"),
    (optim.Adagrad, {"lr_decay": -1.0}, ValueError, r"Adagrad expected lr_decay >= 0"),
    (optim.Adagrad, {"initial_accumulator_value": float("inf")}, ValueError,
     r"Adagrad expected initial_accumulator_value >= 0"),
])
def test_optimiser_specific_settings_are_checked(optimizer, options, error, message):
    with pytest.raises(error, match=message):
        optimizer([Parameter(np.ones(2))], **options)


def test_settings_of_a_parameter_group_are_checked_too():
    with pytest.raises(ValueError, match=r"SGD expected lr >= 0, a finite number; got inf"):
        optim.SGD([{"params": [Parameter(np.ones(2))], "lr": float("inf")}], lr=0.1)


def test_numpy_numbers_are_valid_settings():
    p = Parameter(np.ones(2))
    p.grad = np.ones(2)
    optim.Adam([p], lr=np.float32(0.5), betas=[np.float64(0.9), 0.999], amsgrad=np.bool_(True)).step()
    assert np.all(p.data < 1)


def test_only_tensors_that_require_grad_can_be_optimised():
    with pytest.raises(TypeError, match="require grad"):
        optim.SGD([mn.Tensor(np.ones(2))], lr=0.1)


def test_step_lr_divides_the_rate_every_step_size_epochs():
    optimizer = optim.SGD([Parameter(np.ones(1))], lr=1.0)
    scheduler = optim.StepLR(optimizer, step_size=2, gamma=0.5)
    rates = []
    for _ in range(5):
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    assert rates == [1.0, 0.5, 0.5, 0.25, 0.25]


def test_cosine_annealing_goes_from_base_to_eta_min_in_t_max_epochs():
    optimizer = optim.SGD([Parameter(np.ones(1))], lr=1.0)
    scheduler = optim.CosineAnnealingLR(optimizer, T_max=4, eta_min=0.2)
    rates = []
    for _ in range(4):
        scheduler.step()
        rates.append(scheduler.get_last_lr()[0])
    np.testing.assert_allclose(rates, [0.2 + 0.8 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(1, 5)])
    assert rates[1] == pytest.approx(0.6) and rates[-1] == pytest.approx(0.2)


# --- PyTorch as an oracle ----------------------------------------------------------------------

TORCH_CONFIGS = [
    ("SGD", {"lr": 0.05}), ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01}), ("Adam", {"lr": 0.02, "betas": (0.8, 0.95), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.02, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}), ("AdamW", {"lr": 0.02, "weight_decay": 0.3, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01}), ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.7}),
    ("RMSprop", {"lr": 0.005, "centered": True, "weight_decay": 0.05}),
    ("RMSprop", {"lr": 0.005, "centered": True, "momentum": 0.5, "eps": 1e-5}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.02, "initial_accumulator_value": 0.5, "eps": 1e-8}),
]


def _nonlinear_grad(p):
    """A gradient that changes sign and size as p moves, so every state variable matters."""
    return np.sin(3 * p) + 0.5 * p ** 3 - 0.2


@pytest.mark.parametrize("name, options", TORCH_CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(TORCH_CONFIGS)])
def test_fifteen_steps_match_torch_optim(name, options):
    torch = pytest.importorskip("torch")
    start = np.random.default_rng(5).standard_normal((3, 4))
    ours = _run(lambda ps: getattr(optim, name)(ps, **options), start, _nonlinear_grad, 15)
    p = torch.nn.Parameter(torch.tensor(start, dtype=torch.float64))
    theirs_optimizer = getattr(torch.optim, name)([p], **options)
    for step in range(15):
        p.grad = torch.tensor(_nonlinear_grad(p.detach().numpy().copy()))
        theirs_optimizer.step()
        np.testing.assert_allclose(ours[step], p.detach().numpy(), rtol=0, atol=1e-7,
                                   err_msg=f"{name}{options} differs from torch at step {step + 1}")


def test_an_optimizer_without_update_says_what_to_define():
    class Incomplete(optim.Optimizer):
        pass

    p = Parameter(np.ones(2))
    p.grad = np.ones(2)
    with pytest.raises(NotImplementedError, match=r"Incomplete must define update"):
        Incomplete([p], {"lr": 0.1}).step()


def test_step_calls_a_closure_first_and_returns_its_loss():
    w = mn.nn.Parameter(np.array([3.0], np.float32))
    optimizer = mn.optim.SGD([w], lr=0.25)
    calls = []

    def closure():
        calls.append(1)
        optimizer.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = optimizer.step(closure)
    assert calls == [1] and float(loss.data) == 9.0
    np.testing.assert_allclose(w.data, [3.0 - 0.25 * 6.0])


# --- training goes on while some graph is still alive (issue 22) ------------------------------

def _model_and_data(seed=0):
    mn.manual_seed(seed)
    model = mn.nn.Sequential(mn.nn.Dense(3, 4), mn.nn.Tanh(), mn.nn.Dense(4, 1))
    rng = np.random.default_rng(seed)
    x = mn.Tensor(rng.normal(size=(8, 3)).astype(np.float32))
    y = mn.Tensor(rng.normal(size=(8, 1)).astype(np.float32))
    return model, x, y


def _train_step(model, optimizer, x, y):
    optimizer.zero_grad()
    loss = mn.nn.MSELoss()(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


@pytest.mark.parametrize("optimizer_class", [mn.optim.SGD, mn.optim.Adam])
def test_a_failed_notebook_cell_does_not_lock_the_model(optimizer_class):
    model, x, y = _model_and_data()
    optimizer = optimizer_class(model.parameters(), lr=0.01)
    try:
        mn.nn.MSELoss()(model(x), mn.Tensor(np.zeros((8, 2), np.float32)))   # wrong target shape
    except ValueError as error:
        kept = error.__traceback__          # as sys.last_traceback keeps it in a notebook
    losses = [_train_step(model, optimizer, x, y) for _ in range(5)]
    assert losses[-1] < losses[0]
    assert kept is not None


def test_step_after_backward_with_retain_graph_and_a_second_backward_stay_right():
    w = mn.nn.Parameter(np.array([1.0, 2.0], np.float32))
    optimizer = mn.optim.SGD([w], lr=0.1)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    optimizer.step()                                  # the graph still holds w's old array
    np.testing.assert_allclose(w.data, [0.8, 1.6])
    loss.backward()                                   # gradient at the values forward saw
    np.testing.assert_allclose(w.grad, [4.0, 8.0])


def test_the_multi_task_idiom_sums_both_gradients_then_steps():
    model, x, y = _model_and_data()
    optimizer = mn.optim.SGD(model.parameters(), lr=0.1)
    hidden = model[1](model[0](x))
    loss1 = mn.nn.MSELoss()(model[2](hidden), y)
    loss2 = (hidden * hidden).mean()
    loss1.backward(retain_graph=True)
    loss2.backward()
    expected = {name: p.data - 0.1 * p.grad for name, p in model.named_parameters()}
    optimizer.step()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.data, expected[name], rtol=1e-6)


def test_a_kept_validation_loss_does_not_stop_training():
    model, x, y = _model_and_data()
    optimizer = mn.optim.Adam(model.parameters(), lr=0.01)
    validation_loss = mn.nn.MSELoss()(model(x), y)     # no no_grad(): its graph holds the weights
    losses = [_train_step(model, optimizer, x, y) for _ in range(5)]
    assert losses[-1] < losses[0] and np.isfinite(validation_loss.item())


def test_training_goes_on_after_fit_stopped_on_a_non_finite_loss():
    from minnet.training import NonFiniteLossError
    model, x, y = _model_and_data()
    optimizer = mn.optim.SGD(model.parameters(), lr=0.05)
    huge = np.full_like(y.data, 1e30)                 # its square overflows float32
    with pytest.raises(NonFiniteLossError) as stopped:      # its traceback keeps the graph
        mn.fit(model, mn.nn.MSELoss(), optimizer, x.data, huge, epochs=1, batch_size=8,
               progress=False)
    history = mn.fit(model, mn.nn.MSELoss(), optimizer, x.data, y.data, epochs=5, batch_size=8,
                     progress=False)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert stopped.traceback


def test_step_is_all_or_nothing_when_a_parameter_was_made_read_only():
    model, x, y = _model_and_data()
    optimizer = mn.optim.Adam(model.parameters(), lr=0.1)
    mn.nn.MSELoss()(model(x), y).backward()
    model[2].weight.data.flags.writeable = False      # by the user, not by a graph
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"Adam.step\(\) cannot update a parameter of shape "
                                         r"\(4, 1\).*read-only outside minnet.*Nothing was updated"):
        optimizer.step()
    for p, old in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, old)
    assert len(optimizer.state) == 0                  # no counter moved either
    model[2].weight.data = model[2].weight.data.copy()
    optimizer.step()
    assert [s["step"] for s in optimizer.state.values()] == [1, 1, 1, 1]
