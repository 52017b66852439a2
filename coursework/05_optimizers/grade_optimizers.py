"""Grader of assignment 5: each test is one task; its docstring is the task's title."""
import math

import numpy as np
import pytest

import minnet as mn
from minnet.testing import check_optimizer

STARTER = "optimizers.py"


def momentum_reference(p, g, state, lr=0.01, momentum=0.9):
    state["v"] = momentum * state.get("v", 0.0) + g
    return p - lr * state["v"]


def lion_reference(p, g, state, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
    m = state.get("m", np.zeros_like(p))
    new_p = p - lr * (np.sign(betas[0] * m + (1 - betas[0]) * g) + weight_decay * p)
    state["m"] = betas[1] * m + (1 - betas[1]) * g
    return new_p


def schedule(step, total, warmup, base, low):
    if step < warmup:
        return base * (step + 1) / warmup
    s = min(step - warmup, total - warmup)
    return low + (base - low) * (1 + math.cos(math.pi * s / (total - warmup))) / 2


@pytest.mark.points(3)
def test_momentum(submission):
    """Momentum: the update hook, defaults from the class"""
    check_optimizer(submission.Momentum, momentum_reference, dict(lr=0.05, momentum=0.8))
    check_optimizer(submission.Momentum, momentum_reference, dict(lr=0.05))   # momentum from defaults


@pytest.mark.points(3)
def test_lion(submission):
    """Lion: step() written PyTorch's way"""
    check_optimizer(submission.Lion, lion_reference, dict(lr=0.01))
    check_optimizer(submission.Lion, lion_reference, dict(lr=0.01, betas=(0.8, 0.95), weight_decay=0.1))


@pytest.mark.points(2)
def test_warmup_cosine(submission):
    """warmup_cosine: linear warm-up, then cosine decay to min_lr"""
    for step in range(30):
        got = submission.warmup_cosine(step, 20, 5, 0.1, 0.001)
        expected = schedule(step, 20, 5, 0.1, 0.001)
        assert math.isclose(got, expected, rel_tol=1e-9), (
            f"warmup_cosine({step}, total_steps=20, warmup_steps=5, base_lr=0.1, min_lr=0.001) "
            f"= {got}, expected {expected}")


@pytest.mark.points(2)
def test_scheduler(submission):
    """WarmupCosine: sets each group's lr at creation and each step"""
    a, b = mn.nn.Parameter(np.ones(2)), mn.nn.Parameter(np.ones(3))
    optimizer = mn.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.02}], lr=0.1)
    scheduler = submission.WarmupCosine(optimizer, total_steps=10, warmup_steps=2)
    for t in range(12):
        got = [group["lr"] for group in optimizer.param_groups]
        expected = [schedule(t, 10, 2, 0.1, 0.0), schedule(t, 10, 2, 0.02, 0.0)]
        assert np.allclose(got, expected, rtol=1e-9), (
            f"after {t} steps the groups' lr are {got}, expected {expected}")
        scheduler.step()
