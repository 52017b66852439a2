"""Specifications of minnet.data.DataLoader."""
import numpy as np
import pytest

import minnet as mn
from minnet.data import DataLoader


def _dataset(n=10):
    return np.arange(n * 2, dtype=np.float32).reshape(n, 2), np.arange(n)


@pytest.mark.parametrize("n, batch_size, drop_last, sizes", [
    (10, 4, False, [4, 4, 2]),
    (10, 4, True, [4, 4]),
    (8, 4, True, [4, 4]),
    (3, 5, False, [3]),
    (3, 5, True, []),
])
def test_batch_sizes_and_len(n, batch_size, drop_last, sizes):
    loader = DataLoader(*_dataset(n), batch_size=batch_size, drop_last=drop_last)
    assert [len(yb) for _, yb in loader] == sizes
    assert len(loader) == len(sizes)


def test_unshuffled_loader_keeps_order_and_pairs_x_with_y():
    X, y = _dataset(10)
    batches = list(DataLoader(X, y, batch_size=3))
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in batches]), y)
    for Xb, yb in batches:
        np.testing.assert_array_equal(Xb, X[yb])


@pytest.mark.parametrize("batch_size", [1, 3, 7, 50])
def test_shuffled_epoch_visits_every_sample_exactly_once(batch_size):
    X, y = _dataset(23)
    seen = np.concatenate([yb for _, yb in DataLoader(X, y, batch_size=batch_size, shuffle=True, seed=0)])
    assert sorted(seen) == list(range(23))


def test_shuffled_batches_keep_x_and_y_paired():
    X, y = _dataset(20)
    for Xb, yb in DataLoader(X, y, batch_size=6, shuffle=True, seed=1):
        np.testing.assert_array_equal(Xb, X[yb])


def test_each_epoch_gets_a_new_order():
    loader = DataLoader(*_dataset(30), batch_size=30, shuffle=True, seed=0)
    first, second = ([yb for _, yb in loader][0] for _ in range(2))
    assert not np.array_equal(first, second)
    assert sorted(first) == sorted(second)


def test_same_seed_gives_same_sequence_of_epochs():
    def epochs(seed):
        loader = DataLoader(*_dataset(15), batch_size=4, shuffle=True, seed=seed)
        return [np.concatenate([yb for _, yb in loader]) for _ in range(3)]
    for a, b in zip(epochs(3), epochs(3)):
        np.testing.assert_array_equal(a, b)


def test_seedless_shuffle_follows_manual_seed():
    def epoch():
        return np.concatenate([yb for _, yb in DataLoader(*_dataset(15), batch_size=4, shuffle=True)])
    mn.manual_seed(11)
    first = epoch()
    mn.manual_seed(11)
    np.testing.assert_array_equal(first, epoch())


def test_drop_last_with_shuffle_drops_only_the_remainder():
    seen = [yb for _, yb in DataLoader(*_dataset(10), batch_size=4, shuffle=True, seed=0, drop_last=True)]
    assert [len(b) for b in seen] == [4, 4]
    assert len(set(np.concatenate(seen))) == 8


def test_without_labels_yields_x_batches_only():
    X, _ = _dataset(5)
    batches = list(DataLoader(X, batch_size=2))
    assert [b.shape for b in batches] == [(2, 2), (2, 2), (1, 2)]


def test_batches_keep_dtype_and_trailing_shape():
    X = np.zeros((9, 1, 8, 8), dtype=np.float32)
    Xb, _ = next(iter(DataLoader(X, np.zeros(9, np.int64), batch_size=4)))
    assert Xb.shape == (4, 1, 8, 8) and Xb.dtype == np.float32


def test_mismatched_lengths_are_explained():
    with pytest.raises(ValueError, match=r"same number of samples, got X \(10, 2\) and y \(9,\)"):
        DataLoader(np.zeros((10, 2)), np.zeros(9))


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, 4.0, True, False, "4", None])
def test_bad_batch_size_is_rejected(batch_size):
    with pytest.raises(ValueError, match=r"DataLoader expected batch_size to be a positive integer"):
        DataLoader(np.zeros((4, 2)), batch_size=batch_size)


def test_numpy_integer_batch_size_is_accepted():
    assert len(DataLoader(np.zeros((4, 2)), batch_size=np.int64(3))) == 2
