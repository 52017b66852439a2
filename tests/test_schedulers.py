"""Learning-rate schedules: each formula step by step, and the same rates as torch.optim.lr_scheduler."""
import math

import numpy as np
import pytest

from minnet import optim
from minnet.nn import Parameter


def _sgd(*lrs, momentum=0.0):
    """SGD with one parameter group per learning rate."""
    return optim.SGD([{"params": [Parameter(np.ones(2))], "lr": lr} for lr in lrs], lr=lrs[0],
                     momentum=momentum)


def _rates(scheduler, steps):
    """The first group's lr at creation and after each of `steps` steps."""
    rates = [scheduler.optimizer.param_groups[0]["lr"]]
    for _ in range(steps):
        scheduler.step()
        rates.append(scheduler.optimizer.param_groups[0]["lr"])
    return rates


# --- each schedule's formula -----------------------------------------------------------------

def test_linear_warmup_climbs_from_start_factor_to_end_factor_in_total_iters_steps():
    rates = _rates(optim.LinearLR(_sgd(0.2), start_factor=0.1, total_iters=4), 6)
    np.testing.assert_allclose(rates, [0.2 * (0.1 + 0.9 * min(t, 4) / 4) for t in range(7)], rtol=1e-12)
    assert rates[0] == pytest.approx(0.02) and rates[4:] == [pytest.approx(0.2)] * 3


def test_linear_lr_can_decay_too():
    rates = _rates(optim.LinearLR(_sgd(1.0), start_factor=1.0, end_factor=0.5, total_iters=2), 3)
    np.testing.assert_allclose(rates, [1.0, 0.75, 0.5, 0.5])


def test_exponential_lr_multiplies_by_gamma_each_step():
    np.testing.assert_allclose(_rates(optim.ExponentialLR(_sgd(0.5), gamma=0.9), 5),
                               [0.5 * 0.9 ** t for t in range(6)], rtol=1e-12)


def test_step_lr_divides_the_rate_every_step_size_steps():
    assert _rates(optim.StepLR(_sgd(1.0), step_size=2, gamma=0.5), 5) == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]


def test_cosine_annealing_reaches_half_way_at_half_t_max_and_eta_min_at_t_max():
    rates = _rates(optim.CosineAnnealingLR(_sgd(1.0), T_max=4, eta_min=0.2), 4)
    assert rates[0] == 1.0
    assert rates[2] == pytest.approx(0.6) and rates[4] == pytest.approx(0.2)
    assert all(a > b for a, b in zip(rates, rates[1:]))


def test_every_group_follows_the_schedule_from_its_own_base_rate():
    optimizer = _sgd(1.0, 0.1)
    schedule = optim.ExponentialLR(optimizer, gamma=0.5)
    schedule.step()
    assert schedule.get_last_lr() == [0.5, 0.05]
    assert [g["lr"] for g in optimizer.param_groups] == [0.5, 0.05]


def test_one_cycle_warms_up_to_max_lr_then_anneals_far_below_the_start():
    schedule = optim.OneCycleLR(_sgd(0.1), max_lr=2.0, total_steps=20, pct_start=0.25,
                                div_factor=10.0, final_div_factor=100.0)
    rates = _rates(schedule, 19)
    peak = int(0.25 * 20) - 1                      # the warm-up's last step
    assert rates[0] == pytest.approx(0.2)           # max_lr / div_factor
    assert rates[peak] == pytest.approx(2.0) and max(rates) == rates[peak]
    assert rates[-1] == pytest.approx(0.2 / 100)    # initial_lr / final_div_factor
    assert all(a < b for a, b in zip(rates[:peak], rates[1:peak + 1]))
    assert all(a > b for a, b in zip(rates[peak:], rates[peak + 1:]))


def test_one_cycle_linear_anneal_is_linear_in_each_phase():
    rates = _rates(optim.OneCycleLR(_sgd(0.1), max_lr=1.0, total_steps=11, pct_start=0.5,
                                    anneal_strategy="linear", div_factor=10.0,
                                    final_div_factor=1.0, cycle_momentum=False), 10)
    warmup_end = 0.5 * 11 - 1
    np.testing.assert_allclose(rates[:5], [0.1 + 0.9 * t / warmup_end for t in range(5)], rtol=1e-12)
    np.testing.assert_allclose(rates[-1], 0.1, rtol=1e-12)


def test_one_cycle_runs_the_momentum_against_the_rate():
    optimizer = _sgd(0.1, momentum=0.9)
    schedule = optim.OneCycleLR(optimizer, max_lr=1.0, total_steps=10, pct_start=0.3)
    momenta = [optimizer.param_groups[0]["momentum"]]
    for _ in range(9):
        schedule.step()
        momenta.append(optimizer.param_groups[0]["momentum"])
    assert momenta[0] == pytest.approx(0.95) and momenta[2] == pytest.approx(0.85)
    assert momenta[-1] == pytest.approx(0.95)


def test_one_cycle_cycles_adams_beta1_and_keeps_beta2():
    optimizer = optim.Adam([Parameter(np.ones(2))], lr=0.1, betas=(0.9, 0.99))
    schedule = optim.OneCycleLR(optimizer, max_lr=1.0, total_steps=10)
    assert optimizer.param_groups[0]["betas"] == (0.95, 0.99)
    schedule.step()
    assert optimizer.param_groups[0]["betas"][1] == 0.99


def test_one_cycle_refuses_to_step_past_total_steps():
    schedule = optim.OneCycleLR(_sgd(0.1), max_lr=1.0, total_steps=3)
    for _ in range(3):
        schedule.step()
    with pytest.raises(ValueError, match="stepped 4 times; it was made for total_steps=3"):
        schedule.step()


def test_one_cycle_takes_epochs_times_steps_per_epoch():
    assert optim.OneCycleLR(_sgd(0.1), max_lr=1.0, epochs=3, steps_per_epoch=4).total_steps == 12


def test_reduce_on_plateau_cuts_the_rate_after_patience_bad_epochs():
    optimizer = _sgd(1.0)
    plateau = optim.ReduceLROnPlateau(optimizer, factor=0.5, patience=2)
    rates = []
    for loss in [1.0, 0.8, 0.8, 0.8, 0.8, 0.7, 0.7, 0.7, 0.7]:
        plateau.step(loss)
        rates.append(plateau.get_last_lr()[0])
    # 0.8 is best at epoch 2; epochs 3 and 4 are bad but within patience; the third bad cuts.
    assert rates == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25]


def test_reduce_on_plateau_in_max_mode_watches_for_a_rise():
    plateau = optim.ReduceLROnPlateau(_sgd(1.0), mode="max", factor=0.1, patience=0)
    for accuracy in [0.5, 0.6, 0.6]:
        plateau.step(accuracy)
    assert plateau.get_last_lr() == [pytest.approx(0.1)]


def test_reduce_on_plateau_ignores_improvements_smaller_than_the_threshold():
    plateau = optim.ReduceLROnPlateau(_sgd(1.0), patience=0, threshold=0.1, threshold_mode="abs")
    plateau.step(1.0)
    plateau.step(0.95)          # better, but by less than 0.1: a bad epoch
    assert plateau.get_last_lr() == [pytest.approx(0.1)] and plateau.best == 1.0


def test_reduce_on_plateau_waits_out_the_cooldown_and_stops_at_min_lr():
    plateau = optim.ReduceLROnPlateau(_sgd(1.0), factor=0.1, patience=0, cooldown=2, min_lr=0.05)
    rates = []
    for _ in range(7):
        plateau.step(1.0)
        rates.append(plateau.get_last_lr()[0])
    assert rates == [1.0, pytest.approx(0.1), pytest.approx(0.1), pytest.approx(0.1),
                     pytest.approx(0.05), 0.05, 0.05]


def test_a_scheduler_state_dict_resumes_the_schedule():
    schedule = optim.ExponentialLR(_sgd(1.0), gamma=0.5)
    schedule.step()
    resumed = optim.ExponentialLR(_sgd(1.0), gamma=0.5)
    resumed.load_state_dict(schedule.state_dict())
    resumed.step()
    assert resumed.get_last_lr() == [0.25] and "optimizer" not in schedule.state_dict()


@pytest.mark.parametrize("make, message", [
    (lambda o: optim.LinearLR(o, start_factor=0.0), "0 < start_factor <= 1"),
    (lambda o: optim.LinearLR(o, end_factor=1.5), "0 <= end_factor <= 1"),
    (lambda o: optim.LinearLR(o, total_iters=0), "positive integer total_iters"),
    (lambda o: optim.ExponentialLR(o, gamma=0), "gamma > 0"),
    (lambda o: optim.StepLR(o, step_size=0), "step_size >= 1"),
    (lambda o: optim.CosineAnnealingLR(o, T_max=0), "T_max >= 1"),
    (lambda o: optim.OneCycleLR(o, max_lr=1.0), "total_steps, or epochs and steps_per_epoch"),
    (lambda o: optim.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1.5), "pct_start in"),
    (lambda o: optim.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="exp"), "anneal_strategy"),
    (lambda o: optim.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=10), "expected 1 values of max_lr"),
    (lambda o: optim.ReduceLROnPlateau(o, factor=1.0), "0 <= factor < 1"),
    (lambda o: optim.ReduceLROnPlateau(o, mode="best"), "mode 'min' or 'max'"),
    (lambda o: optim.ReduceLROnPlateau(o, patience=-1), "non-negative integer patience"),
])
def test_bad_schedule_settings_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make(_sgd(0.1))


@pytest.mark.parametrize("make", [
    lambda o: optim.ExponentialLR(o, gamma="0.9"),
    lambda o: optim.StepLR(o, step_size=2, gamma=True),
    lambda o: optim.LinearLR(o, start_factor=float("nan")),
    lambda o: optim.CosineAnnealingLR(o, T_max=3, eta_min=None),
    lambda o: optim.OneCycleLR(o, max_lr=[1.0, "2"], total_steps=5),
    lambda o: optim.ReduceLROnPlateau(o, min_lr=float("inf")),
])
def test_schedule_settings_must_be_finite_real_numbers(make):
    with pytest.raises(TypeError, match="to be a finite real number"):
        make(_sgd(0.1, 0.2))


def test_one_cycle_momentum_needs_an_optimiser_with_momentum():
    optimizer = optim.Adagrad([Parameter(np.ones(2))], lr=0.1)
    with pytest.raises(ValueError, match="cycle_momentum=True needs an optimiser with momentum or betas"):
        optim.OneCycleLR(optimizer, max_lr=1.0, total_steps=5)
    assert optim.OneCycleLR(optimizer, max_lr=1.0, total_steps=5, cycle_momentum=False).total_steps == 5


def test_a_scheduler_needs_an_optimiser():
    with pytest.raises(TypeError, match="expected an optimiser such as mn.optim.SGD"):
        optim.StepLR([Parameter(np.ones(2))], step_size=1)


def test_a_scheduler_without_a_formula_says_what_to_define():
    class Constant(optim.LRScheduler):
        pass

    with pytest.raises(NotImplementedError, match=r"define lr_at\(self, base_lr, epoch\)"):
        Constant(_sgd(0.1))


# --- PyTorch as an oracle ----------------------------------------------------------------------

TORCH_SCHEDULES = [
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.05, "total_iters": 7}),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.2, "total_iters": 4}),
    ("ExponentialLR", {"gamma": 0.8}),
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("CosineAnnealingLR", {"T_max": 6}),
    ("CosineAnnealingLR", {"T_max": 5, "eta_min": 0.01}),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 12}),
    ("OneCycleLR", {"max_lr": [0.5, 2.0], "epochs": 3, "steps_per_epoch": 4, "pct_start": 0.4,
                    "anneal_strategy": "linear", "div_factor": 5.0, "final_div_factor": 50.0}),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 12, "three_phase": True, "base_momentum": 0.8,
                    "max_momentum": [0.9, 0.99]}),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 12, "cycle_momentum": False}),
]


def _torch_pair(torch, name, optimizer_name="SGD", momentum=0.9):
    """A minnet and a torch optimiser with the same two groups (lr 0.1 and 0.02)."""
    settings = {"momentum": momentum} if optimizer_name == "SGD" else {}
    mine = getattr(optim, optimizer_name)(
        [{"params": [Parameter(np.ones(2))], "lr": 0.1}, {"params": [Parameter(np.ones(2))], "lr": 0.02}],
        lr=0.1, **settings)
    theirs = getattr(torch.optim, optimizer_name)(
        [{"params": [torch.ones(2, requires_grad=True)], "lr": 0.1},
         {"params": [torch.ones(2, requires_grad=True)], "lr": 0.02}], lr=0.1, **settings)
    return mine, theirs


def _momenta(optimizer):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in optimizer.param_groups]


@pytest.mark.parametrize("name, kwargs", TORCH_SCHEDULES)
@pytest.mark.parametrize("optimizer_name", ["SGD", "Adam"])
def test_schedules_give_torchs_learning_rates_step_by_step(name, kwargs, optimizer_name):
    torch = pytest.importorskip("torch")
    mine, theirs = _torch_pair(torch, name, optimizer_name)
    my_schedule = getattr(optim, name)(mine, **kwargs)
    their_schedule = getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs)
    steps = my_schedule.total_steps if name == "OneCycleLR" else 10
    for step in range(steps + 1):
        np.testing.assert_allclose(my_schedule.get_last_lr(), their_schedule.get_last_lr(), rtol=1e-12,
                                   err_msg=f"{name} after {step} steps")
        np.testing.assert_allclose([g["lr"] for g in mine.param_groups],
                                   [g["lr"] for g in theirs.param_groups], rtol=1e-12)
        np.testing.assert_allclose(_momenta(mine), _momenta(theirs), rtol=1e-12)
        if step < steps:
            theirs.step()          # torch warns when a scheduler steps before its optimiser
            my_schedule.step()
            their_schedule.step()


PLATEAU_SETTINGS = [
    {},
    {"factor": 0.5, "patience": 1},
    {"mode": "max", "factor": 0.3, "patience": 0, "threshold": 0.05},
    {"patience": 1, "threshold": 0.02, "threshold_mode": "abs", "cooldown": 2},
    {"factor": 0.2, "patience": 0, "min_lr": [0.05, 0.0001]},
    {"factor": 0.9, "patience": 0, "eps": 0.005},     # the second group (lr 0.02) never moves
]


@pytest.mark.parametrize("kwargs", PLATEAU_SETTINGS)
def test_reduce_on_plateau_gives_torchs_learning_rates(kwargs):
    torch = pytest.importorskip("torch")
    mine, theirs = _torch_pair(torch, "ReduceLROnPlateau")
    my_schedule = optim.ReduceLROnPlateau(mine, **kwargs)
    their_schedule = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **kwargs)
    values = 1 + np.sin(np.arange(40) / 3) / (1 + np.arange(40) / 10)   # falls, stalls, wobbles
    for epoch, value in enumerate(values):
        my_schedule.step(value)
        their_schedule.step(value)
        np.testing.assert_allclose(my_schedule.get_last_lr(), their_schedule.get_last_lr(), rtol=1e-12,
                                   err_msg=f"epoch {epoch}")
    assert my_schedule.get_last_lr() != [0.1, 0.02]      # the run did reduce the rates
