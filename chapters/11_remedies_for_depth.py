"""Chapter 11: what makes a deep network trainable again?

Chapters 03 and 05 ended with two deep networks stuck at chance on the digits: 20 sigmoid
layers, whose gradient vanishes, and 30 ReLU layers with Xavier weights, whose signal fades.
We train both again with the three standard remedies (BatchNorm, residual connections and
LayerNorm), watch every layer's gradient during training, and find out which remedy rescues
which network, and why one of them makes the ReLU network explode.
"""
# %% [markdown]
# **You will learn** how BatchNorm, residual connections and LayerNorm change a deep
# stack, which of them rescue the deep sigmoid and ReLU networks of chapters 03 and 05, and
# why one of them makes a ReLU stack explode. **You need** chapter 03 and chapter 05.
# **Runs in** about 40 s (7 s in quick mode) on one core.
#
# ## The question
# A deep stack of layers multiplies one factor per layer, forwards (the signal) and
# backwards (the gradient); chapters 03 and 05 showed what a factor below $1$ does over many
# layers. Three remedies change the stack itself rather than its weights:
#
# - **BatchNorm** (Ioffe & Szegedy 2015) standardises every unit *over the batch* $B$:
#   $$\hat z = \frac{z - \mu_B(z)}{\sqrt{\sigma_B^2(z) + \epsilon}}, \qquad y = \gamma \hat z + \beta.$$
#   Whatever the weights did to the scale of $z$, each unit leaves with differences between
#   the images of size $1$. In eval mode it uses running averages of $\mu_B$ and $\sigma_B^2$.
# - **Residual connections** (He et al. 2016) add the input back: $x_{l+1} = x_l + f(x_l)$.
#   The Jacobian is $I + \partial f/\partial x_l$, so the gradient has a path through every
#   block that multiplies by nothing at all; the blocks learn corrections to the identity.
# - **LayerNorm** (Ba et al. 2016) standardises every sample *over its units* $u$:
#   $(z - \mu_u(z)) / \sqrt{\sigma_u^2(z) + \epsilon}$. It needs no batch, so it works the same
#   in training and in evaluation (and in recurrent networks and transformers, where it is
#   the norm).
#
# The setup is a PyTorch reference run's (benchmarks/reference_remedies_torch.py): the
# digits (pixels divided by $16$), `WIDTH` units per layer, SGD with learning rate
# `LEARNING_RATE`, batches of `BATCH`, and training accuracy measured on all digits in eval
# mode after training. The reference ran three seeds for the full number of epochs; the full
# run here does the same, and quick mode runs one seed for a third of the epochs. Every epoch
# runs over the first `ROWS` digits, whole batches only: a last batch of the few remaining
# digits would give BatchNorm statistics of a handful of samples (and its running averages
# with them), so the reference run leaves it out, and so do we.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import minnet as mn
from chapters._common import Chapter

ch = Chapter("11_remedies_for_depth")
WIDTH, LEARNING_RATE, BATCH, ROWS = 64, 0.1, 128, 1792
NETS = {"sigmoid": dict(depth=20, activation=mn.nn.Sigmoid, init="xavier_uniform"),     # chapter 03
        "ReLU": dict(depth=30, activation=mn.nn.ReLU, init="xavier_normal")}           # chapter 05
VARIANTS = ("plain", "BatchNorm", "residual", "LayerNorm")
EPOCHS = ch.pick(full=21, quick=7)             # 14 steps each: 294 steps (quick: 98)
SEEDS = ch.pick(full=(0, 1, 2), quick=(0,))
# benchmarks/reference_remedies_torch.py on the same setup (torch 2.13, 294 steps, seeds 0-2):
# mean training accuracy; "diverged" where the loss became NaN
PYTORCH = {("sigmoid", "plain"): "0.102", ("sigmoid", "BatchNorm"): "0.999", ("sigmoid", "residual"): "0.924",
           ("sigmoid", "LayerNorm"): "0.101", ("ReLU", "plain"): "0.102", ("ReLU", "BatchNorm"): "0.876",
           ("ReLU", "residual"): "diverged", ("ReLU", "LayerNorm"): "0.101",
           ("ReLU", "residual, scaled"): "0.968"}

# %%
class Scale(mn.nn.Module):
    """y = factor * x: a fixed multiplier at the end of a residual branch."""

    def __init__(self, factor):
        self.factor = factor

    def forward(self, x):
        return x * self.factor


def deep_net(net, variant):
    """`depth` hidden layers of WIDTH units and a Dense(WIDTH -> 10) output, as `variant` says.

    plain:      Dense, f                       BatchNorm / LayerNorm: Dense, norm, f
    residual:   x + f(Dense(x))                residual, scaled:      x + f(Dense(x)) / sqrt(depth)
    The 64 pixels already have the width, so even the first hidden layer can be a residual block.
    """
    depth, activation, init = NETS[net]["depth"], NETS[net]["activation"], NETS[net]["init"]
    layers = []
    for _ in range(depth):
        if variant.startswith("residual"):
            branch = [mn.nn.Dense(WIDTH, WIDTH, init=init), activation()]
            if variant == "residual, scaled":
                branch.append(Scale(1 / math.sqrt(depth)))
            layers.append(mn.nn.Residual(mn.nn.Sequential(*branch)))
            continue
        layers.append(mn.nn.Dense(WIDTH, WIDTH, init=init))
        if variant == "BatchNorm":
            layers.append(mn.nn.BatchNorm1D(WIDTH))
        elif variant == "LayerNorm":
            layers.append(mn.nn.LayerNorm(WIDTH))
        layers.append(activation())
    layers.append(mn.nn.Dense(WIDTH, 10, init=init))
    return mn.nn.Sequential(*layers)


# %%
X, y = mn.datasets.load_digits()
ch.print(f"{len(y)} digits of {X.shape[1]} pixels in [0, 1]; {EPOCHS} epochs of {ROWS // BATCH} batches "
         f"of {BATCH} = {EPOCHS * (ROWS // BATCH)} SGD steps at lr {LEARNING_RATE}; seeds {SEEDS}")

# %%
# Bookkeeping and drawing, not the lesson: these helpers record findings (what the prose's
# claims and the tests read), print the tables and draw the heatmaps of gradient norms.
def summary(key):
    values = [a for a in accuracy[key] if a is not None]
    diverged = len(accuracy[key]) - len(values)
    return {"minnet mean": float(np.mean(values)) if values else float("nan"),
            "seeds": " ".join(f"{a:.3f}" if a is not None else "NaN" for a in accuracy[key]),
            "diverged": f"{diverged} of {len(SEEDS)}",
            "PyTorch mean, 294 steps": PYTORCH[tuple(key.split(", ", 1))]}


def report_training(accuracy, errors):
    ch.record(accuracy=accuracy, epochs=EPOCHS, seeds=list(SEEDS),
              diverged={key: sum(a is None for a in values) for key, values in accuracy.items()})
    ch.table({key: summary(key) for key in accuracy}, fmt=".3f", key="net, variant",
             title=f"training accuracy after {EPOCHS * (ROWS // BATCH)} steps (chance 0.10)")
    first_error = next(e for e in errors["ReLU, residual"] if e)
    ch.print(f"ReLU, residual: {first_error}")


def heatmaps(keys, title):
    rows = len(keys) // 2               # one column per net, one row per variant
    figure, axes = plt.subplots(rows, 2, figsize=(8.4, 2.6 * rows), layout="constrained", squeeze=False)
    total_steps = EPOCHS * (ROWS // BATCH)
    for i, key in enumerate(keys):
        ax = axes[i % rows, i // rows]
        grid = np.log10(np.maximum(np.stack(list(norms[key].values())), 1e-30))
        # a run stopped after one recorded step gets a column wide enough to see
        spacing = steps[key][1] - steps[key][0] if len(steps[key]) > 1 else max(2, total_steps // 40)
        edges = np.append(steps[key], steps[key][-1] + spacing)
        image = ax.pcolormesh(edges, np.arange(len(grid) + 1) + 0.5, grid, cmap="viridis", vmin=-8, vmax=5)
        ax.set_xlim(0, total_steps)
        stopped = f" (NaN after step {steps[key][-1]})" if errors[key][0] else ""
        ax.set_title(key + stopped, fontsize="small")
        if errors[key][0]:
            ax.text(0.55, 0.5, f"gradient norms {10 ** grid.min():.0e}\nto {10 ** grid.max():.0e}, then NaN",
                    transform=ax.transAxes, ha="center", va="center", fontsize="small")
        ax.set_xlabel("step")
        if i < rows:
            ax.set_ylabel("Dense layer (input at the bottom)")
    figure.colorbar(image, ax=axes, label="log10 gradient norm (clipped to [-8, 5])")
    figure.suptitle(title)
    return figure


def report_first_last(norms):
    first_last = {key: {"first layer, step 1": layer_norms[1][0], "first layer, last step": layer_norms[1][-1],
                        "output layer, step 1": layer_norms[len(layer_norms)][0]}
                  for key, layer_norms in norms.items()}
    ch.record(first_last=first_last)
    ch.table(first_last, fmt=".2e", key="net, variant", title="gradient norms of the first and the output layer")


def report_spreads(spread, size):
    ch.record(relative_spread=spread, top_rms=size)
    ch.table({key: {"spread between images / size": spread[key], "size (rms)": size[key]} for key in spread},
             fmt=".2e", key="net, variant (at initialisation)")


def report_scaled(growth, accuracy, key):
    ch.record(growth=growth, accuracy=accuracy)
    ch.table({key: summary(key)}, fmt=".3f", key="net, variant")


# %% [markdown]
# ## Training every variant
# Each run records every Dense layer's gradient norm during training with
# `mn.callbacks.GradientNormRecorder` (on the first seed). A run whose loss becomes NaN is
# stopped by fit's guard; we catch the error and keep its message.

# %%
def dense_norms(model, recorder):
    """{Dense layer number from the input (1, 2, ...): gradient norms over the recorded steps}."""
    names = [name for name, module in model.named_modules() if isinstance(module, mn.nn.Dense)]
    return {number: np.array(recorder.norms[name]) for number, name in enumerate(names, start=1)}


def train(net, variant, seed, every=2):
    """(accuracy on all digits, None) or (None, fit's error message); the gradient norms
    (recorded at every `every`-th step, on the first seed only: recording costs time)."""
    mn.manual_seed(seed)
    model = deep_net(net, variant)
    recorder = mn.callbacks.GradientNormRecorder(every=every if seed == SEEDS[0] else 10 ** 9)
    try:
        mn.fit(model, mn.nn.CrossEntropyLoss(), mn.optim.SGD(model.parameters(), lr=LEARNING_RATE),
               X[:ROWS], y[:ROWS], epochs=EPOCHS, batch_size=BATCH, progress=False, seed=seed,
               callbacks=[recorder])
    except FloatingPointError as error:
        return None, str(error), dense_norms(model, recorder), recorder.steps, model
    accuracy = float(np.mean(mn.predict(model, X).argmax(axis=1) == y))
    return accuracy, None, dense_norms(model, recorder), recorder.steps, model


# %%
accuracy, errors, norms, steps, models = {}, {}, {}, {}, {}
for net in NETS:
    for variant in VARIANTS:
        key = f"{net}, {variant}"
        accuracy[key], errors[key] = [], []
        for seed in SEEDS:
            result, error, layer_norms, recorded_steps, model = train(net, variant, seed)
            accuracy[key].append(result)
            errors[key].append(error)
            if seed == SEEDS[0]:
                norms[key], steps[key], models[key] = layer_norms, recorded_steps, model
report_training(accuracy, errors)

# %% [markdown]
# ## The gradient of every layer, during training
# One panel per network and variant (first seed): the colour is the gradient norm of each
# Dense layer's weights (rows, input at the bottom) at each recorded step (columns), on a log
# scale. Chapter 03 measured only the first column.

# %%
ch.show(heatmaps([f"{net}, {variant}" for net in NETS for variant in VARIANTS],
                 "Gradient norm of each layer during training (first seed)"),
        "gradient_norms_during_training")
report_first_last(norms)

# %% [markdown]
# ## Why BatchNorm rescues the sigmoid net and LayerNorm does not
# Chapter 03 found that a deep sigmoid net sends every image to the same vector at the top.
# We measure, at initialisation, how much the last hidden layer's output differs between a
# batch of images relative to its size: the spread over the images, averaged over units, divided by
# the root mean square of the output. (BatchNorm in training mode, with batch statistics.)

# %%
def top_of_stack(model, X):
    """The last hidden layer's output (everything before the output layer), with no graph."""
    with mn.no_grad():
        x = mn.Tensor(X)
        for layer in list(model)[:-1]:
            x = layer(x)
    return x.data.astype(np.float64)


def relative_spread(hidden):
    return float(hidden.std(axis=0).mean() / np.sqrt(np.mean(hidden ** 2)))


# %%
spread, size = {}, {}
for net in NETS:
    for variant in VARIANTS:
        mn.manual_seed(SEEDS[0])
        hidden = top_of_stack(deep_net(net, variant), X[:256])
        spread[f"{net}, {variant}"] = relative_spread(hidden)
        size[f"{net}, {variant}"] = float(np.sqrt(np.mean(hidden ** 2)))
report_spreads(spread, size)

# %% [markdown]
# ## Why the residual ReLU stack explodes, and a fix
# $x + \mathrm{relu}(Wx)$ adds a non-negative vector to $x$ at every block, and $x$ itself is
# non-negative (pixels and ReLU outputs), so nothing cancels:
#
# $$\mathbb{E}\,\|x_{l+1}\|^2 = \mathbb{E}\,\|x_l\|^2 + 2\,\mathbb{E}\big[x_l^\top \mathrm{relu}(W x_l)\big] + \mathbb{E}\,\|\mathrm{relu}(W x_l)\|^2,$$
#
# where with Xavier weights the last term is about half of $\mathbb{E}\|x_l\|^2$ and the cross
# term is positive too. The second moment grows by a fixed factor per block, geometrically
# over the $L$ blocks. We follow the root mean square of $x$ through the stack at
# initialisation, with and without the branch multiplied by $1/\sqrt{L}$ (a fixed version of
# the small branch scale of SkipInit and ReZero,
# and of Fixup's scaled-down branches), and train the scaled stack like the others.

# %%
def rms_through_stack(model, X):
    values = [float(np.sqrt(np.mean(X.astype(np.float64) ** 2)))]
    with mn.no_grad():
        x = mn.Tensor(X)
        for layer in list(model)[:-1]:
            x = layer(x)
            values.append(float(np.sqrt(np.mean(x.data.astype(np.float64) ** 2))))
    return values


# %%
growth = {}
for variant in ("residual", "residual, scaled"):
    mn.manual_seed(SEEDS[0])
    rms = rms_through_stack(deep_net("ReLU", variant), X[:256])
    growth[variant] = {"input rms": rms[0], "after block 10": rms[10], "after block 30": rms[-1],
                       "second moment factor per block": (rms[-1] / rms[0]) ** (2 / (len(rms) - 1))}
ch.table(growth, fmt=".3g", key="ReLU stack at initialisation")

# %%
key = "ReLU, residual, scaled"
accuracy[key], errors[key] = [], []
for seed in SEEDS:
    result, error, layer_norms, recorded_steps, model = train("ReLU", "residual, scaled", seed)
    accuracy[key].append(result)
    errors[key].append(error)
    if seed == SEEDS[0]:
        norms[key], steps[key] = layer_norms, recorded_steps
report_scaled(growth, accuracy, key)

# %% [markdown]
# ## What we saw
# **Remedies are not magic.** On the sigmoid net BatchNorm is the clear winner and the
# residual connections come second; LayerNorm leaves it at chance, like the plain net. On the
# ReLU net with Xavier weights BatchNorm learns, the plain and LayerNorm nets stay near
# chance, and the residual stack does worse than nothing: its loss becomes NaN within the
# first epoch (fit's message is printed under the table). The PyTorch column comes from a
# full-length run of three seeds; when this run is as long as that one (the full run, not
# quick mode), every variant lands in the same class as in PyTorch: learns, stays at chance
# or diverges. Quick mode trains a third as long, so its accuracies sit below PyTorch's.
#
# The heatmaps show where the gradient went. In the plain sigmoid net the lower rows are dark
# from the first step to the last: the first layer's gradient is many orders of magnitude
# below the output layer's, and training never changes that. BatchNorm and the residual
# connections light up every row. The two LayerNorm panels fail differently: in the sigmoid
# net the gradient never reaches the lower layers, while in the ReLU net it does at first (the
# first layer's gradient at step 1 is comparable to the output layer's) and then, within the
# run, drops to a small fraction of that, while the loss stays near $\ln 10$. A picture of the
# gradient at initialisation alone would have called that network healthy.
#
# The spread table says why. At the top of the plain sigmoid stack the images differ by a
# vanishing fraction of the output's size: every digit gives the same vector. LayerNorm
# standardises each image's vector over its units, which rescales that common vector but
# leaves the differences between images just as small relative to it. BatchNorm standardises
# each unit over the batch: subtracting the batch mean removes exactly the part all images
# share, and dividing by the spread over the batch blows their differences back up to size
# one, at every layer. That is what the output layer, and the gradient, need. The residual
# connections carry the input itself up the stack, so the images stay apart too.
#
# The residual ReLU stack explodes for the reason given above its table: the measured second
# moment grows by a factor of about $2$ per block, so after the last block the hidden layer's
# output is tens of thousands in size, the first step's gradient is enormous, and one step
# throws the weights out of range. Multiplying each branch by $1/\sqrt{L}$ for $L$ blocks keeps
# the growth per block close to $1$, and the same residual stack then learns (its row in the
# last table). Fixup (Zhang et al. 2019) does the same with initialisation alone: the last
# layer of each branch starts at zero and the others are scaled down with depth. Putting a
# normalisation inside each branch is the other common fix: that is what ResNets do with
# BatchNorm, and transformers with LayerNorm.

# %%
ch.headline = ("mean accuracy, sigmoid: " + ", ".join(f"{v} {np.mean(accuracy['sigmoid, ' + v]):.2f}"
                                                       for v in VARIANTS) + "; ReLU residual diverges, "
               f"scaled {np.mean(accuracy[key]):.2f}")


def mean_accuracy(f, key):
    runs = f["accuracy"][key]
    return None if any(a is None for a in runs) else sum(runs) / len(runs)


def outcome(accuracy):
    return "diverged" if accuracy is None else "learns" if accuracy > 0.5 else "chance" if accuracy < 0.2 else "?"


PYTORCH_OUTCOME = {", ".join(key): outcome(None if value == "diverged" else float(value)) for key, value in PYTORCH.items()}
full_length = lambda f: f["epochs"] == 21 and len(f["seeds"]) == 3              # noqa: E731
ch.claims({
    "On the sigmoid net BatchNorm is the clear winner and the residual connections come second":
        lambda f: mean_accuracy(f, "sigmoid, BatchNorm") > mean_accuracy(f, "sigmoid, residual") + 0.02
        and mean_accuracy(f, "sigmoid, residual") > 0.5,
    "LayerNorm leaves it at chance, like the plain net":
        lambda f: max(mean_accuracy(f, "sigmoid, LayerNorm"), mean_accuracy(f, "sigmoid, plain")) < 0.2,
    "BatchNorm learns, the plain and LayerNorm nets stay near chance":
        lambda f: mean_accuracy(f, "ReLU, BatchNorm") > 0.5
        and max(mean_accuracy(f, "ReLU, plain"), mean_accuracy(f, "ReLU, LayerNorm")) < 0.2,
    "its loss becomes NaN within the first epoch": lambda f: f["diverged"]["ReLU, residual"] == len(f["seeds"]),
    "every variant lands in the same class as in PyTorch":
        lambda f: not full_length(f) or all(outcome(mean_accuracy(f, key)) == PYTORCH_OUTCOME[key] for key in PYTORCH_OUTCOME),
    "Quick mode trains a third as long, so its accuracies sit below PyTorch's":
        lambda f: full_length(f) or all(mean_accuracy(f, key) <= float(PYTORCH[tuple(key.split(", ", 1))]) + 0.01
                                        for key in PYTORCH_OUTCOME if PYTORCH_OUTCOME[key] == "learns"),
    "the first layer's gradient is many orders of magnitude below the output layer's, and training never "
    "changes that":
        lambda f: all(f["first_last"]["sigmoid, plain"][column] < 1e-6 * f["first_last"]["sigmoid, plain"]["output layer, step 1"]
                      for column in ("first layer, step 1", "first layer, last step")),
    "in the sigmoid net the gradient never reaches the lower layers":
        lambda f: f["first_last"]["sigmoid, LayerNorm"]["first layer, last step"]
        < 1e-4 * f["first_last"]["sigmoid, LayerNorm"]["output layer, step 1"],
    "the first layer's gradient at step 1 is comparable to the output layer's":
        lambda f: 0.1 < f["first_last"]["ReLU, LayerNorm"]["first layer, step 1"]
        / f["first_last"]["ReLU, LayerNorm"]["output layer, step 1"] < 10,
    "drops to a small fraction of that":
        lambda f: f["first_last"]["ReLU, LayerNorm"]["first layer, last step"]
        < 0.1 * f["first_last"]["ReLU, LayerNorm"]["first layer, step 1"],
    "At the top of the plain sigmoid stack the images differ by a vanishing fraction of the output's size":
        lambda f: f["relative_spread"]["sigmoid, plain"] < 1e-6,
    "leaves the differences between images just as small relative to it":
        lambda f: f["relative_spread"]["sigmoid, LayerNorm"] < 1e-6,
    "blows their differences back up to size one":
        lambda f: f["relative_spread"]["sigmoid, BatchNorm"] > 0.1 and f["relative_spread"]["ReLU, BatchNorm"] > 0.1,
    "the images stay apart too": lambda f: f["relative_spread"]["sigmoid, residual"] > 1e-3,
    "the measured second moment grows by a factor of about $2$ per block":
        lambda f: 1.6 < f["growth"]["residual"]["second moment factor per block"] < 2.5,
    "output is tens of thousands in size": lambda f: 1e4 <= f["top_rms"]["ReLU, residual"] < 1e6,
    "keeps the growth per block close to $1$, and the same residual stack then learns":
        lambda f: f["growth"]["residual, scaled"]["second moment factor per block"] < 1.3
        and mean_accuracy(f, "ReLU, residual, scaled") > 0.5,
})

# %% [markdown]
# ## Exercises
# 1. Add `"residual, BatchNorm"` as a variant whose branch is Dense, BatchNorm1D, activation.
#    Does it beat plain BatchNorm on the ReLU net?
# 2. Zero-initialise instead of scaling: a branch `Dense, ReLU, Dense(init="zeros")`. The net
#    starts as a shallow one, yet every branch gets the same gradient at the first step. What
#    happens at learning rate $0.1$, and at $0.01$?
# 3. Count the dead ReLU units of the LayerNorm ReLU net after training with
#    `mn.callbacks.ActivationStatisticsRecorder` (chapter 07): is that where its gradient went?

# %% [markdown]
# <details><summary>Solutions</summary>
#
# 1. The normalisation inside the branch keeps each branch's output at size one, so the
#    second moment grows by about $1 + 1$ per block only if the branches add coherently;
#    measure its growth factor as in the last cell before training, then compare accuracies.
# 2. With the last layer of every branch at zero the stack starts as the identity, so the
#    forward pass cannot explode; the first step moves only the zero layers, and learning
#    proceeds like Fixup's.
# 3. Record the statistics every epoch and look at the "dead" fraction per layer: a growing
#    dead fraction in the lower layers means the gradient stopped there.
#
# </details>

# %% [markdown]
# ## References
# - Ioffe, S. and Szegedy, C. (2015). Batch normalization: accelerating deep network training
#   by reducing internal covariate shift. ICML. https://arxiv.org/abs/1502.03167
# - He, K., Zhang, X., Ren, S. and Sun, J. (2016). Deep residual learning for image
#   recognition. CVPR. https://arxiv.org/abs/1512.03385
# - Ba, J. L., Kiros, J. R. and Hinton, G. E. (2016). Layer normalization.
#   https://arxiv.org/abs/1607.06450
# - Zhang, H., Dauphin, Y. N. and Ma, T. (2019). Fixup initialization: residual learning
#   without normalization. ICLR. https://arxiv.org/abs/1901.09321
# - De, S. and Smith, S. L. (2020). Batch normalization biases residual blocks towards the
#   identity function in deep networks (SkipInit). NeurIPS. https://arxiv.org/abs/2002.10444
# - Bachlechner, T., Majumder, B. P., Mao, H. H., Cottrell, G. W. and McAuley, J. (2021).
#   ReZero is all you need: fast convergence at large depth. UAI. https://arxiv.org/abs/2003.04887
# - Glorot, X. and Bengio, Y. (2010). Understanding the difficulty of training deep
#   feedforward neural networks. AISTATS. https://proceedings.mlr.press/v9/glorot10a.html
