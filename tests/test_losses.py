"""Losses: each against its numpy formula, gradcheck, extreme logits, error cases, and PyTorch."""
import warnings

import numpy as np
import pytest

import minnet as mn
from minnet.nn import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss,
                       NLLLoss)

rng = np.random.default_rng(0)
PRED = rng.standard_normal((5, 3)) * 2
TARGET = rng.standard_normal((5, 3))
PROBS = rng.uniform(0.05, 0.95, (5, 3))
BINARY = (rng.uniform(size=(5, 3)) > 0.5).astype(np.float64)
LOGITS = rng.standard_normal((6, 4)) * 2
LABELS = np.array([0, 3, 1, 1, 2, 3])
CLASS_WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _log_softmax(x):
    return x - x.max(1, keepdims=True) - np.log(np.exp(x - x.max(1, keepdims=True)).sum(1, keepdims=True))


def _huber(d, delta):
    return np.where(np.abs(d) < delta, 0.5 * d ** 2, delta * (np.abs(d) - 0.5 * delta))


# (name, loss factory, prediction, target, elementwise numpy formula)
ELEMENTWISE = [
    ("mse", MSELoss, PRED, TARGET, lambda p, t: (p - t) ** 2),
    ("l1", L1Loss, PRED, TARGET, lambda p, t: np.abs(p - t)),
    ("huber", lambda **k: HuberLoss(delta=1.5, **k), PRED, TARGET, lambda p, t: _huber(p - t, 1.5)),
    ("bce", BCELoss, PROBS, BINARY, lambda p, t: -(t * np.log(p) + (1 - t) * np.log(1 - p))),
    ("bce_logits", BCEWithLogitsLoss, PRED, BINARY,
     lambda x, t: -(t * np.log(_sigmoid(x)) + (1 - t) * np.log(1 - _sigmoid(x)))),
]


@pytest.mark.parametrize("name, make, prediction, target, formula", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_elementwise_loss_matches_numpy_formula(name, make, prediction, target, formula, reduction):
    expected = formula(prediction, target)
    expected = {"mean": expected.mean(), "sum": expected.sum(), "none": expected}[reduction]
    got = make(reduction=reduction)(mn.Tensor(prediction), target)
    np.testing.assert_allclose(got.data, expected, rtol=1e-10)


@pytest.mark.parametrize("name, make, prediction, target, formula", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_elementwise_loss_passes_gradcheck(name, make, prediction, target, formula, reduction):
    assert mn.gradcheck(lambda p: make(reduction=reduction)(p, target),
                        mn.Tensor(prediction, requires_grad=True))


def test_huber_is_quadratic_inside_delta_and_linear_outside():
    loss = HuberLoss(delta=1.0, reduction="none")(mn.Tensor([0.5, 3.0]), np.array([0.0, 0.0]))
    np.testing.assert_allclose(loss.data, [0.125, 2.5])


def test_cross_entropy_matches_negative_log_softmax():
    expected = -_log_softmax(LOGITS)[np.arange(6), LABELS]
    got = CrossEntropyLoss(reduction="none")(mn.Tensor(LOGITS), LABELS)
    np.testing.assert_allclose(got.data, expected, rtol=1e-12)
    assert CrossEntropyLoss()(mn.Tensor(LOGITS), LABELS).item() == pytest.approx(expected.mean())
    assert CrossEntropyLoss(reduction="sum")(mn.Tensor(LOGITS), LABELS).item() == pytest.approx(expected.sum())


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    logits = mn.Tensor(LOGITS, requires_grad=True)
    CrossEntropyLoss()(logits, LABELS).backward()
    onehot = np.eye(4)[LABELS]
    np.testing.assert_allclose(logits.grad, (np.exp(_log_softmax(LOGITS)) - onehot) / 6, rtol=1e-10)


def test_weighted_smoothed_cross_entropy_matches_formula():
    e, C = 0.2, 4
    log_p = _log_softmax(LOGITS)
    w_y = CLASS_WEIGHT[LABELS]
    per_sample = (1 - e) * w_y * -log_p[np.arange(6), LABELS] + e / C * -(log_p * CLASS_WEIGHT).sum(1)
    got = CrossEntropyLoss(weight=CLASS_WEIGHT, label_smoothing=e)(mn.Tensor(LOGITS), LABELS)
    assert got.item() == pytest.approx(per_sample.sum() / w_y.sum(), rel=1e-12)


def test_nll_matches_negative_picked_log_probability():
    log_p = _log_softmax(LOGITS)
    got = NLLLoss(weight=CLASS_WEIGHT)(mn.Tensor(log_p), LABELS)
    w_y = CLASS_WEIGHT[LABELS]
    assert got.item() == pytest.approx((-log_p[np.arange(6), LABELS] * w_y).sum() / w_y.sum())


CLASS_LOSSES = [
    ("ce", lambda **k: CrossEntropyLoss(**k), LOGITS),
    ("ce_weight", lambda **k: CrossEntropyLoss(weight=CLASS_WEIGHT, **k), LOGITS),
    ("ce_smooth", lambda **k: CrossEntropyLoss(label_smoothing=0.1, **k), LOGITS),
    ("ce_weight_smooth", lambda **k: CrossEntropyLoss(weight=CLASS_WEIGHT, label_smoothing=0.3, **k), LOGITS),
    ("nll", lambda **k: NLLLoss(**k), _log_softmax(LOGITS)),
    ("nll_weight", lambda **k: NLLLoss(weight=CLASS_WEIGHT, **k), _log_softmax(LOGITS)),
]


@pytest.mark.parametrize("name, make, scores", CLASS_LOSSES, ids=[c[0] for c in CLASS_LOSSES])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_class_loss_passes_gradcheck(name, make, scores, reduction):
    assert mn.gradcheck(lambda x: make(reduction=reduction)(x, LABELS), mn.Tensor(scores, requires_grad=True))


def test_log_softmax_then_nll_equals_cross_entropy():
    log_probs = mn.Tensor(_log_softmax(LOGITS))
    assert NLLLoss()(log_probs, LABELS).item() == pytest.approx(CrossEntropyLoss()(mn.Tensor(LOGITS), LABELS).item())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_give_finite_losses_and_gradients_without_warnings(dtype):
    big = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        logits = mn.Tensor(big, requires_grad=True)
        loss = CrossEntropyLoss()(logits, np.array([1, 0]))
        loss.backward()
        assert loss.item() == pytest.approx(2e4 / 2 + 2e4 / 2 + np.log(2) / 2, rel=1e-6)
        assert np.all(np.isfinite(logits.grad))
        x = mn.Tensor(big, requires_grad=True)
        bce = BCEWithLogitsLoss(reduction="none")(x, np.array([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0]], dtype))
        bce.sum().backward()
        np.testing.assert_allclose(bce.data, [[0, 0, np.log(2)], [1e4, 1e4, 1e4]], rtol=1e-6)
        np.testing.assert_allclose(x.grad, [[0, 0, -0.5], [-1, 1, 1]], atol=1e-7)


def test_bce_clamps_log_at_minus_100_for_certain_wrong_probabilities():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = mn.Tensor(np.array([0.0, 1.0, 1.0]), requires_grad=True)
        loss = BCELoss(reduction="none")(p, np.array([1.0, 0.0, 1.0]))
        loss.sum().backward()
    np.testing.assert_allclose(loss.data, [100.0, 100.0, 0.0])
    assert np.all(np.isfinite(p.grad))


def test_float32_in_float32_out():
    x32 = mn.Tensor(LOGITS.astype(np.float32), requires_grad=True)
    loss = CrossEntropyLoss()(x32, LABELS)
    loss.backward()
    assert loss.dtype == np.float32 and x32.grad.dtype == np.float32
    assert MSELoss()(mn.Tensor(PRED.astype(np.float32)), TARGET).dtype == np.float32


def test_float_labels_with_integer_values_are_accepted():
    a = CrossEntropyLoss()(mn.Tensor(LOGITS), LABELS.astype(np.float64)).item()
    assert a == pytest.approx(CrossEntropyLoss()(mn.Tensor(LOGITS), LABELS).item())


@pytest.mark.parametrize("labels, error, message", [
    (np.array([0, 4, 1, 1, 2, 3]), ValueError, "out of range for 4 classes"),
    (np.array([0, -1, 1, 1, 2, 3]), ValueError, "out of range"),
    (np.array([0.5, 3, 1, 1, 2, 3]), ValueError, "non-integer"),
    (np.array([0, 1, 2]), ValueError, r"labels of shape \(6,\).*got labels of shape \(3,\)"),
    (np.eye(4)[LABELS], ValueError, "shape"),
    (np.array(["a"] * 6), TypeError, "integer class labels"),
])
@pytest.mark.parametrize("loss", [CrossEntropyLoss(), NLLLoss()], ids=["ce", "nll"])
def test_bad_labels_are_named_errors(loss, labels, error, message):
    with pytest.raises(error, match=message):
        loss(mn.Tensor(LOGITS), labels)


def test_cross_entropy_needs_two_dimensional_logits():
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        CrossEntropyLoss()(mn.Tensor(np.zeros(4)), np.array([1]))


def test_class_weight_count_must_match_classes():
    with pytest.raises(ValueError, match="3 class weights but the input has 4 classes"):
        CrossEntropyLoss(weight=[1.0, 1.0, 1.0])(mn.Tensor(LOGITS), LABELS)


@pytest.mark.parametrize("loss", [MSELoss(), L1Loss(), HuberLoss(), BCEWithLogitsLoss()])
def test_shape_mismatch_names_both_shapes(loss):
    with pytest.raises(ValueError, match=r"\(5, 3\) and \(5,\)"):
        loss(mn.Tensor(PRED), np.zeros(5))


@pytest.mark.parametrize("loss", [MSELoss(), BCEWithLogitsLoss()])
def test_nan_target_is_refused(loss):
    target = BINARY.copy()
    target[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        loss(mn.Tensor(PRED), target)


def test_bce_refuses_values_outside_zero_one():
    with pytest.raises(ValueError, match="BCEWithLogitsLoss"):
        BCELoss()(mn.Tensor(PRED), BINARY)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_refuses_nan_probabilities_as_pytorch_does(reduction):
    probabilities = np.full((3, 2), 0.5)
    probabilities[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"BCELoss expected probabilities in \[0, 1\], got NaN in 1 of 6"):
        BCELoss(reduction=reduction)(mn.Tensor(probabilities), np.ones((3, 2)))


@pytest.mark.parametrize("make", [lambda: MSELoss(reduction="avg"), lambda: HuberLoss(delta=0),
                                  lambda: CrossEntropyLoss(label_smoothing=1.0),
                                  lambda: CrossEntropyLoss(weight=[-1.0, 1.0])])
def test_bad_options_are_refused(make):
    with pytest.raises(ValueError):
        make()


def test_repr_shows_options():
    assert repr(CrossEntropyLoss(label_smoothing=0.1)) == "CrossEntropyLoss(label_smoothing=0.1)"
    assert repr(MSELoss(reduction="sum")) == "MSELoss(reduction='sum')"


# --- PyTorch as an oracle ----------------------------------------------------------------------

TORCH_CASES = [
    ("MSELoss", {}, PRED, TARGET), ("L1Loss", {}, PRED, TARGET),
    ("HuberLoss", {"delta": 0.7}, PRED, TARGET), ("BCELoss", {}, PROBS, BINARY),
    ("BCEWithLogitsLoss", {}, PRED, BINARY),
    ("BCEWithLogitsLoss", {"pos_weight": np.array([1.0, 3.0, 0.5])}, PRED, BINARY),
    ("CrossEntropyLoss", {}, LOGITS, LABELS),
    ("CrossEntropyLoss", {"weight": CLASS_WEIGHT, "label_smoothing": 0.25}, LOGITS, LABELS),
    ("NLLLoss", {"weight": CLASS_WEIGHT}, _log_softmax(LOGITS), LABELS),
]


@pytest.mark.parametrize("name, options, prediction, target", TORCH_CASES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_and_gradient_match_pytorch(name, options, prediction, target, reduction):
    torch = pytest.importorskip("torch")
    torch_options = {k: torch.tensor(v) for k, v in options.items() if isinstance(v, np.ndarray)}
    torch_options.update({k: v for k, v in options.items() if not isinstance(v, np.ndarray)})
    reference_input = torch.tensor(prediction, requires_grad=True)
    reference = getattr(torch.nn, name)(reduction=reduction, **torch_options)(reference_input, torch.tensor(target))
    reference.sum().backward()
    x = mn.Tensor(prediction, requires_grad=True)
    ours = getattr(mn.nn, name)(reduction=reduction, **options)(x, target)
    ours.sum().backward()
    np.testing.assert_allclose(ours.data, reference.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad, reference_input.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_bce_refuses_targets_outside_zero_one():
    with pytest.raises(ValueError, match="BCELoss expected targets in \\[0, 1\\], got values from "
                                         "-0.5 to 2"):
        BCELoss()(mn.Tensor([0.5, 0.5]), [-0.5, 2.0])


@pytest.mark.parametrize("delta", [1.0, 0.25])
def test_huber_gradient_at_huge_and_infinite_predictions_is_plus_or_minus_delta(delta):
    p = mn.Tensor(np.array([np.inf, -np.inf, 1e30, -1e30, 0.1], np.float32), requires_grad=True)
    loss = HuberLoss(delta=delta, reduction="sum")(p, np.zeros(5, np.float32))
    loss.backward()
    np.testing.assert_allclose(p.grad, [delta, -delta, delta, -delta, min(0.1, delta)], rtol=1e-6)
    assert loss.item() == np.inf


def test_huber_matches_its_formula_on_both_sides_of_delta():
    d = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    loss = HuberLoss(delta=1.0, reduction="none")(mn.Tensor(d), np.zeros(5))
    np.testing.assert_allclose(loss.data, np.where(np.abs(d) < 1, 0.5 * d * d, np.abs(d) - 0.5))
    assert mn.gradcheck(lambda p: HuberLoss(delta=1.0)(p, np.zeros(5)),
                        mn.Tensor(d + 0.1, requires_grad=True, dtype=np.float64))


@pytest.mark.parametrize("loss", [MSELoss(), L1Loss(), HuberLoss()], ids=repr)
def test_integer_predictions_give_a_loss_in_the_default_float_dtype(loss):
    result = loss(mn.Tensor(np.array([1, 2, 3])), np.array([0, 2, 5]))
    assert result.dtype == mn.get_default_dtype()
