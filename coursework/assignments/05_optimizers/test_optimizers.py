"""Public tests of assignment 5: shapes and obvious cases (your teacher's hidden tests check more)."""
import numpy as np

import minnet as mn

STARTER = "optimizers.py"


def test_momentum_first_step_is_plain_gradient_descent(submission):
    p = mn.nn.Parameter(np.ones(2))
    p.grad = np.array([1.0, -1.0])
    submission.Momentum([p], lr=0.1).step()
    assert np.allclose(p.data, [0.9, 1.1])


def test_lion_first_step_moves_by_lr_against_the_sign(submission):
    p = mn.nn.Parameter(np.zeros(2))
    p.grad = np.array([3.0, -0.5])
    submission.Lion([p], lr=0.01).step()
    assert np.allclose(p.data, [-0.01, 0.01])


def test_warmup_cosine_ends_at_min_lr(submission):
    assert np.isclose(submission.warmup_cosine(100, 100, 10, 0.1, 0.001), 0.001)
    assert np.isclose(submission.warmup_cosine(0, 100, 10, 0.1), 0.01)
