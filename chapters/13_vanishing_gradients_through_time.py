"""Chapter 13: why do recurrent networks forget, and how does the LSTM remember?

We follow the gradient of a loss back through 64 time steps of three recurrent networks (a
tanh RNN, a ReLU RNN started at the identity, an LSTM), on the adding problem and on digits
read one pixel at a time; then we train all three on the adding problem as the sequences grow
longer, look inside the trained LSTM's forget gate, and watch a ReLU RNN's gradient explode.
"""
# %% [markdown]
# **You will learn** why backpropagation through time makes the gradient vanish (or explode)
# over long sequences, which recurrent networks still learn as the sequences grow, and why the
# LSTM's gates are sigmoids and its cell an additive path. **You need** chapters 03 and 10
# (vanishing and exploding gradients in deep networks). **Runs in** about 30 s (7 s in quick
# mode) on one core.
#
# ## The question
# A recurrent network reads a sequence $x_1, \dots, x_T$ one step at a time and keeps a state.
# The simplest one (Elman's RNN) computes
#
# $$h_t = f(a_t), \qquad a_t = W_{ih}\, x_t + W_{hh}\, h_{t-1} + b,$$
#
# with the same weights at every step. Unrolled over time it is a deep network, $T$ layers
# deep, whose layers share their weights, and backpropagation through it
# (*backpropagation through time*) sends the gradient back one step at a time:
#
# $$\frac{\partial L}{\partial h_{t-1}} = \Big(\frac{\partial L}{\partial h_t} \odot f'(a_t)\Big)\, W_{hh}.$$
#
# That is chapter 03's formula with one difference: every step multiplies by the *same*
# $W_{hh}$. Over $k$ steps the gradient is multiplied $k$ times by $f'$ and $W_{hh}$, so it
# shrinks or grows geometrically, by about the size of $W_{hh}$'s largest eigenvalue times
# $f'$ per step (Bengio, Simard and Frasconi 1994; Pascanu, Mikolov and Bengio 2013).
#
# Three ways to live with that product:
#
# - **tanh RNN**, PyTorch's default weights $U(-1/\sqrt{H}, 1/\sqrt{H})$: $\tanh' \le 1$, and
#   $W_{hh}$'s eigenvalues are well inside the unit circle, so the product shrinks.
# - **ReLU RNN started at the identity** (IRNN; Le, Jaitly and Hinton 2015): $W_{hh} = I$,
#   $b = 0$. On an active unit $\mathrm{ReLU}' = 1$, so at the start every step multiplies the
#   gradient by exactly $1$. Nothing keeps it there once training moves $W_{hh}$.
# - **LSTM** (Hochreiter and Schmidhuber 1997): besides $h_t$ it keeps a cell $c_t$,
#
# $$c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t),$$
#
#   where the forget gate $f_t$, input gate $i_t$ and output gate $o_t$ are sigmoids of
#   $x_t$ and $h_{t-1}$ and the candidate $g_t$ a tanh. Along the cell the gradient is only
#   multiplied by the forget gate, $\partial c_t / \partial c_{t-1} = \mathrm{diag}(f_t)$: no
#   $W_{hh}$, no squashing derivative. A sigmoid lies in $(0, 1)$, so the gate is a dial
#   between "forget" and "keep" that the network sets itself, per unit and per step; where it
#   learns $f_t \approx 1$ the gradient passes unchanged. We start the forget gate's bias at
#   $1$ (Gers, Schmidhuber and Cummins 2000; Jozefowicz, Zaremba and Sutskever 2015), so the
#   cell starts by keeping about three quarters of itself per step.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minnet as mn
from chapters._common import Chapter

ch = Chapter("13_vanishing_gradients_through_time")
HIDDEN, BATCH, LEARNING_RATE, MAX_NORM = 32, 64, 0.01, 1.0
STEPS = 64                                   # the gradient measurements: 64-step sequences
LENGTHS = ch.pick(full=(8, 16, 32, 64), quick=(8, 24))
TRAINING_STEPS = ch.pick(full=800, quick=400)
LEARNED = 0.05      # validation MSE below this counts as "learned" (always answering 1 scores about 1/6)
MODELS = ("tanh RNN", "ReLU RNN, identity", "LSTM")


def recurrent_layer(model, inputs):
    """A one-layer recurrent network of HIDDEN units, batch_first, initialised as in the question."""
    if model == "tanh RNN":
        return mn.nn.RNN(inputs, HIDDEN, batch_first=True)
    if model == "ReLU RNN, identity":
        layer = mn.nn.RNN(inputs, HIDDEN, nonlinearity="relu", batch_first=True)
        layer.weight_hh_l0.data[:] = np.eye(HIDDEN)
        layer.bias_ih_l0.data[:] = layer.bias_hh_l0.data[:] = 0
        layer.weight_ih_l0.data[:] = mn.config.rng().normal(0, 0.001, (HIDDEN, inputs))  # Le et al.'s N(0, 0.001^2)
        return layer
    layer = mn.nn.LSTM(inputs, HIDDEN, batch_first=True)
    layer.bias_ih_l0.data[HIDDEN:2 * HIDDEN] = 1.0        # gate order i, f, g, o: f's bias 1 in all
    layer.bias_hh_l0.data[HIDDEN:2 * HIDDEN] = 0.0
    return layer


class SequenceModel(mn.nn.Module):
    """A recurrent layer and a Dense head that reads its last state: one output per sequence."""

    def __init__(self, model, inputs, outputs):
        self.recurrent = recurrent_layer(model, inputs)
        self.head = mn.nn.Dense(HIDDEN, outputs)

    def forward(self, x):
        states, _ = self.recurrent(x)
        return self.head(states[:, -1])


X_digits, y_digits = mn.datasets.load_sequential_digits()
X_adding, y_adding = mn.datasets.make_adding_problem(BATCH, STEPS, seed=ch.seed)
ch.print(f"adding problem: {X_adding.shape[0]} sequences of {X_adding.shape[1]} steps x {X_adding.shape[2]} "
         f"channels; digits read pixel by pixel: {X_digits.shape[0]} sequences of {X_digits.shape[1]} steps")

# %% [markdown]
# The bookkeeping (recording findings for the prose and the tests, tables, figure styling)
# lives in the helpers of the next cell; skip it on a first reading.

# %%
MODEL_COLOURS = {model: mn.plot.activation_colour(model) or "#000000" for model in MODELS}   # LSTM in black


def plot_through_time(curves, when):
    """One panel per task: ||dL/dh_t|| / ||dL/dh_T|| against t, one line per model, log scale."""
    tasks = sorted({task for task, _ in curves})
    figure, axes = plt.subplots(1, len(tasks), figsize=(5.2 * len(tasks), 3.8), layout="constrained",
                                squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for model in MODELS:
            ratios = curves[task, model]
            ax.plot(np.arange(1, len(ratios) + 1), ratios, color=MODEL_COLOURS[model], label=model)
        ax.set_yscale("log")
        ax.set_xlabel("time step t")
        ax.set_ylabel("||dL/dh_t|| / ||dL/dh_T|| (log scale)")
        ax.set_title(f"{task}, {when}")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    return figure


def record_sweep(final):
    """The validation MSE table by length, and each model's longest length learned."""
    longest_learned = {model: max([T for T, mse in final[model].items() if mse < LEARNED], default=0)
                       for model in MODELS}
    ch.record(final_mse=final, lengths=list(LENGTHS), longest_learned=longest_learned,
              training_steps=TRAINING_STEPS)
    ch.table({model: {f"T = {T}": mse for T, mse in final[model].items()} for model in MODELS}, fmt=".3f",
             key=f"validation MSE after {TRAINING_STEPS} steps")
    ch.print("longest length learned (MSE < 0.05): "
             + ", ".join(f"{model} {T or 'none'}" for model, T in longest_learned.items()))


def plot_sweep(final):
    figure, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
    for model in MODELS:
        ax.plot(list(final[model]), list(final[model].values()), marker="o", color=MODEL_COLOURS[model], label=model)
    ax.axhline(1 / 6, color="grey", linestyle="--", label="always answering 1 (1/6)")
    ax.axhline(LEARNED, color="grey", linestyle=":", label=f"learned (MSE < {LEARNED:g})")
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(LENGTHS), [str(T) for T in LENGTHS])
    ax.set_yscale("log")
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("validation MSE (log scale)")
    ax.set_title(f"Adding problem after {TRAINING_STEPS} Adam steps")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return figure


def record_trained(before, after, gate_start, gate_trained):
    ch.record(before_training=before, after_training=after,
              first_step_before={model: before[model][0] for model in MODELS},
              first_step_after={model: after[model][0] for model in MODELS},
              forget_gate_start=np.sort(gate_start)[::-1], forget_gate_trained=np.sort(gate_trained)[::-1])
    ch.table({model: {"before training": before[model][0], "after training": after[model][0]} for model in MODELS},
             fmt=".2e", key=f"||dL/dh_1|| / ||dL/dh_{LENGTHS[-1]}||")
    ch.table({when: {"mean": gate.mean(), "largest unit": gate.max(), "units above 0.9": int(np.sum(gate > 0.9)),
                     "units below 0.5": int(np.sum(gate < 0.5))}
              for when, gate in (("at the start", gate_start), ("after training", gate_trained))},
             fmt=".3f", key=f"LSTM forget gate f_t, per unit (of {HIDDEN})")


def record_explosion(unclipped_curve, unclipped_norms, clipped, clipped_mse):
    ch.record(unclipped_max_norm=max(unclipped_norms), unclipped_first_norm=unclipped_norms[0],
              clipped_max_norm=max(clipped), unclipped_mse=unclipped_curve[-1], clipped_mse=clipped_mse,
              unclipped_peak_step=int(np.argmax(unclipped_norms)) + 1, clipped_peak_step=int(np.argmax(clipped)) + 1,
              unclipped_late_median=float(np.median(unclipped_norms[len(unclipped_norms) // 2:])),
              unclipped_finite=bool(np.all(np.isfinite(unclipped_norms))))
    ch.table({"without clipping": {"first step's norm": unclipped_norms[0], "largest norm": max(unclipped_norms),
                                   "validation MSE": unclipped_curve[-1]},
              "clipped to norm 1": {"first step's norm": clipped[0], "largest norm": max(clipped),
                                    "validation MSE": clipped_mse}},
             fmt=".3g", key=f"ReLU RNN, identity, T = {LENGTHS[-1]}")


def plot_norms(runs):
    figure, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
    for (label, norms), style in zip(runs.items(), ("-", "--")):
        ax.plot(np.arange(1, len(norms) + 1), norms, style, color=MODEL_COLOURS["ReLU RNN, identity"], label=label)
    ax.axhline(MAX_NORM, color="grey", linestyle=":", label="max_norm 1")
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("total gradient norm (log scale)")
    ax.set_title(f"ReLU RNN from the identity, adding problem, T = {LENGTHS[-1]}")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    return figure


# %% [markdown]
# ## The gradient through 64 steps, at initialisation
# A recurrent layer in minnet is one op whose backward loops over time, so it keeps no
# $\partial L/\partial h_t$ of its own. To see them we run the same weights one step at a
# time through the matching cell (`RNNCell`, `LSTMCell`) and keep each step's gradient with
# `retain_grad()`. The loss reads only the last state: the squared error of the sum on the
# adding problem, the cross-entropy of the digit on the pixel sequences. The figure shows
# $\|\partial L/\partial h_t\|$ divided by its value at the last step $T$: how much of the
# loss's signal reaches step $t$.

# %%
def as_cell(layer):
    """The cell (RNNCell or LSTMCell) that runs `layer`'s weights one step at a time."""
    cell = (mn.nn.LSTMCell(layer.input_size, HIDDEN) if isinstance(layer, mn.nn.LSTM)
            else mn.nn.RNNCell(layer.input_size, HIDDEN, nonlinearity=layer.nonlinearity))
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(cell, name).data[:] = getattr(layer, f"{name}_l0").data
    return cell


def gradient_through_time(model, X, y, loss_fn):
    """||dL/dh_t|| / ||dL/dh_T|| for t = 1..T, the loss reading the last state only."""
    cell, state, kept = as_cell(model.recurrent), None, []
    for t in range(X.shape[1]):
        state = cell(X[:, t], state)
        h = state[0] if isinstance(state, tuple) else state
        kept.append(h.retain_grad())
    loss_fn(model.head(kept[-1]), y).backward()
    norms = np.array([np.linalg.norm(h.grad) for h in kept])
    return norms / norms[-1]


TASKS = {"adding problem": (X_adding, y_adding[:, None], 1, mn.nn.MSELoss()),
         "pixel digits": (X_digits[:BATCH], y_digits[:BATCH], 10, mn.nn.CrossEntropyLoss())}
at_start = {}
for task, (X, y, outputs, loss_fn) in TASKS.items():
    for model in MODELS:
        mn.manual_seed(ch.seed)
        at_start[task, model] = gradient_through_time(SequenceModel(model, X.shape[2], outputs), X, y, loss_fn)
ch.record(at_start={task: {model: at_start[task, model] for model in MODELS} for task in TASKS},
          first_step={task: {model: at_start[task, model][0] for model in MODELS} for task in TASKS})
ch.table({model: {task: at_start[task, model][0] for task in TASKS} for model in MODELS}, fmt=".2e",
         key=f"||dL/dh_1|| / ||dL/dh_{STEPS}||")
ch.show(plot_through_time(at_start, "at initialisation"), "gradient_through_time")

# %% [markdown]
# ## Which networks learn as the sequences grow?
# The adding problem (Hochreiter and Schmidhuber 1997) gives two numbers per step: a value
# drawn from $U(0, 1)$ and a marker that is $1$ at exactly two steps, one in each half of the
# sequence. The answer, read from the last state, is the sum of the two marked values, so the
# network must carry a value across up to $T$ steps. Always answering $1$ (the mean) scores a
# mean squared error of about $1/6$; we count a network as having learned the task when its
# validation MSE falls below $0.05$. Each network trains with Adam at the same learning
# rate, on the same fresh batches, the gradient clipped to norm $1$ (chapter 10), for the
# same number of steps at every length (printed with the table).

# %%
def train(model, length, max_norm=MAX_NORM):
    """Adam on fresh batches of the adding problem: (network, validation MSE every 100 steps,
    total gradient norm before clipping at every step)."""
    mn.manual_seed(ch.seed)
    net, loss_fn = SequenceModel(model, 2, 1), mn.nn.MSELoss()
    optimizer = mn.optim.Adam(net.parameters(), lr=LEARNING_RATE)
    X_val, y_val = mn.datasets.make_adding_problem(500, length, seed=1000 + ch.seed)
    batches, curve, norms = np.random.default_rng(ch.seed), [], []
    for step in range(1, TRAINING_STEPS + 1):
        X, y = mn.datasets.make_adding_problem(BATCH, length, seed=batches)
        optimizer.zero_grad()
        loss_fn(net(X), y[:, None]).backward()
        norms.append(float(mn.optim.clip_grad_norm_(net.parameters(), max_norm)))
        optimizer.step()
        if step % 100 == 0:
            with mn.no_grad():
                curve.append(float(loss_fn(net(X_val), y_val[:, None]).item()))
    return net, curve, norms


final, trained, clipped_norms = {model: {} for model in MODELS}, {}, {}
for length in LENGTHS:
    for model in MODELS:
        trained[model], curve, clipped_norms[model] = train(model, length)
        final[model][length] = curve[-1]
record_sweep(final)
ch.show(plot_sweep(final), "adding_problem_by_length")

# %% [markdown]
# ## Inside the trained networks
# The networks trained at the longest length, measured as at the start: how much of the
# loss's gradient reaches each step now? For the LSTM we also read its forget gate
# $f_t = \sigma(W_{if}\, x_t + W_{hf}\, h_{t-1} + b_f)$ at every step of the validation
# sequences, averaged over the sequences and the units, before and after training.

# %%
def forget_gate(lstm, X):
    """The LSTM's forget gate f_t of every unit, averaged over steps and sequences: shape (HIDDEN,)."""
    with mn.no_grad():
        states, _ = lstm(X)
    h_before = np.concatenate([np.zeros_like(states.data[:, :1]), states.data[:, :-1]], axis=1)
    rows = slice(HIDDEN, 2 * HIDDEN)                               # gate order i, f, g, o
    pre = (X @ lstm.weight_ih_l0.data[rows].T + h_before @ lstm.weight_hh_l0.data[rows].T
           + lstm.bias_ih_l0.data[rows] + lstm.bias_hh_l0.data[rows])
    return (1 / (1 + np.exp(-pre))).mean(axis=(0, 1))


longest = LENGTHS[-1]
X_check, y_check = mn.datasets.make_adding_problem(BATCH, longest, seed=2000 + ch.seed)
before, after = {}, {}
for model in MODELS:
    mn.manual_seed(ch.seed)                                # the same start as train()'s
    before[model] = gradient_through_time(SequenceModel(model, 2, 1), X_check, y_check[:, None], mn.nn.MSELoss())
    after[model] = gradient_through_time(trained[model], X_check, y_check[:, None], mn.nn.MSELoss())
mn.manual_seed(ch.seed)
gate_start = forget_gate(SequenceModel("LSTM", 2, 1).recurrent, X_check)
gate_trained = forget_gate(trained["LSTM"].recurrent, X_check)
record_trained(before, after, gate_start, gate_trained)
ch.show(plot_through_time({("adding problem", m): after[m] for m in MODELS}, f"after training, T = {longest}"), "gradient_after_training")

# %% [markdown]
# ## Exploding gradients, and clipping
# The ReLU RNN has nothing that bounds its state or its gradient: where training pushes
# $W_{hh}$'s largest eigenvalue above $1$, both grow geometrically (Pascanu et al. 2013). We
# train it once more at the longest length, now without clipping, and compare the total
# gradient norm at every step with the clipped run above (its norm before clipping).

# %%
_, unclipped_curve, unclipped_norms = train("ReLU RNN, identity", longest, max_norm=np.inf)
record_explosion(unclipped_curve, unclipped_norms, clipped_norms["ReLU RNN, identity"],
                 final["ReLU RNN, identity"][longest])
ch.show(plot_norms({"without clipping": unclipped_norms, "clipped to norm 1": clipped_norms["ReLU RNN, identity"]}),
        "exploding_gradient")

ch.headline = (f"||dL/dh_1||/||dL/dh_64|| at the start: tanh {at_start['adding problem', 'tanh RNN'][0]:.0e}, "
               f"LSTM {at_start['adding problem', 'LSTM'][0]:.0e}; longest T learned: "
               + ", ".join(f"{m} {t}" for m, t in ch.findings["longest_learned"].items()))

# %% [markdown]
# ## What we saw
# At initialisation the three networks already differ by many orders of magnitude (the first
# table and figure; the two tasks agree). Through $64$ steps the tanh RNN's gradient has all
# but vanished by the first step: the loss says nothing about the early inputs. The LSTM's
# falls far less steeply but still loses most of it: along its cell every step multiplies
# the gradient by the forget gate, near three quarters at the start. The identity-started ReLU RNN
# keeps most of it, as the question predicted: every step multiplies by $W_{hh} = I$.
#
# Training tells a different story from the start alone. At the shortest length all three
# learn the adding problem. As the sequences grow, the LSTM learns at every length this run
# tries, while the two simple RNNs fail at the longest length, their error stuck near that
# of always answering $1$ (the second table; each network's longest length learned is printed
# under it). The ReLU RNN's good start did not last: after training, the gradient that
# reaches its first step has fallen far below its value at the start. Nothing in a ReLU RNN
# holds the per-step factor at $1$ once training changes $W_{hh}$ and switches units off
# (the question's warning). The trained LSTM's gradient reaches the first step far
# better than at the start, and its forget gate shows how: one or more units now keep almost
# all of their cell at every step (an average forget gate above $0.9$), where none did at the
# start, while the average over all units fell. The LSTM did not keep everything; it learned
# which units should remember. The tanh RNN's gradient still all but vanishes after training.
#
# That is the answer to the question of the LSTM's design. Its memory is an additive path,
# $c_t = f_t \odot c_{t-1} + \dots$, on which the gradient meets neither $W_{hh}$ nor a
# squashing derivative, only the gate. The gate is a sigmoid because a sigmoid is a dial in
# $(0, 1)$: multiplied into the path it can keep ($f \approx 1$) or erase ($f \approx 0$),
# and it is smooth, so the network can learn where to set it. A tanh RNN can never set its
# per-step factor to one: $\tanh'$ is below $1$ wherever the state is not $0$.
#
# The last experiment shows the other failure. Without clipping, the ReLU RNN's total
# gradient norm grows during training to more than ten times its first value (the last
# figure and table): its state and its gradient have no bound. The explosion comes early,
# within the first tenth of the training steps; afterwards the norm settles, over the
# second half of training, thousands of times below its peak. Clipping by norm (chapter 10)
# caps the step, not the gradient: the clipped run's raw gradient explodes just as far. And
# clipping does not make it learn the task at this length: both runs end far above the
# threshold for learned.

# %%
def learned(f, model, length):
    return f["final_mse"][model][str(length)] < LEARNED


TASK_NAMES = ("adding problem", "pixel digits")
ch.claims({
    "the tanh RNN's gradient has all but vanished by the first step":
        lambda f: all(f["first_step"][task]["tanh RNN"] < 1e-10 for task in TASK_NAMES),
    "The LSTM's falls far less steeply but still loses most of it":
        lambda f: all(1e3 * f["first_step"][task]["tanh RNN"] < f["first_step"][task]["LSTM"] < 1e-2
                      for task in TASK_NAMES),
    "The identity-started ReLU RNN keeps most of it":
        lambda f: all(f["first_step"][task]["ReLU RNN, identity"] > 0.1 for task in TASK_NAMES),
    "At the shortest length all three learn the adding problem":
        lambda f: all(learned(f, model, f["lengths"][0]) for model in MODELS),
    "the LSTM learns at every length this run tries":
        lambda f: all(learned(f, "LSTM", length) for length in f["lengths"]),
    "the two simple RNNs fail at the longest length, their error stuck near that of always answering $1$":
        lambda f: all(f["final_mse"][model][str(f["lengths"][-1])] > 0.1 for model in MODELS[:2]),
    "the gradient that reaches its first step has fallen far below its value at the start":
        lambda f: f["first_step_after"]["ReLU RNN, identity"] < f["first_step_before"]["ReLU RNN, identity"] / 5,
    "The trained LSTM's gradient reaches the first step far better than at the start":
        lambda f: f["first_step_after"]["LSTM"] > 10 * f["first_step_before"]["LSTM"],
    "one or more units now keep almost all of their cell at every step (an average forget gate above $0.9$), "
    "where none did at the start":
        lambda f: f["forget_gate_trained"][0] > 0.9 and f["forget_gate_start"][0] < 0.9,
    "while the average over all units fell":
        lambda f: np.mean(f["forget_gate_trained"]) < np.mean(f["forget_gate_start"]),
    "The tanh RNN's gradient still all but vanishes after training":
        lambda f: f["first_step_after"]["tanh RNN"] < 1e-3,
    "grows during training to more than ten times its first value":
        lambda f: f["unclipped_max_norm"] > 10 * f["unclipped_first_norm"],
    "The explosion comes early, within the first tenth of the training steps":
        lambda f: max(f["unclipped_peak_step"], f["clipped_peak_step"]) <= f["training_steps"] / 10,
    "afterwards the norm settles, over the second half of training, thousands of times below its peak":
        lambda f: f["unclipped_late_median"] * 1000 < f["unclipped_max_norm"],
    "the clipped run's raw gradient explodes just as far":
        lambda f: f["clipped_max_norm"] > 10 * f["unclipped_first_norm"],
    "both runs end far above the threshold for learned":
        lambda f: min(f["unclipped_mse"], f["clipped_mse"]) > 2 * LEARNED,
})

# %% [markdown]
# ## Exercises
# 1. Start the LSTM's forget-gate bias at $0$ (PyTorch's default draws it near $0$) instead
#    of $1$. What is $\|\partial L/\partial h_1\| / \|\partial L/\partial h_{64}\|$ at the
#    start now, and does it still learn the adding problem at the longest length?
# 2. Replace the LSTM by `mn.nn.GRU`. Its update $h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$
#    also has an additive path: which gate plays the forget gate's part? Measure its gradient
#    through time and train it on the adding problem.
# 3. Start the ReLU RNN at $W_{hh} = 1.05\, I$ instead of $I$. Predict the ratio
#    $\|\partial L/\partial h_1\| / \|\partial L/\partial h_{64}\|$ before you measure it.

# %% [markdown]
# <details><summary>Solutions</summary>
#
# 1. Set `layer.bias_ih_l0.data[HIDDEN:2 * HIDDEN] = 0` in `recurrent_layer`. With
#    $f \approx \sigma(0) = 1/2$ the cell's gradient halves at every step, so the ratio falls
#    by many more orders of magnitude than with bias $1$ (about $(1/2)^{63}$ against
#    $(3/4)^{63}$ along the cell). Training then has to open the gate from further away:
#    whether it still learns the longest length within the same budget is what to measure.
# 2. The update gate $z_t$: where $z_t \approx 1$ the state is copied and the gradient passes
#    unchanged, $\partial h_t / \partial h_{t-1} \supseteq \mathrm{diag}(z_t)$. Loop over
#    `mn.nn.GRUCell` as `gradient_through_time` does; the GRU behaves much like the LSTM.
# 3. On the active units every step multiplies the gradient by $W_{hh}^\top = 1.05\, I$, so
#    the ratio is about $1.05^{63} \approx 22$ (less where units switch off): the gradient
#    explodes instead of vanishing, the mirror image of the tanh RNN.
#
# </details>

# %% [markdown]
# ## References
# - Werbos, P. J. (1990). Backpropagation through time: what it does and how to do it.
#   Proceedings of the IEEE 78(10), 1550-1560. https://doi.org/10.1109/5.58337
# - Bengio, Y., Simard, P. and Frasconi, P. (1994). Learning long-term dependencies with
#   gradient descent is difficult. IEEE Transactions on Neural Networks 5(2), 157-166.
#   https://doi.org/10.1109/72.279181
# - Hochreiter, S. and Schmidhuber, J. (1997). Long short-term memory (the LSTM and the
#   adding problem). Neural Computation 9(8), 1735-1780. https://doi.org/10.1162/neco.1997.9.8.1735
# - Gers, F. A., Schmidhuber, J. and Cummins, F. (2000). Learning to forget: continual
#   prediction with LSTM (the forget gate). Neural Computation 12(10), 2451-2471.
#   https://doi.org/10.1162/089976600300015015
# - Pascanu, R., Mikolov, T. and Bengio, Y. (2013). On the difficulty of training recurrent
#   neural networks (exploding gradients, clipping by norm). ICML. https://arxiv.org/abs/1211.5063
# - Le, Q. V., Jaitly, N. and Hinton, G. E. (2015). A simple way to initialize recurrent
#   networks of rectified linear units (the IRNN; pixel-by-pixel MNIST).
#   https://arxiv.org/abs/1504.00941
# - Jozefowicz, R., Zaremba, W. and Sutskever, I. (2015). An empirical exploration of
#   recurrent network architectures (forget-gate bias 1). ICML.
#   https://proceedings.mlr.press/v37/jozefowicz15.html
