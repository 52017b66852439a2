"""Chapter 12: how do the optimiser and the learning rate shape training?

Gradient descent has one knob, the learning rate, and a family of refinements: momentum,
Nesterov's look-ahead, per-parameter step sizes (RMSprop, Adam) and schedules that change
the rate as training goes. We watch each optimiser on two small surfaces where its path can
be drawn, then on handwritten digits; we push the learning rate too low and too high, look
inside Adam's first steps, and see what a warm-up is for.
"""
# %% [markdown]
# **You will learn** the update rules of SGD, momentum, Nesterov, RMSprop and Adam, what each
# fixes, how the learning rate decides between crawling and diverging, why Adam corrects its
# running means, and what a warm-up is for. **You need** chapter 00 and chapter 04.
# **Runs in** about 4 s (2.5 s in quick mode) on one core.
#
# ## The question
# Plain gradient descent takes the step $w \leftarrow w - \eta\, g$ with $g = \nabla_w L$ and
# learning rate $\eta$. Its trouble is curvature: on a surface that is steep in one direction
# and shallow in another, a rate small enough not to overshoot across the steep direction
# crawls along the shallow one. The refinements, with PyTorch's conventions:
#
# - **Momentum** (Polyak 1964) keeps a running sum of past gradients, so steps along a
#   consistent direction build up while steps that flip sign cancel:
#   $$v \leftarrow \mu v + g, \qquad w \leftarrow w - \eta\, v.$$
# - **Nesterov** (Nesterov 1983; Sutskever et al. 2013) looks ahead along the momentum:
#   $w \leftarrow w - \eta\,(g + \mu v)$ with $v$ updated as above.
# - **RMSprop** (Hinton 2012) divides each coordinate's step by a running root mean square of
#   its gradients, so every parameter moves at a similar pace whatever the scale of its
#   gradient:
#   $$s \leftarrow \alpha s + (1 - \alpha)\, g^2, \qquad w \leftarrow w - \eta\, \frac{g}{\sqrt{s} + \epsilon}.$$
# - **Adam** (Kingma & Ba 2015) combines both, with running means that start at zero and are
#   corrected for it (the section on Adam's first steps measures why):
#   $$m \leftarrow \beta_1 m + (1 - \beta_1)\, g, \quad v \leftarrow \beta_2 v + (1 - \beta_2)\, g^2, \quad
#     w \leftarrow w - \eta\, \frac{m / (1 - \beta_1^t)}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}.$$

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import minnet as mn
from chapters._common import Chapter

ch = Chapter("12_optimizers")
QUADRATIC_STEPS = ch.pick(full=100, quick=40)
ROSENBROCK_STEPS = ch.pick(full=600, quick=300)
EPOCHS = ch.pick(full=8, quick=3)             # digits: passes over the training set
SEEDS = ch.pick(full=(0, 1, 2), quick=(0,))   # warm-up runs, one per seed
ch.record(epochs=EPOCHS, seeds=list(SEEDS))

OPTIMIZERS = {                                 # name -> optimiser for a parameter list and a rate
    "SGD": lambda params, lr: mn.optim.SGD(params, lr=lr),
    "momentum": lambda params, lr: mn.optim.SGD(params, lr=lr, momentum=0.9),
    "Nesterov": lambda params, lr: mn.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True),
    "RMSprop": lambda params, lr: mn.optim.RMSprop(params, lr=lr),
    "Adam": lambda params, lr: mn.optim.Adam(params, lr=lr),
}

# %%
# Bookkeeping and drawing, not the lesson: these helpers record findings (what the prose's
# claims and the tests read), print the tables and draw the figures.
def report_surfaces(best, every_rate):
    rows = {name: {} for name in OPTIMIZERS}
    for (surface, name), entry in best.items():
        rows[name].update({f"{surface} lr": entry["lr"], f"{surface} value": entry["final value"]})
    ch.table(rows, fmt=".2g", key="optimiser")
    ch.record(surfaces={f"{surface}/{name}": entry for (surface, name), entry in best.items()},
              every_rate=every_rate)


def draw_trajectories(paths, best):
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, (surface, (f, start, _, _)) in zip(axes, SURFACES.items()):
        xs, ys = np.meshgrid(np.linspace(-5, 5, 200), np.linspace(-2.5, 2.5, 200)) if surface == "quadratic" \
            else np.meshgrid(np.linspace(-2, 2, 200), np.linspace(-1, 3, 200))
        heights = f(mn.Tensor(np.stack([xs, ys]))).data
        ax.contour(xs, ys, np.log1p(heights), levels=25, cmap="Greys", linewidths=0.6)
        for name in OPTIMIZERS:
            path = paths[(surface, name)]
            ax.plot(path[:, 0], path[:, 1], ".-", markersize=2, linewidth=1,
                    label=f"{name} (lr {best[(surface, name)]['lr']:g})")
        ax.plot(*start, "ko")
        ax.plot(*((0, 0) if surface == "quadratic" else (1, 1)), "k*", markersize=12)
        ax.set(title=f"{surface}: {len(path) - 1} steps", xlabel="x", ylabel="y",
               xlim=(xs.min(), xs.max()), ylim=(ys.min(), ys.max()))
        # Rosenbrock's paths fill the valley and its top; its bottom left holds only contours
        ax.legend(fontsize="small", loc="upper right" if surface == "quadratic" else "lower left")
    return figure


def report_boundary(boundary):
    ch.record(sgd_just_below_2_over_L=boundary[0.019], sgd_just_above_2_over_L=boundary[0.021])
    ch.print(f"SGD on the quadratic after {QUADRATIC_STEPS} steps: lr 0.019 -> {boundary[0.019]:.3g}, "
             f"lr 0.021 -> {boundary[0.021]:.3g} (from {quadratic(mn.Tensor([-4.5, 1.0])).item():.3g})")


def report_sweep(sweep):
    ch.table({f"{lr:g}": {"final loss": h["loss"][-1], "held-out accuracy": h["val_accuracy"][-1]}
              if h else {"final loss": "diverged", "held-out accuracy": "-"} for lr, h in sweep.items()},
             key="SGD lr")
    ch.record(lr_sweep={lr: (h["loss"][-1] if h else None) for lr, h in sweep.items()})


def draw_losses(histories, title, label):
    """Training loss per epoch of every run that did not diverge, on a log scale."""
    figure, ax = plt.subplots(figsize=(6, 4))
    for key, history in histories.items():
        if history:
            ax.plot(range(1, EPOCHS + 1), history["loss"], "o-", label=label(key))
    ax.set(xlabel="epoch", ylabel="training loss (cross-entropy, log scale)", yscale="log", title=title)
    ax.set_xticks(range(1, EPOCHS + 1))                         # whole epochs
    ax.legend()
    return figure


def report_digits(digits):
    ch.table({name: {"lr": DIGIT_RATES[name], "loss after epoch 1": h["loss"][0], "final loss": h["loss"][-1],
                     "held-out accuracy": h["val_accuracy"][-1]} for name, h in digits.items()}, key="optimiser")
    ch.record(digits={name: {"final_loss": h["loss"][-1], "val_accuracy": h["val_accuracy"][-1]}
                      for name, h in digits.items()})


def report_first_steps(steps_taken, uncorrected, rmsprop_steps, t):
    ch.record(rmsprop_first_step=rmsprop_steps[0])
    ch.record(adam_first_step=steps_taken[0].tolist(), uncorrected_first_step=float(uncorrected[0]),
              uncorrected_peak=float(uncorrected.max()), uncorrected_peak_step=int(t[uncorrected.argmax()]),
              uncorrected_at_1000=float(uncorrected[-1]))
    ch.table({f"t = {k}": {"Adam step / lr (g = 1)": steps_taken[k - 1, 0],
                           "Adam step / lr (g = 0.001)": steps_taken[k - 1, 1],
                           "uncorrected step / lr": uncorrected[k - 1],
                           "RMSprop step / lr": rmsprop_steps[k - 1]} for k in (1, 2, 10, 100, 1000)},
             fmt=".4g", key="step")


def draw_first_steps(steps_taken, uncorrected, rmsprop_steps, t):
    figure, ax = plt.subplots(figsize=(6, 4))
    ax.semilogx(t, steps_taken[:, 0], label="Adam (bias-corrected), g = 1")
    ax.semilogx(t, steps_taken[:, 1], "--", label="Adam (bias-corrected), g = 0.001")
    ax.semilogx(t, uncorrected, label="Adam without bias correction")
    ax.semilogx(t, rmsprop_steps, ":", label="RMSprop (never corrected)")
    ax.set(xlabel="step t (log scale)", ylabel="step size / lr", title="Adam's first steps on a constant gradient")
    ax.legend()
    return figure


def draw_schedules(schedules):
    """The learning rate of each schedule at every step, for a peak rate of 0.1."""
    figure, ax = plt.subplots(figsize=(6, 4))
    for name, make in schedules.items():
        schedule = make(mn.optim.SGD([mn.nn.Parameter(np.zeros(1))], lr=0.1))
        rates = [schedule.get_last_lr()[0]]
        for _ in range(TOTAL - 1):
            schedule.step()
            rates.append(schedule.get_last_lr()[0])
        ax.plot(rates, label=name)
    ax.set(xlabel="step", ylabel="learning rate", title="Four schedules for a peak rate of 0.1")
    ax.legend()
    return figure


def report_warmup(warmup_runs):
    """Record and print the warm-up runs; the mean first-epoch loss with and without warm-up."""
    ch.table({f"{name}, seed {seed}": {"loss after epoch 1": h["loss"][0], "final loss": h["loss"][-1],
                                       "held-out accuracy": h["val_accuracy"][-1]}
              for (name, seed), h in warmup_runs.items()}, key="Adam, lr 0.1")
    ch.record(warmup={f"{name}/{seed}": {"first_loss": h["loss"][0], "final_loss": h["loss"][-1],
                                         "val_accuracy": h["val_accuracy"][-1]}
                      for (name, seed), h in warmup_runs.items()})
    helped = sum(warmup_runs[("warm-up + cosine", s)]["loss"][-1] < warmup_runs[("cosine", s)]["loss"][-1]
                 for s in SEEDS)
    ch.record(warmup_helped_seeds=helped)
    ch.print(f"the warm-up gave the lower final loss for {helped} of {len(SEEDS)} seeds")
    first_epoch = {name: np.mean([warmup_runs[(name, s)]["loss"][0] for s in SEEDS])
                   for name in ("cosine", "warm-up + cosine")}
    return first_epoch


# %% [markdown]
# ## Two surfaces we can draw
# The **ill-conditioned quadratic** $f(x, y) = (x^2 + 100 y^2)/2$ has curvature $1$ along $x$
# and $100$ along $y$ (condition number $100$). The **Rosenbrock function** (Rosenbrock 1960)
# $f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2$ has its minimum at $(1, 1)$ at the end of a long,
# curved, flat-bottomed valley. Each optimiser runs from the same start with the best of
# three learning rates (lowest final value); the table gives that rate and the value reached.

# %%
def quadratic(w):
    return 0.5 * (w[0] ** 2 + 100 * w[1] ** 2)


def rosenbrock(w):
    return (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2


def descend(f, start, optimizer, lr, steps):
    """The path of `optimizer` on f from `start`: (steps + 1, 2) points, and the final value."""
    w = mn.nn.Parameter(np.array(start, dtype=np.float64))
    opt = OPTIMIZERS[optimizer]([w], lr)
    path = [w.data.copy()]
    for _ in range(steps):
        opt.zero_grad()
        f(w).backward()
        opt.step()
        path.append(w.data.copy())
    value = float(f(mn.Tensor(path[-1])).data)
    return np.array(path), value if math.isfinite(value) else math.inf


# %%
SURFACES = {   # name: (function, start, steps, {optimiser: the three rates tried})
    "quadratic": (quadratic, (-4.5, 1.0), QUADRATIC_STEPS,
                  {"SGD": (0.003, 0.01, 0.019), "momentum": (0.003, 0.01, 0.019),
                   "Nesterov": (0.003, 0.01, 0.019), "RMSprop": (0.03, 0.1, 0.3), "Adam": (0.03, 0.1, 0.3)}),
    "Rosenbrock": (rosenbrock, (-1.5, 2.0), ROSENBROCK_STEPS,
                   {"SGD": (3e-4, 1e-3, 2e-3), "momentum": (3e-4, 1e-3, 2e-3),
                    "Nesterov": (3e-4, 1e-3, 2e-3), "RMSprop": (0.01, 0.03, 0.1), "Adam": (0.01, 0.03, 0.1)}),
}
best, paths, every_rate = {}, {}, {}
with np.errstate(over="ignore", invalid="ignore"):       # a rate too high overflows to inf
    for surface, (f, start, steps, rates) in SURFACES.items():
        for name, candidates in rates.items():
            runs = [(descend(f, start, name, lr, steps), lr) for lr in candidates]
            (path, value), lr = min(runs, key=lambda run: run[0][1])
            best[(surface, name)] = {"lr": lr, "final value": value}
            paths[(surface, name)] = path
            every_rate[f"{surface}/{name}"] = {lr: run_value for (_, run_value), lr in runs}
report_surfaces(best, every_rate)

# %%
ch.show(draw_trajectories(paths, best), "trajectories")

# %% [markdown]
# On the quadratic, plain SGD's best rate is the largest it can take: each step multiplies
# the $y$ coordinate by $(1 - 100\eta)$, so any $\eta$ above $2/100 = 0.02$ overshoots by more
# each step. At $\eta = 0.019$ the $x$ coordinate shrinks by only a factor $(1 - 0.019)$ per
# step, which is the crawl. Momentum and Nesterov carry speed along $x$ and reach a lower
# value in the same steps, and the longer the run the larger the gap (compare the quick and
# the full run). RMSprop rescales $x$ and $y$ separately, which on this
# axis-aligned bowl undoes the ill-conditioning, and ends far below every other optimiser (a
# rotated bowl would not let it; see the exercises). Adam rescales the same way but also
# carries momentum ($\beta_1 = 0.9$), and here ends among the momentum methods rather than
# with RMSprop.

# %% [markdown]
# ## Learning rates too low and too high
# On the quadratic the boundary is exact: SGD converges for $\eta < 2/100$ and diverges above.

# %%
boundary = {lr: descend(quadratic, (-4.5, 1.0), "SGD", lr, QUADRATIC_STEPS)[1] for lr in (0.019, 0.021)}
report_boundary(boundary)

# %% [markdown]
# A network has no single curvature, but the same happens. We train a ReLU network with two
# hidden layers (He initialisation) on the $8 \times 8$ digits, inputs standardised, three
# quarters of them for training and the rest held out, with plain SGD at rates from
# $\eta = 0.001$ to $\eta = 3$. `fit` stops a run whose loss turns NaN and says where.

# %%
X, y = mn.datasets.load_digits()
X = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-8)
order = np.random.default_rng(0).permutation(len(X))
X_train, y_train, X_test, y_test = X[order[:1347]], y[order[:1347]], X[order[1347:]], y[order[1347:]]


# %%
def digits_model(seed=0):
    mn.manual_seed(seed)
    return mn.nn.Sequential(mn.nn.Dense(64, 64, init="he_uniform"), mn.nn.ReLU(),
                            mn.nn.Dense(64, 64, init="he_uniform"), mn.nn.ReLU(), mn.nn.Dense(64, 10))


def train(optimizer, lr, seed=0, callbacks=(), schedule=None):
    """Train a fresh digits model; returns its History, or None if the loss diverged.

    schedule(optimizer) may return an mn.optim scheduler, stepped after every batch.
    """
    model = digits_model(seed)
    opt = OPTIMIZERS[optimizer](model.parameters(), lr)
    if schedule is not None:
        callbacks = [*callbacks, mn.callbacks.LearningRateScheduler(schedule(opt), interval="step")]
    try:
        history = mn.fit(model, mn.nn.CrossEntropyLoss(), opt, X_train, y_train, epochs=EPOCHS,
                         batch_size=64, validation_data=(X_test, y_test), metrics=("accuracy",),
                         progress=False, seed=seed, callbacks=list(callbacks))
    except FloatingPointError as error:            # fit's NaN guard
        ch.print(f"  lr {lr}: {error}")
        return None
    return history


# %%
sweep = {}
for lr in (0.001, 0.01, 0.1, 1.0, 3.0):
    sweep[lr] = train("SGD", lr)
report_sweep(sweep)

# %%
ch.show(draw_losses(sweep, "SGD on digits: the learning rate", lambda lr: f"lr {lr:g}"), "learning_rates")

# %% [markdown]
# At the smallest rate the loss has barely moved after all epochs; each tenfold increase up
# to $\eta = 1$ trains faster; at $\eta = 3$ the first epoch already diverges and the NaN guard
# stops it. The useful range spans two or three decades, and the best rate sits close below
# the one that diverges, as on the quadratic.

# %% [markdown]
# ## The optimisers on digits
# Each optimiser with its customary rate: $\eta = 0.1$ for the SGD family (momentum
# $\mu = 0.9$), $\eta = 0.001$ for RMSprop and Adam. Same initial weights, same batches.

# %%
DIGIT_RATES = {"SGD": 0.1, "momentum": 0.1, "Nesterov": 0.1, "RMSprop": 0.001, "Adam": 0.001}
digits = {name: train(name, lr) for name, lr in DIGIT_RATES.items()}
report_digits(digits)

# %%
ch.show(draw_losses(digits, "Five optimisers on digits", str), "digits")

# %% [markdown]
# ## Adam's first steps: what the bias correction does
# Adam keeps $m$, a running mean of $g$, and $v$, a running mean of $g^2$, both started at
# zero. After $t$ steps of a constant gradient, $m_t = (1 - \beta_1^t)\, g$ and
# $v_t = (1 - \beta_2^t)\, g^2$: both are too small, by the factors $(1 - \beta_1^t)$ and
# $(1 - \beta_2^t)$, and Adam divides them out ($\hat m = m/(1 - \beta_1^t)$,
# $\hat v = v/(1 - \beta_2^t)$) before stepping by $\eta\, \hat m / \sqrt{\hat v}$. With a constant
# gradient the corrected step is exactly $\eta$, whatever the size of $g$. Without the
# correction it would be
#
# $$\eta\, \frac{1 - \beta_1^t}{\sqrt{1 - \beta_2^t}}:$$
#
# since $\beta_2 = 0.999$ is much closer to $1$ than $\beta_1 = 0.9$, $v$ is the more
# underestimated of the two, and the step comes out *larger* than $\eta$. We measure minnet's
# Adam on a constant gradient and compare.

# %%
BETA1, BETA2, LR = 0.9, 0.999, 0.01
w = mn.nn.Parameter(np.zeros(2))
adam = mn.optim.Adam([w], lr=LR, betas=(BETA1, BETA2))
steps_taken = []
for _ in range(1000):
    w.grad = np.array([1.0, 1e-3])               # one large and one tiny constant gradient
    before = w.data.copy()
    adam.step()
    steps_taken.append(np.abs(w.data - before) / LR)
steps_taken = np.array(steps_taken)
t = np.arange(1, 1001)
uncorrected = (1 - BETA1 ** t) / np.sqrt(1 - BETA2 ** t)      # step / lr without the correction

# %%
# RMSprop divides by the same kind of running mean (alpha = 0.99), with no correction at all.
w = mn.nn.Parameter(np.zeros(1))
rmsprop = mn.optim.RMSprop([w], lr=LR)
rmsprop_steps = []
for _ in range(1000):
    w.grad = np.ones(1)
    before = w.data.copy()
    rmsprop.step()
    rmsprop_steps.append(float(np.abs(w.data - before)[0]) / LR)
report_first_steps(steps_taken, uncorrected, rmsprop_steps, t)

# %%
ch.show(draw_first_steps(steps_taken, uncorrected, rmsprop_steps, t), "bias_correction")

# %% [markdown]
# The corrected step is $\eta$ from the very first step, for a gradient of $1$ and of $0.001$
# alike (the small one falls a hair short because of $\epsilon = 10^{-8}$ in the
# denominator). Without the correction the first step is $0.1/\sqrt{0.001} \approx 3.2\,\eta$,
# it grows to about twice that within the first twenty steps and is still a quarter too large
# after a thousand. RMSprop has no correction: its first step is
# $\eta/\sqrt{1 - \alpha} = 10\,\eta$ for $\alpha = 0.99$, the long first jump of RMSprop on the
# quadratic above. Note what the correction does *not* do: it makes the first step exactly
# $\eta$ in every coordinate, a full-size step taken on the strength of one gradient. That is
# the reason Adam likes a warm-up.

# %% [markdown]
# ## Schedules: warm-up and cosine
# A schedule changes the rate as training goes. `mn.optim` has PyTorch's: LinearLR (here a
# warm-up), CosineAnnealingLR, OneCycleLR, StepLR, ExponentialLR and ReduceLROnPlateau, each
# giving the same rates as its PyTorch namesake step by step. A schedule of one's own is one
# method, `lr_at(base_lr, t)`: here a linear warm-up over the first epoch followed by a
# cosine decay (Goyal et al. 2017 warm up; Loshchilov & Hutter 2017 anneal).

# %%
class WarmupCosine(mn.optim.LRScheduler):
    """lr = base_lr (t + 1) / warmup for t < warmup, then a cosine from base_lr to 0 at t = total."""

    def __init__(self, optimizer, warmup, total):
        self.warmup, self.total = warmup, total
        super().__init__(optimizer)

    def lr_at(self, base_lr, t):
        if t < self.warmup:
            return base_lr * (t + 1) / self.warmup
        progress = min(t - self.warmup, self.total - self.warmup) / (self.total - self.warmup)
        return base_lr * (1 + math.cos(math.pi * progress)) / 2


# %%
STEPS_PER_EPOCH = math.ceil(len(X_train) / 64)
TOTAL = EPOCHS * STEPS_PER_EPOCH
SCHEDULES = {
    "cosine": lambda opt: mn.optim.CosineAnnealingLR(opt, T_max=TOTAL),
    "warm-up + cosine": lambda opt: WarmupCosine(opt, warmup=STEPS_PER_EPOCH, total=TOTAL),
    "one-cycle": lambda opt: mn.optim.OneCycleLR(opt, max_lr=0.1, total_steps=TOTAL),
    "linear warm-up": lambda opt: mn.optim.LinearLR(opt, start_factor=0.1, total_iters=STEPS_PER_EPOCH),
}
ch.show(draw_schedules(SCHEDULES), "schedules")

# %% [markdown]
# Adam at a high rate, $\eta = 0.1$, on digits, with a cosine decay and with the same decay
# after a one-epoch warm-up, from the same weights and batches, for each seed.

# %%
warmup_runs = {}
for seed in SEEDS:
    for name in ("cosine", "warm-up + cosine"):
        warmup_runs[(name, seed)] = train("Adam", 0.1, seed=seed, schedule=SCHEDULES[name])
first_epoch = report_warmup(warmup_runs)

# %% [markdown]
# ## What we saw
# - On the ill-conditioned quadratic, plain SGD is held to $\eta < 2/\lambda_\text{max}$ (the
#   largest curvature) and then crawls along the flat direction; momentum and Nesterov reach
#   a lower value in the same number of steps. On the Rosenbrock valley momentum again
#   beats plain SGD at its best rate; Nesterov's look-ahead diverged at the largest rate
#   that plain momentum took.
# - On the axis-aligned quadratic RMSprop wins outright, because scaling each coordinate
#   separately is exactly what that surface needs.
# - The learning rate matters more than the choice among these optimisers: over the rates
#   tried the final loss of SGD on digits falls by more than an order of magnitude, and at
#   the largest one training diverges.
# - On digits, momentum and Nesterov end with a lower training loss than plain SGD at the
#   same rate; Adam at its customary rate ends with the highest loss of the five, a cautious
#   rate for so small a network.
# - Bias-corrected Adam steps by exactly $\eta$ from its first step; without the correction
#   the early steps would be several times larger (printed above).
# - Adam at a high rate suffers in its first epoch, and a warm-up spares it that: with the
#   warm-up the first epoch ends at a far lower loss, seed after seed. Whether the whole run
#   ends lower depends on the budget: the printed count says for how many seeds it did in
#   this run. In a run as short as quick mode's, where the warm-up takes a third of the
#   epochs, it need not.
#
# The digits results are PyTorch's too. PyTorch, started from the same weights and fed the
# same batches, ends the five full runs at the same training losses to within $10^{-4}$
# relative (the reference values are in `PYTORCH_FULL` below, measured with torch 2.13 on
# one thread). The test suite repeats this comparison on the quick run, and checks every
# optimiser and schedule against torch.optim step by step.

# %%
ch.headline = (f"quadratic, {QUADRATIC_STEPS} steps: SGD {best[('quadratic', 'SGD')]['final value']:.2g}, "
               f"momentum {best[('quadratic', 'momentum')]['final value']:.2g}; "
               f"SGD on digits diverges at lr 3; Adam at lr 0.1, first-epoch loss "
               f"{first_epoch['cosine']:.2f} without warm-up, {first_epoch['warm-up + cosine']:.2f} with")

# final training losses of the five full runs (EPOCHS = 8) in PyTorch 2.13, one thread, from
# the same weights and batches (the loop of tests/test_chapters.py's comparison)
PYTORCH_FULL = {"SGD": 0.09625603758080765, "momentum": 0.010192960387244364, "Nesterov": 0.040384633812657694,
                "RMSprop": 0.06229164292821529, "Adam": 0.17789724872135726}
value = lambda f, key: f["surfaces"][key]["final value"]                        # noqa: E731
final = lambda f, name: f["digits"][name]["final_loss"]                          # noqa: E731
warm = lambda f, name, seed: f["warmup"][f"{name}/{seed}"]                       # noqa: E731
ch.claims({
    "each step multiplies the $y$ coordinate by $(1 - 100\\eta)$, so any $\\eta$ above $2/100 = 0.02$ overshoots":
        lambda f: f["surfaces"]["quadratic/SGD"]["lr"] == 0.019
        and f["sgd_just_above_2_over_L"] > 1e3 * f["sgd_just_below_2_over_L"],
    "Momentum and Nesterov carry speed along $x$ and reach a lower value in the same steps":
        lambda f: max(value(f, "quadratic/momentum"), value(f, "quadratic/Nesterov")) < value(f, "quadratic/SGD") / 2,
    "ends far below every other optimiser":
        lambda f: all(value(f, "quadratic/RMSprop") < value(f, f"quadratic/{o}") / 1e3
                      for o in ("SGD", "momentum", "Nesterov", "Adam")),
    "here ends among the momentum methods rather than with RMSprop":
        lambda f: value(f, "quadratic/Adam") < value(f, "quadratic/SGD")
        and value(f, "quadratic/Adam") > 1e3 * value(f, "quadratic/RMSprop"),
    "At the smallest rate the loss has barely moved after all epochs; each tenfold increase up to $\\eta = 1$ "
    "trains faster":
        lambda f: f["lr_sweep"]["0.001"] > 1.5
        and f["lr_sweep"]["0.001"] > f["lr_sweep"]["0.01"] > f["lr_sweep"]["0.1"] > f["lr_sweep"]["1.0"],
    "at $\\eta = 3$ the first epoch already diverges": lambda f: f["lr_sweep"]["3.0"] is None,
    "The corrected step is $\\eta$ from the very first step, for a gradient of $1$ and of $0.001$ alike":
        lambda f: all(abs(step - 1) < 1e-4 for step in f["adam_first_step"]),
    "the first step is $0.1/\\sqrt{0.001} \\approx 3.2\\,\\eta$, it grows to about twice that within the "
    "first twenty steps and is still a quarter too large after a thousand":
        lambda f: abs(f["uncorrected_first_step"] - 3.16) < 0.01 and 6 < f["uncorrected_peak"] < 7
        and f["uncorrected_peak_step"] <= 20 and abs(f["uncorrected_at_1000"] - 1.25) < 0.05,
    "its first step is $\\eta/\\sqrt{1 - \\alpha} = 10\\,\\eta$": lambda f: abs(f["rmsprop_first_step"] - 10) < 1e-3,
    "On the Rosenbrock valley momentum again beats plain SGD at its best rate":
        lambda f: value(f, "Rosenbrock/momentum") < value(f, "Rosenbrock/SGD"),
    "Nesterov's look-ahead diverged at the largest rate that plain momentum took":
        lambda f: f["every_rate"]["Rosenbrock/Nesterov"][str(f["surfaces"]["Rosenbrock/momentum"]["lr"])] is None
        or f["every_rate"]["Rosenbrock/Nesterov"][str(f["surfaces"]["Rosenbrock/momentum"]["lr"])] == float("inf"),
    "over the rates tried the final loss of SGD on digits falls by more than an order of magnitude":
        lambda f: f["lr_sweep"]["1.0"] < f["lr_sweep"]["0.001"] / 10,
    "momentum and Nesterov end with a lower training loss than plain SGD at the same rate":
        lambda f: max(final(f, "momentum"), final(f, "Nesterov")) < final(f, "SGD"),
    "Adam at its customary rate ends with the highest loss of the five":
        lambda f: final(f, "Adam") == max(final(f, name) for name in f["digits"]),
    "with the warm-up the first epoch ends at a far lower loss, seed after seed":
        lambda f: all(warm(f, "warm-up + cosine", seed)["first_loss"] < warm(f, "cosine", seed)["first_loss"] - 0.3
                      for seed in f["seeds"]),
    "ends the five full runs at the same training losses to within $10^{-4}$ relative":
        lambda f: f["epochs"] != 8 or all(abs(final(f, name) / PYTORCH_FULL[name] - 1) < 1e-4 for name in PYTORCH_FULL),
})

# %% [markdown]
# ## Exercises
# 1. Rotate the quadratic by 45 degrees ($f(w) = \tfrac12 w^\top R^\top D R\, w$). What happens
#    to RMSprop's and Adam's advantage, and why?
# 2. Lower the momentum from $0.9$ to $0.5$ on the quadratic. For a condition number $\kappa$
#    the best heavy-ball momentum is $\big((\sqrt\kappa - 1)/(\sqrt\kappa + 1)\big)^2$ (Polyak
#    1964): try it.
# 3. Replace the warm-up with Adam at $\eta = 0.1$ but `betas=(0.9, 0.99)`: $v$ forgets faster.
#    Does the first epoch still suffer?

# %% [markdown]
# <details><summary>Solutions</summary>
#
# 1. RMSprop and Adam scale each *coordinate*; after a rotation the steep and flat directions
#    are diagonal, every coordinate sees both curvatures, and the per-coordinate scaling no
#    longer undoes the ill-conditioning: their advantage shrinks to what their momentum (for
#    Adam) gives.
# 2. For $\kappa = 100$ the formula gives $(9/11)^2 \approx 0.67$. A smaller $\mu$ damps the
#    oscillation across the steep direction faster but carries less speed along the flat one;
#    compare the final values at $0.5$, $0.67$ and $0.9$.
# 3. With $\beta_2 = 0.99$ the bias correction of $v$ is $1 - 0.99^t$, which reaches one
#    faster; the first step is still exactly $\eta$ per coordinate, so a high rate still makes
#    the first steps large: measure the first epoch's loss against the warm-up's.
#
# </details>

# %% [markdown]
# ## References
# - Polyak, B. T. (1964). Some methods of speeding up the convergence of iteration methods.
#   USSR Computational Mathematics and Mathematical Physics 4(5), 1-17.
#   https://doi.org/10.1016/0041-5553(64)90137-5
# - Nesterov, Y. (1983). A method for solving the convex programming problem with convergence
#   rate O(1/k^2). Soviet Mathematics Doklady 27, 372-376.
# - Sutskever, I., Martens, J., Dahl, G. and Hinton, G. (2013). On the importance of
#   initialization and momentum in deep learning. ICML. https://proceedings.mlr.press/v28/sutskever13.html
# - Hinton, G. (2012). Neural Networks for Machine Learning, lecture 6e: rmsprop. Coursera.
# - Kingma, D. P. and Ba, J. (2015). Adam: a method for stochastic optimization. ICLR.
#   https://arxiv.org/abs/1412.6980
# - Rosenbrock, H. H. (1960). An automatic method for finding the greatest or least value of
#   a function. The Computer Journal 3(3), 175-184. https://doi.org/10.1093/comjnl/3.3.175
# - Goyal, P. et al. (2017). Accurate, large minibatch SGD: training ImageNet in 1 hour.
#   https://arxiv.org/abs/1706.02677
# - Loshchilov, I. and Hutter, F. (2017). SGDR: stochastic gradient descent with warm
#   restarts. ICLR. https://arxiv.org/abs/1608.03983
# - Smith, L. N. and Topin, N. (2019). Super-convergence: very fast training of neural
#   networks using large learning rates. https://arxiv.org/abs/1708.07120
# - Liu, L. et al. (2020). On the variance of the adaptive learning rate and beyond (RAdam).
#   ICLR. https://arxiv.org/abs/1908.03265
# - Goh, G. (2017). Why momentum really works. Distill. https://distill.pub/2017/momentum
