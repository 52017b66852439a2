"""The figures the chapters draw: activation curves, training curves, gradient norms,
activation and weight histograms, decision boundaries.

Every function returns a matplotlib Figure and, given `path`, also saves it as a PNG
(creating the folders). Headless by default: without a display the Agg backend is chosen,
so the chapters run on servers and in CI. matplotlib is imported on first use, which keeps
`import minnet` fast.

    >>> fig = activation_curves(["sigmoid", "tanh", "relu"], path="figures/act.png")  # doctest: +SKIP
"""
import os
import sys
from pathlib import Path

import numpy as np

DECADES_FOR_LOG_SCALE = 2   # values spanning more than 10^2 are read on a log axis

# One colour per activation on every figure, so that sigmoid is the same orange in every
# chapter (the Okabe-Ito palette, which colour-blind readers can tell apart; Okabe and Ito 2008).
ACTIVATION_COLOURS = {"sigmoid": "#E69F00", "tanh": "#56B4E9", "relu": "#009E73", "leakyrelu": "#0072B2",
                      "leaky_relu": "#0072B2", "prelu": "#D55E00", "elu": "#CC79A7", "selu": "#000000",
                      "gelu": "#999999", "silu": "#882255", "swish": "#882255", "mish": "#44AA99",
                      "hard_swish": "#332288", "hard_sigmoid": "#DDCC77"}
LINE_STYLES = ("-", "--", "-.", ":")


def activation_colour(label):
    """The colour of the activation a label starts with ("ReLU, bias 0.1" -> ReLU's), else None."""
    first = str(label).replace(",", " ").split()
    return ACTIVATION_COLOURS.get(first[0].lower()) if first else None


def _run_styles(labels):
    """{label: (colour, line style)}: runs of one activation share its colour and differ in style."""
    cycle = _pyplot().rcParams["axes.prop_cycle"].by_key()["color"]
    styles, seen = {}, {}
    for index, label in enumerate(labels):
        colour = activation_colour(label)
        if colour is None:
            styles[label] = (cycle[index % len(cycle)], "-")
        else:
            styles[label] = (colour, LINE_STYLES[seen.get(colour, 0) % len(LINE_STYLES)])
            seen[colour] = seen.get(colour, 0) + 1
    return styles


def _pyplot():
    import matplotlib

    headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if headless and "MPLBACKEND" not in os.environ and "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _figure(n_panels=1, cols=3, panel_size=(4.0, 3.2)):
    """A figure with exactly n_panels axes on a grid (unused grid cells removed)."""
    plt = _pyplot()
    cols = max(1, min(cols, n_panels))
    rows = -(-n_panels // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(panel_size[0] * cols, panel_size[1] * rows),
                             squeeze=False, layout="constrained")
    axes = axes.ravel()
    for ax in axes[n_panels:]:
        fig.delaxes(ax)
    return fig, list(axes[:n_panels])


def _finish(fig, path, close=True):
    """Save when asked, and let go of pyplot's reference when nothing can show it.

    close=False leaves a figure the caller made (and passed an axes of) to the caller.

    The panels are spaced by constrained layout when the figure is drawn, so a figure that
    is never saved or shown costs no layout work.
    """
    plt = _pyplot()
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120)
    # a non-interactive backend never shows figures: closing stops them piling up in pyplot
    # (and its "more than 20 figures" warning); the returned Figure stays usable
    if close and not plt.get_backend().lower().startswith(("qt", "tk", "gtk", "wx", "macosx", "nbagg", "webagg")):
        plt.close(fig)
    return fig


def _spans_decades(values):
    values = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    return values.size > 1 and values.min() > 0 and np.log10(values.max() / values.min()) > DECADES_FOR_LOG_SCALE


# --------------------------------------------------------------------------------------------
def activation_curves(activations, x_range=(-5, 5), path=None, cols=4, points=401):
    """One panel per activation: f(x) (solid) and f'(x) (dashed) over x_range.

    activations: Activation instances (anything with f(x) and df(x, y)) or names from
    mn.nn.ACTIVATIONS ("relu", "gelu", ...).
    """
    if isinstance(activations, str) or hasattr(activations, "f"):
        activations = [activations]
    resolved = [_activation(a) for a in activations]
    fig, axes = _figure(len(resolved), cols=cols, panel_size=(3.6, 2.9))
    x = np.linspace(*x_range, points)
    for ax, activation in zip(axes, resolved):
        y = np.asarray(activation.f(x))
        dy = np.asarray(activation.df(x, y))
        ax.axhline(0, color="0.8", lw=0.8)
        ax.axvline(0, color="0.8", lw=0.8)
        ax.plot(x, y, lw=2, label="f(x)")
        ax.plot(x, dy, lw=1.5, ls="--", label="f'(x)")
        ax.set_title(_activation_title(activation))
        ax.set_xlabel("x")
        ax.set_ylabel("f(x), f'(x)")
        ax.legend(loc="upper left", fontsize="small")
    fig.suptitle("Activation functions (solid) and their derivatives (dashed)")
    return _finish(fig, path)


def _activation(activation):
    if isinstance(activation, str):
        from minnet import nn

        return nn.get_activation(activation)
    if not (hasattr(activation, "f") and hasattr(activation, "df")) or not getattr(activation, "elementwise", True):
        raise TypeError(f"activation_curves expected an elementwise activation (with f and df) or its name, "
                        f"got {type(activation).__name__}")
    return activation


def _activation_title(activation):
    arguments = activation.extra_repr() if hasattr(activation, "extra_repr") else ""
    return f"{type(activation).__name__}({arguments})" if arguments else type(activation).__name__


# --------------------------------------------------------------------------------------------
def _as_dict(history):
    """A History, a plain dict, or anything with keys() and [] -> {key: list of floats}."""
    if hasattr(history, "keys"):
        return {key: list(history[key]) for key in history.keys()}
    if hasattr(history, "history"):
        return {key: list(values) for key, values in history.history.items()}
    raise TypeError(f"training_curves expected a History or a dict of per-epoch lists, got {type(history).__name__}")


def training_curves(histories, path=None, metrics=None):
    """Per-epoch curves: one panel for the loss and one per metric; training solid, validation dashed.

    histories: a History (what mn.fit returns) or a dict label -> History to compare runs;
    each run keeps one colour (an activation's own, when its label starts with one). metrics:
    which quantities to plot (default: every key that is not a "val_" key). A log scale is
    used where the values span more than two decades.
    """
    if not isinstance(histories, dict) or all(isinstance(v, (list, tuple, np.ndarray)) for v in histories.values()):
        histories = {"": histories}
    runs = {label: _as_dict(history) for label, history in histories.items()}
    if metrics is None:
        metrics = []
        for run in runs.values():
            metrics += [key for key in run if not key.startswith("val_") and key not in metrics]
    fig, axes = _figure(len(metrics), cols=3, panel_size=(4.6, 3.4))
    from matplotlib.ticker import MaxNLocator

    colours = {label: colour for label, (colour, _) in _run_styles(list(runs)).items()}
    for ax, metric in zip(axes, metrics):
        every_value = []
        for label, run in runs.items():
            colour = colours[label]
            for key, style, part in ((metric, "-", "train"), ("val_" + metric, "--", "validation")):
                if key in run:
                    values = np.asarray(run[key], dtype=float)
                    every_value += list(values)
                    name = f"{label} {part}".strip()
                    ax.plot(np.arange(1, len(values) + 1), values, ls=style, color=colour, label=name)
        log = _spans_decades(every_value)
        if log:
            ax.set_yscale("log")
        ax.set_title(metric.replace("_", " "))
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))   # whole epochs, never "1.5"
        ax.set_ylabel(metric.replace("_", " ") + (" (log scale)" if log else ""))
        ax.legend(fontsize="small")
    fig.suptitle("Training curves")
    return _finish(fig, path)


# --------------------------------------------------------------------------------------------
def gradient_norms(runs, path=None, title="Gradient norm per layer", ylabel="weight gradient norm ||dL/dW||"):
    """Per-layer gradient norms (log scale), one line per run, first layer on the left.

    runs: dict label -> {layer name: norm} (what mn.diagnostics.gradient_norms returns),
    or a single {layer name: norm}. `ylabel` names what was measured (weights by default).
    Runs whose labels start with the same activation share its colour and differ in style.
    """
    if runs and all(np.isscalar(v) for v in runs.values()):
        runs = {"": runs}
    fig, (ax,) = _figure(1, panel_size=(7.5, 4.2))
    layers = list(dict.fromkeys(name for run in runs.values() for name in run))
    styles = _run_styles(list(runs))
    for label, run in runs.items():
        positions = [layers.index(name) for name in run]
        colour, style = styles[label]
        ax.plot(positions, [max(float(v), np.finfo(float).tiny) for v in run.values()], marker="o",
                color=colour, linestyle=style, label=label or None)
    ax.set_yscale("log")
    ax.set_xticks(range(len(layers)))
    crowded = sum(len(name) + 2 for name in layers) > 60      # long names would overlap: slant them
    ax.set_xticklabels(layers, rotation=35 if crowded else 0, ha="right" if crowded else "center")
    ax.set_xlabel("layer (input side on the left)")
    ax.set_ylabel(f"{ylabel} (log scale)")
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    if any(runs):
        ax.legend()
    return _finish(fig, path)


# --------------------------------------------------------------------------------------------
def activation_histograms(activations, path=None, bins=60, cols=3, log_counts=False):
    """One histogram per layer of its outputs, titled with the share of exact zeros.

    activations: dict layer name -> array of outputs (mn.diagnostics.layer_outputs), or the
    dict of per-layer statistics from mn.diagnostics.activation_statistics(..., keep_values=True)
    (each with a "values" entry).
    """
    values = {}
    for name, entry in activations.items():
        if isinstance(entry, dict):
            if "values" not in entry:
                raise ValueError(f"activation_histograms: layer {name!r} has statistics but no 'values'; "
                                 f"use activation_statistics(model, X, keep_values=True)")
            name = f"{name} ({entry['layer']})" if "layer" in entry else name
            entry = entry["values"]
        values[name] = np.asarray(getattr(entry, "data", entry), dtype=float).ravel()
    fig, axes = _figure(len(values), cols=cols, panel_size=(3.8, 3.0))
    for ax, (name, v) in zip(axes, values.items()):
        ax.hist(v, bins=bins, color="tab:blue", alpha=0.85, log=log_counts)
        ax.set_title(f"{name}: mean {v.mean():.2f}, std {v.std():.2f}, zeros {np.mean(v == 0):.0%}", fontsize="small")
        ax.set_xlabel("activation value")
        ax.set_ylabel("count (log scale)" if log_counts else "count")
    fig.suptitle("Activation distribution per layer")
    return _finish(fig, path)


def weight_histograms(model, path=None, bins=50, cols=3):
    """One histogram per weight parameter (every parameter with at least 2 dimensions)."""
    weights = [(name, p.data) for name, p in model.named_parameters() if p.data.ndim >= 2]
    if not weights:
        raise ValueError(f"weight_histograms found no weight matrices in {type(model).__name__}")
    fig, axes = _figure(len(weights), cols=cols, panel_size=(3.8, 3.0))
    for ax, (name, w) in zip(axes, weights):
        ax.hist(w.ravel(), bins=bins, color="tab:green", alpha=0.85)
        ax.set_title(f"{name} {tuple(w.shape)}: std {w.std():.3f}", fontsize="small")
        ax.set_xlabel("weight value")
        ax.set_ylabel("count")
    fig.suptitle("Weight distribution per layer")
    return _finish(fig, path)


# --------------------------------------------------------------------------------------------
def _predict_classes(model_or_predict_fn, points, threshold=None):
    """Class labels for points (M, 2), from a Module's outputs or a function's, and the
    threshold used on one score per point (None where there was none to use)."""
    from minnet.function import no_grad
    from minnet.nn.module import Module, evaluating
    from minnet.tensor import Tensor

    if isinstance(model_or_predict_fn, Module):
        with evaluating(), no_grad():
            output = model_or_predict_fn(Tensor(points)).data
    else:
        output = np.asarray(model_or_predict_fn(points))
        output = getattr(output, "data", output)
    output = np.asarray(output)
    if output.ndim == 2 and output.shape[1] > 1:
        return output.argmax(axis=1), None
    output = output.reshape(len(points))
    if np.issubdtype(output.dtype, np.integer) or np.issubdtype(output.dtype, np.bool_):
        return output.astype(np.int64), None
    if threshold is None:
        last = list(model_or_predict_fn.modules())[-1] if isinstance(model_or_predict_fn, Module) else None
        if type(last).__name__ != "Sigmoid":
            # Guessing from the values (in [0, 1] or not) drew wrong boundaries for logits
            # that happened to lie in [0, 1] and for regressions onto 0/1 labels.
            raise ValueError(
                "decision_boundary: the model gives one score per point, and whether it is a "
                "logit (cut at 0), a probability (cut at 0.5) or a regression onto the labels "
                "cannot be told from the numbers; pass threshold=")
        threshold = 0.5                  # the model ends in Sigmoid: probabilities
    return (output > threshold).astype(np.int64), threshold


def decision_boundary(model_or_predict_fn, X, y, path=None, ax=None, resolution=200,
                      title="Decision boundary", threshold=None):
    """Colour the plane by predicted class and scatter the samples on top (2-D inputs only).

    model_or_predict_fn: a Module returning logits or probabilities (evaluated in eval mode
    under no_grad, its mode restored), or a function numpy (M, 2) -> labels or scores.
    Scores (N, C) give the argmax class. One score per point is cut at `threshold` (0 for
    logits, 0.5 for probabilities or a regression onto 0/1 labels), which is required unless
    the model ends in Sigmoid (0.5); the plot says which threshold it used.
    With `ax`, draws into that axes (to put several models side by side) and returns its Figure.
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"decision_boundary expected 2-D points of shape (N, 2), got {X.shape}")
    plt = _pyplot()
    caller_owns_figure = ax is not None
    if ax is None:
        fig, (ax,) = _figure(1, panel_size=(5.0, 4.4))
    else:
        fig = ax.figure
    margin = 0.1 * (X.max(axis=0) - X.min(axis=0)) + 1e-3
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))
    points = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(X.dtype if X.dtype.kind == "f" else np.float32)
    classes = np.unique(y)
    n_colours = max(int(classes.max()) + 1, 2)
    cmap = plt.get_cmap("tab10" if n_colours <= 10 else "tab20")
    regions, used = _predict_classes(model_or_predict_fn, points, threshold)
    regions = regions.reshape(gx.shape)
    ax.contourf(gx, gy, regions, levels=np.arange(n_colours + 1) - 0.5, cmap=cmap, vmin=-0.5,
                vmax=cmap.N - 0.5, alpha=0.3)
    for c in classes:
        ax.scatter(*X[y == c].T, s=14, color=cmap(int(c)), edgecolors="k", linewidths=0.3, label=f"class {c}")
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title)
    if used is not None:
        ax.text(0.01, 0.01, f"class 1 where score > {used:g}", transform=ax.transAxes, fontsize="small")
    ax.legend(fontsize="small", loc="best")
    return _finish(fig, path, close=not caller_owns_figure)
