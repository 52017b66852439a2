"""mn.nn.Dense: y = x @ W + b with W of shape (in, out)."""
import numpy as np
import pytest

import minnet as mn
from minnet.nn import Dense
from minnet.regularizers import L1, L2


def test_forward_is_x_times_weight_plus_bias():
    layer = Dense(3, 2, bias_init=lambda p: np.array([0.5, -1.0]))
    x = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    expected = x @ layer.weight.data + np.array([0.5, -1.0], dtype=np.float32)
    np.testing.assert_allclose(layer(mn.Tensor(x)).data, expected, rtol=1e-6)


def test_weight_is_in_by_out_and_bias_is_out():
    layer = Dense(5, 7)
    assert layer.weight.shape == (5, 7) and layer.bias.shape == (7,)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]


def test_without_bias_has_only_a_weight():
    layer = Dense(3, 2, bias=False)
    assert layer.bias is None and len(layer.parameters()) == 1
    assert repr(layer) == "Dense(3 -> 2, bias=False)"


def test_output_stays_float32():
    assert Dense(3, 2)(mn.Tensor(np.ones((2, 3), np.float32))).dtype == np.float32


def test_default_init_is_xavier_uniform_within_its_bound():
    layer = Dense(300, 200)
    bound = np.sqrt(6 / (300 + 200))
    assert np.abs(layer.weight.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.95 * bound
    assert np.all(layer.bias.data == 0)


@pytest.mark.parametrize("init", ["he_normal", "orthogonal", mn.init.lecun_uniform_,
                                  lambda p: np.full(p.shape, 0.5)])
def test_init_by_name_or_callable(init):
    mn.manual_seed(1)
    layer = Dense(6, 4, init=init)
    mn.manual_seed(1)
    reference = mn.nn.Parameter(np.zeros((6, 4), np.float32))
    mn.init.initialize(reference, init)
    np.testing.assert_array_equal(layer.weight.data, reference.data)


def test_same_seed_gives_the_same_weights():
    mn.manual_seed(3)
    a = Dense(4, 3).weight.data.copy()
    mn.manual_seed(3)
    np.testing.assert_array_equal(Dense(4, 3).weight.data, a)


def test_gradcheck_weight_bias_and_input():
    x = mn.Tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    assert mn.gradcheck(Dense(3, 2), x)


def test_leading_dimensions_are_kept():
    assert Dense(3, 2)(mn.Tensor(np.ones((5, 4, 3)))).shape == (5, 4, 2)


def test_wrong_feature_count_names_layer_and_sizes():
    with pytest.raises(ValueError, match=r"Dense\(4 -> 2\) expected input with 4 features, got shape \(3, 5\)"):
        Dense(4, 2)(mn.Tensor(np.ones((3, 5))))


@pytest.mark.parametrize("args", [(0, 2), (3, -1), (2.5, 2), (True, 2)])
def test_bad_sizes_are_refused(args):
    with pytest.raises(ValueError, match="positive integer"):
        Dense(*args)


def test_regularizer_must_be_a_regularizer_object():
    with pytest.raises(TypeError, match="regularizer"):
        Dense(2, 2, regularizer=0.01)


def test_no_regularizer_means_no_penalty():
    assert Dense(3, 2).penalty() is None


def test_penalty_covers_the_weight_but_not_the_bias_by_default():
    layer = Dense(3, 2, bias_init=lambda p: np.ones(2), regularizer=L2(0.1))
    expected = 0.1 * (layer.weight.data.astype(np.float64) ** 2).sum()
    assert layer.penalty().item() == pytest.approx(expected, rel=1e-6)


def test_bias_regularizer_adds_the_bias_penalty():
    layer = Dense(3, 2, bias_init=lambda p: np.array([1.0, -2.0]), regularizer=L2(0.1),
                  bias_regularizer=L1(0.5))
    expected = 0.1 * (layer.weight.data.astype(np.float64) ** 2).sum() + 0.5 * 3.0
    assert layer.penalty().item() == pytest.approx(expected, rel=1e-6)


def test_regularization_loss_of_a_model_sums_its_layers_penalties():
    model = mn.nn.Sequential(Dense(3, 4, regularizer=L2(0.1)), Dense(4, 2, regularizer=L1(0.2)))
    expected = (0.1 * (model[0].weight.data.astype(np.float64) ** 2).sum()
                + 0.2 * np.abs(model[1].weight.data.astype(np.float64)).sum())
    loss = model.regularization_loss()
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    loss.backward()
    np.testing.assert_allclose(model[0].weight.grad, 0.2 * model[0].weight.data, rtol=1e-6)
    assert model[0].bias.grad is None


# --- Sequential runs a Dense and the elementwise activation after it as one op -------------------

def _pair_and_input(activation, bias=True):
    mn.manual_seed(0)
    model = mn.nn.Sequential(Dense(3, 4, bias=bias), activation, Dense(4, 2))
    x = mn.Tensor(np.random.default_rng(1).standard_normal((5, 3)), requires_grad=True)
    return model, x


def _unfused(model, x):
    """The same model applied layer by layer, each as its own op."""
    for layer in model:
        x = layer(x)
    return x


@pytest.mark.parametrize("activation", [mn.nn.Sigmoid(), mn.nn.Tanh(), mn.nn.ReLU(), mn.nn.ELU(),
                                        mn.nn.GELU(), mn.nn.Softplus()])
@pytest.mark.parametrize("bias", [True, False])
def test_fused_dense_activation_equals_the_two_layers(activation, bias):
    model, x = _pair_and_input(activation, bias)
    fused = model(x)
    assert fused._ctx.parents[0]._ctx.function.__name__ == "_LinearActivation"
    fused.sum().backward()
    fused_grads = [x.grad] + [p.grad for p in model.parameters()]
    model.zero_grad()
    x.grad = None
    unfused = _unfused(model, x)
    np.testing.assert_allclose(fused.data, unfused.data, rtol=1e-12)
    unfused.sum().backward()
    for a, b in zip(fused_grads, [x.grad] + [p.grad for p in model.parameters()]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("activation", [mn.nn.Sigmoid(), mn.nn.ReLU(), mn.nn.Mish()])
def test_gradcheck_through_a_fused_pair(activation):
    model, x = _pair_and_input(activation)
    assert mn.gradcheck(model, x)


@pytest.mark.parametrize("activation", [mn.nn.PReLU(), mn.nn.Softmax(), mn.nn.RReLU(), mn.nn.Dropout(0.5)])
def test_layers_with_parameters_or_their_own_forward_are_not_fused(activation):
    model, x = _pair_and_input(activation)
    assert not model[0].fuses_with(model[1])
    assert model(x)._ctx.parents[0]._ctx.function.__name__ != "_LinearActivation"


def test_a_forward_hook_on_either_layer_turns_fusion_off_so_the_hook_sees_its_output():
    model, x = _pair_and_input(mn.nn.Sigmoid())
    seen = []
    handle = model[1].register_forward_hook(lambda module, inputs, output: seen.append(inputs[0]))
    model(x)
    # The hook received the Dense output (the sigmoid's input), so the pair ran unfused.
    np.testing.assert_allclose(seen[0].data, model[0](x).data)
    handle.remove()
    assert model[0].fuses_with(model[1])
    model[0].register_forward_hook(lambda *args: None)
    assert not model[0].fuses_with(model[1])


def test_fused_pair_records_output_shapes_for_the_summary():
    model, x = _pair_and_input(mn.nn.Tanh())
    model(x)
    assert "(5, 4)" in repr(model).splitlines()[2] and "(5, 4)" in repr(model).splitlines()[3]


def test_fused_pair_checks_the_input_like_dense():
    model, _ = _pair_and_input(mn.nn.Sigmoid())
    with pytest.raises(ValueError, match=r"Dense\(3 -> 4\) expected input with 3 features"):
        model(mn.Tensor(np.ones((2, 5))))
