"""scaled_dot_product_attention, linear, MultiheadAttention, positional encoding and the
transformer block: formulas, gradients (gradcheck), PyTorch's numbers, masks and errors."""
import numpy as np
import pytest

import minnet as mn
import minnet.nn.functional as F
from minnet.nn import MultiheadAttention, PositionalEncoding, TransformerBlock, sinusoidal_positions


@pytest.fixture(autouse=True)
def seeded():
    mn.manual_seed(0)


def normal(shape, seed=0, dtype=np.float64, requires_grad=True):
    data = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return mn.Tensor(data, requires_grad=requires_grad)


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def weighted_sum(output):
    return (output * normal(output.shape, seed=99, requires_grad=False)).sum()


# --- scaled_dot_product_attention -----------------------------------------------------------------

def test_attention_is_softmax_of_scaled_scores_times_values():
    q, k, v = normal((2, 3, 4), 1), normal((2, 5, 4), 2), normal((2, 5, 6), 3)
    expected = softmax(q.data @ k.data.swapaxes(1, 2) / 2) @ v.data      # sqrt(4) = 2
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, k, v).data, expected, rtol=1e-12)


def test_causal_attention_ignores_the_future():
    q, k, v = normal((1, 6, 4), 1), normal((1, 6, 4), 2), normal((1, 6, 4), 3)
    before = F.scaled_dot_product_attention(q, k, v, is_causal=True).data
    k.data[0, 4:] += 10
    v.data[0, 4:] -= 10
    after = F.scaled_dot_product_attention(q, k, v, is_causal=True).data
    np.testing.assert_allclose(after[0, :4], before[0, :4], rtol=1e-12)
    assert not np.allclose(after[0, 4:], before[0, 4:])


def test_boolean_mask_equals_the_float_mask_of_zeros_and_minus_infinity():
    q, k, v = normal((2, 3, 4), 1), normal((2, 5, 4), 2), normal((2, 5, 4), 3)
    allowed = np.random.default_rng(4).random((3, 5)) > 0.3
    allowed[:, 0] = True
    additive = np.where(allowed, 0.0, -np.inf)
    np.testing.assert_array_equal(F.scaled_dot_product_attention(q, k, v, attn_mask=allowed).data,
                                  F.scaled_dot_product_attention(q, k, v, attn_mask=additive).data)


def test_a_query_with_every_key_masked_attends_to_nothing_as_in_torch():
    q, k, v = normal((1, 2, 4), 1), normal((1, 3, 4), 2), normal((1, 3, 4), 3)
    mask = np.array([[True, True, True], [False, False, False]])
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert np.all(np.isfinite(out.data[0, 0])) and np.all(out.data[0, 1] == 0)
    out.sum().backward()
    assert np.all(q.grad[0, 1] == 0) and np.all(np.isfinite(k.grad))


def test_huge_scores_do_not_overflow():
    q = mn.Tensor(np.full((1, 2, 4), 1e4))
    assert np.all(np.isfinite(F.scaled_dot_product_attention(q, q, q).data))


@pytest.mark.parametrize("shapes", [
    ((2, 3, 4), (2, 5, 4), (2, 5, 3)),
    ((2, 2, 3, 4), (2, 2, 3, 4), (2, 2, 3, 4)),
    ((1, 3, 4), (2, 5, 4), (2, 5, 2)),          # broadcast over the batch
    ((1, 4), (1, 4), (1, 4)),                   # one query, one key
    ((5, 2), (1, 2), (1, 3)),
], ids=str)
@pytest.mark.parametrize("options", [{}, {"is_causal": True}, {"scale": 0.3}], ids=str)
def test_attention_gradients_match_finite_differences(shapes, options):
    q, k, v = (normal(shape, seed) for seed, shape in enumerate(shapes))
    assert mn.gradcheck(lambda q, k, v: weighted_sum(F.scaled_dot_product_attention(q, k, v, **options)), q, k, v)


def test_attention_gradients_with_a_float_mask_and_with_dropout():
    q, k, v = normal((2, 3, 4), 1), normal((2, 5, 4), 2), normal((2, 5, 4), 3)
    mask = np.random.default_rng(4).standard_normal((3, 5))
    mask[1, 2] = -np.inf
    assert mn.gradcheck(lambda q, k, v: weighted_sum(F.scaled_dot_product_attention(q, k, v, attn_mask=mask)), q, k, v)
    assert mn.gradcheck(lambda q, k, v: weighted_sum(F.scaled_dot_product_attention(q, k, v, dropout_p=0.4)), q, k, v)


@pytest.mark.parametrize("call, error, message", [
    (lambda q: F.scaled_dot_product_attention(q, q[:, :, :3], q), ValueError, r"query \(\*, L, E\), key \(\*, S, E\)"),
    (lambda q: F.scaled_dot_product_attention(q[0, 0], q[0, 0], q[0, 0]), ValueError, "at least 2 axes"),
    (lambda q: F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((3, 3), bool), is_causal=True),
     ValueError, "not both"),
    (lambda q: F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((2, 3), bool)), ValueError,
     r"attn_mask of shape \(\.\.\., 3, 3\)"),
    (lambda q: F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((3, 3), int)), TypeError,
     "boolean or float attn_mask"),
    (lambda q: F.scaled_dot_product_attention(q, q, q, dropout_p=1.0), ValueError, "0 <= dropout_p < 1"),
])
def test_bad_attention_arguments_are_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(normal((2, 3, 4)))


def test_linear_uses_pytorchs_weight_layout():
    x, weight, bias = normal((2, 3, 4), 1), normal((5, 4), 2), normal((5,), 3)
    np.testing.assert_allclose(F.linear(x, weight, bias).data, x.data @ weight.data.T + bias.data, rtol=1e-12)
    assert mn.gradcheck(lambda x, w, b: weighted_sum(F.linear(x, w, b)), x, weight, bias)
    assert mn.gradcheck(lambda x, w: weighted_sum(F.linear(x, w)), x, weight)
    with pytest.raises(ValueError, match=r"linear expected input with 4 features for a weight of shape \(5, 4\)"):
        F.linear(normal((2, 5)), weight)


# --- MultiheadAttention ------------------------------------------------------------------------

def test_parameters_have_pytorchs_names_and_shapes():
    shapes = {name: p.shape for name, p in MultiheadAttention(8, 2).named_parameters()}
    assert shapes == {"in_proj_weight": (24, 8), "in_proj_bias": (24,), "out_proj.weight": (8, 8),
                      "out_proj.bias": (8,)}


def test_repr_shows_the_arguments():
    assert repr(MultiheadAttention(8, 2, dropout=0.1, batch_first=True)) == \
        "MultiheadAttention(8, num_heads=2, dropout=0.1, batch_first=True)"


def test_one_head_is_attention_between_the_projections():
    attention = MultiheadAttention(4, 1, batch_first=True)
    x = normal((2, 3, 4), 1, requires_grad=False)
    W, b = attention.in_proj_weight.data, attention.in_proj_bias.data
    q, k, v = (x.data @ W[i * 4:(i + 1) * 4].T + b[i * 4:(i + 1) * 4] for i in range(3))
    weights = softmax(q @ k.swapaxes(1, 2) / 2)
    expected = (weights @ v) @ attention.out_proj.weight.data.T + attention.out_proj.bias.data
    output, returned = attention(x, x, x)
    np.testing.assert_allclose(output.data, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(returned.data, weights, rtol=1e-5, atol=1e-7)


def test_attention_layer_gradients_through_the_returned_weights_match_finite_differences():
    attention = MultiheadAttention(4, 2, batch_first=True)

    class Weights(mn.nn.Module):
        def __init__(self):
            self.attention = attention

        def forward(self, x):
            output, weights = self.attention(x, x, x, average_attn_weights=False)
            return weighted_sum(output) + weighted_sum(weights * weights)
    assert mn.gradcheck(Weights(), normal((2, 3, 4), 1))


def test_returned_weights_sum_to_one_over_the_keys_and_ignore_padding():
    attention = MultiheadAttention(8, 2, batch_first=True)
    x = normal((2, 4, 8), 1, requires_grad=False)
    padding = np.array([[False, False, True, True], [False, False, False, False]])
    _, weights = attention(x, x, x, key_padding_mask=padding, average_attn_weights=False)
    assert weights.shape == (2, 2, 4, 4)
    np.testing.assert_allclose(weights.data.sum(axis=-1), 1, rtol=1e-6)
    np.testing.assert_array_equal(weights.data[0, :, :, 2:], 0)


@pytest.mark.parametrize("case", ["self", "cross", "time_first", "unbatched", "masked"])
def test_attention_layer_gradients_match_finite_differences(case):
    attention = MultiheadAttention(4, 2, batch_first=case != "time_first")
    x, memory = normal((2, 3, 4), 1), normal((2, 5, 4), 2)
    if case == "self":
        fn = lambda x: weighted_sum(attention(x, x, x)[0])                                  # noqa: E731
    elif case == "cross":
        fn = lambda x, m: weighted_sum(attention(x, m, m, need_weights=False)[0])           # noqa: E731
    elif case == "time_first":
        fn = lambda x, m: weighted_sum(attention(x, m, m)[0])                              # noqa: E731
        x, memory = normal((3, 2, 4), 1), normal((5, 2, 4), 2)
    elif case == "unbatched":
        fn = lambda x: weighted_sum(attention(x, x, x, is_causal=True)[0])                  # noqa: E731
        x = normal((3, 4), 1)
    else:
        padding = np.array([[False, False, False, True, True], [False] * 5])
        fn = lambda x, m: weighted_sum(attention(x, m, m, key_padding_mask=padding)[0])     # noqa: E731
    inputs = (x,) if case in ("self", "unbatched") else (x, memory)

    class Wrapped(mn.nn.Module):          # so gradcheck checks the parameters too
        def __init__(self):
            self.attention = attention

        def forward(self, *args):
            return fn(*args)
    assert mn.gradcheck(Wrapped(), *inputs)


@pytest.mark.parametrize("make, call, message", [
    (lambda: MultiheadAttention(6, 4), None, r"embed_dim \(6\) must be divisible by num_heads \(4\)"),
    (lambda: MultiheadAttention(0, 1), None, "positive integer for embed_dim"),
    (lambda: MultiheadAttention(8, 2, batch_first=True), lambda m, x: m(x[..., :6], x, x),
     r"expected query of shape \(N, L, 8\).*got \(2, 3, 6\)"),
    (lambda: MultiheadAttention(8, 2, batch_first=True), lambda m, x: m(x, x, x, key_padding_mask=np.zeros((2, 4), bool)),
     r"key_padding_mask of shape \(2, 3\)"),
    (lambda: MultiheadAttention(8, 2, batch_first=True), lambda m, x: m(x, x[:, :2], x),
     "key and value of one batch and length"),
    (lambda: MultiheadAttention(8, 2, batch_first=True), lambda m, x: m(x, x, x, attn_mask=np.zeros((3, 3, 3), bool)),
     r"3-D attn_mask of shape \(4, 3, 3\)"),
])
def test_bad_attention_layer_arguments_are_clear_errors(make, call, message):
    with pytest.raises(ValueError, match=message):
        call(make(), normal((2, 3, 8))) if call else make()


# --- positions and the transformer block ---------------------------------------------------------

def test_sinusoidal_positions_follow_the_formula_also_for_odd_widths():
    table = sinusoidal_positions(7, 5)
    p, i = 3, 1
    assert table.shape == (7, 5)
    np.testing.assert_allclose(table[p, 2 * i], np.sin(p / 10000 ** (2 * i / 5)), rtol=1e-6)
    np.testing.assert_allclose(table[p, 2 * i + 1], np.cos(p / 10000 ** (2 * i / 5)), rtol=1e-6)


def test_positional_encoding_adds_the_table_and_passes_the_gradient_through():
    encoding = PositionalEncoding(6, max_len=10)
    x = normal((2, 4, 6), 1)
    np.testing.assert_allclose(encoding(x).data - x.data, np.broadcast_to(sinusoidal_positions(4, 6), (2, 4, 6)),
                               rtol=1e-6, atol=1e-7)
    assert mn.gradcheck(lambda x: weighted_sum(encoding(x)), x)
    with pytest.raises(ValueError, match=r"T <= 10, got \(11, 6\)"):
        encoding(normal((11, 6)))


def test_transformer_block_gradients_match_finite_differences():
    block = TransformerBlock(4, 2, d_ff=6)
    block.norm1.weight.data[:] = np.random.default_rng(3).uniform(0.5, 1.5, 4)   # not all ones
    assert mn.gradcheck(lambda x: weighted_sum(block(x, is_causal=True)), normal((2, 3, 4), 1))
    assert mn.gradcheck(block, normal((1, 1, 4), 1))


def test_causal_transformer_block_ignores_the_future():
    block = TransformerBlock(8, 2)
    x = normal((1, 5, 8), 1, requires_grad=False)
    before = block(x, is_causal=True).data
    x.data[0, 3:] += 5
    np.testing.assert_allclose(block(x, is_causal=True).data[0, :3], before[0, :3], rtol=1e-12)


def test_transformer_block_takes_another_activation():
    assert isinstance(TransformerBlock(8, 2, activation="relu").mlp[1], mn.nn.ReLU)
    assert isinstance(TransformerBlock(8, 2).mlp[1], mn.nn.GELU)


# --- against PyTorch -----------------------------------------------------------------------------

DTYPES = [(np.float32, 1e-5), (np.float64, 1e-10)]


def torch_and_ours(torch, dtype, *arrays):
    return ([mn.Tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def assert_same(torch, ours, theirs, inputs_ours, inputs_theirs, atol, parameters=()):
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), atol=atol, rtol=atol)
    upstream = np.random.default_rng(7).standard_normal(ours.shape).astype(ours.dtype)
    ours.backward(upstream)
    theirs.backward(torch.from_numpy(upstream))
    for a, b in zip(inputs_ours, inputs_theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), atol=atol, rtol=atol)
    for name, a, b, transposed in parameters:
        expected = b.grad.numpy().T if transposed else b.grad.numpy()
        np.testing.assert_allclose(a.grad, expected, atol=atol, rtol=atol, err_msg=name)


@pytest.mark.parametrize("dtype, atol", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("mask", ["none", "causal", "bool", "float"])
def test_attention_matches_torch(dtype, atol, mask):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s).astype(dtype) for s in ((2, 2, 5, 4), (2, 2, 5, 4), (2, 2, 5, 3))]
    options = {}
    if mask == "causal":
        options = {"is_causal": True}
    elif mask == "bool":
        allowed = rng.random((5, 5)) > 0.4
        allowed[:, 0] = True
        options = {"attn_mask": allowed}
    elif mask == "float":
        options = {"attn_mask": rng.standard_normal((5, 5)).astype(dtype)}
    ours, theirs = torch_and_ours(torch, dtype, *arrays)
    torch_options = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
    assert_same(torch, F.scaled_dot_product_attention(*ours, **options),
                torch.nn.functional.scaled_dot_product_attention(*theirs, **torch_options), ours, theirs, atol)


@pytest.mark.parametrize("queries, keys", [(3, 5), (5, 3)])
def test_causal_attention_with_unequal_lengths_matches_torch(queries, keys):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(s) for s in ((2, queries, 4), (2, keys, 4), (2, keys, 3))]
    ours, theirs = torch_and_ours(torch, np.float64, *arrays)
    assert_same(torch, F.scaled_dot_product_attention(*ours, is_causal=True),
                torch.nn.functional.scaled_dot_product_attention(*theirs, is_causal=True), ours, theirs, 1e-10)


def copy_parameters(torch, ours, theirs, dtype, rename=lambda name, a: (name, a)):
    theirs.to(getattr(torch, np.dtype(dtype).name))
    pairs = []
    torch_parameters = dict(theirs.named_parameters())
    with torch.no_grad():
        for name, p in ours.named_parameters():
            p.data = p.data.astype(dtype)
            torch_name, array = rename(name, p.data)
            torch_parameters[torch_name].copy_(torch.from_numpy(np.ascontiguousarray(array)))
            pairs.append((name, p, torch_parameters[torch_name], array.shape != p.shape or array is not p.data))
    return pairs


@pytest.mark.parametrize("dtype, atol", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("case", ["self_causal", "cross_padded", "time_first_float_mask"])
def test_multihead_attention_matches_torch(dtype, atol, case):
    torch = pytest.importorskip("torch")
    batch_first = case != "time_first_float_mask"
    ours, theirs = MultiheadAttention(8, 2, batch_first=batch_first), torch.nn.MultiheadAttention(8, 2, batch_first=batch_first)
    pairs = copy_parameters(torch, ours, theirs, dtype)
    ours.in_proj_bias.data[:] = np.random.default_rng(5).standard_normal(24)      # not all zeros
    with torch.no_grad():
        theirs.in_proj_bias.copy_(torch.from_numpy(ours.in_proj_bias.data))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 8) if batch_first else (4, 2, 8)).astype(dtype)
    options = {}
    if case == "self_causal":
        (xo,), (xt,) = torch_and_ours(torch, dtype, x)
        args_ours, args_theirs, inputs = (xo, xo, xo), (xt, xt, xt), ((xo,), (xt,))
        options = {"attn_mask": np.triu(np.ones((4, 4), bool), 1)}
    else:
        memory = rng.standard_normal((2, 6, 8) if batch_first else (6, 2, 8)).astype(dtype)
        (xo, mo), (xt, mt) = torch_and_ours(torch, dtype, x, memory)
        args_ours, args_theirs, inputs = (xo, mo, mo), (xt, mt, mt), ((xo, mo), (xt, mt))
        if case == "cross_padded":
            options = {"key_padding_mask": np.array([[False] * 4 + [True] * 2, [False] * 6])}
        else:
            options = {"attn_mask": rng.standard_normal((4, 6)).astype(dtype)}
    out_ours, weights_ours = ours(*args_ours, **options)
    out_theirs, weights_theirs = theirs(*args_theirs, **{k: torch.from_numpy(v) for k, v in options.items()})
    np.testing.assert_allclose(out_ours.data, out_theirs.detach().numpy(), atol=atol, rtol=atol)
    np.testing.assert_allclose(weights_ours.data, weights_theirs.detach().numpy(), atol=atol)
    # One scalar from the output and the weights: both send gradients back, as in PyTorch.
    w = np.random.default_rng(8).standard_normal(weights_ours.shape).astype(dtype)
    total_ours = weighted_sum(out_ours) + (weights_ours * mn.Tensor(w)).sum()
    upstream = torch.from_numpy(normal(out_ours.shape, seed=99, requires_grad=False).data.astype(dtype))
    total_theirs = (out_theirs * upstream).sum() + (weights_theirs * torch.from_numpy(w)).sum()
    assert_same(torch, total_ours, total_theirs, *inputs, atol, pairs)


@pytest.mark.parametrize("dtype, atol", DTYPES, ids=["float32", "float64"])
def test_transformer_block_matches_torchs_pre_norm_encoder_layer(dtype, atol):
    torch = pytest.importorskip("torch")
    ours = TransformerBlock(8, 2, d_ff=12)
    theirs = torch.nn.TransformerEncoderLayer(8, 2, 12, dropout=0.0, activation="gelu",
                                              batch_first=True, norm_first=True)
    names = {"mlp.0.weight": "linear1.weight", "mlp.0.bias": "linear1.bias",
             "mlp.2.weight": "linear2.weight", "mlp.2.bias": "linear2.bias"}

    def rename(name, array):      # Dense keeps (in, out), torch's Linear (out, in)
        return names.get(name, name), array.T if name.endswith("0.weight") or name.endswith("2.weight") else array
    pairs = copy_parameters(torch, ours, theirs, dtype, rename)
    x = np.random.default_rng(1).standard_normal((2, 5, 8)).astype(dtype)
    (xo,), (xt,) = torch_and_ours(torch, dtype, x)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=getattr(torch, np.dtype(dtype).name))
    assert_same(torch, ours(xo, is_causal=True), theirs(xt, src_mask=mask, is_causal=True), (xo,), (xt,), atol, pairs)



def test_attention_dropout_acts_in_training_only_and_keeps_exact_gradients():
    attention = MultiheadAttention(4, 2, dropout=0.5, batch_first=True)
    x = normal((2, 3, 4), 1)
    assert not np.allclose(attention(x, x, x)[0].data, attention(x, x, x)[0].data)

    class SelfAttention(mn.nn.Module):
        def __init__(self):
            self.attention = attention

        def forward(self, x):
            return weighted_sum(self.attention(x, x, x, need_weights=False)[0])
    assert mn.gradcheck(SelfAttention(), x)
    attention.eval()
    np.testing.assert_array_equal(attention(x, x, x)[0].data, attention(x, x, x)[0].data)
