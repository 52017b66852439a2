"""mn.regularizers: l1 * sum|w| + l2 * sum w^2 (Keras's convention), differentiated by autograd."""
import numpy as np
import pytest

import minnet as mn
from minnet.regularizers import L1, L2, L1L2

W = np.array([[1.5, -2.0, 0.0], [0.25, -0.5, 3.0]])


@pytest.mark.parametrize("regularizer, expected", [
    (L1(0.1), 0.1 * np.abs(W).sum()),
    (L2(0.01), 0.01 * (W ** 2).sum()),
    (L1L2(l1=0.1, l2=0.01), 0.1 * np.abs(W).sum() + 0.01 * (W ** 2).sum()),
])
def test_penalty_value_is_the_keras_formula(regularizer, expected):
    assert regularizer(mn.Tensor(W)).item() == pytest.approx(expected)


@pytest.mark.parametrize("regularizer, expected_grad", [
    (L1(0.1), 0.1 * np.sign(W)),
    (L2(0.01), 2 * 0.01 * W),
    (L1L2(l1=0.1, l2=0.01), 0.1 * np.sign(W) + 2 * 0.01 * W),
])
def test_penalty_gradient_is_l1_sign_plus_twice_l2_w(regularizer, expected_grad):
    w = mn.nn.Parameter(W.copy())
    regularizer(w).backward()
    np.testing.assert_allclose(w.grad, expected_grad)


@pytest.mark.parametrize("regularizer", [L1(0.3), L2(0.2), L1L2(0.3, 0.2)])
def test_penalty_passes_gradcheck(regularizer):
    w = mn.Tensor(np.array([[0.7, -1.3], [0.4, 2.0]]), requires_grad=True)
    assert mn.gradcheck(regularizer, w)


def test_penalty_keeps_float32():
    assert L1L2(0.1, 0.1)(mn.Tensor(W.astype(np.float32))).dtype == np.float32


def test_zero_strength_penalty_is_zero():
    assert L1L2(0.0, 0.0)(mn.Tensor(W)).item() == 0.0


@pytest.mark.parametrize("regularizer, text", [
    (L1(0.01), "L1(l1=0.01)"), (L2(0.5), "L2(l2=0.5)"), (L1L2(0.1, 0.2), "L1L2(l1=0.1, l2=0.2)")])
def test_repr_shows_the_strengths(regularizer, text):
    assert repr(regularizer) == text


@pytest.mark.parametrize("make", [lambda: L1(-0.1), lambda: L2(-1), lambda: L1L2(0.1, -0.1),
                                  lambda: L2(float("nan"))])
def test_negative_or_nan_strength_is_refused(make):
    with pytest.raises(ValueError, match=">= 0"):
        make()


def test_non_numeric_strength_is_a_type_error():
    with pytest.raises(TypeError, match="l2"):
        L2("0.1")


def test_penalty_of_a_numpy_array_is_a_type_error():
    with pytest.raises(TypeError, match="Tensor"):
        L2(0.1)(W)


def test_a_regularizer_without_penalty_says_what_to_define():
    class Incomplete(mn.regularizers.Regularizer):
        pass

    with pytest.raises(NotImplementedError, match=r"Incomplete must define penalty"):
        Incomplete()(mn.Tensor(np.ones(2)))
