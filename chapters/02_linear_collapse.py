"""Chapter 02: what does a network without activations actually compute?

Stack as many layers as you like; if nothing nonlinear sits between them, the whole stack
is one linear map. We prove it numerically for Dense layers and for convolutions (two 3x3
convolutions are one 5x5 convolution), then watch a deep linear network fail on a curved
dataset exactly where logistic regression fails, and one ReLU fix it.
"""
# %% [markdown]
# ## The question
# A Dense layer computes h(x) = x W + b. Feed it into a second one:
#
#     g(h(x)) = (x W1 + b1) W2 + b2 = x (W1 W2) + (b1 W2 + b2)
#
# which is again "x times a matrix plus a vector": one Dense layer with W = W1 W2 and
# b = b1 W2 + b2. By induction a stack of any depth collapses to one layer, so depth buys
# nothing without a nonlinearity between the layers. Convolutions are linear too, so the
# same holds for them: the composed kernel is the (full) convolution of the two kernels,
# which is why two stacked 3x3 convolutions see exactly a 5x5 window.
#
# We check the algebra in float64 (so that the only differences left are rounding), then
# train on data that no straight line separates.

# %%
import os
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import minnet as mn  # noqa: E402
from chapters._common import figure_dir, quick_mode  # noqa: E402

SEED = int(os.environ.get("MINNET_SEED", "0"))
HIDDEN = int(os.environ.get("MINNET_HIDDEN", "32"))      # width of every hidden layer


@contextmanager
def default_dtype(dtype):
    """Build layers in `dtype` for the duration of a `with` block."""
    previous = mn.get_default_dtype()
    mn.set_default_dtype(dtype)
    try:
        yield
    finally:
        mn.set_default_dtype(previous)


# %% [markdown]
# ## Dense layers: W = W1 W2 ... Wk, b = (((b1 W2 + b2) W3 + b3) ...)
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
    """Max |stack(x) - collapsed(x)| on random x, relative to max |stack(x)|, in float64."""
    with default_dtype(np.float64):
        # a nonzero bias in every layer, so the bias formula is exercised too
        stack = mn.nn.Sequential(*[mn.nn.Dense(a, b, bias_init="normal")
                                   for a, b in zip(widths[:-1], widths[1:])])
        single = collapse_dense(stack)
        x = mn.Tensor(mn.config.rng().standard_normal((samples, widths[0])))
        with mn.no_grad():
            deep, shallow = stack(x).data, single(x).data
    return float(np.max(np.abs(deep - shallow))), float(np.max(np.abs(deep)))


# %% [markdown]
# ## Convolutions: the composed kernel is the convolution of the kernels
# Conv2D computes a cross-correlation, y1[m](p) = sum_(i,u) K1[m, i, u] x[i](p + u) + b1[m].
# Substituting y1 into the second layer gives
#
#     y2[o](p) = sum_(i,w) K[o, i, w] x[i](p + w) + b[o],
#     K[o, i, w] = sum_(m, u + v = w) K2[o, m, v] K1[m, i, u],
#     b[o] = b2[o] + sum_(m, v) K2[o, m, v] b1[m]
#
# so a kh1 x kw1 kernel followed by a kh2 x kw2 kernel is one (kh1 + kh2 - 1) x
# (kw1 + kw2 - 1) kernel. We use padding 0: zero padding between the layers would pad
# y1 with zeros where the composed layer "sees" y1's true values, and the borders would
# differ (the interior would still agree).

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


# %% [markdown]
# ## Training: depth without nonlinearity buys nothing
# Three classifiers on the same 2-D data: scikit-learn's LogisticRegression (one linear
# boundary by design), a three-layer Dense network with no activation, and the same network
# with a ReLU after each hidden layer. If the algebra above is right, the deep linear network
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
           progress=False, seed=SEED)
    return model


def accuracy(model, X, y):
    with mn.no_grad():
        return float(np.mean(np.argmax(model(mn.Tensor(X)).data, axis=1) == y))


def compare_on(dataset, n, epochs):
    """Training and held-out accuracies of logistic regression, the linear stack and the ReLU net."""
    X, y = getattr(mn.datasets, f"make_{dataset}")(n, seed=SEED)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=SEED)
    # C large = (almost) no L2 penalty: the very loss the networks minimise, cross-entropy
    logistic = LogisticRegression(C=1e4).fit(X_train, y_train)
    mn.manual_seed(SEED)
    linear = train(mlp(None), X_train, y_train, epochs)
    mn.manual_seed(SEED)
    relu = train(mlp(mn.nn.ReLU), X_train, y_train, epochs)
    # the trained linear stack is itself one Dense layer: same predictions, to rounding
    collapsed = collapse_dense(linear)
    with mn.no_grad():
        linear_out, collapsed_out = linear(mn.Tensor(X_test)).data, collapsed(mn.Tensor(X_test)).data
    return {
        "X": X, "y": y,
        # decision_boundary takes a Module or a function from points to labels
        "models": {"LogisticRegression": logistic.predict, "linear stack": linear, "ReLU net": relu},
        "accuracy": {"logistic": float(logistic.score(X_test, y_test)),
                     "linear": accuracy(linear, X_test, y_test),
                     "relu": accuracy(relu, X_test, y_test),
                     # the fit itself, free of test-sample noise: a line is a line
                     "logistic_train": float(logistic.score(X_train, y_train)),
                     "linear_train": accuracy(linear, X_train, y_train),
                     "relu_train": accuracy(relu, X_train, y_train)},
        "trained_collapse_difference": float(np.max(np.abs(linear_out - collapsed_out))),
    }


def plot_boundaries(results, path, resolution=200, dpi=100):
    """One row per dataset: LogisticRegression | linear stack | ReLU net."""
    rows = len(results)
    figure, axes = plt.subplots(rows, 3, figsize=(12, 3.8 * rows), squeeze=False, layout="constrained")
    keys = {"LogisticRegression": "logistic", "linear stack": "linear", "ReLU net": "relu"}
    for row, (dataset, result) in zip(axes, results.items()):
        for ax, (name, model) in zip(row, result["models"].items()):
            mn.plot.decision_boundary(model, result["X"], result["y"], ax=ax, resolution=resolution,
                                      title=f"{dataset}: {name}\nheld-out accuracy "
                                            f"{result['accuracy'][keys[name]]:.2f}")
    figure.suptitle("Without a nonlinearity a deep network still draws a straight line, "
                    "like logistic regression; one ReLU per layer bends it")
    figure.savefig(path, dpi=dpi)
    plt.close(figure)


# %%
def main(quick: bool = quick_mode()) -> dict:
    mn.manual_seed(SEED)
    findings = {}
    findings["dense_difference"], findings["dense_scale"] = dense_collapse_difference([8, 16, 16, 4])
    deep_widths = [8] + [16] * (9 if quick else 49) + [4]
    findings["deep_dense_layers"] = len(deep_widths) - 1
    findings["deep_dense_difference"], findings["deep_dense_scale"] = dense_collapse_difference(deep_widths)
    findings["conv_difference"], findings["conv_scale"], findings["conv_kernel"] = \
        conv_collapse_difference(depth=2, channels=3, image_size=16)
    deep_conv = 10 if quick else 50
    findings["deep_conv_layers"] = deep_conv
    findings["deep_conv_difference"], findings["deep_conv_scale"], findings["deep_conv_kernel"] = \
        conv_collapse_difference(depth=deep_conv, channels=2, image_size=2 * deep_conv + 8)

    n, epochs = (300, 40) if quick else (1000, 100)
    results = {dataset: compare_on(dataset, n, epochs) for dataset in ("moons", "circles")}
    for dataset, result in results.items():
        for key, value in result["accuracy"].items():
            findings[f"{dataset}_{key}"] = value
        findings[f"{dataset}_trained_collapse_difference"] = result["trained_collapse_difference"]
    path = figure_dir("02_linear_collapse") / "decision_boundaries.png"
    plot_boundaries(results, path, resolution=100 if quick else 200, dpi=60 if quick else 100)
    findings["figure"] = str(path)
    return findings


def headline(findings: dict) -> str:
    return (f"linear stack = one layer (max diff {findings['dense_difference']:.0e}); circles: "
            f"linear {findings['circles_linear']:.2f}, logistic {findings['circles_logistic']:.2f}, "
            f"ReLU {findings['circles_relu']:.2f}")


# %% [markdown]
# ## What we saw
# The printed differences between each stack and its collapsed single layer are at the level
# of float64 rounding (relative to the size of the outputs, also printed), for three Dense
# layers, for a deep Dense stack, for two 3x3 convolutions against one 5x5, and for a deep
# convolution stack against one large kernel. No amount of depth adds expressive power
# without a nonlinearity.
#
# On moons and circles the linear stack scores like logistic regression, on the training
# data (where both minimise the same cross-entropy over the same family of straight lines)
# and on held-out data (on circles, near chance: no line separates two rings). The figure
# shows why: its boundary is a straight line, and the trained stack collapses to one Dense
# layer with the same outputs up to float32 rounding. The same network with one ReLU after
# each hidden layer bends its boundary around the data and scores far higher.
#
# ## Try it yourself
# 1. Replace `mn.nn.ReLU` in `compare_on` by `mn.nn.Tanh` or `mn.nn.Identity`: which ones
#    rescue the network, and why does Identity not?
# 2. Give the conv stack `padding=1` in every layer: where do the collapsed and the stacked
#    outputs now disagree, and why only there?
# 3. Set `MINNET_HIDDEN=2`: how narrow can the ReLU network be and still separate the circles?

if __name__ == "__main__":
    findings = main()
    print(f"3 Dense layers vs one:           max diff {findings['dense_difference']:.1e} "
          f"(outputs up to {findings['dense_scale']:.1f})")
    print(f"{findings['deep_dense_layers']} Dense layers vs one:          max diff "
          f"{findings['deep_dense_difference']:.1e} (outputs up to {findings['deep_dense_scale']:.1f})")
    print(f"two 3x3 convs vs one {findings['conv_kernel']}x{findings['conv_kernel']}:      max diff "
          f"{findings['conv_difference']:.1e} (outputs up to {findings['conv_scale']:.1f})")
    print(f"{findings['deep_conv_layers']} 3x3 convs vs one {findings['deep_conv_kernel']}x"
          f"{findings['deep_conv_kernel']}:   max diff {findings['deep_conv_difference']:.1e} "
          f"(outputs up to {findings['deep_conv_scale']:.1f})")
    print("accuracy (training / held-out):")
    for dataset in ("moons", "circles"):
        print(f"  {dataset:8s}" + ", ".join(
            f" {label} {findings[f'{dataset}_{key}_train']:.3f} / {findings[f'{dataset}_{key}']:.3f}"
            for label, key in (("logistic", "logistic"), ("linear stack", "linear"), ("ReLU net", "relu"))))
        print(f"  {'':8s} trained linear stack vs its collapse to one Dense layer: max diff "
              f"{findings[f'{dataset}_trained_collapse_difference']:.1e} (float32)")
    print(f"figure: {findings['figure']}")
