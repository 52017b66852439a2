"""Specifications of minnet.graph: trace finds every tensor and edge once; draw_graph draws one box per tensor and one arrow per edge."""
import io
import subprocess
import sys

import numpy as np
import pytest

import minnet as mn
from minnet.graph import trace

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402


def _affine_sum():
    """y = sum(x * w + b): 3 leaves, 3 ops, 5 edges."""
    x = mn.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    w = mn.Tensor(np.full((2, 3), 0.5), requires_grad=True)
    b = mn.Tensor(np.ones(3), requires_grad=True)
    return x, w, b, (x * w + b).sum()


def _boxes(fig):
    return [t for t in fig.axes[0].texts if t.get_gid() == "minnet-node"]


def _arrows(fig):
    return [t for t in fig.axes[0].texts if isinstance(t, Annotation) and t.get_gid() == "minnet-edge"]


def test_trace_lists_every_tensor_once_with_inputs_before_their_ops():
    x, w, b, y = _affine_sum()
    nodes, edges = trace(y)
    assert len(nodes) == 6 and len(edges) == 5
    assert nodes[-1] is y
    assert {id(x), id(w), id(b)} <= {id(n) for n in nodes}
    assert all(source < target for source, target in edges)


def test_a_tensor_used_twice_by_one_op_gives_one_edge():
    x = mn.Tensor([1.0, 2.0], requires_grad=True)
    nodes, edges = trace(x * x)
    assert len(nodes) == 2 and edges == [(0, 1)]


def test_a_shared_intermediate_appears_once_with_an_edge_to_each_user():
    x = mn.Tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    nodes, edges = trace((h + 1) * h.log())      # h feeds Add and Log
    assert sum(n is h for n in nodes) == 1
    h_index = next(i for i, n in enumerate(nodes) if n is h)
    assert sum(source == h_index for source, _ in edges) == 2


def test_figure_has_one_box_per_tensor_and_one_arrow_per_edge():
    *_, y = _affine_sum()
    fig = mn.draw_graph(y)
    assert isinstance(fig, Figure)
    assert len(_boxes(fig)) == 6
    assert len(_arrows(fig)) == 5


def test_every_arrow_points_from_left_to_right():
    *_, y = _affine_sum()
    fig = mn.draw_graph(y)
    for arrow in _arrows(fig):
        (x_target, _), (x_source, _) = arrow.xy, arrow.xyann
        assert x_source < x_target


def test_labels_name_the_op_and_the_shape():
    *_, y = _affine_sum()
    labels = [t.get_text() for t in _boxes(mn.draw_graph(y))]
    ops = [label.splitlines()[0] for label in labels]
    assert sorted(ops) == ["Add", "Mul", "Sum", "input", "input", "input"]
    assert sum("shape (2, 3)" in label for label in labels) == 4      # x, w, x * w, x * w + b
    assert any("shape (3,)" in label for label in labels)             # b
    assert any("shape ()" in label for label in labels)               # the sum


def test_constants_and_given_names_are_labelled():
    x = mn.Tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3).sum()
    first_lines = {t.get_text().splitlines()[0] for t in _boxes(mn.draw_graph(y, names={"x": x, "y": y}))}
    assert first_lines == {"x = input", "constant", "Mul", "y = Sum"}


def test_values_are_shown_only_when_asked():
    x = mn.Tensor([1.0, -2.0], requires_grad=True)
    y = (x * x).sum()
    assert not any("value" in t.get_text() for t in _boxes(mn.draw_graph(y)))
    labels = [t.get_text() for t in _boxes(mn.draw_graph(y, show_values=True))]
    assert any("value [ 1., -2.]" in label for label in labels)
    assert any("value 5." in label for label in labels)


def test_large_arrays_are_summarised_not_printed():
    data = np.arange(100.0)
    x = mn.Tensor(data, requires_grad=True)
    labels = [t.get_text() for t in _boxes(mn.draw_graph(x.sum(), show_values=True))]
    leaf = next(label for label in labels if label.startswith("input"))
    assert f"mean {data.mean():.3g}" in leaf and f"max {data.max():.3g}" in leaf
    assert "49.5" in leaf and "[" not in leaf


def test_grads_are_shown_after_backward_with_retained_graph():
    x = mn.Tensor([1.0, -2.0], requires_grad=True)
    h = x * x
    h.retain_grad()
    y = h.sum()
    before = [t.get_text() for t in _boxes(mn.draw_graph(y, show_grads=True))]
    assert any("grad None" in label for label in before)
    y.backward(retain_graph=True)
    labels = [t.get_text() for t in _boxes(mn.draw_graph(y, show_grads=True, names={"x": x, "h": h, "y": y}))]
    by_name = {label.split(" = ")[0]: label for label in labels}
    assert "grad [ 2., -4.]" in by_name["x"]                # d(sum x^2)/dx = 2x
    assert "grad [1., 1.]" in by_name["h"]                  # retained
    assert "grad not kept" in by_name["y"]                  # y itself was not asked to keep one
    assert not any("grad" in t.get_text() for t in _boxes(mn.draw_graph(y)))


def test_drawing_a_released_graph_raises_and_says_how_to_keep_it():
    x = mn.Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"released by backward\(\).*retain_graph=True"):
        mn.draw_graph(y)


def test_a_leaf_alone_is_one_box_and_no_arrow():
    x = mn.Tensor([1.0, 2.0], requires_grad=True)
    fig = mn.draw_graph(x)
    assert len(_boxes(fig)) == 1 and not _arrows(fig)


def test_refuses_graphs_larger_than_max_nodes_and_non_tensors():
    x = mn.Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(10):
        y = y * 2
    with pytest.raises(ValueError, match="21 tensors, more than max_nodes=20"):
        mn.draw_graph(y, max_nodes=20)
    with pytest.raises(TypeError, match="expected a minnet Tensor, got ndarray"):
        mn.draw_graph(np.ones(3))


def test_trace_walks_a_deep_chain_without_recursion():
    x = mn.Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(3000):
        y = y + 1
    nodes, edges = trace(y)
    assert len(nodes) == 6001 and len(edges) == 6000


def test_figure_renders_to_png_without_pyplot():
    *_, y = _affine_sum()
    plt = sys.modules.get("matplotlib.pyplot")
    open_before = plt.get_fignums() if plt else []
    buffer = io.BytesIO()
    mn.draw_graph(y, show_values=True, show_grads=True).savefig(buffer, format="png")
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    plt = sys.modules.get("matplotlib.pyplot")
    assert (plt.get_fignums() if plt else []) == open_before     # no figure registered for display


def test_importing_the_module_does_not_import_matplotlib():
    code = "import sys, minnet.graph; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_figure_shows_itself_as_a_png_in_a_notebook_without_pyplot():
    x = mn.Tensor([1.0, 2.0], requires_grad=True)
    png = mn.draw_graph(x.sum())._repr_png_()        # what Jupyter asks a cell's result for
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
