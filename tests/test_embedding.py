"""Embedding: lookup, gradient (repeated indices add, padding row gets none), PyTorch match, errors."""
import numpy as np
import pytest

import minnet as mn
from minnet.nn import Embedding


@pytest.fixture(autouse=True)
def seeded():
    mn.manual_seed(0)


def test_lookup_is_one_hot_times_the_table():
    table = Embedding(5, 3)
    indices = np.array([[4, 0, 4], [1, 2, 3]])
    one_hot = np.eye(5)[indices]
    np.testing.assert_allclose(table(indices).data, one_hot @ table.weight.data, rtol=1e-6)
    assert table(indices).shape == (2, 3, 3)


def test_repeated_indices_add_their_gradients():
    table = Embedding(4, 2)
    table(np.array([1, 1, 1, 3])).sum().backward()
    np.testing.assert_array_equal(table.weight.grad, [[0, 0], [3, 3], [0, 0], [1, 1]])


@pytest.mark.parametrize("shape", [(), (1,), (3, 4), (2, 2, 2)], ids=str)
def test_gradient_matches_finite_differences(shape):
    indices = np.random.default_rng(1).integers(0, 6, shape)
    assert mn.gradcheck(Embedding(6, 3), indices)


def test_padding_row_starts_at_zero_and_gets_no_gradient():
    table = Embedding(5, 3, padding_idx=-1)
    assert table.padding_idx == 4
    np.testing.assert_array_equal(table.weight.data[4], 0)
    table(np.array([4, 4, 0])).sum().backward()
    np.testing.assert_array_equal(table.weight.grad[4], 0)
    np.testing.assert_array_equal(table.weight.grad[0], 1)


def test_whole_number_floats_are_accepted_as_indices():
    table = Embedding(5, 3)
    np.testing.assert_array_equal(table(np.array([1.0, 2.0])).data, table.weight.data[[1, 2]])


def test_weights_are_standard_normal_as_in_pytorch():
    weight = Embedding(1000, 50).weight.data
    assert abs(weight.mean()) < 0.01 and abs(weight.std() - 1) < 0.01


@pytest.mark.parametrize("indices, error, message", [
    (np.array([0, 5]), IndexError, r"Embedding\(5, 3\) expected indices from 0 to 4, got \[5\]"),
    (np.array([-1, 2]), IndexError, r"expected indices from 0 to 4, got \[-1\]"),
    (np.array([0.5, 1.0]), TypeError, r"expected integer indices, got non-integer values such as \[0.5\]"),
    (np.array(["a"]), TypeError, r"expected integer indices, got an array of dtype <U1"),
])
def test_bad_indices_are_clear_errors(indices, error, message):
    with pytest.raises(error, match=message):
        Embedding(5, 3)(indices)


@pytest.mark.parametrize("args, message", [
    ((0, 3), "positive integer for num_embeddings, got 0"),
    ((5, 2.5), "positive integer for embedding_dim, got 2.5"),
    ((5, 3, 5), r"padding_idx from -5 to 4, got 5"),
])
def test_bad_constructor_arguments_are_clear_errors(args, message):
    with pytest.raises(ValueError, match=message):
        Embedding(*args)


@pytest.mark.parametrize("dtype, atol", [(np.float32, 1e-5), (np.float64, 1e-10)])
def test_matches_torch_with_copied_weights(dtype, atol):
    torch = pytest.importorskip("torch")
    ours = Embedding(7, 4, padding_idx=2)
    theirs = torch.nn.Embedding(7, 4, padding_idx=2).to(getattr(torch, np.dtype(dtype).name))
    ours.weight.data = ours.weight.data.astype(dtype)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.data))
    indices = np.random.default_rng(1).integers(0, 7, (3, 5))
    upstream = np.random.default_rng(2).standard_normal((3, 5, 4)).astype(dtype)
    out_theirs, out_ours = theirs(torch.from_numpy(indices)), ours(indices)
    np.testing.assert_allclose(out_ours.data, out_theirs.detach().numpy(), atol=atol)
    out_ours.backward(upstream)
    out_theirs.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), atol=atol)


def test_indices_stay_read_only_until_backward_has_used_them():
    table = Embedding(5, 3)
    indices = np.array([1, 2, 3])
    out = table(indices)
    with pytest.raises(ValueError, match="read-only"):
        indices[0] = 4
    out.sum().backward()
    indices[0] = 4                       # released: writeable again
    np.testing.assert_array_equal(table.weight.grad[1:4], 1)
