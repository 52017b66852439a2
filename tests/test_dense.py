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


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
@pytest.mark.parametrize("model", ["dense", "stack"])
def test_integer_or_boolean_input_is_computed_in_the_weights_dtype(dtype, model):
    mn.manual_seed(0)
    layer = (Dense(3, 2) if model == "dense"
             else mn.nn.Sequential(Dense(3, 4), mn.nn.Tanh(), Dense(4, 2)))   # the _DenseStack path
    x = (np.arange(12).reshape(4, 3) % 2).astype(dtype)
    for given in (x, mn.Tensor(x)):
        output = layer(given)
        assert output.dtype == np.float32
        np.testing.assert_allclose(output.data, layer(mn.Tensor(x.astype(np.float32))).data, rtol=1e-6)


def test_integer_input_follows_a_float64_layer():
    layer = Dense(3, 2)
    for p in layer.parameters():
        p.data = p.data.astype(np.float64)
    output = layer(mn.Tensor(np.ones((2, 3), np.int64)))
    assert output.dtype == np.float64
    output.sum().backward()
    assert layer.weight.grad.dtype == np.float64


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


# --- Sequential runs its Dense layers and their activations as one op (a stack) -----------------

def _stack_and_input(activation, bias=True):
    mn.manual_seed(0)
    model = mn.nn.Sequential(Dense(3, 4, bias=bias), activation, Dense(4, 2))
    x = mn.Tensor(np.random.default_rng(1).standard_normal((5, 3)), requires_grad=True)
    return model, x


def _unfused(model, x):
    """The same model applied layer by layer, each as its own op."""
    for layer in model:
        x = layer(x)
    return x


def _op_names(y):
    """The names of the ops behind y, output first (a chain: each op's first input)."""
    names = []
    while y._ctx is not None:
        names.append(y._ctx.function.__name__)
        y = y._ctx.parents[0]
    return names


@pytest.mark.parametrize("activation", [mn.nn.Sigmoid(), mn.nn.Tanh(), mn.nn.ReLU(), mn.nn.ELU(),
                                        mn.nn.GELU(), mn.nn.Softplus()])
@pytest.mark.parametrize("bias", [True, False])
def test_a_stack_equals_its_layers_one_by_one(activation, bias):
    model, x = _stack_and_input(activation, bias)
    stacked = model(x)
    assert _op_names(stacked) == ["_DenseStack"]
    stacked.sum().backward()
    stacked_grads = [x.grad] + [p.grad for p in model.parameters()]
    model.zero_grad()
    x.grad = None
    unfused = _unfused(model, x)
    assert len(_op_names(unfused)) == 3
    np.testing.assert_allclose(stacked.data, unfused.data, rtol=1e-12)
    unfused.sum().backward()
    for a, b in zip(stacked_grads, [x.grad] + [p.grad for p in model.parameters()]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("activation", [mn.nn.Sigmoid(), mn.nn.ReLU(), mn.nn.Mish()])
def test_gradcheck_through_a_stack(activation):
    model, x = _stack_and_input(activation)
    assert mn.gradcheck(model, x)


def test_gradcheck_through_a_deep_stack_with_leading_dimensions():
    mn.manual_seed(0)
    model = mn.nn.Sequential(Dense(3, 4), mn.nn.Tanh(), Dense(4, 4, bias=False), Dense(4, 5),
                             mn.nn.Sigmoid(), Dense(5, 2), mn.nn.SiLU())
    x = mn.Tensor(np.random.default_rng(1).standard_normal((2, 3, 3)), requires_grad=True)
    assert _op_names(model(x)) == ["_DenseStack"]
    assert model(x).shape == (2, 3, 2)
    assert mn.gradcheck(model, x)


@pytest.mark.parametrize("activation", [mn.nn.PReLU(), mn.nn.Softmax(), mn.nn.RReLU(), mn.nn.Dropout(0.5)])
def test_layers_with_parameters_or_their_own_forward_end_the_stack(activation):
    model, x = _stack_and_input(activation)
    assert not model[0].fuses_with(model[1])
    # Dense on its own, then the layer, then the last Dense on its own.
    assert _op_names(model(x))[-1] == "_DenseStack" and len(_op_names(model(x))) >= 3


def test_a_forward_hook_on_either_layer_turns_fusion_off_so_the_hook_sees_its_output():
    model, x = _stack_and_input(mn.nn.Sigmoid())
    seen = []
    handle = model[1].register_forward_hook(lambda module, inputs, output: seen.append(inputs[0]))
    model(x)
    # The hook received the Dense output (the sigmoid's input), so the pair ran unfused.
    np.testing.assert_allclose(seen[0].data, model[0](x).data)
    handle.remove()
    assert model[0].fuses_with(model[1])
    assert _op_names(model(x)) == ["_DenseStack"]
    # A hooked Dense ends the stack before it and runs as a call of its own.
    model[2].register_forward_hook(lambda module, inputs, output: seen.append(output))
    y = model(x)
    assert _op_names(y) == ["_Linear", "_DenseStack"]
    assert seen[-1] is y


def test_frozen_parameters_and_an_input_without_grad_get_no_gradient():
    model, x = _stack_and_input(mn.nn.Tanh())
    x = mn.Tensor(x.data)
    model[0].weight.requires_grad = False
    model(x).sum().backward()
    assert model[0].weight.grad is None
    assert model[0].bias.grad is not None and model[2].weight.grad is not None


def test_stack_records_output_shapes_for_the_summary():
    model, x = _stack_and_input(mn.nn.Tanh())
    model(x)
    lines = repr(model).splitlines()
    assert "(5, 4)" in lines[2] and "(5, 4)" in lines[3] and "(5, 2)" in lines[4]


def test_stack_checks_the_input_like_dense():
    model, _ = _stack_and_input(mn.nn.Sigmoid())
    with pytest.raises(ValueError, match=r"Dense\(3 -> 4\) expected input with 3 features"):
        model(mn.Tensor(np.ones((2, 5))))


def test_a_width_mismatch_inside_a_sequential_is_named_by_the_dense_that_gets_it():
    model = mn.nn.Sequential(Dense(3, 4), mn.nn.ReLU(), Dense(5, 2))
    with pytest.raises(ValueError, match=r"Dense\(5 -> 2\) expected input with 5 features, "
                                         r"got shape \(2, 4\)"):
        model(mn.Tensor(np.ones((2, 3))))
