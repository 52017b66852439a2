"""Chapter 07: do ReLU units really die, and what keeps them alive?

We push a ReLU network into the two situations known to kill ReLU units (biases shifted
negative, a learning rate that is too large), count the units that output zero for every
input as training goes on, and compare LeakyReLU, PReLU and ELU in the same situations;
we measure the common tip of a small positive bias (0.1) instead of taking it on trust,
and count the exact zeros that make ReLU's representations sparse.
"""
# %% [markdown]
# **You will learn** what a dead ReLU unit is, the two ways units die, which of them a
# small positive bias or a leaky activation prevents, and why ReLU outputs are sparse.
# **You need** chapter 03 (gradients through layers) and chapter 05 (He initialisation).
# **Runs in** about 3 s (1.5 s in quick mode) on one core.
#
# ## The question
# $\mathrm{ReLU}(z) = \max(0, z)$ has derivative $0$ for $z < 0$. A unit whose pre-activation
# $z$ is negative for *every* input outputs $0$ for every input and passes no gradient back,
# so its incoming weights and its bias get zero gradient: the unit is **dead**. Whether it
# stays dead depends on where it sits. A unit of the first layer sees the data itself, which
# never changes, so under plain gradient descent (no momentum left over, no weight decay) it
# is dead for good. A unit of a later layer sees the outputs of the layers before it, and
# those keep learning: its own weights are frozen, but its inputs move, and one day they may
# push its pre-activation above zero for some example. We show both below. Two ways to get
# there:
#
# - the biases start (or are knocked) far below zero, so $z < 0$ everywhere;
# - one large step (a learning rate that is too big) throws the weights and bias of a unit
#   to where $z < 0$ for all the data.
#
# Both are described in Stanford's CS231n notes (Karpathy 2016) and analysed by Lu et al.
# (2019). The usual fixes: a nonlinearity with a non-zero slope for $z < 0$ (LeakyReLU,
# $f(z) = \max(z, az)$ with $a = 0.01$, Maas et al. 2013; PReLU, the same with $a$ learned,
# He et al. 2015; ELU, $f(z) = \alpha(e^z - 1)$ for $z < 0$, Clevert et al. 2015), or a small
# positive bias such as $b = 0.1$ so that units start active (Goodfellow et al. 2016, section
# 6.3.1). `mn.diagnostics.activation_statistics` reports, for every activation layer, the
# fraction of units that are zero for every sample of a batch ("dead") and the fraction of
# exact zeros among all outputs ("zeros").
#
# A LeakyReLU unit can never be dead in that sense (its output is $0.01z$, not $0$), but it
# can be negative for every input. So we also count, from the Dense layers' outputs, the
# units whose **pre-activation is negative for every input**: for ReLU that is the same as
# dead; for the others it says how many units live on their small negative branch.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minnet as mn
from chapters._common import Chapter

ch = Chapter("07_dead_relu")
WIDTH, DEPTH = 64, 3               # three hidden layers of 64 units on the 64 pixels of a digit
NEGATIVE_SHIFT = -1.0              # starting bias of every hidden unit in the "shifted" runs
POSITIVE_BIAS = 0.1                # Goodfellow et al. (2016), section 6.3.1
ACTIVATIONS = {"ReLU": lambda: mn.nn.ReLU(),
               "LeakyReLU": lambda: mn.nn.LeakyReLU(0.01),
               "PReLU": lambda: mn.nn.PReLU(num_parameters=WIDTH, init=0.25),   # one slope per unit
               "ELU": lambda: mn.nn.ELU()}


def constant_bias(value):
    """An init callable: every bias starts at `value`."""
    return lambda parameter: mn.init.constant(parameter.shape, value, dtype=parameter.dtype)


def network(activation, bias=0.0):
    """[Dense(-> 64, He init, biases = bias), activation] * 3, Dense(64 -> 10)."""
    layers, fan_in = [], 64
    for _ in range(DEPTH):
        layers += [mn.nn.Dense(fan_in, WIDTH, init="he_normal", bias_init=constant_bias(bias)),
                   ACTIVATIONS[activation]()]
        fan_in = WIDTH
    layers.append(mn.nn.Dense(fan_in, 10))
    return mn.nn.Sequential(*layers)


# %%
# Bookkeeping and drawing, not the lesson: these helpers record findings (what the prose's
# claims and the tests read), print the results and draw the figures.
def report_demo(before, after, second_before, second):
    ch.record(demo_dead_before=bool(np.all(before <= 0)), demo_alive_after=int(np.sum(after > 0)),
              demo_second_layer_unchanged=bool(np.array_equal(second_before[0], second.weight.data)
                                               and np.array_equal(second_before[1], second.bias.data)))
    ch.print(f"layer-2 unit before: positive on {int(np.sum(before > 0))} of {len(X)} digits (dead); "
             f"after layer 1 changed: positive on {ch.findings['demo_alive_after']} digits; "
             f"its own weights unchanged: {ch.findings['demo_second_layer_unchanged']}")


def draw_revival(pre_before, pre_after):
    figure, ax = plt.subplots(figsize=(6.4, 3.2), layout="constrained")
    bins = np.linspace(min(pre_before.min(), pre_after.min()), max(pre_before.max(), pre_after.max()), 60)
    ax.hist(pre_before, bins=bins, alpha=0.6, label="before: layer 1 as initialised")
    ax.hist(pre_after, bins=bins, alpha=0.6, hatch="//", label="after: layer 1 changed")
    ax.axvline(0, color="k", lw=1)
    ax.set(xlabel="pre-activation of the layer-2 unit", ylabel="digits",
           title="Same weights and bias in layer 2; only its inputs moved")
    ax.legend(fontsize="small")
    return figure


def report(situation, runs):
    """Print each run's dead fraction per epoch (and its all-negative fraction) and outcome."""
    ch.print(f"{situation}: fraction of dead hidden units per epoch (all negative), outcome")
    for name, run in runs.items():
        outcome = "diverged" if run["diverged"] else f"accuracy {run['accuracy']:.3f}"
        ch.print(f"  {name:>15}: dead " + " ".join(f"{d:.2f}" for d in run["dead"])
                 + "  (negative " + " ".join(f"{n:.2f}" for n in run["negative"]) + f"), {outcome}")


def report_revivals(runs):
    """How many dead ReLU units came back to life from one epoch to the next, per hidden layer."""
    for name, run in runs.items():
        if name.startswith("ReLU"):
            ch.print(f"  {name}: units dead after one epoch and alive after the next: "
                     + ", ".join(f"layer {layer} {count}"
                                 for layer, count in enumerate(run["revived"], start=1)))


def summary(runs):
    return {name: {k: v for k, v in run.items() if k != "model"} for name, run in runs.items()}


def report_runs(healthy, shifted, large):
    """Record every run (without its model), PReLU's learned slopes and the healthy zeros; print them."""
    prelu_slopes = np.concatenate([layer.weight.data for layer in shifted["PReLU"]["model"].modules()
                                   if isinstance(layer, mn.nn.PReLU)])
    ch.record(healthy=summary(healthy), shifted=summary(shifted), large_lr=summary(large),
              prelu_slope_quartiles=np.percentile(prelu_slopes, [25, 50, 75]).tolist(),
              prelu_negative_slopes=int(np.sum(prelu_slopes < 0)), prelu_units=int(prelu_slopes.size),
              zeros={name: run["zeros"] for name, run in healthy.items()})
    ch.print("PReLU learned slopes after the shifted run, quartiles: "
             + ", ".join(f"{q:.3f}" for q in ch.findings["prelu_slope_quartiles"])
             + f"; {ch.findings['prelu_negative_slopes']} of {ch.findings['prelu_units']} slopes are negative")
    ch.print("fraction of exact zeros in the hidden outputs after healthy training: "
             + ", ".join(f"{name} {value:.1%}" for name, value in ch.findings["zeros"].items()))


def colour(name):
    """The activation's colour on every page; the bias-0.1 ReLU in grey beside ReLU."""
    return "0.45" if "bias" in name else mn.plot.activation_colour(name)


def draw_dead_units(healthy, shifted, large):
    figure, axes = plt.subplots(2, 2, figsize=(11, 7.5), layout="constrained")
    for ax, (title, runs) in zip(axes[0], ((f"hidden biases start at {NEGATIVE_SHIFT:g} (lr 0.05, momentum 0.9)",
                                            shifted),
                                           ("large learning rate (plain SGD, lr 1.0)", large))):
        for (name, run), marker in zip(runs.items(), "osD^v"):
            # a marker of its own, so that lines lying on each other can still be told apart
            label = name + (" (diverged)" if run["diverged"] else f", accuracy {run['accuracy']:.2f}")
            ax.plot(range(len(run["dead"])), run["dead"], marker=marker, color=colour(name),
                    label=label, markersize=7 if marker == "o" else 5)
            ax.plot(range(len(run["negative"])), run["negative"], linestyle=":", color=colour(name))
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("epoch (0 = at initialisation)")
        ax.set_ylabel("fraction of hidden units")
        ax.set_title(title, fontsize="medium")
        # lines that coincide (ReLU's dotted and LeakyReLU's, every dead fraction at 0) are
        # told apart in the printed numbers
        ax.legend(fontsize="small", title="solid: dead, dotted: negative for all inputs",
                  title_fontsize="x-small")
        ax.grid(True, alpha=0.3)
    slopes = [layer.weight.data for layer in shifted["PReLU"]["model"].modules()
              if isinstance(layer, mn.nn.PReLU)]
    ax = axes[1, 0]
    ax.hist(slopes, bins=30, label=[f"hidden layer {i}" for i in range(1, len(slopes) + 1)])
    ax.axvline(0.25, color="grey", linestyle="--", label="starting slope 0.25")
    ax.set_xlabel("learned negative slope a of a PReLU unit")
    ax.set_ylabel("units")
    ax.set_title(f"PReLU slopes after training (biases started at {NEGATIVE_SHIFT:g})", fontsize="medium")
    ax.legend(fontsize="small")
    ax = axes[1, 1]
    names = list(healthy)
    bars = ax.bar(names, [healthy[name]["zeros"] for name in names], color=[colour(n) for n in names])
    ax.bar_label(bars, labels=[f"{healthy[name]['zeros']:.0%}" for name in names])
    ax.set_ylabel("fraction of exact zeros in the hidden outputs")
    ax.set_title("Sparsity after healthy training", fontsize="medium")
    ax.tick_params(axis="x", labelrotation=20)
    return figure


# %% [markdown]
# ## A dead unit in layer 2 comes back when layer 1 changes
# A small demonstration first. We build `Dense(64 -> 8), ReLU, Dense(8 -> 1), ReLU` and
# choose the second layer's bias so negative that its one unit is dead on every digit. Then
# we change only the *first* layer, as training on some other output could: we raise the
# bias of the layer-1 unit that feeds it most (by $2$), and look again. The second layer's weights and bias
# are not touched.

# %%
X, y = mn.datasets.load_digits()
mn.manual_seed(ch.seed)
first, second = mn.nn.Dense(64, 8, init="he_normal"), mn.nn.Dense(8, 1, init="he_normal")
small = mn.nn.Sequential(first, mn.nn.ReLU(), second, mn.nn.ReLU())
hidden = mn.predict(mn.nn.Sequential(first, mn.nn.ReLU()), X)
# the layer-1 unit that pushes the layer-2 unit up most often: a positive weight, often active
strongest = int(np.argmax(second.weight.data[:, 0] * (hidden > 0).mean(axis=0)))
# the bias that puts the unit just below zero on every digit
second.bias.data[...] = -(hidden @ second.weight.data).max() - 0.1
before = mn.predict(small, X)
pre_before = (hidden @ second.weight.data + second.bias.data)[:, 0]
second_before = (second.weight.data.copy(), second.bias.data.copy())
first.bias.data[strongest] += 2.0                           # only layer 1 changes
after = mn.predict(small, X)
report_demo(before, after, second_before, second)

# %%
pre_after = mn.predict(mn.nn.Sequential(first, mn.nn.ReLU(), second), X)[:, 0]
ch.show(draw_revival(pre_before, pre_after), "layer_2_revival")

# %% [markdown]
# ## Counting dead units during training
# After every epoch we run all training digits through the network once and average, over
# the three hidden layers, the fraction of dead units and the fraction of units whose
# pre-activation is negative for every digit. A run whose loss becomes NaN is recorded as
# diverged (`mn.fit` stops it with a NonFiniteLossError) rather than hidden.

# %%
def unit_census(model, X):
    """(dead fraction, all-negative fraction, zeros fraction) averaged over the hidden layers,
    and each hidden layer's mask of units negative for every input."""
    # after a too-large step the pre-activations can be huge: inf is a fine answer to count
    with np.errstate(over="ignore", invalid="ignore"):
        return _unit_census(model, X)


def _unit_census(model, X):
    statistics = list(mn.diagnostics.activation_statistics(model, X, layer_types=mn.nn.Activation).values())
    pre_activations = list(mn.diagnostics.layer_outputs(model, X, layer_types=mn.nn.Dense).values())[:-1]
    masks = [np.all(z <= 0, axis=0) for z in pre_activations]
    return (float(np.mean([s["dead"] for s in statistics])), float(np.mean([m.mean() for m in masks])),
            float(np.mean([s["zeros"] for s in statistics])), masks)


# %%
def train_and_watch(X, y, activation, bias, learning_rate, momentum, epochs, seed=ch.seed):
    mn.manual_seed(seed)
    model = network(activation, bias)
    optimizer = mn.optim.SGD(model.parameters(), lr=learning_rate, momentum=momentum)
    dead, negative = [], []
    start = unit_census(model, X)
    dead.append(start[0])
    negative.append(start[1])
    masks = start[3]
    revived = [0] * DEPTH          # units negative for all inputs after one epoch, not after the next
    diverged = False
    for epoch in range(epochs):
        try:
            mn.fit(model, mn.nn.CrossEntropyLoss(), optimizer, X, y, epochs=1, batch_size=32,
                   progress=False, seed=seed + epoch)
        except mn.training.NonFiniteLossError:
            diverged = True
            break
        census = unit_census(model, X)
        dead.append(census[0])
        negative.append(census[1])
        revived = [count + int(np.sum(old & ~new)) for count, old, new in zip(revived, masks, census[3])]
        masks = census[3]
    with np.errstate(over="ignore", invalid="ignore"):
        accuracy = float("nan") if diverged else float(np.mean(mn.predict(model, X).argmax(axis=1) == y))
    return {"dead": dead, "negative": negative, "accuracy": accuracy, "diverged": diverged,
            "revived": revived,
            "zeros": float("nan") if diverged else unit_census(model, X)[2], "model": model}


# %% [markdown]
# ## Three situations
# 1. **Healthy**: biases $b = 0$, SGD with momentum $\beta = 0.9$ and learning rate
#    $\eta = 0.05$. The reference, and the place to count the zeros of a working ReLU
#    network; also the starting bias $b = 0.1$.
# 2. **Negative shift**: the same, but every hidden bias starts at $b = -1$. With
#    He-initialised weights and pixels in $[0, 1]$, most pre-activations start below zero.
# 3. **Large learning rate**: $b = 0$, plain SGD with $\eta = 1$, with and without the
#    starting bias $b = 0.1$. (Momentum $\beta$ multiplies a steady step by up to
#    $1/(1 - \beta) = 10$, so the healthy situation's effective step is about $0.5$; $\eta = 1$
#    without momentum is about twice that.)

# %%
if ch.quick:
    X, y = X[:600], y[:600]
epochs = ch.pick(full=5, quick=2)
ch.record(epochs=epochs)


healthy = {activation: train_and_watch(X, y, activation, 0.0, 0.05, 0.9, epochs)
           for activation in ACTIVATIONS}
healthy["ReLU, bias 0.1"] = train_and_watch(X, y, "ReLU", POSITIVE_BIAS, 0.05, 0.9, epochs)
report("healthy (biases 0, lr 0.05, momentum 0.9)", healthy)

# %%
shifted = {activation: train_and_watch(X, y, activation, NEGATIVE_SHIFT, 0.05, 0.9, epochs)
           for activation in ACTIVATIONS}
# (no bias-0.1 run here: the shift replaces the starting bias)
report(f"shifted (biases {NEGATIVE_SHIFT:g})", shifted)
report_revivals(shifted)

# %%
large = {activation: train_and_watch(X, y, activation, 0.0, 1.0, 0.0, epochs) for activation in ACTIVATIONS}
large["ReLU, bias 0.1"] = train_and_watch(X, y, "ReLU", POSITIVE_BIAS, 1.0, 0.0, epochs)
report("large learning rate (plain SGD, lr 1.0)", large)
report_revivals(large)

report_runs(healthy, shifted, large)

# %% [markdown]
# ## The picture
# Top: the dead fraction (solid) and the all-negative fraction (dotted) per epoch in the two
# troubled situations. Bottom left: the slopes PReLU learned. Bottom right: the share of exact
# zeros in a healthy network's hidden outputs.

# %%
ch.show(draw_dead_units(healthy, shifted, large), "dead_units", dpi=ch.pick(full=90, quick=50))

# %% [markdown]
# ## What we saw
# The demonstration: the layer-2 unit was dead on every digit, and after a change to layer 1
# alone it is positive on some of them again, with its own weights untouched. "Dead" is a
# statement about a unit and the data it currently sees, and only for the first layer is that
# data fixed (Lu et al. 2019 study when whole networks die this way).
#
# In the training runs, the printed revival counts say, layer by layer, how many dead ReLU
# units came back from one epoch to the next: no first-layer unit ever revived, as plain SGD
# promises, since neither its weights nor its inputs can change while it is dead.
#
# With the biases shifted negative most ReLU units are dead from the first forward pass, and
# they stay dead: the dead fraction at the end is no lower than at initialisation, and the
# network is left at chance accuracy. LeakyReLU (Maas et al. 2013) has no dead units in the
# strict sense, but its dotted line shows that the same units stay negative for every input,
# each passing back only 1% of its gradient, and it stays at chance too. PReLU (He et al.
# 2015) and ELU (Clevert et al. 2015) start to recover: their negative branches carry enough
# signal, and their dotted lines fall epoch by epoch as the biases climb back. How far each
# gets depends on how long it trains: ELU ends ahead of PReLU in this run (the accuracies are
# printed; compare the quick and the full run to see PReLU catch up with more epochs). The
# PReLU histogram shows what the network did with its freedom: it spread the slopes around
# their start of $0.25$ (the quartiles are printed); a slope of $0$ would have been ReLU, and a
# unit that ends with a negative slope is non-monotonic, which nothing in PReLU forbids.
#
# The large learning rate is a blunter instrument. Plain SGD at $\eta = 1$ kills a large share
# of the ReLU units within the first epoch (top right), and the positive bias does not prevent
# it; at the same learning rate the other activations have no dead units, but none of them
# learns either: each one diverged or stalled far below the healthy accuracy. A learning rate
# that kills ReLUs is simply too large, and changing the activation does not make it right.
#
# The positive bias, measured: in the healthy situation the dead fraction stays below a tenth
# with or without it, and at the large learning rate the bias does not save the units. Treat
# it as a harmless habit, not a cure (the accuracies of one seed differ by chance, and a
# difference in accuracy is not a difference in dead units).
#
# Finally the sparsity (bottom right): in a healthy ReLU network a large share of all hidden
# outputs are exact zeros, which is the "sparse representation" Glorot, Bordes and Bengio
# (2011) praise; ELU, LeakyReLU and PReLU produce none, because their negative branch is never
# exactly zero.

# %%
s = ch.findings["shifted"]
ch.headline = (f"bias {NEGATIVE_SHIFT:g}: dead ReLU units {s['ReLU']['dead'][-1]:.0%} "
               f"(accuracy {s['ReLU']['accuracy']:.2f}), ELU accuracy {s['ELU']['accuracy']:.2f}; "
               f"ReLU zeros {ch.findings['zeros']['ReLU']:.0%}, ELU {ch.findings['zeros']['ELU']:.0%}")
healthy_accuracy = lambda f: f["healthy"]["ReLU"]["accuracy"]          # noqa: E731
ch.claims({
    "after a change to layer 1 alone it is positive on some of them again, with its own weights untouched":
        lambda f: f["demo_dead_before"] and f["demo_alive_after"] > 0 and f["demo_second_layer_unchanged"],
    "no first-layer unit ever revived":
        lambda f: all(run["revived"][0] == 0 for situation in ("shifted", "large_lr")
                      for name, run in f[situation].items() if name.startswith("ReLU")),
    "they stay dead: the dead fraction at the end is no lower than at initialisation, and the network is "
    "left at chance accuracy":
        lambda f: f["shifted"]["ReLU"]["dead"][0] > 0.5
        and f["shifted"]["ReLU"]["dead"][-1] >= f["shifted"]["ReLU"]["dead"][0]
        and f["shifted"]["ReLU"]["accuracy"] < 0.15,
    "the same units stay negative for every input":
        lambda f: f["shifted"]["LeakyReLU"]["negative"][-1] >= f["shifted"]["ReLU"]["dead"][0] - 0.02,
    "and it stays at chance too": lambda f: f["shifted"]["LeakyReLU"]["accuracy"] < 0.15,
    "their dotted lines fall epoch by epoch as the biases climb back":
        lambda f: all(f["shifted"][a]["negative"][-1] < f["shifted"][a]["negative"][0] for a in ("PReLU", "ELU")),
    "ELU ends ahead of PReLU in this run":
        lambda f: f["shifted"]["ELU"]["accuracy"] > f["shifted"]["PReLU"]["accuracy"],
    "it spread the slopes around their start":
        lambda f: f["prelu_slope_quartiles"][0] < 0.25 < f["prelu_slope_quartiles"][2],
    "kills a large share of the ReLU units within the first epoch":
        lambda f: f["large_lr"]["ReLU"]["dead"][1] > 0.25,
    "the positive bias does not prevent it": lambda f: f["large_lr"]["ReLU, bias 0.1"]["dead"][1] > 0.25,
    "the other activations have no dead units, but none of them learns either":
        lambda f: all(max(run["dead"]) == 0 and (run["diverged"] or run["accuracy"] < healthy_accuracy(f) - 0.4)
                      for name, run in f["large_lr"].items() if not name.startswith("ReLU")),
    "in the healthy situation the dead fraction stays below a tenth with or without it":
        lambda f: max(f["healthy"]["ReLU"]["dead"] + f["healthy"]["ReLU, bias 0.1"]["dead"]) < 0.1,
    "at the large learning rate the bias does not save the units":
        lambda f: f["large_lr"]["ReLU, bias 0.1"]["dead"][-1] > 0.25,
    "a large share of all hidden outputs are exact zeros":
        lambda f: f["zeros"]["ReLU"] > 0.3,
    "ELU, LeakyReLU and PReLU produce none":
        lambda f: all(f["zeros"][a] == 0 for a in ("ELU", "LeakyReLU", "PReLU")),
})

# %% [markdown]
# ## Exercises
# 1. Change `NEGATIVE_SHIFT` to -0.3 and to -3. Where does ReLU stop recovering? Does
#    LeakyReLU recover with `mn.nn.LeakyReLU(0.1)`?
# 2. Add `"GELU": lambda: mn.nn.GELU()` to `ACTIVATIONS`. GELU is 0 only at $z = 0$ but tiny
#    for $z \ll 0$: is it "dead" by the diagnostic's definition, and does it behave like it?
# 3. Swap `mn.optim.SGD` for `mn.optim.Adam` in the large-learning-rate situation (with
#    $\eta = 0.1$). Does Adam's step-size normalisation kill fewer ReLU units?

# %% [markdown]
# <details><summary>Solutions</summary>
#
# 1. At $-0.3$ many units still see some positive pre-activations and ReLU trains; at $-3$
#    nearly every unit is dead from the start. A larger leak passes back 10% of the gradient
#    instead of 1%, so the biases climb back faster: run it to see whether it is fast enough.
# 2. GELU's output is never exactly 0 for $z \ne 0$, so the diagnostic counts no dead units;
#    but for $z \ll 0$ its gradient is so small that such units behave almost like dead ones.
# 3. Adam's steps are about $\eta$ per weight whatever the gradient's size, so a single huge
#    gradient cannot throw a unit far; expect fewer dead units than plain SGD at $\eta = 1$.
#
# </details>

# %% [markdown]
# ## References
# - Glorot, X., Bordes, A. and Bengio, Y. (2011). Deep sparse rectifier neural networks.
#   AISTATS. https://proceedings.mlr.press/v15/glorot11a.html
# - Maas, A. L., Hannun, A. Y. and Ng, A. Y. (2013). Rectifier nonlinearities improve neural
#   network acoustic models (LeakyReLU). ICML workshop.
#   https://ai.stanford.edu/~amaas/papers/relu_hybrid_icml2013_final.pdf
# - He, K., Zhang, X., Ren, S. and Sun, J. (2015). Delving deep into rectifiers: surpassing
#   human-level performance on ImageNet classification (PReLU). https://arxiv.org/abs/1502.01852
# - Clevert, D.-A., Unterthiner, T. and Hochreiter, S. (2015). Fast and accurate deep network
#   learning by exponential linear units (ELUs). https://arxiv.org/abs/1511.07289
# - Goodfellow, I., Bengio, Y. and Courville, A. (2016). Deep Learning, section 6.3.1
#   (rectified linear units; a small positive bias such as 0.1). MIT Press.
#   https://www.deeplearningbook.org/contents/mlp.html
# - Karpathy, A. (2016). CS231n course notes: Neural Networks Part 1 (dying ReLUs and the
#   learning rate). https://cs231n.github.io/neural-networks-1/
# - Lu, L., Shin, Y., Su, Y. and Karniadakis, G. E. (2019). Dying ReLU and initialization:
#   theory and numerical examples. https://arxiv.org/abs/1903.06733
