"""Drawing the computation graph behind a tensor, as micrograd's draw_dot does.

Every op output remembers its Context (`tensor._ctx`): the op's Function class and the
input tensors (`ctx.parents`). Following the parents from a result back to the leaves
gives the graph that autograd will walk in reverse; `draw_graph` lays it out with
matplotlib alone (no graphviz binary): each op one column to the right of its deepest
input and each leaf just left of its first user, so every arrow points left to right, from
an input to the op that used it.
"""
import functools
import io

import numpy as np

from minnet.tensor import Tensor

MAX_PRINTED_ELEMENTS = 6     # arrays up to this size are printed in full; larger ones summarised


def trace(tensor):
    """The graph that produced `tensor`: (nodes, edges), inputs before the ops that use them.

    nodes is a list of tensors, each once; edges is a list of (input, output) index pairs
    into nodes, one per distinct input of each op (x * x gives one edge from x).
    Raises RuntimeError if backward() has already released part of the graph.

    Example:
        >>> x = mn.Tensor([1.0, 2.0], requires_grad=True)
        >>> nodes, edges = trace((x * 3).sum())
        >>> [node.shape for node in nodes], edges
        ([(2,), (), (2,), ()], [(0, 2), (1, 2), (2, 3)])
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"draw_graph expected a minnet Tensor, got {type(tensor).__name__}")
    order, index, edges = [], {}, []
    # Iterative depth-first search: a deep network's graph would overflow Python's recursion.
    stack = [(tensor, False)]
    while stack:
        node, inputs_done = stack.pop()
        if id(node) in index:
            continue
        ctx = node._ctx
        if inputs_done or ctx is None:
            index[id(node)] = len(order)
            order.append(node)
            continue
        if ctx.released:
            raise RuntimeError(
                f"draw_graph: the graph behind this tensor was released by backward() (the "
                f"inputs of its {ctx.function.__name__} op are gone); draw it before backward(), "
                f"or call backward(retain_graph=True) to keep it")
        stack.append((node, True))
        stack.extend((parent, False) for parent in reversed(ctx.parents))
    for node in order:
        if node._ctx is not None:
            inputs = dict.fromkeys(index[id(parent)] for parent in node._ctx.parents)
            edges.extend((i, index[id(node)]) for i in inputs)
    return order, edges


def _columns(nodes, edges):
    """Column of each node: an op one right of its deepest input, a leaf one left of its first user."""
    column = [0] * len(nodes)
    for source, target in edges:          # edges come in topological order of their targets
        if nodes[source]._ctx is not None:
            column[target] = max(column[target], column[source] + 1)
        else:
            column[target] = max(column[target], 1)
    users = {}
    for source, target in edges:
        users.setdefault(source, []).append(column[target])
    for i, node in enumerate(nodes):
        if node._ctx is None and i in users:
            column[i] = min(users[i]) - 1
    return column


@functools.cache
def _figure_class():
    """matplotlib's Figure, plus a PNG of itself for Jupyter (defined on first use: lazy import)."""
    from matplotlib.figure import Figure

    class GraphFigure(Figure):
        """A Figure that shows as an image when it is a notebook cell's result.

        Jupyter draws a plain Figure only once pyplot has loaded its inline backend, which
        happens when pyplot first makes a figure; draw_graph never uses pyplot.
        """

        def _repr_png_(self):
            buffer = io.BytesIO()
            self.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
            return buffer.getvalue()

    return GraphFigure


def _format_array(array):
    """A small array in full, a large one as its mean, std, min and max."""
    array = np.asarray(array)
    if array.size <= MAX_PRINTED_ELEMENTS:
        return np.array2string(array, precision=4, suppress_small=True, separator=", ")
    if array.dtype.kind == "b":
        return f"{int(array.sum())} of {array.size} true"
    values = array.astype(np.float64)
    return (f"mean {values.mean():.3g}, std {values.std():.3g}, "
            f"min {values.min():.3g}, max {values.max():.3g}")


def _node_label(node, name, show_values, show_grads):
    if node._ctx is not None:
        kind = node._ctx.function.__name__.lstrip("_")
    elif node.requires_grad:
        kind = type(node).__name__ if type(node) is not Tensor else "input"
    else:
        kind = "constant"
    title = f"{name} = {kind}" if name else kind
    lines = [title, f"shape {node.shape}  {node.dtype}"]
    if show_values:
        lines.append(f"value {_format_array(node.data)}")
    if show_grads and node.requires_grad:
        if node.grad is not None:
            lines.append(f"grad {_format_array(node.grad)}")
        elif node._ctx is not None:
            lines.append("grad not kept (see .retain_grad())")
        else:
            lines.append("grad None (no backward yet)")
    return "\n".join(lines)


def draw_graph(tensor, show_values=False, show_grads=False, names=None, max_nodes=200):
    """Draw the graph of ops that produced `tensor` and return the matplotlib Figure.

    Each box is one tensor: an op's output shows the op's name (Mul, MatMul, Sum, ...), a
    leaf shows "input", "Parameter" or "constant"; every box shows the shape and dtype.
    Arrows run left to right from an op's inputs to its output: each op stands one column
    right of its deepest input, each leaf just left of the first op that uses it.
    Arrays of up to six elements print in full, larger ones as mean, std, min and max.

    backward() releases the graph it walks (unless called with retain_graph=True), so
    draw before backward, or pass retain_graph=True to see the gradients on the graph.
    Only leaves keep a grad; call `.retain_grad()` on an intermediate tensor to show its.

    Args:
        tensor: the result whose history to draw.
        show_values: add each tensor's value to its box.
        show_grads: add each tensor's gradient (after backward) to its box.
        names: optional {"label": tensor} for the tensors you want named, e.g. {"x": x}.
        max_nodes: refuse graphs larger than this; a whole network's graph is unreadable.

    Shape: any tensor; the figure grows with the number of columns and rows.

    Example:
        >>> x = mn.Tensor([1.0, -2.0], requires_grad=True)
        >>> y = (x * x).sum()
        >>> fig = mn.draw_graph(y, show_values=True, names={"x": x, "y": y})
        >>> len(fig.axes)
        1
    """
    nodes, edges = trace(tensor)
    if len(nodes) > max_nodes:
        raise ValueError(f"draw_graph: the graph has {len(nodes)} tensors, more than "
                         f"max_nodes={max_nodes}; draw a smaller expression or raise max_nodes")
    given = {id(t): label for label, t in (names or {}).items()}
    labels = [_node_label(node, given.get(id(node)), show_values, show_grads) for node in nodes]
    column = _columns(nodes, edges)
    members = {}
    for i, c in enumerate(column):
        members.setdefault(c, []).append(i)
    columns = sorted(members)
    # Order each column by the mean row of its inputs, so arrows cross as little as a
    # single left-to-right sweep can manage (the barycentre heuristic of Sugiyama layouts).
    inputs_of = {}
    for source, target in edges:
        inputs_of.setdefault(target, []).append(source)
    row_of = {}
    for c in columns:
        def mean_input_row(i):
            rows = [row_of[s] for s in inputs_of.get(i, ()) if s in row_of]
            return sum(rows) / len(rows) if rows else 0.0
        ordered = sorted(members[c], key=mean_input_row)
        for r, i in enumerate(ordered):
            row_of[i] = r - (len(ordered) - 1) / 2

    # Sizes in inches from the labels: 8-point monospace is about 0.067 inch per character
    # and 0.15 inch per line, so a column is as wide as its longest line.
    char_width, line_height, gap = 0.067, 0.15, 0.5
    widths = [max(map(len, label.split("\n"))) * char_width + 0.2 for label in labels]
    heights = [label.count("\n") * line_height + line_height + 0.2 for label in labels]
    column_width = {c: max(widths[i] for i in members[c]) for c in columns}
    x_of_column, x = {}, 0.0
    for c in columns:
        x_of_column[c] = x + column_width[c] / 2
        x += column_width[c] + gap
    pitch = max(heights) + 0.25
    tallest = max(len(m) for m in members.values())
    total_width, total_height = x - gap + 0.2, pitch * tallest + 0.2

    fig = _figure_class()(figsize=(total_width, total_height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(-0.1, total_width - 0.1)
    ax.set_ylim(-total_height / 2, total_height / 2)
    boxes, centres = [], []
    for i, node in enumerate(nodes):
        leaf = node._ctx is None
        colour = "#fde9c9" if leaf and node.requires_grad else "#eeeeee" if leaf else "#d7e8fa"
        centre = (x_of_column[column[i]], -row_of[i] * pitch)
        boxes.append(ax.text(*centre, labels[i], ha="center", va="center", fontsize=8,
                             family="monospace", gid="minnet-node",
                             bbox=dict(boxstyle="round,pad=0.4", facecolor=colour, edgecolor="#555555")))
        centres.append(centre)
    for source, target in edges:
        # patchA/patchB clip the arrow at the two boxes' outlines, whatever their size.
        ax.annotate("", xy=centres[target], xytext=centres[source], gid="minnet-edge",
                    arrowprops=dict(arrowstyle="->", color="#333333", shrinkA=1, shrinkB=1,
                                    patchA=boxes[source].get_bbox_patch(),
                                    patchB=boxes[target].get_bbox_patch()))
    return fig
