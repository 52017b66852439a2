"""Chapter 01: the activation zoo, measured rather than recited

Every activation minnet knows, drawn with its derivative; its properties (range,
zero-centred, monotonic, smooth, largest slope, saturating) measured numerically and held
against what each class declares; what each one costs; and three mistakes from the blog
posts on activation functions this project started from, checked with numbers.
"""
# %% [markdown]
# **You will learn** what the usual adjectives for activation functions (bounded,
# zero-centred, monotonic, smooth, saturating) mean as measurable facts, how each registered
# activation scores, what each costs in numpy, and three mistakes from blog posts. **You
# need** chapter 00 (autograd gives derivatives). **Runs in** about 2.5 s (2 s in quick mode)
# on one core.
#
# ## The question
# Tutorials list activation functions with a row of adjectives: "bounded", "zero-centred",
# "smooth", "saturating". Those are claims about a function $f$, so we can test them. We take
# every class registered in `mn.nn.ACTIVATIONS`, evaluate it on grids of inputs, get its
# derivative $f'$ from autograd (not from a formula we typed), and derive each property from
# the numbers. Then we compare with the attributes each class declares.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import minnet as mn
from chapters._common import Chapter

ch = Chapter("01_activation_zoo")
mn.manual_seed(ch.seed)
names = sorted(mn.nn.ACTIVATIONS)
ch.record(names=names)
ch.print(f"{len(names)} registered activations:", ", ".join(names))

# The few activations that need arguments (everything else uses its defaults).
ARGUMENTS = {"threshold": {"threshold": 1.0, "value": 0.0},    # y = x above 1, else 0
             "maxout": {"pieces": 2}}

# Maxout, GLU and the softmax family map a vector to a vector, so they have no single
# curve. We draw the first output while the second input is held at PARTNER: 0 for most
# (Softmax([x, 0])[0] = sigmoid(x), Maxout([x, 0]) = ReLU(x)), and x itself for GLU
# (GLU([x, x]) = x sigmoid(x), which is SiLU).
PARTNER = {"glu": "x"}

# %%
def build(name):
    """The activation registered as `name`, in eval mode (RReLU uses its mean slope)."""
    activation = mn.nn.get_activation(name, **ARGUMENTS.get(name, {}))
    activation.eval()
    return activation


def curve(name, activation, x):
    """y(x) for a Tensor x of shape (n,): the activation itself, or its 1-D slice (see PARTNER)."""
    if activation.elementwise:
        return activation(x)
    partner = x if PARTNER.get(name) == "x" else mn.Tensor(np.zeros(x.shape, dtype=x.dtype))
    return activation(mn.stack([x, partner], axis=-1))[..., 0]


def values_and_slopes(name, activation, grid):
    """f and f' on a float64 grid: f' by autograd (one backward gives every slope)."""
    x = mn.Tensor(grid, requires_grad=True)
    y = curve(name, activation, x)
    y.sum().backward()
    return y.data.astype(np.float64), x.grad.astype(np.float64)


# %%
# Bookkeeping and drawing, not the lesson: the helpers below record findings (what the
# prose's claims and the tests read), print tables and draw figures, so that each cell that
# follows shows only its computation.
def draw_zoo(names, grid):
    """One panel per activation: f solid, f' dashed (autograd), on shared axes."""
    cols = 4
    rows = -(-len(names) // cols)
    # shared axes: one scale to compare shapes by, and far fewer tick labels to draw
    figure, axes = plt.subplots(rows, cols, figsize=(2.9 * cols, 2.3 * rows), sharex=True, sharey=True)
    for ax, name in zip(axes.flat, names):
        activation = build(name)
        y, slope = values_and_slopes(name, activation, grid)
        ax.axhline(0, color="0.85", lw=0.8)
        ax.axvline(0, color="0.85", lw=0.8)
        ax.plot(grid, y, lw=2, label="f(x)")
        ax.plot(grid, slope, lw=1.5, ls="--", label="f'(x)")
        ax.set_title(name + ("" if activation.elementwise else "  (1-D slice)"), fontsize=10)
    axes[0, 0].set_ylim(-2.2, 3.2)
    for ax in axes[:, 0]:
        ax.set_ylabel("f(x), f'(x)")
    for ax in list(axes.flat)[len(names):]:
        ax.remove()
    for ax in list(axes.flat)[len(names) - cols:len(names)]:
        ax.set_xlabel("x")
        ax.xaxis.set_tick_params(labelbottom=True)
    axes.flat[0].legend(loc="upper left", fontsize=8)
    figure.suptitle("Every registered activation f (solid) and its derivative f' (dashed, by "
                    "autograd); y clipped to [-2.2, 3.2]", fontsize=13)
    # fixed spacing: tight_layout on 30 panels costs more than all the measurements together
    figure.subplots_adjust(left=0.07, right=0.99, bottom=0.03, top=0.95, hspace=0.3, wspace=0.08)
    return figure


def _agree(key, measured, declared, elementwise):
    if key != "output_range":
        return bool(measured) == bool(declared)
    (low, high), (declared_low, declared_high) = measured, declared
    if not elementwise:
        # a 1-D slice sees only part of a vector activation's outputs: inside is all we can ask
        return declared_low - 1e-3 <= low and high <= declared_high + 1e-3
    # declared bounds are rounded to about 4 digits (GELU's minimum is -0.16997...)
    return all((np.isinf(m) and m == d) or (np.isfinite(m) and np.isfinite(d) and abs(m - d) < 1e-3)
               for m, d in ((low, declared_low), (high, declared_high)))


def format_table(rows):
    def bound(value):
        return f"{value:+.4g}" if np.isfinite(value) else ("-inf" if value < 0 else "+inf")

    def flag(row, key):
        mark = "yes" if row["measured"][key] else "no"
        return mark + ("*" if key in row["disagreements"] else "")

    lines = [f"{'activation':<13} {'range':>18} {'f(0)':>6} {'mean N(0,1)':>11} {'zero-c.':>7} "
             f"{'monotonic':>9} {'smooth':>6} {'max|df|':>7} {'saturates':>9}"]
    for row in rows:
        low, high = row["measured"]["output_range"]
        rng = f"[{bound(low)}, {bound(high)}]" + ("*" if "output_range" in row["disagreements"] else "")
        saturates = row["saturating_ends"] + ("*" if "saturating" in row["disagreements"] else "")
        lines.append(f"{row['name']:<13} {rng:>18} {row['f_at_zero']:>6.2f} {row['mean_on_normal']:>11.3f} "
                     f"{flag(row, 'zero_centred'):>7} {flag(row, 'monotonic'):>9} {flag(row, 'smooth'):>6} "
                     f"{row['max_slope']:>7.3f} {saturates:>9}")
    lines.append("* = the measurement disagrees with the attribute the class declares")
    return "\n".join(lines)


def report_properties(table):
    """Record the table of measured properties, print it and its disagreements; the disagreements."""
    disagreements = [(row["name"], key) for row in table for key in row["disagreements"]]
    by_name = {row["name"]: row for row in table}
    ch.record(table=table, disagreements=disagreements, table_text=format_table(table),
              sigmoid_max_derivative=by_name["sigmoid"]["max_slope"])
    ch.print(ch.findings["table_text"])
    ch.print("measured vs declared disagreements:",
             ", ".join(f"{name}.{key}" for name, key in disagreements) or "none")
    ch.print(f"sigmoid's max derivative: {ch.findings['sigmoid_max_derivative']:.4f}; mean output on N(0, 1): "
             + ", ".join(f"{name} {by_name[name]['mean_on_normal']:+.3f}" for name in ("relu", "elu", "selu")))
    return disagreements


SAME = 0.1            # within 10% either way, a timing is noise, not a verdict


def verdict(ratio):
    return "about as fast as" if abs(ratio - 1) <= SAME else "slower than" if ratio > 1 else "faster than"


def report_times(times, size, rounds):
    """Record the timings, print them fastest first, and how each hard variant compares."""
    ch.record(timed_size=size, times=times, hard_sigmoid_vs_sigmoid=times["hard_sigmoid"] / times["sigmoid"],
              hard_swish_vs_swish=times["hard_swish"] / times["swish"])
    ch.table({name: {"ms": 1e3 * times[name]} for name in sorted(times, key=times.get)}, fmt=".3f",
             title=f"forward + backward on {size:,} float32 values, fastest of {rounds} rounds", key="activation")
    for hard, smooth in (("hard_sigmoid", "sigmoid"), ("hard_swish", "swish")):
        ratio = times[hard] / times[smooth]
        ch.print(f"{hard} takes {ratio:.2f}x the time of {smooth}: {verdict(ratio)} it in numpy on this machine")


def draw_costs(times, size):
    """Horizontal bars of the timings, the hard variants and their originals in their own colours."""
    ordered = sorted(times, key=times.get)
    highlight = {"hard_sigmoid", "sigmoid", "hard_swish", "swish"}
    figure, ax = plt.subplots(figsize=(7, 8))
    ax.barh(ordered, [1e3 * times[name] for name in ordered],
            color=[mn.plot.activation_colour(name) if name in highlight else "#C8C8C8" for name in ordered])
    ax.set_xlabel("forward + backward time (ms, log scale)")
    ax.set_xscale("log")
    # less than two decades: matplotlib labels the minor ticks as "2 x 10^-2" and they run
    # into each other; plain numbers at 1, 2 and 5 of each decade read at any width
    from matplotlib.ticker import LogLocator, NullFormatter, StrMethodFormatter
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_title(f"Forward + backward on {size:,} float32 values\n"
                 "(coloured: hard-sigmoid, hard-swish and their smooth originals)")
    return figure


def report_mistakes(x, far, softmax, wrong_sigmoid, right_sigmoid, wrong_swish, right_swish,
                    library_sigmoid, library_swish):
    """Record how far the article's formulas and softmax numbers are from the right ones; print it."""
    relu, relu6 = mn.nn.ReLU(), mn.nn.ReLU6()
    ch.record(
        hard_sigmoid_max_difference=float(np.max(np.abs(wrong_sigmoid.data - right_sigmoid.data))),
        hard_swish_max_difference=float(np.max(np.abs(wrong_swish.data - right_swish.data))),
        wrong_hard_sigmoid_range=(float(wrong_sigmoid.data.min()), float(wrong_sigmoid.data.max())),
        right_hard_sigmoid_range=(float(right_sigmoid.data.min()), float(right_sigmoid.data.max())),
        wrong_hard_sigmoid_at_100=float(((relu(far) + 3) / 6).data[0]),
        right_hard_sigmoid_at_100=float((relu6(far + 3) / 6).data[0]),
        library_matches_right=float(max(np.max(np.abs(library_sigmoid.data - right_sigmoid.data)),
                                        np.max(np.abs(library_swish.data - right_swish.data)))),
        softmax=[float(v) for v in softmax], softmax_article=[float(v) for v in ARTICLE_SOFTMAX])
    findings = ch.findings
    ch.print(f"article's hard-sigmoid at x=100: {findings['wrong_hard_sigmoid_at_100']:.2f} "
             f"(right one: {findings['right_hard_sigmoid_at_100']:.2f}); max difference on [-6, 6]: "
             f"{findings['hard_sigmoid_max_difference']:.3f}; "
             f"hard-swish: {findings['hard_swish_max_difference']:.3f}")
    ch.print(f"minnet's HardSigmoid/HardSwish vs the right formulas: max difference "
             f"{findings['library_matches_right']:.1e}")
    ch.print("softmax([4, 1, -4]) true:    " + ", ".join(f"{100 * v:.2f}%" for v in findings["softmax"]))
    ch.print("softmax([4, 1, -4]) article: " + ", ".join(f"{100 * v:.2f}%" for v in findings["softmax_article"]))


def draw_mistakes(x, wrong_sigmoid, right_sigmoid, wrong_swish, right_swish):
    """The article's hard-sigmoid and hard-swish against MobileNetV3's, side by side."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for ax, wrong, correct, label, article in (
            (left, wrong_sigmoid, right_sigmoid, "hard-sigmoid", "(ReLU(x) + 3) / 6"),
            (right, wrong_swish, right_swish, "hard-swish", "x (ReLU6(x) + 3) / 6")):
        ax.axhline(0, color="0.85", lw=0.8)
        ax.plot(x.data, correct.data, lw=3, label=f"right: {'x ' if 'swish' in label else ''}ReLU6(x + 3) / 6")
        ax.plot(x.data, wrong.data, lw=2, ls="--", label=f"article: {article}")
        ax.set(xlabel="x", ylabel=label + "(x)", title=f"{label}: the article's formula vs MobileNetV3's")
        ax.legend(loc="upper left", fontsize=9)
    left.axhline(1, color="k", lw=0.8, ls=":")
    return figure


# %% [markdown]
# ## Every activation and its derivative
# Solid: $f(x)$. Dashed: $f'(x)$, from autograd. Look for the kinks in the dashed lines (ReLU,
# the hard variants, the shrinks), the curves that dip below zero before rising (GELU,
# Swish, Mish: not monotonic), and the derivatives that fall to zero on both sides
# (sigmoid, tanh: saturating).

# %%
ch.show(draw_zoo(names, np.linspace(-5, 5, 401)), "zoo", tight=False)

# %% [markdown]
# ## Properties, measured
# How each column is computed (f' always by autograd):
#
# - **range**: the smallest and largest $f$ on a fine grid over $[-10, 10]$ and a log-spaced
#   one out to $\pm 10^4$; an end still moving by more than `MOVING` between
#   $|x| = 5 \cdot 10^3$ and $10^4$ is unbounded.
# - **zero-centred**: $f(0) = 0$ and the mean output for standard-normal inputs,
#   $\mathbb{E}_{x \sim N(0,1)}[f(x)]$, within `MEAN_TOLERANCE` of zero (the mean is printed,
#   so you can judge the borderline cases yourself).
# - **monotonic**: $f'(x) \ge 0$ everywhere (non-decreasing, the classes' convention).
# - **smooth**: neither $f$ nor $f'$ jumps by more than `JUMP` between neighbouring points of
#   the fine grid (a kink makes $f'$ jump by a fixed amount however fine the grid).
# - **max |f'|**: the steepest slope anywhere.
# - **saturating**: $|f'(x)|$ below `FLAT` at $x = \pm 10^4$ (the column shows which ends).

# %%
FINE = np.linspace(-10, 10, 20001)                              # step 1e-3, includes x = 0
WIDE = np.concatenate([-np.geomspace(1e4, 10, 100), np.geomspace(10, 1e4, 100)])
MOVING = 1.0          # an end still changing by more than this between 5e3 and 1e4 is unbounded
JUMP = 0.01           # larger steps than this between neighbours on FINE are kinks or jumps
FLAT = 1e-3           # a derivative below this at |x| = 1e4 has saturated
MEAN_TOLERANCE = 0.1  # |mean output| on N(0, 1) inputs below this counts as zero-centred


def measure(name):
    """The numerically measured properties of one activation, and its declared ones."""
    activation = build(name)
    y_fine, slope_fine = values_and_slopes(name, activation, FINE)
    y_wide, slope_wide = values_and_slopes(name, activation, WIDE)
    y_half, _ = values_and_slopes(name, activation, np.array([-5e3, 5e3]))
    low = -np.inf if y_half[0] - y_wide[0] > MOVING else min(y_fine.min(), y_wide.min())
    high = np.inf if y_wide[-1] - y_half[1] > MOVING else max(y_fine.max(), y_wide.max())
    normal_weights = np.exp(-FINE ** 2 / 2)
    mean_on_normal = float(np.sum(y_fine * normal_weights) / np.sum(normal_weights))
    f_at_zero = float(y_fine[len(FINE) // 2])
    ends = ("left" if abs(slope_wide[0]) < FLAT else "") + ("right" if abs(slope_wide[-1]) < FLAT else "")
    measured = {
        "output_range": (float(low), float(high)),
        "zero_centred": abs(f_at_zero) < 1e-6 and abs(mean_on_normal) < MEAN_TOLERANCE,
        "monotonic": bool(np.all(slope_fine >= -1e-9) and np.all(slope_wide >= -1e-9)),
        "smooth": bool(np.max(np.abs(np.diff(y_fine))) < JUMP
                       and np.max(np.abs(np.diff(slope_fine))) < JUMP),
        "saturating": ends == "leftright",
    }
    declared = {key: getattr(activation, key) for key in measured}
    disagreements = [key for key in measured
                     if not _agree(key, measured[key], declared[key], activation.elementwise)]
    return {"name": name, "measured": measured, "declared": declared, "disagreements": disagreements,
            "mean_on_normal": mean_on_normal, "f_at_zero": f_at_zero,
            "max_slope": float(max(np.abs(slope_fine).max(), np.abs(slope_wide).max())),
            "saturating_ends": {"leftright": "both", "left": "left", "right": "right"}.get(ends, "-"),
            "elementwise": activation.elementwise}


# %%
table = [measure(name) for name in names]
disagreements = report_properties(table)

# %% [markdown]
# ## What each one costs
# Forward plus backward through each layer on the same float32 array, timed in interleaved
# rounds (every activation once per round), keeping each one's fastest round: as Python's
# `timeit` advises, the minimum is the run least disturbed by other programs, and a slow
# moment of the machine then cannot favour one activation over another. Hard-sigmoid and
# hard-swish exist to be cheaper than sigmoid and swish on hardware without a fast
# exponential; in numpy every elementwise step is a pass over memory, so count the passes,
# not the exponentials.

# %%
def time_forward_backward(names, size, rounds):
    """Fastest seconds of forward+backward per activation, on (size // 100, 100) float32."""
    x_data = mn.config.rng().standard_normal((size // 100, 100)).astype(np.float32)
    layers = {name: build(name) for name in names}
    layers["rrelu"].train()                      # time RReLU as it runs in training
    times = {name: [] for name in names}
    for round_ in range(rounds + 1):             # round 0 is the warm-up
        for name in names:
            x = mn.Tensor(x_data, requires_grad=True)
            start = time.perf_counter()
            y = layers[name](x)
            y.backward(np.ones(y.shape, dtype=np.float32))
            if round_:
                times[name].append(time.perf_counter() - start)
    return {name: float(np.min(t)) for name, t in times.items()}


# %%
# 100,000 float32 (400 KB) rather than millions: at 1e6 each fresh 4 MB temporary costs
# thousands of page faults, and on small virtual machines those dominated the timings;
# at this size numpy reuses its memory.
size, rounds = ch.pick(full=(100_000, 25), quick=(10_000, 5))
times = time_forward_backward(names, size, rounds)
report_times(times, size, rounds)

# %%
ch.show(draw_costs(times, size), "costs")

# %% [markdown]
# ## Three mistakes from the blog posts
# One blog post on activation functions defines hard-sigmoid as $(\mathrm{ReLU}(x) + 3)/6$
# and hard-swish as $x\,(\mathrm{ReLU6}(x) + 3)/6$. MobileNetV3's functions are
# $\mathrm{ReLU6}(x + 3)/6$ and $x\,\mathrm{ReLU6}(x + 3)/6$: the $3$ belongs inside the
# clipping (Howard et al. 2019, section 5.2). The wrong hard-sigmoid is not bounded by $1$ (so
# it is no probability) and is stuck at $\tfrac12$ for every negative input. Another post gives
# $\mathrm{softmax}([4, 1, -4])$ as $95.25\%, 4.71\%, 0.04\%$; we compute it.

# %%
ARTICLE_SOFTMAX = np.array([0.9525, 0.0471, 0.0004])     # as printed in the article
relu, relu6 = mn.nn.ReLU(), mn.nn.ReLU6()
x = mn.Tensor(np.linspace(-6, 6, 1201))
wrong_sigmoid, right_sigmoid = (relu(x) + 3) / 6, relu6(x + 3) / 6
wrong_swish, right_swish = x * (relu6(x) + 3) / 6, x * relu6(x + 3) / 6
library_sigmoid, library_swish = mn.nn.HardSigmoid()(x), mn.nn.HardSwish()(x)
far = mn.Tensor(np.array([100.0]))
softmax = mn.nn.Softmax()(mn.Tensor(np.array([4.0, 1.0, -4.0]))).data
report_mistakes(x, far, softmax, wrong_sigmoid, right_sigmoid, wrong_swish, right_swish,
                library_sigmoid, library_swish)

# %%
ch.show(draw_mistakes(x, wrong_sigmoid, right_sigmoid, wrong_swish, right_swish), "article_mistakes")

# %% [markdown]
# ## What we saw
# The table lists every registered activation; a star marks a property where the
# measurement and the class's own attribute disagree, and the line under the table names
# each disagreement. The few there are concern definitions rather than bugs: whether ELU
# (and CELU, the same function at its default $\alpha$) counts as zero-centred depends on
# how close to zero its mean output must be, and its printed mean on standard-normal inputs
# lies between ReLU's and SELU's. A one-dimensional slice of a vector-valued activation
# (Maxout, GLU, the softmax family) only shows one view of it. Sigmoid's steepest slope is a
# quarter (printed): the reason deep sigmoid networks lose their gradient (chapter 03;
# Glorot and Bengio 2010).
#
# The timings show what "hard" buys in numpy: the lines under the timing table say, from
# this run's numbers, whether hard-sigmoid and hard-swish were faster than, slower than or
# about as fast as sigmoid and swish, calling anything within ten per cent a tie. Neither
# hard variant is twice as fast as its smooth original, and timings this close change order
# from run to run (chapter 09 times the same functions on a larger array and may find
# another order). Howard et al. (2019) introduced hard-swish for mobile hardware, where an
# exponential is expensive and the clip fits integer arithmetic; in numpy every elementwise
# step is a pass over memory, and the hard variants take about as many passes (chapter 09
# returns to this).
#
# The article's hard-sigmoid leaves $[0, 1]$ (its printed value at $x = 100$) and differs from
# the true one by the printed maximum on $[-6, 6]$; minnet's HardSigmoid and HardSwish match
# the right formulas. The article's softmax numbers are off in the second decimal place of
# each percentage (printed side by side): small, but a reader who checks the example by hand
# will find it does not reproduce.

# %%
ch.headline = (f"{len(names)} activations measured, {len(disagreements)} declared properties disagree; "
               f"hard-swish costs {ch.findings['hard_swish_vs_swish']:.2f}x swish")
row = lambda f, name: next(r for r in f["table"] if r["name"] == name)      # noqa: E731
ch.claims({
    "The few there are concern definitions rather than bugs":
        lambda f: {key for _, key in f["disagreements"]} <= {"zero_centred"} and len(f["disagreements"]) <= 3,
    "its printed mean on standard-normal inputs lies between ReLU's and SELU's":
        lambda f: row(f, "selu")["mean_on_normal"] < row(f, "elu")["mean_on_normal"] < row(f, "relu")["mean_on_normal"],
    "Sigmoid's steepest slope is a quarter": lambda f: abs(f["sigmoid_max_derivative"] - 0.25) < 1e-6,
    "Neither hard variant is twice as fast as its smooth original":
        lambda f: f["hard_sigmoid_vs_sigmoid"] > 0.5 and f["hard_swish_vs_swish"] > 0.5,
    "The article's hard-sigmoid leaves $[0, 1]$":
        lambda f: f["wrong_hard_sigmoid_at_100"] > 1 and f["right_hard_sigmoid_range"] == [0.0, 1.0],
    "minnet's HardSigmoid and HardSwish match the right formulas": lambda f: f["library_matches_right"] < 1e-12,
    "The article's softmax numbers are off in the second decimal place of each percentage":
        lambda f: all(0.00005 < abs(a - b) < 0.001 for a, b in zip(f["softmax"], f["softmax_article"])),
})

# %% [markdown]
# ## Exercises
# 1. Add an activation of your own: in a new cell, write a subclass of `mn.nn.Activation`
#    with `name = "my_swish2"`, `f(self, x)` returning $x / (1 + e^{-2x})$ and
#    `df(self, x, y)` its derivative; it registers itself. Then run `measure("my_swish2")`:
#    which properties would you declare for it?
# 2. Change `MEAN_TOLERANCE` to $0.2$: which activations become "zero-centred"? Is that a
#    property of the function or of the threshold?
# 3. Time the activations on float64 instead of float32 (in `time_forward_backward`): which
#    ones slow down by more than the factor of two in memory traffic?

# %% [markdown]
# <details><summary>Solutions</summary>
#
# 1. With $s = \sigma(2x)$, $f = xs$ and $f' = s + 2x\,s(1 - s)$. The function is swish with
#    $\beta = 2$: unbounded above, bounded below (its minimum is about $-0.14$), not monotonic,
#    smooth, not saturating on the right, with a mean on standard-normal inputs well above
#    zero, so not zero-centred.
# 2. Those whose printed mean lies between $0.1$ and $0.2$ in absolute value, ELU and CELU
#    among them: the verdict moved with the threshold, not with the function.
# 3. Memory traffic doubles for all of them; what can add more is the arithmetic per element,
#    so look first at the activations built on exponentials and logarithms (GELU, Mish,
#    softplus) and compare their ratios with the piecewise-linear ones'.
#
# </details>

# %% [markdown]
# ## References
# - Nair, V. and Hinton, G. E. (2010). Rectified linear units improve restricted Boltzmann
#   machines. ICML. https://www.cs.toronto.edu/~hinton/absps/reluICML.pdf
# - Maas, A. L., Hannun, A. Y. and Ng, A. Y. (2013). Rectifier nonlinearities improve neural
#   network acoustic models. ICML workshop.
#   https://ai.stanford.edu/~amaas/papers/relu_hybrid_icml2013_final.pdf
# - He, K., Zhang, X., Ren, S. and Sun, J. (2015). Delving deep into rectifiers: surpassing
#   human-level performance on ImageNet classification (PReLU). https://arxiv.org/abs/1502.01852
# - Xu, B., Wang, N., Chen, T. and Li, M. (2015). Empirical evaluation of rectified activations
#   in convolutional network (RReLU). https://arxiv.org/abs/1505.00853
# - Clevert, D.-A., Unterthiner, T. and Hochreiter, S. (2015). Fast and accurate deep network
#   learning by exponential linear units (ELUs). https://arxiv.org/abs/1511.07289
# - Klambauer, G., Unterthiner, T., Mayr, A. and Hochreiter, S. (2017). Self-normalizing
#   neural networks (SELU). https://arxiv.org/abs/1706.02515
# - Barron, J. T. (2017). Continuously differentiable exponential linear units (CELU).
#   https://arxiv.org/abs/1704.07483
# - Hendrycks, D. and Gimpel, K. (2016). Gaussian error linear units (GELUs).
#   https://arxiv.org/abs/1606.08415
# - Ramachandran, P., Zoph, B. and Le, Q. V. (2017). Searching for activation functions
#   (Swish). https://arxiv.org/abs/1710.05941
# - Elfwing, S., Uchibe, E. and Doya, K. (2018). Sigmoid-weighted linear units for neural
#   network function approximation in reinforcement learning (SiLU). https://arxiv.org/abs/1702.03118
# - Misra, D. (2019). Mish: a self regularized non-monotonic activation function.
#   https://arxiv.org/abs/1908.08681
# - Krizhevsky, A. (2010). Convolutional deep belief networks on CIFAR-10 (ReLU6).
#   https://www.cs.toronto.edu/~kriz/conv-cifar10-aug2010.pdf
# - Howard, A. et al. (2019). Searching for MobileNetV3 (hard-sigmoid, hard-swish).
#   https://arxiv.org/abs/1905.02244
# - Goodfellow, I. J., Warde-Farley, D., Mirza, M., Courville, A. and Bengio, Y. (2013).
#   Maxout networks. https://arxiv.org/abs/1302.4389
# - Dauphin, Y. N., Fan, A., Auli, M. and Grangier, D. (2017). Language modeling with gated
#   convolutional networks (GLU). https://arxiv.org/abs/1612.08083
# - Glorot, X. and Bengio, Y. (2010). Understanding the difficulty of training deep
#   feedforward neural networks. AISTATS. https://proceedings.mlr.press/v9/glorot10a.html
