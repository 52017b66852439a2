"""Public tests of assignment 3: shapes and obvious cases (your teacher's hidden tests check more)."""
import numpy as np

import minnet as mn

STARTER = "layers.py"


def test_initialisers_have_the_shape_asked(submission):
    rng = np.random.default_rng(0)
    assert np.shape(submission.xavier_uniform(3, 2, rng)) == (3, 2)
    assert np.shape(submission.he_normal(3, 2, rng)) == (3, 2)


def test_linear_maps_the_width(submission):
    layer = submission.Linear(3, 2, rng=np.random.default_rng(0))
    assert layer(mn.Tensor(np.ones((4, 3), dtype=np.float32))).shape == (4, 2)


def test_gradient_norms_gives_one_norm_per_layer(submission):
    assert len(submission.gradient_norms(mn.nn.ReLU, "he_normal", depth=3, width=8, batch=4)) == 3
