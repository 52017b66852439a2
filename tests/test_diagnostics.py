"""Specifications of minnet.diagnostics on networks whose statistics are known by construction."""
import math

import numpy as np
import pytest

import minnet as mn
from minnet import diagnostics
from minnet.nn import Dense, ReLU, Sequential, Sigmoid, Tanh


def _batch(n=64, features=4, seed=0):
    return np.random.default_rng(seed).standard_normal((n, features)).astype(np.float32)


def _dense(in_features, out_features, weight=None, bias=None):
    layer = Dense(in_features, out_features)
    if weight is not None:
        layer.weight.data[...] = weight
    if bias is not None:
        layer.bias.data[...] = bias
    return layer


def test_relu_net_with_large_negative_bias_is_all_dead():
    mn.manual_seed(0)
    model = Sequential(_dense(4, 16, bias=-100.0), ReLU())
    stats = diagnostics.activation_statistics(model, _batch())
    assert stats["1"]["layer"] == "ReLU"
    assert stats["1"]["zeros"] == 1.0 and stats["1"]["dead"] == 1.0
    assert stats["1"]["mean"] == 0.0 and stats["1"]["std"] == 0.0


def test_relu_with_large_positive_bias_has_no_zeros_and_no_dead_units():
    mn.manual_seed(0)
    stats = diagnostics.activation_statistics(Sequential(_dense(4, 16, bias=100.0), ReLU()), _batch())
    assert stats["1"]["zeros"] == 0.0 and stats["1"]["dead"] == 0.0


def test_dead_counts_units_zero_on_every_sample_not_single_zeros():
    # unit 0 always dead, unit 1 the identity of a symmetric input (zero on half the samples)
    weight = np.array([[0.0, 1.0]], dtype=np.float32)
    model = Sequential(_dense(1, 2, weight=weight, bias=np.array([-1.0, 0.0])), ReLU())
    X = np.array([[-2.0], [-1.0], [1.0], [2.0]], dtype=np.float32)
    stats = diagnostics.activation_statistics(model, X)["1"]
    assert stats["dead"] == 0.5                 # one of two units
    assert stats["zeros"] == 0.75               # 4 zeros of unit 0 + 2 of unit 1, of 8


@pytest.mark.parametrize("activation", [Sigmoid, Tanh])
def test_bounded_activation_with_huge_weights_is_saturated(activation):
    mn.manual_seed(0)
    model = Sequential(_dense(4, 32, weight=np.where(np.random.default_rng(0).random((4, 32)) < 0.5, -1000, 1000)),
                       activation())
    assert diagnostics.activation_statistics(model, _batch())["1"]["saturated"] > 0.99


@pytest.mark.parametrize("activation", [Sigmoid, Tanh])
def test_bounded_activation_with_tiny_weights_is_not_saturated(activation):
    model = Sequential(_dense(4, 32, weight=1e-3), activation())
    assert diagnostics.activation_statistics(model, _batch())["1"]["saturated"] == 0.0


def test_saturation_is_nan_for_unbounded_layers():
    stats = diagnostics.activation_statistics(Sequential(_dense(4, 8), ReLU()), _batch())
    assert math.isnan(stats["0"]["saturated"]) and math.isnan(stats["1"]["saturated"])


def test_mean_and_std_are_those_of_the_layer_output():
    X = _batch()
    mn.manual_seed(1)
    model = Sequential(Dense(4, 8), Tanh())
    stats = diagnostics.activation_statistics(model, X)
    expected = np.tanh(X @ model[0].weight.data + model[0].bias.data)
    np.testing.assert_allclose(stats["1"]["mean"], expected.mean(), rtol=1e-5)
    np.testing.assert_allclose(stats["1"]["std"], expected.std(), rtol=1e-5)


def test_layer_types_selects_activation_layers_only():
    model = Sequential(Dense(4, 8), ReLU(), Dense(8, 3), Sigmoid())
    stats = diagnostics.activation_statistics(model, _batch(), layer_types=mn.nn.Activation)
    assert list(stats) == ["1", "3"]
    assert [s["layer"] for s in stats.values()] == ["ReLU", "Sigmoid"]


def test_keep_values_returns_the_outputs():
    model = Sequential(Dense(4, 8), ReLU())
    stats = diagnostics.activation_statistics(model, _batch(10), keep_values=True)
    assert stats["1"]["values"].shape == (10, 8)
    assert "values" not in diagnostics.activation_statistics(model, _batch(10))["1"]


@pytest.mark.parametrize("training", [True, False])
def test_statistics_restore_mode_and_remove_hooks(training):
    model = Sequential(Dense(4, 8), ReLU())
    model.train(training)
    diagnostics.activation_statistics(model, _batch())
    assert all(m.training == training for m in model.modules())
    assert all(not m.__dict__.get("_forward_hooks") for m in model.modules())


def test_statistics_run_in_eval_mode_without_recording_a_graph():
    seen = {}

    class Probe(mn.nn.Module):
        def forward(self, x):
            seen["training"], seen["requires_grad"] = self.training, x.requires_grad
            return x

    model = Sequential(Dense(4, 4), Probe())
    diagnostics.activation_statistics(model.train(), _batch())
    assert seen == {"training": False, "requires_grad": False}


def test_hooks_are_removed_even_when_forward_fails():
    model = Sequential(Dense(4, 8), ReLU())
    with pytest.raises(ValueError, match="4 features"):
        diagnostics.activation_statistics(model, _batch(features=5))
    assert all(not m.__dict__.get("_forward_hooks") for m in model.modules()) and model.training


def test_gradient_norms_are_frobenius_norms_of_weight_grads_by_layer_name():
    model = Sequential(Dense(4, 8), Tanh(), Dense(8, 2))
    loss = (model(mn.Tensor(_batch())) ** 2).mean()
    loss.backward()
    norms = diagnostics.gradient_norms(model)
    assert list(norms) == ["0", "2"]
    for name, layer in (("0", model[0]), ("2", model[2])):
        np.testing.assert_allclose(norms[name], np.linalg.norm(layer.weight.grad), rtol=1e-5)


def test_deep_sigmoid_net_has_smaller_gradients_near_the_input():
    mn.manual_seed(0)
    layers = []
    for _ in range(8):
        layers += [Dense(16, 16), Sigmoid()]
    model = Sequential(*layers)
    model(mn.Tensor(_batch(features=16))).sum().backward()
    norms = list(diagnostics.gradient_norms(model).values())
    assert norms[0] < norms[-1] / 100


def test_gradient_norms_before_backward_is_explained():
    with pytest.raises(ValueError, match=r"0 \(Dense\) has no gradient.*backward"):
        diagnostics.gradient_norms(Sequential(Dense(4, 8), ReLU()))


def test_gradient_norms_of_a_model_without_weights_is_explained():
    with pytest.raises(ValueError, match="no layer with a 'weight'"):
        diagnostics.gradient_norms(Sequential(ReLU()))
