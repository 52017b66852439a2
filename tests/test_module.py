"""mn.nn.Module, Parameter, Sequential: discovery, modes, state, hooks, penalties, printing."""
import numpy as np
import pytest

import minnet as mn
from minnet.nn import Dense, Module, Parameter, Sequential
from minnet.regularizers import L2


class Scale(Module):
    """A parameterised toy layer: y = x * s, with a buffer that counts calls."""

    def __init__(self, size):
        self.scale = Parameter(np.ones(size))
        self.register_buffer("calls", np.zeros(1))

    def forward(self, x):
        self.calls += 1
        return x * self.scale


class Net(Module):
    def __init__(self):
        self.encoder = Sequential(Dense(3, 4), Dense(4, 2))
        self.head = Scale(2)
        self.blocks = [Dense(2, 2), Dense(2, 2)]

    def forward(self, x):
        x = self.head(self.encoder(x))
        for block in self.blocks:
            x = block(x)
        return x


def test_parameter_requires_grad_and_is_a_tensor():
    p = Parameter(np.zeros(3))
    assert p.requires_grad and isinstance(p, mn.Tensor)


def test_named_parameters_use_dotted_names_in_definition_order():
    assert [name for name, _ in Net().named_parameters()] == [
        "encoder.0.weight", "encoder.0.bias", "encoder.1.weight", "encoder.1.bias",
        "head.scale", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias"]


def test_shared_parameter_is_listed_once():
    layer = Dense(2, 2)
    assert len(Sequential(layer, layer).parameters()) == 2


def test_modules_lists_every_module_once_depth_first():
    net = Net()
    assert [type(m).__name__ for m in net.modules()] == [
        "Net", "Sequential", "Dense", "Dense", "Scale", "Dense", "Dense"]


def test_train_and_eval_reach_every_module():
    net = Net().eval()
    assert not any(m.training for m in net.modules())
    assert all(m.training for m in net.train().modules())


def test_zero_grad_clears_every_gradient():
    net = Net()
    net(mn.Tensor(np.ones((2, 3)))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_state_dict_holds_copies_of_parameters_and_buffers():
    net = Net()
    state = net.state_dict()
    assert list(state) == [name for name, _ in net.named_parameters()] + ["head.calls"]
    state["head.scale"][:] = 7
    assert np.all(net.head.scale.data == 1)


def test_state_dict_round_trip_restores_outputs_exactly():
    mn.manual_seed(0)
    a, b = Net(), Net()
    b.load_state_dict(a.state_dict())
    x = mn.Tensor(np.random.default_rng(1).standard_normal((4, 3)))
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_load_state_dict_keeps_parameter_dtype():
    net = Net()
    dtypes = [p.dtype for p in net.parameters()]
    net.load_state_dict({k: v.astype(np.float16) for k, v in net.state_dict().items()})
    assert [p.dtype for p in net.parameters()] == dtypes


def test_strict_load_names_missing_unexpected_and_mismatched_keys():
    state = Net().state_dict()
    del state["head.scale"]
    state["extra.weight"] = np.zeros(1)
    state["encoder.0.weight"] = np.zeros((5, 5))
    with pytest.raises(ValueError) as error:
        Net().load_state_dict(state)
    message = str(error.value)
    assert "missing keys ['head.scale']" in message
    assert "unexpected keys ['extra.weight']" in message
    assert "encoder.0.weight: expected (3, 4), got (5, 5)" in message


def test_non_strict_load_ignores_missing_and_unexpected_keys():
    net = Net()
    net.load_state_dict({"head.scale": np.full(2, 3.0), "other": np.zeros(1)}, strict=False)
    assert np.all(net.head.scale.data == 3)


def test_buffer_is_state_but_not_a_parameter():
    layer = Scale(2)
    layer(mn.Tensor(np.ones(2)))
    assert [n for n, _ in layer.named_parameters()] == ["scale"]
    assert layer.state_dict()["calls"][0] == 1


def test_forward_hook_sees_inputs_and_output_and_can_be_removed():
    seen = []
    layer = Dense(3, 2)
    handle = layer.register_forward_hook(lambda module, inputs, output: seen.append((module, inputs[0].shape, output.shape)))
    layer(mn.Tensor(np.ones((4, 3))))
    handle.remove()
    layer(mn.Tensor(np.ones((4, 3))))
    assert seen == [(layer, (4, 3), (4, 2))]


def test_regularization_loss_is_zero_without_regularizers():
    assert Net().regularization_loss().item() == 0.0


def test_regularization_loss_sums_penalties_of_nested_layers():
    net = Sequential(Sequential(Dense(2, 3, regularizer=L2(0.5))), Dense(3, 1, regularizer=L2(0.25)))
    expected = (0.5 * (net[0][0].weight.data.astype(np.float64) ** 2).sum()
                + 0.25 * (net[1].weight.data.astype(np.float64) ** 2).sum())
    assert net.regularization_loss().item() == pytest.approx(expected, rel=1e-6)


def test_summary_repr_shows_layers_output_shapes_and_parameter_counts():
    net = Sequential(Dense(3, 4), Dense(4, 2))
    assert "?" in repr(net)      # shapes unknown before a forward pass
    net(mn.Tensor(np.ones((5, 3))))
    text = repr(net)
    assert "0: Dense(3 -> 4)" in text and "(5, 4)" in text and "16" in text
    assert "1: Dense(4 -> 2)" in text and "(5, 2)" in text and "10" in text
    assert "total parameters: 26" in text


def test_leaf_module_repr_is_its_name_and_arguments():
    assert repr(Dense(3, 4)) == "Dense(3 -> 4)"


def test_sequential_supports_len_iteration_and_indexing():
    layers = [Dense(2, 3), Dense(3, 4), Dense(4, 1)]
    net = Sequential(*layers)
    assert len(net) == 3 and list(net) == layers and net[1] is layers[1] and net[-1] is layers[2]
    head = net[:2]
    assert isinstance(head, Sequential) and list(head) == layers[:2]


def test_sequential_applies_layers_in_order():
    net = Sequential(Dense(2, 3), Dense(3, 1))
    x = mn.Tensor(np.ones((2, 2)))
    np.testing.assert_allclose(net(x).data, net[1](net[0](x)).data)


def test_sequential_refuses_non_modules():
    with pytest.raises(TypeError, match="got function at position 1"):
        Sequential(Dense(2, 2), lambda x: x)


def test_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match="Module must define forward"):
        Module()(1)


class _Holder(Module):
    """A model that keeps its children in a plain container attribute `parts`."""

    def __init__(self, parts):
        self.parts = parts


@pytest.mark.parametrize("parts, message", [
    ({"a": Dense(2, 2)}, r"_Holder.parts is a dict holding Dense.*mn.nn.ModuleDict"),
    ([Dense(2, 2), "relu"], r"_Holder.parts is a list holding Dense.*mn.nn.ModuleList"),
    ([Parameter(np.ones(2))], r"_Holder.parts is a list holding Parameter.*attribute of its own"),
    ({"w": Parameter(np.ones(2))}, r"dict holding Parameter.*attribute of its own"),
])
def test_modules_or_parameters_a_plain_container_would_hide_raise_instead(parts, message):
    with pytest.raises(TypeError, match=message):
        _Holder(parts).parameters()


def test_a_dict_filled_after_assignment_is_caught_too():
    holder = _Holder({})
    holder.parts["head"] = Dense(2, 2)
    with pytest.raises(TypeError, match="ModuleDict"):
        holder.state_dict()


@pytest.mark.parametrize("parts", [{"lr": 0.1, "name": "x"}, [1, 2, 3], (3, 3), [], {}])
def test_plain_containers_without_modules_or_parameters_are_fine(parts):
    assert _Holder(parts).parameters() == []


def test_a_plain_list_of_modules_is_registered_like_a_module_list():
    assert ([name for name, _ in _Holder([Dense(2, 2)]).named_parameters()]
            == [name for name, _ in _Holder(mn.nn.ModuleList([Dense(2, 2)])).named_parameters()]
            == ["parts.0.weight", "parts.0.bias"])


def test_repr_of_a_module_with_a_refused_container_says_why_instead_of_raising():
    text = repr(_Holder({"a": Dense(2, 2)}))
    assert text.startswith("_Holder(not printable:") and "ModuleDict" in text


def test_load_state_dict_with_a_non_numeric_array_names_the_key():
    model = Sequential(Dense(2, 3))
    state = model.state_dict()
    state["0.weight"] = np.full((2, 3), "x")
    before = model[0].weight.data.copy()
    with pytest.raises(ValueError, match=r"non-numeric arrays for 0.weight \(dtype <U1\)"):
        model.load_state_dict(state)
    np.testing.assert_array_equal(model[0].weight.data, before)
