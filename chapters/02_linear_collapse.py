"""Chapter 02: what does a network without activations actually compute?

Stack as many layers as you like; if nothing nonlinear sits between them, the whole stack
is one linear map. We prove it numerically for Dense layers and for convolutions (two 3x3
convolutions are one 5x5 convolution), then watch a deep linear network fail on a curved
dataset exactly where logistic regression fails, and one ReLU fix it.
"""
# %% [markdown]
# **You will learn** why a stack of layers without an activation between them is one layer,
# for Dense layers and for convolutions alike, and what a single nonlinearity changes.
# **You need** matrix products and chapter 00. **Runs in** about 3 s (2 s in quick mode) on
# one core.
#
# ## The question
# A Dense layer computes $h(x) = xW + b$. Feed it into a second one:
#
# $$g(h(x)) = (xW_1 + b_1)W_2 + b_2 = x\,(W_1 W_2) + (b_1 W_2 + b_2),$$
#
# which is again "$x$ times a matrix plus a vector": one Dense layer with $W = W_1 W_2$ and
# $b = b_1 W_2 + b_2$. By induction a stack of any depth collapses to one layer, so depth buys
# nothing without a nonlinearity between the layers. Convolutions are linear too, so the
# same holds for them: the composed kernel is the (full) convolution of the two kernels,
# which is why two stacked $3 \times 3$ convolutions see exactly a $5 \times 5$ window.
#
# We check the algebra in float64 (so that the only differences left are rounding), then
# train on data that no straight line separates.

# %%
from contextlib import contextmanager

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

import minnet as mn
from chapters._common import Chapter

ch = Chapter("02_linear_collapse")
HIDDEN = 32                  # width of every hidden layer
mn.manual_seed(ch.seed)


@contextmanager
def default_dtype(dtype):
    """Build layers in `dtype` for the duration of a `with` block."""
    previous = mn.get_default_dtype()
    mn.set_default_dtype(dtype)
    try:
        yield
    finally:
        mn.set_default_dtype(previous)


# %%
# Bookkeeping and drawing, not the lesson: these helpers record findings (what the prose's
# claims and the tests read), print the results and draw the figures.
def report_collapse(key, what, difference, scale, **more):
    """Record and print how far a stack is from its collapse to one layer."""
    ch.record(**{f"{key}_difference": difference, f"{key}_scale": scale},
              **{f"{key}_{name}": value for name, value in more.items()})
    ch.print(f"{what}: max |difference| {difference:.1e} (outputs up to {scale:.1f})")


def score(dataset, models, X_train, y_train, X_test, y_test):
    """{model: accuracy and cross-entropy on both splits}, each recorded as a finding."""
    rows = {}
    for key, model in models.items():
        predict = model.predict if key == "logistic" else (lambda X, m=model: mn.predict(m, X).argmax(axis=1))
        rows[key] = {"train acc": float(np.mean(predict(X_train) == y_train)),
                     "held-out acc": float(np.mean(predict(X_test) == y_test)),
                     "train CE": cross_entropy(model, X_train, y_train),
                     "held-out CE": cross_entropy(model, X_test, y_test)}
        ch.record(**{f"{dataset}_{key}_train": rows[key]["train acc"],
                     f"{dataset}_{key}": rows[key]["held-out acc"],
                     f"{dataset}_{key}_train_loss": rows[key]["train CE"],
                     f"{dataset}_{key}_loss": rows[key]["held-out CE"]})
    return rows


def report_comparison(dataset, rows, difference, n_train, n_test):
    """Record the trained stack's distance from its collapse; print the table and that distance."""
    ch.record(**{f"{dataset}_trained_collapse_difference": difference})
    ch.table(rows, fmt=".3f", key=dataset, title=f"{dataset}: {n_train} training and {n_test} "
             f"held-out points (ln 2 = {np.log(2):.3f} is the cross-entropy of a coin toss)")
    ch.print(f"trained linear stack vs its collapse to one Dense layer: max |difference| {difference:.1e}")


def show_boundaries(dataset, result):
    """One row of panels: each model's predicted class over the plane, and the data."""
    figure, axes = plt.subplots(1, 3, figsize=(12, 3.8), layout="constrained")
    keys = {"LogisticRegression": "logistic", "linear stack": "linear", "ReLU net": "relu"}
    for ax, (name, model) in zip(axes, result["models"].items()):
        mn.plot.decision_boundary(model, result["X"], result["y"], ax=ax,
                                  resolution=ch.pick(full=200, quick=100),
                                  title=f"{dataset}: {name}\nheld-out accuracy "
                                        f"{result['rows'][keys[name]]['held-out acc']:.2f}")
    figure.suptitle(f"{dataset}: the linear stack draws a straight line, like logistic regression; "
                    "one ReLU per layer bends it")
    ch.show(figure, f"decision_boundaries_{dataset}", dpi=ch.pick(full=100, quick=60))


# %% [markdown]
# ## Dense layers: $W = W_1 W_2 \cdots W_k$, $b = ((b_1 W_2 + b_2) W_3 + b_3) \cdots$
# `collapse_dense` walks the stack once, carrying the running product of the weights and
# pushing the running bias through every later layer, and writes the result into a fresh
# Dense layer.

# %%
def collapse_dense(stack):
    """One Dense layer that computes exactly what the activation-free `stack` computes."""
    weight = stack[0].weight.data.copy()
    bias = stack[0].bias.data.copy()
    for layer in list(stack)[1:]:
        weight = weight @ layer.weight.data
        bias = bias @ layer.weight.data + layer.bias.data
    single = mn.nn.Dense(*weight.shape)
    single.weight.data[...] = weight
    single.bias.data[...] = bias
    return single


def dense_collapse_difference(widths, samples=256):
    """(max |stack(x) - collapsed(x)|, max |stack(x)|) on random x, in float64: the absolute
    difference, and the size of the outputs to judge it by."""
    with default_dtype(np.float64):
        # a nonzero bias in every layer, so the bias formula is exercised too
        stack = mn.nn.Sequential(*[mn.nn.Dense(a, b, bias_init="normal")
                                   for a, b in zip(widths[:-1], widths[1:])])
        single = collapse_dense(stack)
        x = mn.Tensor(mn.config.rng().standard_normal((samples, widths[0])))
        with mn.no_grad():
            deep, shallow = stack(x).data, single(x).data
    return float(np.max(np.abs(deep - shallow))), float(np.max(np.abs(deep)))


# %%
deep_widths = [8] + [16] * ch.pick(full=49, quick=9) + [4]
for key, widths in (("dense", [8, 16, 16, 4]), ("deep_dense", deep_widths)):
    difference, scale = dense_collapse_difference(widths)
    report_collapse(key, f"{len(widths) - 1:>2} Dense layers vs one", difference, scale)
ch.record(deep_dense_layers=len(deep_widths) - 1)

# %% [markdown]
# ## Convolutions: the composed kernel is the convolution of the kernels
# Conv2D computes a cross-correlation: at position $p$ the first layer's channel $m$ is
# $y^{(1)}_m(p) = \sum_{i,u} K^{(1)}_{m,i,u}\, x_i(p + u) + b^{(1)}_m$. Substituting it into the
# second layer gives
#
# $$y^{(2)}_o(p) = \sum_{i,w} K_{o,i,w}\, x_i(p + w) + b_o, \qquad
#   K_{o,i,w} = \sum_{m}\sum_{u + v = w} K^{(2)}_{o,m,v} K^{(1)}_{m,i,u}, \qquad
#   b_o = b^{(2)}_o + \sum_{m,v} K^{(2)}_{o,m,v}\, b^{(1)}_m,$$
#
# so a $k_1 \times k_1$ kernel followed by a $k_2 \times k_2$ kernel is one
# $(k_1 + k_2 - 1) \times (k_1 + k_2 - 1)$ kernel. We use padding $0$: zero padding between the
# layers would pad $y^{(1)}$ with zeros where the composed layer "sees" $y^{(1)}$'s true
# values, and the borders would differ (the interior would still agree).

# %%
def compose_convolutions(k1, b1, k2, b2):
    """(K, b) of the one convolution equal to (k1, b1) then (k2, b2) (stride 1, no padding).

    Shapes: k1 (mid, in, a_h, a_w), k2 (out, mid, c_h, c_w) -> K (out, in, a_h+c_h-1, a_w+c_w-1).
    """
    out_channels, in_channels = k2.shape[0], k1.shape[1]
    (a_h, a_w), (c_h, c_w) = k1.shape[2:], k2.shape[2:]
    kernel = np.zeros((out_channels, in_channels, a_h + c_h - 1, a_w + c_w - 1), dtype=k1.dtype)
    # one matrix product per offset v of the second kernel: a loop over kernel taps, not pixels
    for v_h in range(c_h):
        for v_w in range(c_w):
            kernel[:, :, v_h:v_h + a_h, v_w:v_w + a_w] += np.einsum(
                "om,miyx->oiyx", k2[:, :, v_h, v_w], k1)
    bias = b2 + np.einsum("omyx,m->o", k2, b1)
    return kernel, bias


# %%
def conv_collapse_difference(depth, channels, image_size, samples=2):
    """Max |stack(x) - one conv(x)| for `depth` stacked 3x3 Conv2D layers, and the kernel size."""
    with default_dtype(np.float64):
        widths = [channels] * (depth + 1)
        # Xavier keeps a linear stack's outputs at one scale; He's factor 2 assumes a ReLU
        # halves the variance at every layer, so 50 linear layers would grow about 2^25-fold
        stack = mn.nn.Sequential(*[mn.nn.Conv2D(a, b, 3, init="xavier_uniform")
                                   for a, b in zip(widths[:-1], widths[1:])])
        for layer in stack:
            layer.bias.data[...] = mn.config.rng().standard_normal(layer.bias.shape)
        kernel, bias = stack[0].weight.data, stack[0].bias.data
        for layer in list(stack)[1:]:
            kernel, bias = compose_convolutions(kernel, bias, layer.weight.data, layer.bias.data)
        single = mn.nn.Conv2D(channels, channels, kernel.shape[-1])
        single.weight.data[...] = kernel
        single.bias.data[...] = bias
        x = mn.Tensor(mn.config.rng().standard_normal((samples, channels, image_size, image_size)))
        with mn.no_grad():
            deep, shallow = stack(x).data, single(x).data
    return float(np.max(np.abs(deep - shallow))), float(np.max(np.abs(deep))), kernel.shape[-1]


# %%
deep_conv = ch.pick(full=50, quick=10)
for key, depth, channels, size in (("conv", 2, 3, 16), ("deep_conv", deep_conv, 2, 2 * deep_conv + 8)):
    difference, scale, kernel = conv_collapse_difference(depth=depth, channels=channels, image_size=size)
    report_collapse(key, f"{depth:>2} stacked 3x3 convolutions vs one {kernel}x{kernel}", difference, scale,
                    kernel=kernel)
ch.record(deep_conv_layers=deep_conv)

# %% [markdown]
# ## Training: depth without nonlinearity buys nothing
# Three classifiers on the same two-dimensional data: scikit-learn's LogisticRegression (one
# linear boundary by design), a three-layer Dense network with no activation, and the same
# network with a ReLU after each hidden layer. If the algebra above is right, the deep linear network
# can do no better than logistic regression: its decision boundary is a straight line.

# %%
def mlp(activation):
    """2 -> HIDDEN -> HIDDEN -> 2, with `activation` (a layer class or None) between layers."""
    layers = [mn.nn.Dense(2, HIDDEN)]
    for width_in, width_out in ((HIDDEN, HIDDEN), (HIDDEN, 2)):
        if activation is not None:
            layers.append(activation())
        layers.append(mn.nn.Dense(width_in, width_out))
    return mn.nn.Sequential(*layers)


def train(model, X, y, epochs):
    optimizer = mn.optim.Adam(model.parameters(), lr=0.01)
    mn.fit(model, mn.nn.CrossEntropyLoss(), optimizer, X, y, epochs=epochs, batch_size=64,
           progress=False, seed=ch.seed)
    return model


def cross_entropy(model, X, y):
    """Mean cross-entropy of a minnet model (or of a scikit-learn classifier's probabilities)."""
    if isinstance(model, LogisticRegression):
        return float(-np.mean(np.log(model.predict_proba(X)[np.arange(len(y)), y])))
    return float(mn.nn.CrossEntropyLoss()(mn.Tensor(mn.predict(model, X)), y).data)


# %%
def compare_on(dataset, n, epochs):
    """Logistic regression, the linear stack and the ReLU net trained on one dataset: a table."""
    X, y = getattr(mn.datasets, f"make_{dataset}")(n, seed=ch.seed)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=ch.seed)
    # C large = (almost) no L2 penalty: the very loss the networks minimise, cross-entropy
    logistic = LogisticRegression(C=1e4).fit(X_train, y_train)
    mn.manual_seed(ch.seed)
    linear = train(mlp(None), X_train, y_train, epochs)
    mn.manual_seed(ch.seed)
    relu = train(mlp(mn.nn.ReLU), X_train, y_train, epochs)
    rows = score(dataset, {"logistic": logistic, "linear": linear, "relu": relu}, X_train, y_train, X_test, y_test)
    # the trained linear stack is itself one Dense layer: same outputs, to float32 rounding
    collapsed = collapse_dense(linear)
    difference = float(np.max(np.abs(mn.predict(linear, X_test) - mn.predict(collapsed, X_test))))
    report_comparison(dataset, rows, difference, len(y_train), len(y_test))
    return {"X": X, "y": y, "rows": rows,
            # decision_boundary takes a Module or a function from points to labels
            "models": {"LogisticRegression": logistic.predict, "linear stack": linear, "ReLU net": relu}}


# %%
n, epochs = ch.pick(full=(1000, 100), quick=(300, 40))
results = {"moons": compare_on("moons", n, epochs)}
show_boundaries("moons", results["moons"])

# %% [markdown]
# Two moons can almost be split by a line, so logistic regression does well there. Two
# concentric circles cannot be split by any line at all.

# %%
results["circles"] = compare_on("circles", n, epochs)
show_boundaries("circles", results["circles"])

# %% [markdown]
# ## What we saw
# The printed differences between each stack and its collapsed single layer are at the level
# of float64 rounding, tiny next to the size of the outputs (also printed): for three Dense
# layers, for a deep Dense stack, for two $3 \times 3$ convolutions against one $5 \times 5$,
# and for a deep convolution stack against one large kernel. No amount of depth adds
# expressive power without a nonlinearity.
#
# Trained, the linear stack is still one Dense layer (its printed difference from its
# collapse is float32 rounding), so its boundary is a straight line, and it minimises the
# same cross-entropy as logistic regression over the same family of lines. So its training
# cross-entropy can be no lower than logistic regression's, and the tables show it is not
# (up to the optimisers' tolerances). Their accuracies need not agree
# exactly, since neither model maximises accuracy. On circles neither line says anything
# useful about two rings: both training cross-entropies sit at $\ln 2 \approx 0.693$, the loss
# of a coin toss, and no held-out accuracy is far from one half. On so few held-out points a
# useless line lands above or below one half by chance, and below one half is no worse a
# failure than above it (the printed accuracies of this run say which).
# The same network with one ReLU after each hidden layer bends its boundary around the data
# and scores far higher on both datasets.

# %%
findings = ch.findings
ch.headline = (f"linear stack = one layer (max diff {findings['dense_difference']:.0e}); circles held-out: "
               f"linear {findings['circles_linear']:.2f}, logistic {findings['circles_logistic']:.2f}, "
               f"ReLU {findings['circles_relu']:.2f}")
ch.claims({
    "The printed differences between each stack and its collapsed single layer are at the level of float64 "
    "rounding, tiny next to the size of the outputs":
        lambda f: all(f[f"{name}_difference"] < 1e-12 * max(1.0, f[f"{name}_scale"])
                      for name in ("dense", "deep_dense", "conv", "deep_conv")),
    "its printed difference from its collapse is float32 rounding":
        lambda f: all(f[f"{data}_trained_collapse_difference"] < 1e-5 for data in ("moons", "circles")),
    "So its training cross-entropy can be no lower than logistic regression's, and the tables show it is not":
        lambda f: all(f[f"{data}_linear_train_loss"] >= f[f"{data}_logistic_train_loss"] - 1e-3
                      for data in ("moons", "circles")),
    "both training cross-entropies sit at $\\ln 2 \\approx 0.693$":
        lambda f: all(abs(f[f"circles_{model}_train_loss"] - np.log(2)) < 0.02 for model in ("linear", "logistic")),
    "no held-out accuracy is far from one half":
        lambda f: all(0.3 < f[f"circles_{model}"] < 0.7 for model in ("linear", "logistic")),
    "scores far higher on both datasets":
        lambda f: all(f[f"{data}_relu"] > max(f[f"{data}_linear"], f[f"{data}_logistic"]) + 0.05
                      for data in ("moons", "circles")),
})

# %% [markdown]
# ## Exercises
# 1. Replace `mn.nn.ReLU` in `compare_on` by `mn.nn.Tanh` or `mn.nn.Identity`: which ones
#    rescue the network, and why does Identity not?
# 2. Give the conv stack `padding=1` in every layer: where do the collapsed and the stacked
#    outputs now disagree, and why only there?
# 3. Set `HIDDEN = 2`: how narrow can the ReLU network be and still separate the circles?

# %% [markdown]
# <details><summary>Solutions</summary>
#
# 1. Tanh rescues it: any nonlinearity between the layers breaks the collapse. Identity is
#    $f(x) = x$, so the stack is still linear and collapses exactly as before.
# 2. Only near the border: the stacked layers pad the first layer's *output* with zeros,
#    where the collapsed layer would use that output's true values; in the interior both
#    compute the same sums.
# 3. Each first-layer ReLU unit folds the plane along one line, and a closed boundary around
#    the inner ring needs several such lines. In a full run with seed 0, two and three units
#    per layer left roughly a tenth of the held-out points on the wrong side, and four
#    separated the rings completely; narrow networks are also harder to train, so try other
#    seeds before concluding.
#
# </details>

# %% [markdown]
# ## References
# - Goodfellow, I., Bengio, Y. and Courville, A. (2016). Deep Learning, chapter 6 (deep
#   feedforward networks; why a nonlinearity is needed). MIT Press. https://www.deeplearningbook.org/
# - Minsky, M. and Papert, S. (1969). Perceptrons. MIT Press (what a single linear threshold
#   unit cannot separate). https://mitpress.mit.edu/9780262630221/perceptrons/
# - Cybenko, G. (1989). Approximation by superpositions of a sigmoidal function. Mathematics
#   of Control, Signals and Systems 2, 303-314. https://doi.org/10.1007/BF02551274
# - Leshno, M., Lin, V. Ya., Pinkus, A. and Schocken, S. (1993). Multilayer feedforward
#   networks with a nonpolynomial activation function can approximate any function. Neural
#   Networks 6(6), 861-867. https://doi.org/10.1016/S0893-6080(05)80131-5
# - Simonyan, K. and Zisserman, A. (2015). Very deep convolutional networks for large-scale
#   image recognition (two stacked 3x3 convolutions see a 5x5 window). https://arxiv.org/abs/1409.1556
