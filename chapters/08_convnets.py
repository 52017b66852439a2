"""Chapter 08: what does a convolution buy over a Dense layer?

We train a small convolutional network and a Dense network with about the same number of
parameters on the 8x8 handwritten digits (and on MNIST's 28x28 digits when its files are in
datasets/), compare accuracy, parameter counts and time per epoch, test both on images
shifted by one pixel, and look inside the convolutional network: its learned filters and the
feature maps they produce.
"""
# %% [markdown]
# **You will learn** what a convolution assumes about images, what those assumptions buy
# against a Dense layer with the same number of parameters, what they cost in time, and what
# a trained convnet's filters look like. **You need** chapter 04 (softmax classifiers on
# digits) and matrix products. **Runs in** about 3 s (2 s in quick mode) on one core,
# longer with MNIST's files present.
#
# ## The question
# A Dense layer connects every pixel to every unit: $y = xW + b$ with $W$ of shape
# (pixels, units). It knows nothing about which pixels are neighbours; shuffle the pixels of
# every image the same way and it learns just as well.
#
# A convolution (minnet's `Conv2D`, strictly a cross-correlation, as in every framework)
# slides one small filter over the image. For output channel $o$ at position $(i, j)$, with
# input channels $c$ and filter offsets $(u, v)$,
#
# $$y_{o,i,j} = b_o + \sum_{c}\sum_{u=0}^{k-1}\sum_{v=0}^{k-1} W_{o,c,u,v}\, x_{c,\,i+u,\,j+v}.$$
#
# Two assumptions are built in:
#
# - *locality*: a $3 \times 3$ filter looks at nine neighbouring pixels, so it can detect a
#   local pattern (an edge, the end of a stroke);
# - *weight sharing*: the same filter is used at every position, so a pattern is detected
#   wherever it appears, and a $3 \times 3$ filter costs nine weights whatever the image size.
#
# `MaxPool2D(2)` keeps the largest response in each $2 \times 2$ window: it halves the
# resolution and makes the output indifferent to where exactly *within the window* the
# pattern was found.
#
# Do these assumptions help when both networks get the same parameter budget? And what does
# `Conv2D` cost in time? minnet's convolution is numpy im2col: each image's $k \times k$ patches
# are copied into the rows of a matrix, and one matrix product with the filters does the
# rest. That copying is work a Dense layer never does, so we measure the time per epoch too.

# %%
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split

import minnet as mn
from chapters._common import Chapter

ch = Chapter("08_convnets")
LEARNING_RATE = 1e-2          # Adam; the same for both networks
BATCH_SIZE = 32
# MNIST is large for a numpy convolution: train on a subsample so the chapter stays fast.
# Raise these (environment variables) to see how far the two networks get on the full set.
MNIST_TRAIN = int(os.environ.get("MINNET_MNIST_TRAIN", "5000"))
MNIST_TEST = int(os.environ.get("MINNET_MNIST_TEST", "2000"))


# %%
# Bookkeeping and drawing, not the lesson: these helpers record findings (what the prose's
# claims and the tests read), print the tables and draw the filters and feature maps.
def report_digits(digits):
    ch.record(dense_hidden=digits["hidden"])
    ch.record(convnet=digits["convnet"], dense=digits["dense"],
              parameter_ratio=digits["convnet"]["parameters"] / digits["dense"]["parameters"],
              time_ratio=digits["convnet"]["seconds_per_epoch"] / digits["dense"]["seconds_per_epoch"])
    ch.table({name: {"parameters": digits[name]["parameters"], "test acc": digits[name]["accuracy"],
                     "shifted 1px": digits[name]["shifted_accuracy"],
                     "s/epoch": digits[name]["seconds_per_epoch"]}
              for name in digits["models"]}, fmt=".3f", key="network")
    ch.print(f"parameter ratio convnet/dense {ch.findings['parameter_ratio']:.2f}; the convnet takes "
             f"{ch.findings['time_ratio']:.1f}x the dense net's time per epoch")


def draw_filters(weights):
    """The first convolution's filters, blue negative and red positive, on one colour scale."""
    limit = np.abs(weights).max()
    figure, axes = plt.subplots(1, len(weights), figsize=(1.4 * len(weights), 1.9), layout="constrained")
    for number, (ax, kernel) in enumerate(zip(axes, weights)):
        image = ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"filter {number}", fontsize="small")
        ax.set_xticks([])
        ax.set_yticks([])
    figure.colorbar(image, ax=axes, shrink=0.8, label="weight")
    figure.suptitle("First-layer 3x3 filters learned on digits")
    return figure


def draw_feature_maps(digit, label, first_maps, second_maps):
    figure = plt.figure(figsize=(11, 4.2), layout="constrained")
    grid = figure.add_gridspec(3, 10)
    panels = [(figure.add_subplot(grid[:, :2]), digit[0], f"input (a {label})", "gray_r")]
    panels += [(figure.add_subplot(grid[0, 2 + n]), m, f"conv 1 #{n}", "viridis")
               for n, m in enumerate(first_maps)]
    panels += [(figure.add_subplot(grid[1 + n // 8, 2 + n % 8]), m, f"conv 2 #{n}", "viridis")
               for n, m in enumerate(second_maps)]
    # one colour scale per layer, so that maps of the same layer can be compared by eye
    top = {"conv 1": first_maps.max(), "conv 2": second_maps.max()}
    for ax, picture, title, cmap in panels:
        layer = title.split(" #")[0]
        shown = ax.imshow(picture, cmap=cmap, vmin=0, vmax=top.get(layer))
        ax.set_title(title, fontsize="small" if title.startswith("input") else "x-small")
        ax.axis("off")
        if title in ("conv 1 #7", "conv 2 #15"):
            figure.colorbar(shown, ax=ax, shrink=0.9, label="ReLU output")
    figure.suptitle("One test digit and its feature maps after each convolution + ReLU (one colour scale per layer)")
    return figure


def report_mnist(mnist):
    ch.record(mnist=mnist)
    if mnist is not None:
        ch.table({name: {"parameters": mnist[name]["parameters"], "test acc": mnist[name]["accuracy"],
                         "shifted 1px": mnist[name]["shifted_accuracy"],
                         "s/epoch": mnist[name]["seconds_per_epoch"]}
                  for name in ("convnet", "dense")}, fmt=".3f", key="MNIST",
                 title=f"MNIST subsample ({MNIST_TRAIN} train, {MNIST_TEST} test images)")


# %% [markdown]
# ## Two networks with the same budget
# On an $8 \times 8$ digit (one channel, so the input has shape $(N, 1, 8, 8)$):
#
# - the convnet: two blocks of [$3 \times 3$ convolution with "same" padding, ReLU,
#   $2 \times 2$ max pooling], with $8$ then $16$ filters, take the image from $8 \times 8$ to
#   $4 \times 4$ to $2 \times 2$; the $16 \cdot 2 \cdot 2 = 64$ features are flattened into a
#   Dense layer that gives one logit per digit;
# - the Dense network: the pixels, one hidden ReLU layer, one logit per digit. We give it
#   the hidden width that makes its parameter count closest to the convnet's.
#
# The MNIST pair is built the same way for $28 \times 28$ inputs ($5 \times 5$ filters without
# padding).

# %%
def count_parameters(model):
    return int(sum(p.data.size for p in model.parameters()))


def convnet(image_size, classes=10):
    """[Conv2D, ReLU, MaxPool2D(2)] x 2, Flatten, Dense.

    3x3 "same" convolutions for 8x8 images, 5x5 valid ones for 28x28.
    """
    kernel, padding = (3, "same") if image_size <= 8 else (5, 0)
    size = image_size
    for _ in range(2):
        size = (size - (0 if padding == "same" else kernel - 1)) // 2   # conv, then 2x2 pooling
    return mn.nn.Sequential(
        mn.nn.Conv2D(1, 8, kernel, padding=padding), mn.nn.ReLU(), mn.nn.MaxPool2D(2),
        mn.nn.Conv2D(8, 16, kernel, padding=padding), mn.nn.ReLU(), mn.nn.MaxPool2D(2),
        mn.nn.Flatten(), mn.nn.Dense(16 * size * size, classes))


def dense_net(pixels, hidden, classes=10):
    """Flatten, Dense(pixels -> hidden), ReLU, Dense(hidden -> classes)."""
    return mn.nn.Sequential(mn.nn.Flatten(), mn.nn.Dense(pixels, hidden, init="he_uniform"),
                            mn.nn.ReLU(), mn.nn.Dense(hidden, classes))


def matching_hidden_width(pixels, budget, classes=10):
    """The hidden width h whose Dense net's parameter count is nearest `budget`.

    The count is pixels*h + h + h*classes + classes.
    """
    return max(1, round((budget - classes) / (pixels + 1 + classes)))


# %%
X, y = mn.datasets.load_digits()
images = X.reshape(-1, 1, 8, 8)                          # NCHW: one grey channel
X_train, X_test, y_train, y_test = train_test_split(images, y, test_size=0.25, random_state=ch.seed)
conv_parameters = count_parameters(convnet(8))
hidden = matching_hidden_width(64, conv_parameters)
ch.print(f"parameters: convnet {conv_parameters}; the dense net with hidden width {hidden} has "
         f"{count_parameters(dense_net(64, hidden))}")

# %% [markdown]
# ## Training and timing
# Both networks get the same optimiser (Adam), learning rate, batch size, epochs and shuffling
# seed. We time each epoch of training on its own (the test-set evaluation after each epoch is
# not in the timing) and report the median.

# %%
def train_and_time(model, X_train, y_train, X_test, y_test, epochs, seed=ch.seed):
    optimizer = mn.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = mn.nn.CrossEntropyLoss()
    curves = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    seconds = []
    for epoch in range(epochs):
        start = time.perf_counter()
        history = mn.fit(model, loss_fn, optimizer, X_train, y_train, epochs=1, batch_size=BATCH_SIZE,
                         metrics=("accuracy",), progress=False, seed=seed + epoch)
        seconds.append(time.perf_counter() - start)
        logits = mn.predict(model, X_test)
        curves["loss"].append(history["loss"][-1])
        curves["accuracy"].append(history["accuracy"][-1])
        curves["val_loss"].append(float(loss_fn(mn.Tensor(logits), y_test).item()))
        curves["val_accuracy"].append(float(np.mean(logits.argmax(axis=1) == y_test)))
    return curves, float(np.median(seconds))


# %%
def accuracy(model, X, y):
    return float(np.mean(mn.predict(model, X).argmax(axis=1) == y))


def shifted(X, pixels=1):
    """Every image moved `pixels` to the right (the left column filled with background)."""
    moved = np.zeros_like(X)
    moved[..., pixels:] = X[..., :-pixels]
    return moved


def compare(X_train, y_train, X_test, y_test, epochs, seed=ch.seed):
    """Train the convnet and its Dense twin on NCHW images; accuracies, parameter counts, times."""
    image_size, pixels = X_train.shape[-1], X_train[0].size
    mn.manual_seed(seed)
    models = {"convnet": convnet(image_size)}
    hidden = matching_hidden_width(pixels, count_parameters(models["convnet"]))
    models["dense"] = dense_net(pixels, hidden)
    results = {"hidden": hidden, "curves": {}, "models": models}
    for name, model in models.items():
        mn.manual_seed(seed)                       # same shuffling for both
        curves, seconds = train_and_time(model, X_train, y_train, X_test, y_test, epochs, seed)
        results["curves"][name] = curves
        results[name] = {"parameters": count_parameters(model),
                         "accuracy": curves["val_accuracy"][-1],
                         "shifted_accuracy": accuracy(model, shifted(X_test), y_test),
                         "seconds_per_epoch": seconds}
    return results


# %%
digits = compare(X_train, y_train, X_test, y_test, ch.pick(full=15, quick=4), ch.seed)
models = digits["models"]
report_digits(digits)
ch.show(mn.plot.training_curves(digits["curves"]), "training_curves")

# %% [markdown]
# ## Looking inside: filters and feature maps
# The first convolution's filters are $3 \times 3$ weight patterns, one per output channel; blue is a
# negative weight, red a positive one. Each filter's *feature map* is its response at every
# position of one image (after the ReLU): where in the digit that pattern occurs.

# %%
model = models["convnet"]
weights = model[0].weight.data[:, 0]                      # (8, 3, 3): the first conv's filters
ch.show(draw_filters(weights), "filters")

# %%
digit, label = X_test[0], int(y_test[0])
outputs = mn.diagnostics.layer_outputs(model, digit[None], layer_types=mn.nn.ReLU)
first_maps, second_maps = (maps[0] for maps in outputs.values())
ch.show(draw_feature_maps(digit, label, first_maps, second_maps), "feature_maps")

# %% [markdown]
# ## MNIST, if you have it
# The $8 \times 8$ digits are tiny; MNIST's $28 \times 28$ digits are where convolutions made
# their name. minnet
# does not download anything by itself: put the four gzipped IDX files in datasets/mnist/ (or
# run `mn.datasets.download_mnist()` once) and this part runs on a subsample.

# %%
def mnist_comparison(epochs, seed=ch.seed):
    try:
        X_train, y_train = mn.datasets.load_mnist(split="train")
        X_test, y_test = mn.datasets.load_mnist(split="test")
    except FileNotFoundError as error:
        # the error names this machine's folders; a page should not
        ch.print("MNIST part skipped: its files are not in datasets/mnist/ (see the cell above)")
        return None
    X_train = X_train[:MNIST_TRAIN].reshape(-1, 1, 28, 28)
    X_test = X_test[:MNIST_TEST].reshape(-1, 1, 28, 28)
    results = compare(X_train, y_train[:MNIST_TRAIN], X_test, y_test[:MNIST_TEST], epochs, seed)
    del results["models"], results["curves"]
    return results


mnist = None if ch.quick else mnist_comparison(epochs=3)
report_mnist(mnist)

# %% [markdown]
# ## What we saw
# The table gives both networks' test accuracy, parameter count and median time per epoch.
# With the same parameter budget (the printed counts) both networks learn the digits well;
# the convnet (the design of LeCun et al. 1998) does not need to spend its parameters on
# "pixel 37 talks to unit 5": its first layer has only eight filters of nine weights, reused
# at every position.
#
# Shifting the test digits by one pixel hurts both networks badly: on an $8 \times 8$ image one
# pixel is an eighth of the width, and a stroke that moves by one pixel often crosses the
# border of a $2 \times 2$ pooling window, which pooling does not forgive. The convnet still
# keeps more of its accuracy than the Dense network, which learned each pixel's role by
# position, while the convnet's filters fire wherever the stroke is. Weight sharing makes
# the convolution layers' responses move with the image (they are *equivariant* to shifts);
# the Dense layer on top, which reads the pooled maps by position, is not. Invariance to
# small shifts has to be learned, for example by training on shifted copies (data
# augmentation, as LeCun et al. 1998 did).
#
# The price is time. Per parameter, a convolution does far more arithmetic (each filter is
# applied at every position) and im2col (Chellapilla et al. 2006) copies every patch before
# the matrix product, so the printed time ratio shows the convnet several times slower per
# epoch than the Dense net of the same size, in numpy on a CPU (on larger images the gap
# grows, because the number of positions each filter visits grows with the image). GPUs and
# libraries such as cuDNN exist because of exactly this cost (Chetlur et al. 2014).
#
# The training curves (dashed: the held-out test set) show both networks reaching high
# accuracy within a few epochs.
#
# The filters figure shows small edge and stroke detectors (a positive row next to a negative
# one responds to a horizontal edge); the feature maps show where in the digit each detector
# fires, and the second layer combining them at a coarser resolution.

# %%
conv, dense = ch.findings["convnet"], ch.findings["dense"]
ch.headline = (f"digits: convnet {conv['accuracy']:.3f} ({conv['parameters']} params), dense "
               f"{dense['accuracy']:.3f} ({dense['parameters']}); convnet {ch.findings['time_ratio']:.1f}x "
               f"slower per epoch")
ch.claims({
    "both networks learn the digits well": lambda f: min(f["convnet"]["accuracy"], f["dense"]["accuracy"]) > 0.9,
    "With the same parameter budget": lambda f: abs(f["parameter_ratio"] - 1) < 0.05,
    "Shifting the test digits by one pixel hurts both networks badly":
        lambda f: all(f[n]["accuracy"] - f[n]["shifted_accuracy"] > 0.2 for n in ("convnet", "dense")),
    "The convnet still keeps more of its accuracy than the Dense network":
        lambda f: f["convnet"]["shifted_accuracy"] > f["dense"]["shifted_accuracy"],
    "the convnet several times slower per epoch": lambda f: f["time_ratio"] > 2,
})

# %% [markdown]
# ## Exercises
# 1. Shuffle the pixels of every image with one fixed permutation (`perm =
#    np.random.permutation(64)`; `X[:, perm]`) before reshaping. Which network's accuracy
#    survives?
# 2. Train both networks on the training digits *and* their copies shifted by one pixel
#    (`np.concatenate([X_train, shifted(X_train)])`). How do the shifted-test accuracies
#    change?
# 3. Replace `MaxPool2D(2)` by `AvgPool2D(2)`. How do accuracy and the shifted-image accuracy
#    change?

# %% [markdown]
# <details><summary>Solutions</summary>
#
# 1. The Dense net's does: a fixed permutation of its inputs is just a permutation of its
#    first weight matrix's rows, which it learns as easily. The convnet's locality assumption
#    is broken (neighbouring pixels are no longer neighbours), and its accuracy falls.
# 2. Both gain on the shifted test digits, since shifts are now part of what they learned;
#    augmentation is how invariance is usually obtained.
# 3. Average pooling keeps a mean over the window rather than its peak, so a stroke that
#    moves within a window changes its output a little instead of not at all; compare both
#    columns of the table with the max-pooling run.
#
# </details>

# %% [markdown]
# ## References
# - Fukushima, K. (1980). Neocognitron: a self-organizing neural network model for a mechanism
#   of pattern recognition unaffected by shift in position. Biological Cybernetics 36, 193-202.
#   https://doi.org/10.1007/BF00344251
# - LeCun, Y., Bottou, L., Bengio, Y. and Haffner, P. (1998). Gradient-based learning applied
#   to document recognition. Proceedings of the IEEE 86(11), 2278-2324. https://doi.org/10.1109/5.726791
# - Chellapilla, K., Puri, S. and Simard, P. (2006). High performance convolutional neural
#   networks for document processing (convolution as im2col and one matrix product).
#   https://inria.hal.science/inria-00112631
# - Chetlur, S. et al. (2014). cuDNN: efficient primitives for deep learning.
#   https://arxiv.org/abs/1410.0759
# - Zeiler, M. D. and Fergus, R. (2014). Visualizing and understanding convolutional networks.
#   https://arxiv.org/abs/1311.2901
