"""Public tests of assignment 2: shapes and obvious cases (your teacher's hidden tests check more)."""
import numpy as np

import minnet as mn

STARTER = "activations.py"


def test_softsign_at_zero_and_one(submission):
    layer = submission.Softsign()
    assert np.allclose(layer.f(np.array([0.0, 1.0])), [0.0, 0.5])
    assert np.allclose(layer.df(np.array([0.0]), None), [1.0])


def test_stable_sigmoid_at_zero_is_a_half(submission):
    assert np.allclose(submission.StableSigmoid().f(np.array([0.0])), [0.5])


def test_elu_is_the_identity_for_positive_inputs(submission):
    assert np.allclose(submission.ELU(1.0).f(np.array([2.0])), [2.0])


def test_scaled_tanh_has_two_parameters(submission):
    layer = submission.ScaledTanh(a=2.0, b=1.0)
    assert len(list(layer.parameters())) == 2
    assert np.allclose(layer.f(np.array([0.0])), [0.0])
    assert layer(mn.Tensor(np.zeros((2, 3)))).shape == (2, 3)
