"""Grader of assignment 2: each test is one task; its docstring is the task's title."""
import numpy as np
import pytest

import minnet as mn
from minnet.testing import check_activation

STARTER = "activations.py"
GRID = np.linspace(-6, 6, 97)


def _agrees(mine, reference, name):
    ours = mine(mn.Tensor(GRID)).data
    theirs = reference(mn.Tensor(GRID)).data
    worst = int(np.argmax(np.abs(ours - theirs)))
    assert np.allclose(ours, theirs, rtol=1e-6, atol=1e-7), (
        f"{name}({GRID[worst]:g}) = {ours[worst]:.8g}, expected {theirs[worst]:.8g}")


@pytest.mark.points(2)
def test_softsign(submission):
    """Softsign: formula and derivative"""
    check_activation(submission.Softsign())
    _agrees(submission.Softsign(), mn.nn.Softsign(), "Softsign")


@pytest.mark.points(3)
def test_stable_sigmoid(submission):
    """StableSigmoid: finite and silent, derivative from the output"""
    layer = submission.StableSigmoid()
    assert layer.derivative_from_output, "set derivative_from_output = True"
    check_activation(layer)
    _agrees(layer, mn.nn.Sigmoid(), "StableSigmoid")


@pytest.mark.points(2)
def test_elu(submission):
    """ELU(alpha): formula and derivative for two values of alpha"""
    for alpha in (1.0, 0.5):
        check_activation(submission.ELU(alpha))
        _agrees(submission.ELU(alpha), mn.nn.ELU(alpha), f"ELU(alpha={alpha})")


@pytest.mark.points(3)
def test_scaled_tanh(submission):
    """ScaledTanh: learnable a and b, registered as 'scaled_tanh'"""
    layer = submission.ScaledTanh(a=1.5, b=0.7)
    check_activation(layer)
    assert mn.nn.ACTIVATIONS.get("scaled_tanh") is submission.ScaledTanh, \
        "ScaledTanh is not registered: give the class name = 'scaled_tanh'"
    x = mn.Tensor(np.linspace(-2, 2, 8).reshape(4, 2), requires_grad=True)
    layer(x).sum().backward()
    expected_a = np.tanh(0.7 * x.data).sum()
    assert np.isclose(layer.a.grad, expected_a, rtol=1e-5), (
        f"dL/da for L = sum(f(x)) is {layer.a.grad}, expected sum(tanh(b x)) = {expected_a:.6g}")
