"""Specifications of minnet.plot: every figure is returned, saved when asked, and has the panels and lines it promises."""
import numpy as np
import pytest

import minnet as mn
from minnet import diagnostics, plot
from minnet.nn import Dense, ReLU, Sequential, Tanh


def _is_png(path):
    return path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


class _History:
    """A mapping-like History (keys() and []), as mn.fit returns."""

    def __init__(self, data):
        self._data = data

    def keys(self):
        return self._data.keys()

    def __getitem__(self, key):
        return self._data[key]


def test_activation_curves_draws_function_and_derivative_per_activation(tmp_path):
    path = tmp_path / "deep" / "folder" / "curves.png"
    fig = plot.activation_curves(["sigmoid", mn.nn.LeakyReLU(0.1), "tanh", "gelu", "softplus"], path=path)
    assert _is_png(path)
    assert len(fig.axes) == 5
    for ax in fig.axes:
        assert [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")] == ["f(x)", "f'(x)"]
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert fig.axes[1].get_title().startswith("LeakyReLU")


def test_activation_curves_plots_the_true_values():
    fig = plot.activation_curves(["relu"], x_range=(-2, 2))
    f_line, df_line = [line for line in fig.axes[0].get_lines() if line.get_label() in ("f(x)", "f'(x)")]
    x = f_line.get_xdata()
    np.testing.assert_allclose(f_line.get_ydata(), np.maximum(x, 0))
    np.testing.assert_allclose(df_line.get_ydata()[x > 0], 1.0)
    np.testing.assert_allclose(df_line.get_ydata()[x < 0], 0.0)


def test_activation_curves_rejects_non_elementwise_activations():
    with pytest.raises(TypeError, match="elementwise"):
        plot.activation_curves([mn.nn.Softmax()])


@pytest.mark.parametrize("wrap", [dict, _History])
def test_training_curves_one_panel_per_quantity_train_and_validation_lines(tmp_path, wrap):
    runs = {
        "sigmoid": wrap({"loss": [2.0, 1.0, 0.5], "val_loss": [2.1, 1.2, 0.7], "accuracy": [0.3, 0.5, 0.8],
                         "val_accuracy": [0.3, 0.4, 0.7]}),
        "relu": wrap({"loss": [2.0, 0.5, 0.1], "val_loss": [2.0, 0.6, 0.2], "accuracy": [0.4, 0.8, 0.95],
                      "val_accuracy": [0.4, 0.7, 0.9]}),
    }
    path = tmp_path / "training.png"
    fig = plot.training_curves(runs, path=path)
    assert _is_png(path)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    for ax in fig.axes:
        assert len(ax.get_lines()) == 4
        assert ax.get_xlabel() == "epoch" and ax.get_legend() is not None
    assert "relu validation" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_training_curves_accepts_a_single_history():
    fig = plot.training_curves(_History({"loss": [1.0, 0.5]}))
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) == 1


def test_training_curves_uses_log_scale_when_the_loss_spans_decades():
    fig = plot.training_curves({"loss": [10.0, 1.0, 1e-3]})
    assert fig.axes[0].get_yscale() == "log"
    assert plot.training_curves({"loss": [1.0, 0.5]}).axes[0].get_yscale() == "linear"


def test_gradient_norms_one_log_scale_line_per_run_with_layer_names(tmp_path):
    runs = {"sigmoid": {"0": 1e-6, "2": 1e-4, "4": 1e-1}, "relu": {"0": 0.5, "2": 0.6, "4": 0.7}}
    path = tmp_path / "norms.png"
    fig = plot.gradient_norms(runs, path=path)
    assert _is_png(path)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log" and len(ax.get_lines()) == 2
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "2", "4"]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None


def test_gradient_norms_accepts_the_dict_of_one_model():
    mn.manual_seed(0)
    model = Sequential(Dense(3, 4), Tanh(), Dense(4, 1))
    model(mn.Tensor(np.ones((2, 3), np.float32))).sum().backward()
    fig = plot.gradient_norms(diagnostics.gradient_norms(model))
    assert len(fig.axes[0].get_lines()) == 1


def test_activation_histograms_from_outputs_and_from_statistics(tmp_path):
    mn.manual_seed(0)
    model = Sequential(Dense(4, 16), ReLU(), Dense(16, 16), Tanh())
    X = np.random.default_rng(0).standard_normal((100, 4)).astype(np.float32)
    path = tmp_path / "hist.png"
    fig = plot.activation_histograms(diagnostics.layer_outputs(model, X, layer_types=mn.nn.Activation), path=path)
    assert _is_png(path) and len(fig.axes) == 2
    assert all(len(ax.patches) == 60 for ax in fig.axes)
    assert "zeros" in fig.axes[0].get_title()
    stats = diagnostics.activation_statistics(model, X, keep_values=True)
    fig = plot.activation_histograms(stats)
    assert len(fig.axes) == 4 and fig.axes[1].get_title().startswith("1 (ReLU): mean")


def test_activation_histograms_needs_values_in_statistics():
    stats = diagnostics.activation_statistics(Sequential(Dense(2, 2)), np.ones((3, 2), np.float32))
    with pytest.raises(ValueError, match="keep_values=True"):
        plot.activation_histograms(stats)


def test_weight_histograms_one_panel_per_weight_matrix(tmp_path):
    model = Sequential(Dense(4, 8), ReLU(), Dense(8, 3))
    path = tmp_path / "weights.png"
    fig = plot.weight_histograms(model, path=path)
    assert _is_png(path)
    assert len(fig.axes) == 2 and fig.axes[0].get_title().startswith("0.weight (4, 8)")


@pytest.mark.parametrize("make_classifier", [
    lambda: Sequential(Dense(2, 8), Tanh(), Dense(8, 3)),             # logits for 3 classes
    lambda: (lambda points: (points[:, 0] > 0).astype(np.int64)),     # labels from a function
    lambda: (lambda points: points[:, 0]),                            # one logit per point
])
def test_decision_boundary_fills_regions_and_scatters_each_class(tmp_path, make_classifier):
    X, y = mn.datasets.make_moons(60, seed=0)
    path = tmp_path / "boundary.png"
    fig = plot.decision_boundary(make_classifier(), X, y, path=path, threshold=0.0)
    assert _is_png(path)
    (ax,) = fig.axes
    assert len(ax.collections) >= 3    # filled contour + one scatter per class
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]


def test_decision_boundary_of_a_threshold_colours_each_side_by_its_class():
    X = np.array([[-1.0, 0.0], [1.0, 0.0]], dtype=np.float32)
    regions, used = plot._predict_classes(lambda points: points[:, 0], np.array([[-0.5, 0.0], [0.5, 0.0]]),
                                          threshold=0.0)
    np.testing.assert_array_equal(regions, [0, 1])
    assert used == 0.0
    fig = plot.decision_boundary(lambda points: points[:, 0] > 0, X, np.array([0, 1]))
    assert len(fig.axes) == 1


def test_decision_boundary_restores_the_model_mode():
    model = Sequential(Dense(2, 2)).train()
    plot.decision_boundary(model, np.zeros((4, 2), np.float32) + np.arange(4)[:, None], np.array([0, 1, 0, 1]))
    assert model.training


def test_decision_boundary_draws_into_a_given_axes():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2)
    X, y = mn.datasets.make_xor(40, seed=0)
    returned = plot.decision_boundary(lambda p: p[:, 0] * p[:, 1] < 0, X, y, ax=axes[1])
    assert returned is fig and axes[1].get_title() == "Decision boundary" and not axes[0].collections
    assert plt.fignum_exists(fig.number), "a figure the caller made must stay open for the caller"
    plt.close(fig)


def test_decision_boundary_rejects_non_2d_points():
    with pytest.raises(ValueError, match=r"\(N, 2\), got \(5, 3\)"):
        plot.decision_boundary(lambda p: p[:, 0], np.zeros((5, 3)), np.zeros(5))
