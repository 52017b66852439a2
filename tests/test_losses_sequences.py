"""CrossEntropyLoss over sequences ((N, C, T) logits, PyTorch's layout) and with ignore_index."""
import numpy as np
import pytest

import minnet as mn
from minnet.nn import CrossEntropyLoss


def logits_and_labels(shape=(3, 5, 4), seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    logits = mn.Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
    labels = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    return logits, labels


def test_sequence_loss_is_the_loss_of_every_position_as_a_sample():
    logits, labels = logits_and_labels()
    flat = mn.Tensor(logits.data.transpose(0, 2, 1).reshape(-1, 5))
    for reduction in ("mean", "sum"):
        np.testing.assert_allclose(CrossEntropyLoss(reduction=reduction)(logits, labels).data,
                                   CrossEntropyLoss(reduction=reduction)(flat, labels.reshape(-1)).data,
                                   rtol=1e-12)
    per_position = CrossEntropyLoss(reduction="none")(logits, labels)
    assert per_position.shape == (3, 4)


def test_ignored_labels_add_nothing_and_do_not_count_in_the_mean():
    logits, labels = logits_and_labels()
    labels[:, -1] = -100
    kept = CrossEntropyLoss()(mn.Tensor(logits.data[:, :, :3]), labels[:, :3]).data
    np.testing.assert_allclose(CrossEntropyLoss()(logits, labels).data, kept, rtol=1e-12)
    CrossEntropyLoss()(logits, labels).backward()
    np.testing.assert_array_equal(logits.grad[:, :, -1], 0)


def test_every_label_ignored_gives_nan_without_a_warning():
    logits, labels = logits_and_labels((2, 3))
    assert np.isnan(CrossEntropyLoss(ignore_index=7)(logits, np.array([7, 7])).data)


@pytest.mark.parametrize("options", [{}, {"ignore_index": 1}, {"label_smoothing": 0.2, "ignore_index": 0},
                                     {"weight": [1.0, 2.0, 0.5, 1.0, 3.0], "ignore_index": 2},
                                     {"reduction": "none", "ignore_index": 3}, {"reduction": "sum"}], ids=str)
@pytest.mark.parametrize("shape", [(3, 5, 4), (2, 5, 1), (2, 5, 2, 3), (4, 5)], ids=str)
def test_sequence_loss_gradients_match_finite_differences(options, shape):
    logits, labels = logits_and_labels(shape)
    loss = CrossEntropyLoss(**options)
    weights = np.random.default_rng(9).standard_normal(loss(logits, labels).shape)
    assert mn.gradcheck(lambda x: (loss(x, labels) * mn.Tensor(weights)).sum(), logits)


@pytest.mark.parametrize("dtype, atol", [(np.float32, 1e-5), (np.float64, 1e-10)], ids=["float32", "float64"])
@pytest.mark.parametrize("options", [{}, {"ignore_index": 2}, {"label_smoothing": 0.1, "ignore_index": 0},
                                     {"weight": [1.0, 2.0, 0.5, 1.0, 3.0], "ignore_index": 4},
                                     {"reduction": "none", "ignore_index": 1}], ids=str)
def test_sequence_loss_matches_torch(dtype, atol, options):
    torch = pytest.importorskip("torch")
    logits, labels = logits_and_labels((3, 5, 6), dtype=dtype)
    torch_options = dict(options)
    if "weight" in options:
        torch_options["weight"] = torch.tensor(options["weight"], dtype=getattr(torch, np.dtype(dtype).name))
    ours = CrossEntropyLoss(**options)(logits, labels)
    theirs_logits = torch.tensor(logits.data, requires_grad=True)
    theirs = torch.nn.CrossEntropyLoss(**torch_options)(theirs_logits, torch.from_numpy(labels))
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), atol=atol, rtol=atol)
    upstream = np.random.default_rng(3).standard_normal(ours.shape).astype(dtype)
    ours.backward(upstream)
    theirs.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(logits.grad, theirs_logits.grad.numpy(), atol=atol, rtol=atol)


def test_labels_of_the_wrong_shape_for_sequence_logits_are_a_clear_error():
    logits, _ = logits_and_labels()
    with pytest.raises(ValueError, match=r"expected labels of shape \(3, 4\) for logits of shape "
                                         r"\(3, 5, 4\) \(N, C, d1, \.\.\.\), got labels of shape \(3, 5\)"):
        CrossEntropyLoss()(logits, np.zeros((3, 5), dtype=int))


def test_labels_out_of_range_other_than_ignore_index_are_still_an_error():
    logits, labels = logits_and_labels()
    labels[0, 0] = 5
    with pytest.raises(ValueError, match=r"out of range for 5 classes"):
        CrossEntropyLoss()(logits, labels)


def test_repr_shows_a_non_default_ignore_index():
    assert repr(CrossEntropyLoss(ignore_index=0)) == "CrossEntropyLoss(ignore_index=0)"
