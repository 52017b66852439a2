"""Public tests of assignment 7: shapes and obvious cases (your teacher's hidden tests check more)."""
import numpy as np

import minnet as mn

STARTER = "sequences.py"


def _zero_weights(features, hidden):
    return [mn.Tensor(np.zeros(shape)) for shape in
            [(4 * hidden, features), (4 * hidden, hidden), (4 * hidden,), (4 * hidden,)]]


def test_lstm_cell_with_zero_weights_half_keeps_the_cell(submission):
    # Every pre-activation is 0: i = f = o = 1/2 and g = 0, so c' = c / 2 and h' = tanh(c') / 2.
    x, h, c = mn.Tensor(np.ones((2, 3))), mn.Tensor(np.zeros((2, 4))), mn.Tensor(np.full((2, 4), 2.0))
    h_next, c_next = submission.lstm_cell(x, h, c, *_zero_weights(3, 4))
    assert c_next.shape == h_next.shape == (2, 4)
    assert np.allclose(c_next.data, 1.0) and np.allclose(h_next.data, np.tanh(1.0) / 2)


def test_lstm_returns_every_step_and_the_last_states(submission):
    x = mn.Tensor(np.ones((5, 2, 3)))
    h, c = mn.Tensor(np.zeros((2, 4))), mn.Tensor(np.full((2, 4), 2.0))
    output, h_last, c_last = submission.lstm(x, h, c, *_zero_weights(3, 4))
    assert output.shape == (5, 2, 4) and h_last.shape == c_last.shape == (2, 4)
    assert np.allclose(c_last.data, 2.0 / 2 ** 5) and np.allclose(output.data[-1], h_last.data)


def test_softmax_of_equal_scores_is_uniform_and_large_scores_stay_finite(submission):
    assert np.allclose(submission.softmax(mn.Tensor(np.zeros((2, 4)))).data, 0.25)
    weights = submission.softmax(mn.Tensor([[1000.0, 0.0]])).data
    assert np.allclose(weights, [[1.0, 0.0]])


def test_causal_attention_first_position_sees_only_itself(submission):
    rng = np.random.default_rng(0)
    q, k, v = (mn.Tensor(rng.normal(size=(2, 5, 4))) for _ in range(3))
    out = submission.causal_attention(q, k, v)
    assert out.shape == (2, 5, 4) and np.allclose(out.data[:, 0], v.data[:, 0])
