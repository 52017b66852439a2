"""Chapter 07: do ReLU units really die, and what keeps them alive?

We push a ReLU network into the two situations the articles warn about (biases shifted
negative, a learning rate that is too large), count the units that output zero for every
input as training goes on, and compare LeakyReLU, PReLU and ELU in the same situations;
we measure the articles' tip of a small positive bias (0.1) instead of taking it on trust,
and count the exact zeros that make ReLU's representations sparse.
"""
# %% [markdown]
# ## The question
# ReLU(z) = max(0, z) has derivative 0 for z < 0. A unit whose pre-activation z is negative
# for *every* input outputs 0 for every input and passes no gradient back, so neither its
# incoming weights nor its bias ever change again: the unit is **dead**, and nothing in
# gradient descent can revive it. Two ways to get there:
#
# - the biases start (or are knocked) far below zero, so z < 0 everywhere;
# - one large step (a learning rate that is too big) throws the weights and bias of a unit
#   to where z < 0 for all the data.
#
# The fixes the articles give: a nonlinearity with a non-zero slope for z < 0 (LeakyReLU with
# slope 0.01, PReLU whose slope is learned, ELU with alpha (e^z - 1)), or a small positive
# bias such as 0.1 so that units start active. `mn.diagnostics.activation_statistics` reports,
# for every activation layer, the fraction of units that are zero for every sample of a batch
# ("dead") and the fraction of exact zeros among all outputs ("zeros").
#
# A LeakyReLU unit can never be dead in that sense (its output is 0.01 z, not 0), but it can
# be negative for every input. So we also count, from the Dense layers' outputs, the units
# whose **pre-activation is negative for every input**: for ReLU that is the same as dead; for
# the others it says how many units live on their small negative branch.

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minnet as mn  # noqa: E402
from chapters._common import figure_dir, quick_mode  # noqa: E402

CHAPTER = "07_dead_relu"
WIDTH, DEPTH = 64, 3               # three hidden layers of 64 units on the 64 pixels of a digit
NEGATIVE_SHIFT = -1.0              # starting bias of every hidden unit in the "shifted" runs
POSITIVE_BIAS = 0.1                # the articles' tip
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


# %% [markdown]
# ## Counting dead units during training
# After every epoch we run all training digits through the network once and average, over
# the three hidden layers, the fraction of dead units and the fraction of units whose
# pre-activation is negative for every digit. A run whose loss becomes NaN is recorded as
# diverged (`mn.fit` stops it with a NonFiniteLossError) rather than hidden.

# %%
def unit_census(model, X):
    """(dead fraction, all-negative fraction, zeros fraction), averaged over the hidden layers."""
    # after a too-large step the pre-activations can be huge: inf is a fine answer to count
    with np.errstate(over="ignore", invalid="ignore"):
        return _unit_census(model, X)


def _unit_census(model, X):
    statistics = list(mn.diagnostics.activation_statistics(model, X, layer_types=mn.nn.Activation).values())
    pre_activations = list(mn.diagnostics.layer_outputs(model, X, layer_types=mn.nn.Dense).values())[:-1]
    negative = [np.mean(np.all(z <= 0, axis=0)) for z in pre_activations]
    return (float(np.mean([s["dead"] for s in statistics])), float(np.mean(negative)),
            float(np.mean([s["zeros"] for s in statistics])))


def train_and_watch(X, y, activation, bias, learning_rate, momentum, epochs, seed=0):
    mn.manual_seed(seed)
    model = network(activation, bias)
    optimizer = mn.optim.SGD(model.parameters(), lr=learning_rate, momentum=momentum)
    dead, negative = [], []
    start = unit_census(model, X)
    dead.append(start[0])
    negative.append(start[1])
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
    with np.errstate(over="ignore", invalid="ignore"):
        accuracy = float("nan") if diverged else float(np.mean(mn.predict(model, X).argmax(axis=1) == y))
    return {"dead": dead, "negative": negative, "accuracy": accuracy, "diverged": diverged,
            "zeros": float("nan") if diverged else unit_census(model, X)[2], "model": model}


# %% [markdown]
# ## Three situations
# 1. **Healthy**: biases 0, SGD with momentum 0.9 and learning rate 0.05. The reference, and
#    the place to count the zeros of a working ReLU network; also the articles' bias of 0.1.
# 2. **Negative shift**: the same, but every hidden bias starts at -1. With He-initialised
#    weights and pixels in [0, 1], most pre-activations start below zero.
# 3. **Large learning rate**: biases 0, plain SGD with learning rate 1.0, with and without
#    the 0.1 bias. (Momentum 0.9 multiplies a steady step by up to 10, so the healthy
#    situation's effective step is about 0.5; 1.0 without momentum is about twice that.)

# %%
def run_situations(X, y, epochs):
    healthy, shifted, large = {}, {}, {}
    for activation in ACTIVATIONS:
        healthy[activation] = train_and_watch(X, y, activation, 0.0, 0.05, 0.9, epochs)
        shifted[activation] = train_and_watch(X, y, activation, NEGATIVE_SHIFT, 0.05, 0.9, epochs)
        large[activation] = train_and_watch(X, y, activation, 0.0, 1.0, 0.0, epochs)
    healthy["ReLU, bias 0.1"] = train_and_watch(X, y, "ReLU", POSITIVE_BIAS, 0.05, 0.9, epochs)
    # (no bias-0.1 run in the shifted situation: there the shift replaces the starting bias)
    large["ReLU, bias 0.1"] = train_and_watch(X, y, "ReLU", POSITIVE_BIAS, 1.0, 0.0, epochs)
    return healthy, shifted, large


def plot_runs(healthy, shifted, large, path, dpi=90):
    figure, axes = plt.subplots(2, 2, figsize=(11, 7.5), layout="constrained")
    for ax, (title, runs) in zip(axes[0], ((f"hidden biases start at {NEGATIVE_SHIFT:g} (lr 0.05, momentum 0.9)", shifted),
                                           ("large learning rate (plain SGD, lr 1.0)", large))):
        for (name, run), color in zip(runs.items(), plt.rcParams["axes.prop_cycle"].by_key()["color"]):
            epochs = range(len(run["dead"]))
            label = name + (" (diverged)" if run["diverged"] else f", accuracy {run['accuracy']:.2f}")
            ax.plot(epochs, run["dead"], marker="o", color=color, label=label)
            ax.plot(epochs, run["negative"], linestyle=":", color=color)
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("epoch (0 = at initialisation)")
        ax.set_ylabel("fraction of hidden units")
        ax.set_title(title, fontsize="medium")
        # lines that coincide (ReLU's dotted and LeakyReLU's, every dead fraction at 0) are
        # told apart in the printed numbers
        ax.legend(fontsize="small", title="solid: dead, dotted: negative for all inputs",
                  title_fontsize="x-small")
        ax.grid(True, alpha=0.3)

    slopes = [layer.weight.data for layer in shifted["PReLU"]["model"].modules() if isinstance(layer, mn.nn.PReLU)]
    ax = axes[1, 0]
    ax.hist(slopes, bins=30, label=[f"hidden layer {i}" for i in range(1, len(slopes) + 1)])
    ax.axvline(0.25, color="grey", linestyle="--", label="starting slope 0.25")
    ax.set_xlabel("learned negative slope a of a PReLU unit")
    ax.set_ylabel("units")
    ax.set_title(f"PReLU slopes after training (biases started at {NEGATIVE_SHIFT:g})", fontsize="medium")
    ax.legend(fontsize="small")

    ax = axes[1, 1]
    names = list(healthy)
    bars = ax.bar(names, [healthy[name]["zeros"] for name in names], color="tab:purple")
    ax.bar_label(bars, labels=[f"{healthy[name]['zeros']:.0%}" for name in names])
    ax.set_ylabel("fraction of exact zeros in the hidden outputs")
    ax.set_title("Sparsity after healthy training (all digits)", fontsize="medium")
    ax.tick_params(axis="x", labelrotation=20)
    figure.savefig(path, dpi=dpi)
    plt.close(figure)


# %%
def main(quick: bool = quick_mode()) -> dict:
    X, y = mn.datasets.load_digits()
    if quick:
        X, y = X[:600], y[:600]
    epochs = 2 if quick else 5
    healthy, shifted, large = run_situations(X, y, epochs)

    path = figure_dir(CHAPTER) / "dead_units.png"
    plot_runs(healthy, shifted, large, path, dpi=50 if quick else 90)
    prelu_slopes = np.concatenate([layer.weight.data for layer in shifted["PReLU"]["model"].modules()
                                   if isinstance(layer, mn.nn.PReLU)])

    def summary(runs):
        return {name: {k: v for k, v in run.items() if k != "model"} for name, run in runs.items()}

    return {
        "epochs": epochs,
        "healthy": summary(healthy),
        "shifted": summary(shifted),
        "large_lr": summary(large),
        "prelu_slope_quartiles": np.percentile(prelu_slopes, [25, 50, 75]).tolist(),
        "prelu_negative_slopes": int(np.sum(prelu_slopes < 0)),
        "prelu_units": int(prelu_slopes.size),
        "zeros": {name: run["zeros"] for name, run in healthy.items()},
        "figure": str(path),
    }


def headline(findings: dict) -> str:
    shifted = findings["shifted"]
    return (f"bias {NEGATIVE_SHIFT:g}: dead ReLU units {shifted['ReLU']['dead'][-1]:.0%} "
            f"(accuracy {shifted['ReLU']['accuracy']:.2f}), ELU accuracy {shifted['ELU']['accuracy']:.2f}; "
            f"ReLU zeros {findings['zeros']['ReLU']:.0%}, ELU {findings['zeros']['ELU']:.0%}")


# %% [markdown]
# ## What we saw
# With the biases shifted to -1 most ReLU units are dead from the first forward pass, and the
# top-left panel shows they stay dead: the printed dead fraction at the end equals the one at
# initialisation, and the network is left with too few live units to learn (its accuracy is
# printed). LeakyReLU has no dead units in the strict sense, but look at its dotted line: the
# same units are negative for every input, and a slope of 0.01 per layer, three layers deep,
# leaves a gradient so small that it did not recover in this run either. PReLU and ELU did:
# their negative branches carry enough signal, the dotted lines fall epoch by epoch as the
# biases climb back, and they reach healthy accuracies. The PReLU histogram shows what the
# network did with its freedom (the quartiles of the learned slopes are printed): it moved
# the slopes away from their start of 0.25 rather than keeping them; a slope of 0 would have
# been ReLU. A few units may even end with a negative slope (the printed count), which
# makes them non-monotonic; nothing in PReLU forbids that.
#
# The large learning rate is a blunter instrument. Plain SGD at 1.0 kills a large share of the
# ReLU units within the first epoch (top right), and the positive bias of 0.1 does not prevent
# it; at the same learning rate the other activations do not die, but the printed outcome
# shows whether they diverged or stalled instead: a learning rate that kills ReLUs is simply
# too large, and changing the activation does not make it right.
#
# The articles' bias of 0.1, measured: in the healthy situation the printed dead fraction
# hardly moves (a few percent of units are dead with or without it), while the accuracy after
# these few epochs may differ between the two runs (printed); that is one seed, and a
# difference in accuracy is not a difference in dead units. At the large learning rate the
# bias does not save the units. Treat it as a harmless habit, not a cure.
#
# Finally the sparsity (bottom right): in a healthy ReLU network a large share of all hidden
# outputs are exact zeros, which is the "sparse representation" the articles praise; ELU,
# LeakyReLU and PReLU produce none, because their negative branch is never exactly zero.
#
# ## Try it yourself
# 1. Change `NEGATIVE_SHIFT` to -0.3 and to -3. Where does ReLU stop recovering? Does
#    LeakyReLU recover with `mn.nn.LeakyReLU(0.1)`?
# 2. Add `"SELU": lambda: mn.nn.SELU()` (with `init="lecun_normal"` in `network`) or
#    `"GELU": lambda: mn.nn.GELU()` to `ACTIVATIONS`. GELU is 0 only at z = 0 but tiny for
#    z << 0: is it "dead" by the diagnostic's definition, and does it behave like it?
# 3. Swap `mn.optim.SGD` for `mn.optim.Adam` in the large-learning-rate situation (with
#    lr 0.1). Does Adam's step-size normalisation kill fewer ReLU units?

if __name__ == "__main__":
    findings = main()
    for situation in ("healthy", "shifted", "large_lr"):
        print(f"{situation}: fraction of dead hidden units per epoch (all negative), final accuracy")
        for name, run in findings[situation].items():
            outcome = "diverged" if run["diverged"] else f"accuracy {run['accuracy']:.3f}"
            print(f"  {name:>15}: dead " + " ".join(f"{d:.2f}" for d in run["dead"])
                  + "  (negative " + " ".join(f"{n:.2f}" for n in run["negative"]) + f"), {outcome}")
    print("PReLU learned slopes after the shifted run, quartiles: "
          + ", ".join(f"{q:.3f}" for q in findings["prelu_slope_quartiles"])
          + f"; {findings['prelu_negative_slopes']} of {findings['prelu_units']} slopes are negative")
    print("fraction of exact zeros in the hidden outputs after healthy training: "
          + ", ".join(f"{name} {value:.1%}" for name, value in findings["zeros"].items()))
    print("figure:", findings["figure"])
