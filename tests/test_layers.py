"""Flatten, Dropout, BatchNorm1D/2D, LayerNorm: shapes, train/eval behaviour, running statistics, gradients."""
import numpy as np
import pytest

import minnet as mn
from minnet.nn.layers import BatchNorm1D, BatchNorm2D, Dropout, Flatten, LayerNorm
from minnet.nn.module import Sequential
from minnet.testing import check_module


@pytest.fixture(autouse=True)
def seeded():
    mn.manual_seed(0)


def random_input(shape, seed=0, requires_grad=True, dtype=np.float64):
    data = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return mn.Tensor(data, requires_grad=requires_grad)


# --- Flatten ----------------------------------------------------------------------------------

@pytest.mark.parametrize("start, end, expected", [
    (1, -1, (2, 60)), (0, -1, (120,)), (1, 2, (2, 12, 5)), (2, 3, (2, 3, 20)), (-2, -1, (2, 3, 20)),
])
def test_flatten_merges_the_axes_from_start_to_end(start, end, expected):
    assert Flatten(start, end)(mn.Tensor(np.zeros((2, 3, 4, 5)))).shape == expected


def test_flatten_sends_the_gradient_back_in_the_input_shape():
    assert mn.gradcheck(Flatten(), random_input((2, 3, 2, 2)))


def test_flatten_an_empty_batch_gives_zero_rows_of_the_merged_width():
    assert mn.nn.Flatten()(mn.Tensor(np.zeros((0, 3, 4, 5)))).shape == (0, 60)


def test_flatten_keeps_row_major_order():
    x = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(Flatten()(mn.Tensor(x)).data, x.reshape(2, 12))


def test_flatten_rejects_axes_outside_the_input():
    with pytest.raises(ValueError, match=r"Flatten\(start_axis=3, end_axis=-1\) cannot flatten axes 3..-1 "
                                         r"of an input of shape \(2, 3\)"):
        Flatten(3)(mn.Tensor(np.zeros((2, 3))))


# --- Dropout ----------------------------------------------------------------------------------

def test_dropout_is_the_identity_in_eval_mode():
    x = random_input((4, 5))
    assert Dropout(0.5).eval()(x) is x


def test_dropout_with_p_zero_is_the_identity_in_training():
    x = random_input((4, 5))
    assert Dropout(0.0)(x) is x


def test_dropout_with_p_one_zeroes_everything():
    assert np.all(Dropout(1.0)(random_input((4, 5))).data == 0)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_scales_kept_values_by_one_over_keep_probability(p):
    x = mn.Tensor(np.ones((200, 100), np.float32))
    y = Dropout(p)(x).data
    kept = y[y != 0]
    np.testing.assert_allclose(kept, 1 / (1 - p), rtol=1e-6)
    assert abs((y == 0).mean() - p) < 0.02           # 20,000 Bernoulli draws: sd 0.0035


def test_dropout_preserves_the_mean_in_expectation():
    x = mn.Tensor(np.full((400, 250), 3.0, np.float32))
    assert Dropout(0.3)(x).data.mean() == pytest.approx(3.0, rel=0.02)


def test_dropout_masks_come_from_the_seeded_generator():
    x = random_input((10, 10))
    mn.manual_seed(7)
    first = Dropout(0.5)(x).data
    mn.manual_seed(7)
    np.testing.assert_array_equal(Dropout(0.5)(x).data, first)
    assert not np.array_equal(Dropout(0.5)(x).data, first)


def test_dropout_gradient_is_the_same_mask():
    assert mn.gradcheck(Dropout(0.4), random_input((3, 7)))


def test_dropout_keeps_float32():
    x = random_input((3, 4), dtype=np.float32)
    y = Dropout(0.5)(x)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == np.float32


@pytest.mark.parametrize("p", [-0.1, 1.5, "half", True])
def test_dropout_rejects_a_p_that_is_not_a_probability(p):
    with pytest.raises(ValueError, match=r"Dropout expected a probability p in \[0, 1\]"):
        Dropout(p)


# --- BatchNorm --------------------------------------------------------------------------------

BATCHNORM_CASES = [  # (layer class, input shape)
    (BatchNorm1D, (5, 3)),
    (BatchNorm1D, (4, 3, 2)),
    (BatchNorm2D, (3, 2, 3, 2)),
    (BatchNorm2D, (1, 2, 2, 3)),     # one sample still gives 6 values per channel
]


def channel_axes(x):
    return (0,) + tuple(range(2, x.ndim))


@pytest.mark.parametrize("layer, shape", BATCHNORM_CASES)
def test_batchnorm_output_has_zero_mean_unit_variance_per_channel_in_training(layer, shape):
    x = random_input(shape, requires_grad=False) * 3 + 2
    y = layer(shape[1])(x).data
    np.testing.assert_allclose(y.mean(axis=channel_axes(y)), 0, atol=1e-7)
    np.testing.assert_allclose(y.var(axis=channel_axes(y)), 1, rtol=1e-3)


@pytest.mark.parametrize("layer, shape", BATCHNORM_CASES)
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradients_match_finite_differences(layer, shape, affine, training):
    bn = layer(shape[1], affine=affine)
    if affine:
        bn.weight.data[...] = np.linspace(0.5, 2, shape[1])
        bn.bias.data[...] = np.linspace(-1, 1, shape[1])
    bn.running_mean[...], bn.running_var[...] = 0.3, 2.0
    assert mn.gradcheck(bn.train(training), random_input(shape))


def test_batchnorm_running_statistics_follow_pytorchs_update_rule():
    x = random_input((6, 3, 2, 2), requires_grad=False).data * 2 + 5
    bn = BatchNorm2D(3, momentum=0.25)
    bn(mn.Tensor(x))
    mean, unbiased_var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(bn.running_mean, 0.75 * 0 + 0.25 * mean, rtol=1e-6)
    np.testing.assert_allclose(bn.running_var, 0.75 * 1 + 0.25 * unbiased_var, rtol=1e-6)
    assert bn.num_batches_tracked == 1


def test_batchnorm_with_momentum_none_keeps_the_cumulative_average():
    bn = BatchNorm1D(2, momentum=None)
    batches = [random_input((4, 2), seed=s, requires_grad=False) for s in range(3)]
    for batch in batches:
        bn(batch)
    expected = np.mean([b.data.mean(axis=0) for b in batches], axis=0)
    np.testing.assert_allclose(bn.running_mean, expected, rtol=1e-5)


def test_batchnorm_updates_running_statistics_under_no_grad_too():
    bn = BatchNorm1D(2)
    with mn.no_grad():
        bn(random_input((4, 2), requires_grad=False) + 10)
    assert np.all(bn.running_mean > 0.9) and bn.num_batches_tracked == 1


def test_batchnorm_in_eval_mode_uses_running_statistics_and_does_not_update_them():
    bn = BatchNorm1D(2).eval()
    bn.running_mean[...] = [1.0, -2.0]
    bn.running_var[...] = [4.0, 0.25]
    bn.weight.data[...] = [2.0, 1.0]
    bn.bias.data[...] = [0.5, 0.0]
    y = bn(mn.Tensor(np.array([[3.0, -1.0]], np.float32))).data
    np.testing.assert_allclose(y, [[2 * (3 - 1) / np.sqrt(4 + 1e-5) + 0.5, (-1 + 2) / np.sqrt(0.25 + 1e-5)]],
                               rtol=1e-6)
    assert bn.num_batches_tracked == 0 and list(bn.running_mean) == [1.0, -2.0]


def test_batchnorm_buffers_travel_in_the_state_dict():
    bn = BatchNorm2D(2)
    bn(random_input((3, 2, 2, 2), requires_grad=False))
    state = bn.state_dict()
    assert {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"} == set(state)
    fresh = BatchNorm2D(2)
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(fresh.running_var, bn.running_var)
    assert fresh.num_batches_tracked == 1


def test_batchnorm_keeps_float32():
    bn = BatchNorm2D(2)
    x = random_input((2, 2, 3, 3), dtype=np.float32)
    y = bn(x)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == bn.weight.grad.dtype == bn.running_var.dtype == np.float32


@pytest.mark.parametrize("layer, shape, message", [
    (BatchNorm1D, (4, 3, 2, 2), r"BatchNorm1D\(3\) expected input of shape \(N, 3\) or \(N, 3, L\), "
                                r"got shape \(4, 3, 2, 2\)"),
    (BatchNorm1D, (4, 2), r"BatchNorm1D\(3\) expected input of shape .*got shape \(4, 2\)"),
    (BatchNorm2D, (4, 3), r"BatchNorm2D\(3\) expected input of shape \(N, 3, H, W\), got shape \(4, 3\)"),
    (BatchNorm2D, (4, 5, 2, 2), r"BatchNorm2D\(3\) expected .*got shape \(4, 5, 2, 2\)"),
    (BatchNorm1D, (1, 3), r"BatchNorm1D\(3\) needs more than one value per channel in training"),
])
def test_batchnorm_rejects_wrong_inputs(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer(3)(mn.Tensor(np.zeros(shape)))


def test_batchnorm_accepts_a_single_sample_in_eval_mode():
    assert BatchNorm1D(3).eval()(mn.Tensor(np.zeros((1, 3)))).shape == (1, 3)


@pytest.mark.parametrize("kwargs", [dict(num_features=0), dict(num_features=2, momentum=1.5),
                                    dict(num_features=2, eps=0)])
def test_batchnorm_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        BatchNorm2D(**kwargs)


def test_batchnorm_repr_and_parameters():
    bn = BatchNorm2D(4, affine=False)
    assert repr(bn) == "BatchNorm2D(4, eps=1e-05, momentum=0.1, affine=False)"
    assert bn.parameters() == []
    assert len(BatchNorm1D(4).parameters()) == 2


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm2d_values_and_gradients_match_pytorch(training):
    torch = pytest.importorskip("torch")
    x = random_input((4, 3, 5, 2)) * 2 + 1
    x = mn.Tensor(x.data, requires_grad=True)
    bn = BatchNorm2D(3, momentum=0.2)
    bn.weight.data = np.linspace(0.5, 2, 3)
    bn.bias.data = np.linspace(-1, 1, 3)
    bn.running_mean[...], bn.running_var[...] = 0.5, 1.5
    bn.train(training)
    y = bn(x)
    weights = np.random.default_rng(2).standard_normal(y.shape)
    y.backward(weights)

    tx = torch.tensor(x.data, requires_grad=True)
    tw = torch.tensor(np.linspace(0.5, 2, 3), requires_grad=True)
    tb = torch.tensor(np.linspace(-1, 1, 3), requires_grad=True)
    running_mean = torch.full((3,), 0.5, dtype=torch.float64)
    running_var = torch.full((3,), 1.5, dtype=torch.float64)
    ty = torch.nn.functional.batch_norm(tx, running_mean, running_var, tw, tb, training=training,
                                        momentum=0.2, eps=1e-5)
    ty.backward(torch.tensor(weights))
    for mine, theirs in [(y.data, ty), (x.grad, tx.grad), (bn.weight.grad, tw.grad), (bn.bias.grad, tb.grad)]:
        np.testing.assert_allclose(mine, theirs.detach().numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(bn.running_mean, running_mean.numpy(), rtol=1e-6)
    np.testing.assert_allclose(bn.running_var, running_var.numpy(), rtol=1e-6)


def test_a_small_conv_net_with_batchnorm_and_dropout_gradchecks():
    from minnet.nn.conv import Conv2D, MaxPool2D
    net = Sequential(Conv2D(1, 2, 3, padding=1), BatchNorm2D(2), MaxPool2D(2), Flatten(), Dropout(0.3),
                     BatchNorm1D(8))
    x = mn.Tensor(np.random.default_rng(0).permutation(2 * 16).reshape(2, 1, 4, 4) / 5.0, requires_grad=True)
    assert mn.gradcheck(net, x)


# --- LayerNorm --------------------------------------------------------------------------------

LAYERNORM_CASES = [  # (normalized_shape, input shape)
    (3, (5, 3)),
    (4, (2, 3, 4)),            # (N, T, D): each of the N*T vectors normalised on its own
    ((3, 4), (2, 3, 4)),
    ((2, 2, 3), (2, 2, 2, 3)),
    (5, (5,)),                 # one sample without a batch axis
    (3, (1, 3)),               # a batch of one works (no batch statistics)
]


def _layernorm_by_formula(x, shape, weight, bias, eps=1e-5):
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _randomised_layernorm(normalized_shape, **kwargs):
    ln = LayerNorm(normalized_shape, **kwargs)
    rng = np.random.default_rng(3)
    for p in ln.parameters():
        p.data = rng.uniform(0.5, 2, p.shape).astype(p.dtype)
    return ln


@pytest.mark.parametrize("normalized_shape, shape", LAYERNORM_CASES)
def test_layernorm_gives_each_sample_zero_mean_and_unit_variance(normalized_shape, shape):
    x = random_input(shape, requires_grad=False) * 3 + 2
    ln = LayerNorm(normalized_shape)
    y = ln(x).data
    axes = tuple(range(y.ndim - len(ln.normalized_shape), y.ndim))
    np.testing.assert_allclose(y.mean(axis=axes), 0, atol=1e-6)
    np.testing.assert_allclose(y.var(axis=axes), 1, rtol=1e-3)


@pytest.mark.parametrize("normalized_shape, shape", LAYERNORM_CASES)
def test_layernorm_matches_its_formula(normalized_shape, shape):
    x = random_input(shape, requires_grad=False).data
    ln = _randomised_layernorm(normalized_shape)
    np.testing.assert_allclose(ln(mn.Tensor(x)).data,
                               _layernorm_by_formula(x, ln.normalized_shape, ln.weight.data, ln.bias.data),
                               rtol=1e-10)


@pytest.mark.parametrize("normalized_shape, shape", LAYERNORM_CASES)
@pytest.mark.parametrize("kwargs", [{}, {"elementwise_affine": False}, {"bias": False}])
def test_layernorm_gradients_match_finite_differences(normalized_shape, shape, kwargs):
    assert mn.gradcheck(_randomised_layernorm(normalized_shape, **kwargs), random_input(shape))


def test_layernorm_is_the_same_in_training_and_evaluation():
    x = random_input((4, 6))
    ln = LayerNorm(6)
    np.testing.assert_array_equal(ln.train()(x).data, ln.eval()(x).data)


def test_layernorm_starts_with_unit_weight_and_zero_bias_in_the_default_dtype():
    ln = LayerNorm((2, 3))
    assert ln.weight.shape == ln.bias.shape == (2, 3) and ln.weight.dtype == np.float32
    np.testing.assert_array_equal(ln.weight.data, 1)
    np.testing.assert_array_equal(ln.bias.data, 0)
    assert [name for name, _ in ln.named_parameters()] == ["weight", "bias"]
    assert LayerNorm(3, elementwise_affine=False).parameters() == []
    assert [name for name, _ in LayerNorm(3, bias=False).named_parameters()] == ["weight"]


def test_layernorm_keeps_float32():
    x = mn.Tensor(np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    y = LayerNorm(4)(x)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


@pytest.mark.parametrize("normalized_shape, shape", [(4, (3, 5)), ((3, 4), (2, 4, 3)), ((2, 3), (3,))])
def test_layernorm_names_the_trailing_shape_it_expected(normalized_shape, shape):
    with pytest.raises(ValueError, match=r"LayerNorm.*expected input whose last \d axes have shape"):
        LayerNorm(normalized_shape)(random_input(shape))


@pytest.mark.parametrize("kwargs", [{"normalized_shape": 0}, {"normalized_shape": ()},
                                    {"normalized_shape": "3"}, {"normalized_shape": True},
                                    {"normalized_shape": 3, "eps": 0}])
def test_layernorm_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="LayerNorm"):
        LayerNorm(**kwargs)


def test_layernorm_repr_shows_its_arguments():
    assert repr(LayerNorm(8)) == "LayerNorm(8, eps=1e-05)"
    assert repr(LayerNorm((2, 3), elementwise_affine=False)) == "LayerNorm((2, 3), eps=1e-05, elementwise_affine=False)"


@pytest.mark.parametrize("normalized_shape, shape", [(4, (3, 4)), (4, (2, 5, 4)), ((5, 4), (2, 5, 4))])
def test_layernorm_values_and_gradients_match_pytorch(normalized_shape, shape):
    torch = pytest.importorskip("torch")
    ln = _randomised_layernorm(normalized_shape, eps=1e-3)
    for p in ln.parameters():
        p.data = p.data.astype(np.float64)
    x = mn.Tensor(random_input(shape).data * 2 + 1, requires_grad=True)
    y = ln(x)
    weights = np.random.default_rng(2).standard_normal(y.shape)
    y.backward(weights)
    reference = torch.nn.LayerNorm(normalized_shape, eps=1e-3).double()
    with torch.no_grad():
        reference.weight.copy_(torch.tensor(ln.weight.data))
        reference.bias.copy_(torch.tensor(ln.bias.data))
    tx = torch.tensor(x.data, requires_grad=True)
    ty = reference(tx)
    ty.backward(torch.tensor(weights))
    for mine, theirs in [(y.data, ty), (x.grad, tx.grad), (ln.weight.grad, reference.weight.grad),
                         (ln.bias.grad, reference.bias.grad)]:
        np.testing.assert_allclose(mine, theirs.detach().numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("normalized_shape, shape", [(4, (3, 4)), ((2, 3), (2, 5, 2, 3))])
def test_layernorm_passes_the_module_conformance_kit(normalized_shape, shape):
    assert check_module(LayerNorm(normalized_shape), shape).passed
