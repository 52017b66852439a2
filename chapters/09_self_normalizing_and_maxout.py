"""Chapter 09: activations that do more than bend: SELU, Maxout, and the hard variants

Three activations that were designed for a purpose beyond "be nonlinear": SELU keeps the
signal at mean 0 and variance 1 through a deep network by itself; Maxout learns the shape of
its own activation function; hard-sigmoid and hard-swish trade the exact curve for cheap
arithmetic. We measure each claim.
"""
# %% [markdown]
# **You will learn** how SELU keeps a deep network's signal at mean $0$ and variance $1$
# by itself, how Maxout learns the shape of its own activation, and what the "hard" variants of
# sigmoid and swish approximate and save. **You need** chapter 05 (the variance argument of
# initialisation) and chapter 07 (dead units). **Runs in** about 4 s (2 s in quick mode) on
# one core.
#
# ## The question
# Three claims from the activation literature, each tested with a real run:
#
# 1. **SELU is self-normalising** (Klambauer et al. 2017).
#
#    $$\mathrm{SELU}(x) = \lambda \begin{cases} x & x > 0 \\ \alpha\,(e^x - 1) & x \le 0
#    \end{cases}, \qquad \lambda \approx 1.0507,\ \alpha \approx 1.6733$$
#
#    (a blog post writes $\alpha = 1.6726$; Klambauer et al. derive $1.6732632423543772$).
#    These two numbers are chosen so that if a layer's inputs have mean $0$ and variance $1$
#    and its weights are drawn with variance $1/n_\text{in}$ (LeCun-normal initialisation),
#    its outputs have mean $0$ and variance $1$ again, and nearby (mean, variance) pairs are
#    pulled back towards $(0, 1)$. Does that hold through `DEPTH` layers, where ReLU and tanh
#    drift?
# 2. **Maxout learns a convex function.** A Maxout unit with $k$ pieces computes
#    $\max(w_1 x + b_1, \dots, w_k x + b_k)$: the upper envelope of $k$ lines, a convex
#    piecewise-linear function (Goodfellow et al. 2013). ReLU is the special case
#    $\max(x, 0)$. With more pieces it should approximate any convex function better: does the
#    error fall as $k$ grows?
# 3. **Hard variants are cheap approximations.**
#    $\mathrm{hard\_sigmoid}(x) = \mathrm{ReLU6}(x + 3)/6$ and
#    $\mathrm{hard\_swish}(x) = x\,\mathrm{ReLU6}(x + 3)/6$ (MobileNetV3) replace the
#    exponential of $\sigma(x) = 1/(1 + e^{-x})$ and $\mathrm{swish}(x) = x\,\sigma(x)$ by a
#    clip. How far are they from the smooth curves (swish, and its smooth relatives Mish and
#    GELU), and what does "cheap" mean: in numpy on this machine, and on the hardware they
#    were designed for?

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import minnet as mn
from chapters._common import Chapter

ch = Chapter("09_self_normalizing_and_maxout")
DEPTH = 50
WIDTH = 100
# activation and the initialisation it is usually paired with (LeCun-normal: variance 1/fan_in,
# the SELU paper's; He: 2/fan_in, for ReLU; Xavier: 2/(fan_in + fan_out), for tanh)
DEEP_NETWORKS = {"SELU, LeCun normal": ("SELU", "lecun_normal"),
                 "ReLU, He normal": ("ReLU", "he_normal"),
                 "ReLU, Xavier normal": ("ReLU", "xavier_normal"),
                 "tanh, Xavier normal": ("Tanh", "xavier_normal")}
OFF_BALANCE_STD = 3.0          # a second SELU run starts from inputs with this std


# %%
# Bookkeeping and drawing, not the lesson: these helpers record findings (what the prose's
# claims and the tests read), print the tables and draw the figures.
def report_profiles(profiles):
    """Record and print the last layer's mean and std of every run; the last layer's values."""
    last = {label: {"mean": float(means[-1]), "std": float(stds[-1])}
            for label, (means, stds) in profiles.items()}
    selu_stds = profiles["SELU, LeCun normal"][1]
    ch.record(depth=DEPTH, last_layer=last, selu_std_range=(float(selu_stds.min()), float(selu_stds.max())),
              relu_he_mean_min=float(profiles["ReLU, He normal"][0].min()))
    ch.table(last, fmt="+.3g", key=f"layer {DEPTH} at initialisation")
    ch.print(f"SELU (LeCun normal) std over all {DEPTH} layers: {selu_stds.min():.3f} to {selu_stds.max():.3f}")
    return last


def draw_profiles(profiles):
    figure, (ax_mean, ax_std) = plt.subplots(1, 2, figsize=(10.5, 4), layout="constrained")
    layers = np.arange(1, DEPTH + 1)
    drawn = {}                                                  # colour -> lines drawn in it so far
    for label, (means, stds) in profiles.items():
        colour = mn.plot.activation_colour(label)               # each activation's colour on every page
        style = "--" if "input std" in label else ("-", "-.", ":")[drawn.get(colour, 0) % 3]
        drawn[colour] = drawn.get(colour, 0) + 1
        ax_mean.plot(layers, means, style, color=colour, label=label)
        ax_std.plot(layers, np.maximum(stds, 1e-12), style, color=colour, label=label)   # log axis: no zeros
    ax_mean.axhline(0, color="0.7", lw=0.8)
    ax_std.axhline(1, color="0.7", lw=0.8)
    ax_mean.set(title="Mean of each layer's output", xlabel="layer", ylabel="mean over batch and units")
    ax_std.set(title="Standard deviation of each layer's output (log scale)", xlabel="layer",
               ylabel="std over batch and units", yscale="log")
    ax_std.legend(fontsize="small")
    figure.suptitle(f"{DEPTH} Dense layers of width {WIDTH} at initialisation, standard-normal inputs")
    return figure


def report_maxout(maxout, pieces_list, yardstick):
    ch.record(maxout_pieces=list(pieces_list), maxout_errors=maxout["errors"], maxout_active=maxout["active"],
              maxout_random_start_errors=maxout["random_start_errors"],
              maxout_random_start_active=maxout["random_start_active"], maxout_best_separate_x2=yardstick)
    rows = {f"k = {k}": {**{f"{name} (active)": f"{maxout['errors'][k][name]:.2e} ({maxout['active'][k][name]})"
                            for name in TARGET_NAMES}, "x^2 yardstick": f"{yardstick[k]:.2e}"}
            for k in pieces_list}
    rows[f"k = {max(pieces_list)}, random start"] = {
        f"{name} (active)": f"{maxout['random_start_errors'][name]:.2e} ({maxout['random_start_active'][name]})"
        for name in TARGET_NAMES}
    ch.table(rows, key="pieces", title="Maxout RMS error (pieces still on the envelope)")


def draw_maxout(maxout, pieces_list, yardstick):
    figure, axes = plt.subplots(2, 2, figsize=(10, 7.2), layout="constrained")
    axes = axes.ravel()
    shown = [k for k in (1, 2, 4, max(pieces_list)) if k in maxout["fits"]]
    for j, (ax, name) in enumerate(zip(axes, TARGET_NAMES)):
        ax.plot(maxout["x"], maxout["Y"][:, j], color="black", lw=3, alpha=0.3, label="target")
        for pieces, style in zip(shown, ("-", "--", "-.", ":")):
            ax.plot(maxout["x"], maxout["fits"][pieces][:, j], lw=1.2, linestyle=style, label=f"k = {pieces}")
        ax.set(title=f"Maxout fits of {name}", xlabel="x", ylabel="f(x)")
        ax.legend(fontsize="small")
    ax = axes[-1]
    for name, marker in zip(TARGET_NAMES, "osd"):
        ax.plot(pieces_list, [max(maxout["errors"][k][name], 1e-8) for k in pieces_list], marker=marker,
                label=f"{name} (exact from k = 2, up to training noise)" if name == "|x|" else name)
    ax.plot(pieces_list, [yardstick[k] for k in pieces_list], "k:", label="x^2: best separate line per interval")
    ax.set(title="Error against the number of pieces", xlabel="pieces k", ylabel="RMS error (log scale)",
           yscale="log")
    # under the panel: no run of the lines can end up beneath it
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    return figure


def report_gaps(gaps, grid, swish_gap):
    ch.record(max_gap=gaps, swish_gap_at=float(abs(grid[np.argmax(swish_gap)])))
    ch.table({f"{hard} vs {smooth}": {"largest |gap| on [-8, 8]": gaps[smooth]}
              for smooth, (name, hard) in SMOOTH_AND_HARD.items()}, fmt=".4f", key="pair")
    ch.print(f"hard-swish's largest gap to swish is at |x| = {ch.findings['swish_gap_at']:.2f}")


def draw_smooth_and_hard(grid):
    figure, (ax_swish, ax_sigmoid, ax_gap) = plt.subplots(1, 3, figsize=(11.5, 3.6), layout="constrained")
    drawn = grid[::4]                                           # every 4th point is plenty to draw
    colour = mn.plot.activation_colour                          # each activation's colour on every page
    for name, style in (("silu", "-"), ("mish", "-."), ("gelu", ":"), ("hard_swish", "--")):
        ax_swish.plot(drawn, curve(name, drawn), style, color=colour(name), label=name)
    for name, style in (("sigmoid", "-"), ("hard_sigmoid", "--")):
        ax_sigmoid.plot(drawn, curve(name, drawn), style, color=colour(name), label=name)
    for smooth, (name, hard) in SMOOTH_AND_HARD.items():
        ax_gap.plot(drawn, curve(hard, drawn) - curve(name, drawn), color=colour(name), label=f"{hard} - {name}")
    ax_swish.set(title="Swish family and hard-swish", xlabel="x", ylabel="f(x)", xlim=(-5, 5), ylim=(-1, 5))
    ax_sigmoid.set(title="Sigmoid and hard-sigmoid", xlabel="x", ylabel="f(x)")
    ax_gap.set(title="Hard minus smooth", xlabel="x", ylabel="difference")
    ax_gap.axhline(0, color="0.7", lw=0.8)
    for ax in (ax_swish, ax_sigmoid):
        ax.legend(fontsize="small")
    # the differences fill the panel: their legend goes under it, not over them
    ax_gap.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    return figure


def report_costs(names, seconds, speedup, size):
    ch.record(seconds=seconds, speedup=speedup)
    ch.table({name: {"ms": 1e3 * seconds[name]} for name in names}, fmt=".2f", key="activation",
             title=f"forward + backward on {size:,} float32 values, fastest of repeats")
    for smooth, (name, hard) in SMOOTH_AND_HARD.items():
        verdict = "faster" if speedup[smooth] > 1 else "slower"
        ch.print(f"{hard} is {verdict} than {name} here: {1e3 * seconds[hard]:.2f} ms against "
                 f"{1e3 * seconds[name]:.2f} ms ({name}/{hard} = {speedup[smooth]:.2f})")


# %% [markdown]
# ## Part 1: the signal through `DEPTH` layers at initialisation
# Each network is `DEPTH` blocks of `[Dense(WIDTH -> WIDTH), activation]` with zero biases.
# We feed a batch of standard-normal inputs (mean $0$, variance $1$) and record the mean and
# standard deviation of every activation layer's output over the whole batch. Nothing is
# trained: this is the state in which training would have to start. A second SELU run starts
# from inputs with standard deviation `OFF_BALANCE_STD`, to see whether SELU pulls the
# signal back.

# %%
def deep_network(activation, init, depth=DEPTH, width=WIDTH):
    layers = []
    for _ in range(depth):
        layers += [mn.nn.Dense(width, width, init=init), getattr(mn.nn, activation)()]
    return mn.nn.Sequential(*layers)


def signal_through_depth(batch, seed=ch.seed):
    """{run: (per-layer means, per-layer stds)} for every DEEP_NETWORKS entry and an off-balance SELU run."""
    runs = dict(DEEP_NETWORKS)
    runs[f"SELU, LeCun normal, input std {OFF_BALANCE_STD:g}"] = ("SELU", "lecun_normal")
    profiles = {}
    for label, (activation, init) in runs.items():
        mn.manual_seed(seed)
        X = mn.config.rng().standard_normal((batch, WIDTH)).astype(np.float32)
        if "input std" in label:
            X *= OFF_BALANCE_STD
        statistics = mn.diagnostics.activation_statistics(deep_network(activation, init), X,
                                                          layer_types=mn.nn.Activation)
        profiles[label] = (np.array([s["mean"] for s in statistics.values()]),
                           np.array([s["std"] for s in statistics.values()]))
    return profiles


# %%
profiles = signal_through_depth(batch=ch.pick(full=1000, quick=100), seed=ch.seed)
last = report_profiles(profiles)

# %%
ch.show(draw_profiles(profiles), "signal_through_depth")

# %% [markdown]
# ## Part 2: Maxout fitting convex functions
# One layer does it: `Dense(1 -> 3k)` gives $k$ lines for each of three targets, and
# `Maxout(k)` takes the maximum over each group of $k$ consecutive features, so output $j$ is
# the envelope of lines $jk, \dots, jk + k - 1$. The three outputs share nothing, so one
# model fits three independent Maxout units to $|x|$, $x^2$ and $\mathrm{softplus}(3x)/3$ (a
# smooth ReLU) on $[-1, 1]$, by full-batch Adam on the mean squared error.
#
# A trap worth knowing: the gradient of a maximum goes only to the piece that wins. A line
# that is below the envelope at every data point gets no gradient and never moves: a *dead
# piece*, the same failure as a dead ReLU (chapter 07). Random initial lines leave most pieces
# dead from the start, so we start every piece on the envelope: piece $i$ begins as the
# tangent of the bowl $x^2/2$ at the $i$-th of $k$ evenly spaced points $t_i$ in $[-1, 1]$
# (slope $t_i$, intercept $-t_i^2/2$). We count how many pieces are still on the envelope after training, and compare
# with the default random initialisation at the largest $k$.
#
# For $x^2$ there is a yardstick: fitting the best separate line to each of $k$ equal
# intervals of width $h = 2/k$ leaves a root-mean-square error of
# $h^2 \sqrt{1/80 - 1/144} \approx 0.3/k^2$ (the part of $x^2$ on an interval that no line can
# follow). A $k$-piece Maxout unit, whose pieces must join up, can at best come close to it.

# %%
def maxout_targets(x):
    """(N, 3): |x|, x^2 and softplus(3x)/3 at the column x."""
    softplus = mn.nn.Softplus(beta=3.0)(mn.Tensor(x)).data
    return np.concatenate([np.abs(x), x ** 2, softplus], axis=1).astype(np.float32)


TARGET_NAMES = ("|x|", "x^2", "softplus(3x)/3")


def maxout_model(pieces, start="envelope", targets=len(TARGET_NAMES)):
    dense = mn.nn.Dense(1, targets * pieces, init="normal", bias_init="normal")
    if start == "envelope":
        touch = np.linspace(-1, 1, pieces) if pieces > 1 else np.zeros(1)
        dense.weight.data[0] = np.tile(touch, targets)              # tangents of x^2/2 at `touch`
        dense.bias.data[:] = np.tile(-touch ** 2 / 2, targets)
    return mn.nn.Sequential(dense, mn.nn.Maxout(pieces))


# %%
def fit_maxout(pieces, x, Y, steps, start="envelope", learning_rate=0.02, seed=ch.seed):
    mn.manual_seed(seed)
    model = maxout_model(pieces, start)
    optimizer = mn.optim.Adam(model.parameters(), lr=learning_rate)
    loss_fn, inputs, targets = mn.nn.MSELoss(), mn.Tensor(x), mn.Tensor(Y)
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
    prediction = mn.predict(model, x)
    lines = mn.predict(model[0], x).reshape(len(x), len(TARGET_NAMES), pieces)
    active = [len(np.unique(lines[:, j].argmax(axis=1))) for j in range(len(TARGET_NAMES))]
    rmse = np.sqrt(np.mean((prediction - Y) ** 2, axis=0))
    return prediction, dict(zip(TARGET_NAMES, rmse.tolist())), dict(zip(TARGET_NAMES, active))


# %%
def maxout_experiment(pieces_list, steps, points=201):
    x = np.linspace(-1, 1, points, dtype=np.float32)[:, None]
    Y = maxout_targets(x)
    fits, errors, active = {}, {}, {}
    for pieces in pieces_list:
        fits[pieces], errors[pieces], active[pieces] = fit_maxout(pieces, x, Y, steps)
    _, random_errors, random_active = fit_maxout(max(pieces_list), x, Y, steps, start="random")
    return {"x": x[:, 0], "Y": Y, "fits": fits, "errors": errors, "active": active,
            "random_start_errors": random_errors, "random_start_active": random_active}


def best_separate_pieces_rmse(pieces, half_width=1.0):
    """RMS error of x^2 fitted by the best separate line on each of `pieces` equal intervals."""
    width = 2 * half_width / pieces
    return width ** 2 * np.sqrt(1 / 80 - 1 / 144)


# %%
pieces_list = ch.pick(full=(1, 2, 3, 4, 6, 8, 12, 16), quick=(1, 2, 4, 8))
maxout = maxout_experiment(pieces_list, steps=ch.pick(full=600, quick=300))
yardstick = {k: float(best_separate_pieces_rmse(k)) for k in pieces_list}
report_maxout(maxout, pieces_list, yardstick)

# %%
ch.show(draw_maxout(maxout, pieces_list, yardstick), "maxout_fits")

# %% [markdown]
# ## Part 3: smooth against hard
# On a fine grid over $[-8, 8]$ (float64) we measure the largest gap between each hard variant
# and the smooth curve it imitates: hard-swish against swish (SiLU), and, for comparison, its
# smooth cousins Mish and GELU; hard-sigmoid against sigmoid. Then the cost: forward plus
# backward through each layer on a large float32 array, run in turns after a warm-up, each
# timed by the fastest of its repeats: another job on the machine can only slow a run down,
# so the fastest run is the closest to the layer's own cost.

# %%
SMOOTH_AND_HARD = {"swish (SiLU)": ("silu", "hard_swish"), "Mish": ("mish", "hard_swish"),
                   "GELU": ("gelu", "hard_swish"), "sigmoid": ("sigmoid", "hard_sigmoid")}


def curve(name, x):
    return mn.nn.get_activation(name).f(x)


def curve_gaps(x):
    return {smooth: float(np.max(np.abs(curve(hard, x) - curve(name, x))))
            for smooth, (name, hard) in SMOOTH_AND_HARD.items()}


def forward_backward_seconds(names, size, repeats, seed=ch.seed):
    """Fastest seconds of layer(x).sum().backward() for each activation name, timed in turns."""
    x = mn.Tensor(np.random.default_rng(seed).standard_normal(size).astype(np.float32), requires_grad=True)
    layers = {name: mn.nn.get_activation(name) for name in names}
    times = {name: [] for name in names}
    for repeat in range(repeats + 1):                 # the first round is a warm-up
        for name, layer in layers.items():
            start = time.perf_counter()
            layer(x).sum().backward()
            if repeat:
                times[name].append(time.perf_counter() - start)
            x.grad = None
    return {name: float(np.min(values)) for name, values in times.items()}


# %%
grid = np.linspace(-8, 8, 16001)
gaps = curve_gaps(grid)
swish_gap = np.abs(curve("hard_swish", grid) - curve("silu", grid))
report_gaps(gaps, grid, swish_gap)

# %%
ch.show(draw_smooth_and_hard(grid), "smooth_vs_hard")

# %% [markdown]
# Now the cost in numpy, on this machine.

# %%
names = ["silu", "mish", "gelu", "hard_swish", "sigmoid", "hard_sigmoid"]
size = ch.pick(full=1_000_000, quick=200_000)
seconds = forward_backward_seconds(names, size=size, repeats=ch.pick(full=7, quick=5))
speedup = {smooth: seconds[name] / seconds[hard] for smooth, (name, hard) in SMOOTH_AND_HARD.items()}
report_costs(names, seconds, speedup, size)

# %% [markdown]
# ## What we saw
# **SELU.** In the first figure the SELU network's standard deviation stays near the line at
# $1$ and its mean near the line at $0$ through every layer (the last layer's values and the
# range of its std over all layers are printed). The run that starts with inputs three times
# too large is pulled back towards $1$: the fixed point attracts, which is what
# "self-normalising" means (Klambauer et al. 2017). ReLU with Xavier initialisation halves
# the variance at every layer (ReLU zeroes half of its inputs, and Xavier does not make up
# for it; He et al. 2015), so by the last layer the signal is gone. tanh with Xavier shrinks
# more slowly but steadily. ReLU with He initialisation keeps the scale, as He et al.
# designed it to, but not the centre: its mean is positive at every layer (ReLU's outputs
# are never negative). SELU's negative branch is what lets it hold the mean at $0$ as well.
#
# **Maxout** (Goodfellow et al. 2013). In the table the errors for $x^2$ and the softplus fall
# by more than an order of magnitude from one piece to the most (though not necessarily at
# every step), and $|x|$ is fitted exactly, up to training noise, from two pieces on:
# $|x| = \max(x, -x)$ *is* a two-piece Maxout. For one and two pieces the $x^2$ error sits on
# the yardstick of the best separate line per interval; for the most pieces it stays above
# the yardstick, and the count of active pieces says why: some pieces slid under the envelope
# during training and died, so the largest unit ends up using fewer pieces than it has.
# Started from random lines instead, the largest unit fits $x^2$ worse still (the last row):
# with Maxout, as with ReLU, a piece that never wins never learns, and where the pieces start
# matters.
#
# **Hard variants.** The largest gaps show hard-swish within a small fraction of a unit of
# swish everywhere (the gap peaks at $|x| = 3$, where the clip switches on and off, as the
# third panel shows), and hard-sigmoid less than a tenth from sigmoid. Gaps to Mish and GELU
# are of the same order: hard-swish is a fair stand-in for the whole smooth family.
#
# The timing lines above say, from this run, whether each hard variant was faster or slower
# than its smooth original *in numpy*. Timings vary from run to run (chapter 01 times the same
# functions and may find a different order), but against sigmoid and SiLU, the functions
# they stand in for, "hard" buys less than a factor of 2 in either mode of this chapter, and
# sometimes costs more: numpy runs one pass over memory per elementwise operation and its
# exp is vectorised, so a clip, a shift, a multiply and a divide cost about as much as an
# exponential, and the backward of a piecewise function needs masks of its own. That is not
# what the hard variants were made for. Howard et al. (2019) introduced hard-swish for
# MobileNetV3 on phones, where sigmoid costs far more than a few multiply-adds, and where
# networks run *quantised*: with 8-bit integer weights and activations (Jacob et al. 2018),
# $\mathrm{ReLU6}(x + 3)/6$ is a clip and a fixed-point multiply that integer hardware
# computes exactly, while an exponential needs a lookup table or a floating-point unit, and
# its rounding differs between devices. The argument is about integer and low-precision
# arithmetic on cheap hardware; a numpy benchmark on a desktop CPU says nothing for or
# against it.

# %%
ch.headline = (f"std at layer {DEPTH}: SELU {last['SELU, LeCun normal']['std']:.2f}, tanh "
               f"{last['tanh, Xavier normal']['std']:.2f}, "
               f"ReLU-Xavier {last['ReLU, Xavier normal']['std']:.1e}; "
               f"|hard_swish - swish| <= {gaps['swish (SiLU)']:.3f}; hard_swish/silu time "
               f"{1 / speedup['swish (SiLU)']:.2f}x")
errors = lambda f, k: f["maxout_errors"][str(k)]          # noqa: E731  (keys are strings in JSON)
ch.claims({
    "the SELU network's standard deviation stays near the line at $1$ and its mean near the line at $0$ "
    "through every layer":
        lambda f: 0.8 < f["selu_std_range"][0] and f["selu_std_range"][1] < 1.2
        and abs(f["last_layer"]["SELU, LeCun normal"]["mean"]) < 0.1,
    "The run that starts with inputs three times too large is pulled back towards $1$":
        lambda f: abs(f["last_layer"]["SELU, LeCun normal, input std 3"]["std"] - 1) < 0.2,
    "so by the last layer the signal is gone": lambda f: f["last_layer"]["ReLU, Xavier normal"]["std"] < 1e-4,
    "tanh with Xavier shrinks more slowly but steadily":
        lambda f: 1e-4 < f["last_layer"]["tanh, Xavier normal"]["std"] < 0.5,
    "ReLU with He initialisation keeps the scale, as He et al. designed it to, but not the centre":
        lambda f: 0.5 < f["last_layer"]["ReLU, He normal"]["std"] < 5 and f["relu_he_mean_min"] > 0,
    "fall by more than an order of magnitude from one piece to the most":
        lambda f: all(errors(f, f["maxout_pieces"][-1])[t] < errors(f, 1)[t] / 10 for t in ("x^2", "softplus(3x)/3")),
    "is fitted exactly, up to training noise, from two pieces on":
        lambda f: all(errors(f, k)["|x|"] < 1e-4 for k in f["maxout_pieces"][1:]),
    "For one and two pieces the $x^2$ error sits on the yardstick":
        lambda f: all(abs(errors(f, k)["x^2"] / f["maxout_best_separate_x2"][str(k)] - 1) < 0.1 for k in (1, 2)),
    "for the most pieces it stays above the yardstick, and the count of active pieces says why":
        lambda f: errors(f, f["maxout_pieces"][-1])["x^2"] > 1.5 * f["maxout_best_separate_x2"][str(f["maxout_pieces"][-1])]
        and f["maxout_active"][str(f["maxout_pieces"][-1])]["x^2"] < f["maxout_pieces"][-1],
    "the largest unit fits $x^2$ worse still":
        lambda f: f["maxout_random_start_errors"]["x^2"] > errors(f, f["maxout_pieces"][-1])["x^2"],
    "hard-swish within a small fraction of a unit of swish everywhere":
        lambda f: f["max_gap"]["swish (SiLU)"] < 0.2,
    "the gap peaks at $|x| = 3$": lambda f: abs(f["swish_gap_at"] - 3) < 0.05,
    "hard-sigmoid less than a tenth from sigmoid": lambda f: f["max_gap"]["sigmoid"] < 0.1,
    "Gaps to Mish and GELU are of the same order":
        lambda f: all(f["max_gap"][name] < 10 * f["max_gap"]["swish (SiLU)"] for name in ("Mish", "GELU")),
    "\"hard\" buys less than a factor of 2 in either mode of this chapter":
        lambda f: f["speedup"]["sigmoid"] < 2 and f["speedup"]["swish (SiLU)"] < 2,
})

# %% [markdown]
# ## Exercises
# 1. Add `"ELU, LeCun normal": ("ELU", "lecun_normal")` to `DEEP_NETWORKS`: does it keep
#    its variance through the layers?
# 2. Change `maxout_model` to start every piece at random (`start="random"` for every $k$):
#    how many pieces survive, and how does the error curve change? Try a smaller learning
#    rate.
# 3. Write `HardMish` as a new `mn.nn.Activation` (your own piecewise-linear guess at Mish),
#    add it to `SMOOTH_AND_HARD`, and measure its gap to Mish and its speed.

# %% [markdown]
# <details><summary>Solutions</summary>
#
# 1. ELU has a negative branch like SELU but no scale $\lambda$: its outputs' variance is
#    below its inputs', so the std drifts down layer by layer, far more slowly than tanh's.
# 2. More pieces die: a random line that starts under the envelope never wins and never
#    learns, so fewer pieces are active and the error for large $k$ stays higher; a smaller
#    learning rate moves the pieces less and rarely revives them.
# 3. Any function with `f` and `df` works; compare it against `mn.nn.Mish` with the
#    `curve` helper above and time it with `forward_backward_seconds`.
#
# </details>

# %% [markdown]
# ## References
# - Klambauer, G., Unterthiner, T., Mayr, A. and Hochreiter, S. (2017). Self-normalizing
#   neural networks. https://arxiv.org/abs/1706.02515
# - He, K., Zhang, X., Ren, S. and Sun, J. (2015). Delving deep into rectifiers: surpassing
#   human-level performance on ImageNet classification. https://arxiv.org/abs/1502.01852
# - Glorot, X. and Bengio, Y. (2010). Understanding the difficulty of training deep
#   feedforward neural networks. AISTATS. https://proceedings.mlr.press/v9/glorot10a.html
# - Goodfellow, I. J., Warde-Farley, D., Mirza, M., Courville, A. and Bengio, Y. (2013).
#   Maxout networks. ICML. https://arxiv.org/abs/1302.4389
# - Howard, A., Sandler, M., Chu, G., Chen, L.-C., Chen, B., Tan, M., Wang, W., Zhu, Y.,
#   Pang, R., Vasudevan, V., Le, Q. V. and Adam, H. (2019). Searching for MobileNetV3.
#   https://arxiv.org/abs/1905.02244
# - Jacob, B., Kligys, S., Chen, B., Zhu, M., Tang, M., Howard, A., Adam, H. and Kalenichenko,
#   D. (2018). Quantization and training of neural networks for efficient
#   integer-arithmetic-only inference. https://arxiv.org/abs/1712.05877
# - Courbariaux, M., Bengio, Y. and David, J.-P. (2015). BinaryConnect: training deep neural
#   networks with binary weights during propagations (an early hard sigmoid).
#   https://arxiv.org/abs/1511.00363
# - Ramachandran, P., Zoph, B. and Le, Q. V. (2017). Searching for activation functions.
#   https://arxiv.org/abs/1710.05941
# - Hendrycks, D. and Gimpel, K. (2016). Gaussian error linear units (GELUs).
#   https://arxiv.org/abs/1606.08415
# - Misra, D. (2019). Mish: a self regularized non-monotonic activation function.
#   https://arxiv.org/abs/1908.08681
