"""Public tests of assignment 6: shapes and obvious cases (your teacher's hidden tests check more)."""
import numpy as np

import minnet as mn

STARTER = "project.py"


def test_build_model_maps_64_pixels_to_10_logits(submission):
    model = submission.build_model(seed=0)
    assert model(mn.Tensor(np.zeros((2, 64), dtype=np.float32))).shape == (2, 10)
