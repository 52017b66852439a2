"""mn.nn.ModuleList, ModuleDict and Residual: registration, names, container behaviour, gradients."""
import numpy as np
import pytest

import minnet as mn
from minnet.nn import Dense, Module, ModuleDict, ModuleList, ReLU, Residual, Sequential, Tanh
from minnet.testing import check_module


class Stack(Module):
    def __init__(self, depth):
        self.layers = ModuleList(Dense(3, 3) for _ in range(depth))
        self.act = Tanh()

    def forward(self, x):
        for layer in self.layers:
            x = self.act(layer(x))
        return x


class Heads(Module):
    def __init__(self):
        self.body = Dense(4, 3)
        self.heads = ModuleDict({"digit": Dense(3, 10), "parity": Dense(3, 2)})

    def forward(self, x, task):
        return self.heads[task](self.body(x))


def _x(*shape, seed=0):
    return mn.Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


# --- ModuleList ------------------------------------------------------------------------------

def test_module_list_registers_parameters_under_pytorchs_names():
    assert list(Stack(2).state_dict()) == ["layers.0.weight", "layers.0.bias",
                                           "layers.1.weight", "layers.1.bias"]


def test_module_list_state_dict_keys_match_pytorch():
    torch = pytest.importorskip("torch")

    class TorchStack(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = torch.nn.ModuleList(torch.nn.Linear(3, 3) for _ in range(2))

    assert list(Stack(2).state_dict()) == list(TorchStack().state_dict())


def test_module_list_parameters_reach_the_optimiser_and_train():
    mn.manual_seed(0)
    model = Stack(2)
    before = [p.data.copy() for p in model.parameters()]
    optimizer = mn.optim.SGD(model.parameters(), lr=0.1)
    model(_x(5, 3)).sum().backward()
    optimizer.step()
    assert len(before) == 4
    assert all(not np.array_equal(b, p.data) for b, p in zip(before, model.parameters()))


def test_module_list_behaves_like_a_list():
    layers = ModuleList([Dense(2, 2)])
    third = Dense(2, 2)
    layers.append(Dense(2, 2)).extend([third])
    layers.insert(0, ReLU())
    assert len(layers) == 4 and layers[-1] is third and isinstance(layers[0], ReLU)
    assert isinstance(layers[1:3], ModuleList) and len(layers[1:3]) == 2
    del layers[0]
    layers[0] = Tanh()
    assert [type(m).__name__ for m in layers] == ["Tanh", "Dense", "Dense"]
    layers += [ReLU()]
    assert len(layers) == 4


def test_module_list_modes_reach_its_modules():
    model = Stack(2).eval()
    assert not any(layer.training for layer in model.layers)


def test_module_list_refuses_what_is_not_a_module():
    with pytest.raises(TypeError, match="ModuleList holds Modules only, got int at position 1"):
        ModuleList([Dense(2, 2), 3])


def test_module_list_has_no_forward_of_its_own():
    with pytest.raises(NotImplementedError, match="container, not a layer"):
        ModuleList([Dense(2, 2)])(_x(1, 2))


def test_module_list_round_trips_through_a_state_dict():
    mn.manual_seed(0)
    source, target, x = Stack(3), Stack(3), _x(2, 3)
    target.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(target(x).data, source(x).data)


def test_model_with_a_module_list_gradchecks():
    assert mn.gradcheck(Stack(2), _x(4, 3))


# --- ModuleDict ------------------------------------------------------------------------------

def test_module_dict_registers_parameters_under_its_keys():
    assert [name for name, _ in Heads().named_parameters()] == [
        "body.weight", "body.bias", "heads.digit.weight", "heads.digit.bias",
        "heads.parity.weight", "heads.parity.bias"]


def test_module_dict_state_dict_keys_match_pytorch():
    torch = pytest.importorskip("torch")

    class TorchHeads(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Linear(4, 3)
            self.heads = torch.nn.ModuleDict({"digit": torch.nn.Linear(3, 10),
                                              "parity": torch.nn.Linear(3, 2)})

    assert list(Heads().state_dict()) == list(TorchHeads().state_dict())


def test_module_dict_behaves_like_a_dict():
    heads = ModuleDict([("a", Dense(2, 2))])
    heads["b"] = Tanh()
    heads.update({"c": ReLU()})
    assert list(heads) == ["a", "b", "c"] and list(heads.keys()) == ["a", "b", "c"]
    assert "b" in heads and len(heads) == 3
    assert [type(m).__name__ for m in heads.values()] == ["Dense", "Tanh", "ReLU"]
    assert isinstance(heads.pop("b"), Tanh) and "b" not in heads
    del heads["c"]
    assert [k for k, _ in heads.items()] == ["a"]


@pytest.mark.parametrize("key", ["", "a.b", 3])
def test_module_dict_refuses_keys_that_cannot_be_names(key):
    with pytest.raises(KeyError, match="strings without '.'"):
        ModuleDict({key: Dense(2, 2)})


def test_module_dict_names_the_missing_key_and_the_keys_it_has():
    with pytest.raises(KeyError, match=r"no module 'colour'; it has \['digit', 'parity'\]"):
        Heads().heads["colour"]


def test_module_dict_refuses_what_is_not_a_module():
    with pytest.raises(TypeError, match="ModuleDict holds Modules only, got str under key 'a'"):
        ModuleDict({"a": "relu"})


def test_model_with_a_module_dict_gradchecks_each_head():
    model = Heads()
    assert mn.gradcheck(lambda x: model(x, "digit"), _x(3, 4))
    assert mn.gradcheck(lambda x: model(x, "parity"), _x(3, 4))


# --- Residual --------------------------------------------------------------------------------

def test_residual_adds_the_input_to_the_blocks_output():
    block = Sequential(Dense(4, 4), Tanh())
    x = _x(3, 4)
    np.testing.assert_allclose(Residual(block)(x).data, x.data + block(x).data)


def test_residual_with_projection_adds_the_projected_input():
    block, projection = Dense(4, 6), Dense(4, 6, bias=False)
    x = _x(3, 4)
    np.testing.assert_allclose(Residual(block, projection)(x).data, projection(x).data + block(x).data,
                               rtol=1e-6)


def test_residual_of_a_zero_block_is_the_identity_with_unit_gradient():
    block = Dense(4, 4, init="zeros")
    x = _x(3, 4)
    out = Residual(block)(x)
    out.sum().backward()
    np.testing.assert_array_equal(out.data, x.data)
    np.testing.assert_array_equal(x.grad, np.ones_like(x.data))


@pytest.mark.parametrize("make, shape", [
    (lambda: Residual(Sequential(Dense(4, 5), Tanh(), Dense(5, 4))), (3, 4)),
    (lambda: Residual(Dense(4, 6), projection=Dense(4, 6)), (2, 4)),
    (lambda: Residual(Dense(4, 4)), (1, 4)),
    (lambda: Residual(Sequential(mn.nn.Conv2D(2, 2, 3, padding=1), ReLU())), (2, 2, 4, 4)),
    (lambda: Residual(mn.nn.Conv2D(2, 3, 3, padding=1), projection=mn.nn.Conv2D(2, 3, 1)), (1, 2, 3, 3)),
])
def test_residual_gradients_match_finite_differences(make, shape):
    mn.manual_seed(0)
    assert mn.gradcheck(make(), _x(*shape))


def test_residual_without_projection_says_the_shapes_differ_and_what_to_pass():
    with pytest.raises(ValueError, match=r"maps an input of shape \(3, 4\) to shape \(3, 6\).*"
                                         r"projection=.*Dense\(4, 6, bias=False\)"):
        Residual(Dense(4, 6))(_x(3, 4))


def test_residual_names_both_shapes_when_the_projection_is_wrong():
    with pytest.raises(ValueError, match=r"projection gives shape \(3, 5\) but the block gives \(3, 6\)"):
        Residual(Dense(4, 6), projection=Dense(4, 5))(_x(3, 4))


def test_residual_does_not_broadcast_one_path_against_the_other():
    with pytest.raises(ValueError, match="Residual"):
        Residual(Dense(4, 1))(_x(3, 4))


def test_residual_registers_block_and_projection_parameters():
    model = Residual(Dense(4, 6), projection=Dense(4, 6, bias=False))
    assert [name for name, _ in model.named_parameters()] == ["block.weight", "block.bias",
                                                              "projection.weight"]


def test_residual_refuses_a_block_that_is_not_a_module():
    with pytest.raises(TypeError, match="Residual expected a Module as its block, got function"):
        Residual(lambda x: x)


def test_residual_stack_matches_pytorch():
    torch = pytest.importorskip("torch")
    mn.manual_seed(0)
    block = Sequential(Dense(4, 4), ReLU(), Dense(4, 4))
    model = Sequential(Residual(block), Tanh())
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    linear1, linear2 = torch.nn.Linear(4, 4).double(), torch.nn.Linear(4, 4).double()
    with torch.no_grad():
        for linear, dense in ((linear1, block[0]), (linear2, block[2])):
            linear.weight.copy_(torch.tensor(dense.weight.data.T))   # minnet keeps (in, out)
            linear.bias.copy_(torch.tensor(dense.bias.data))
    x = np.random.default_rng(1).standard_normal((5, 4))
    tx, mx = torch.tensor(x, requires_grad=True), mn.Tensor(x, requires_grad=True)
    expected = torch.tanh(tx + linear2(torch.relu(linear1(tx))))
    expected.sum().backward()
    out = model(mx)
    out.sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(mx.grad, tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(block[0].weight.grad, linear1.weight.grad.numpy().T, rtol=1e-12)


@pytest.mark.parametrize("make", [lambda: Residual(Sequential(Dense(4, 4), Tanh())),
                                  lambda: Residual(Dense(4, 6), projection=Dense(4, 6, bias=False))])
def test_residual_passes_the_module_conformance_kit(make):
    assert check_module(make(), (3, 4)).passed
