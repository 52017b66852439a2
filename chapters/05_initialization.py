"""Chapter 05: how should the first weights be drawn?

We send a batch through 30-layer ReLU, tanh and SELU networks at initialisation and measure
the spread of the signal at every layer under four recipes (N(0, 0.01), Xavier, He and
LeCun), then repeat He et al. (2015)'s experiment at laptop scale: a 30-layer ReLU network
on handwritten digits, once with Xavier and once with He initialisation.
"""
# %% [markdown]
# **You will learn** how large the first random weights should be, the variance argument
# behind Xavier, He and LeCun initialisation, and what the wrong choice does to a deep ReLU
# network. **You need** chapter 03 and the rules for the variance of a sum.
# **Runs in** about 2.5 s (1.5 s in quick mode) on one core.
#
# ## The question
# Before the first step of training, every weight is a random number. How large should it
# be? Too small and the signal fades a little at every layer; too large and it explodes. In a
# shallow network either mistake is mild, but depth turns a per-layer factor into a power:
# $0.7$ per layer is $0.7^{30} \approx 2 \times 10^{-5}$ after $30$ layers.
#
# ## The variance argument
# Take one unit of a Dense layer, $z = \sum_{i=1}^{n_\text{in}} w_i x_i$ over its
# $n_\text{in}$ inputs (its fan-in), with weights drawn independently with mean $0$ and
# variance $\mathrm{Var}(w)$, independent of the inputs. The variance of a sum of independent
# terms is the sum of their variances, so
#
# $$\mathrm{Var}(z) = n_\text{in}\,\mathrm{Var}(w)\,\mathbb{E}[x^2].$$
#
# For a zero-centred activation that is close to the identity near $0$ (tanh),
# $\mathbb{E}[x^2] = \mathrm{Var}(x)$ and the signal keeps its size when
# $n_\text{in}\mathrm{Var}(w) = 1$. Glorot & Bengio (2010) also asked the backward pass (where
# the fan-out $n_\text{out}$ plays the role of $n_\text{in}$) to keep its size and took the
# compromise
#
# $$\mathrm{Var}(w) = \frac{2}{n_\text{in} + n_\text{out}} \qquad \text{(Xavier, or Glorot, initialisation).}$$
#
# ReLU sets the negative half of a symmetric $z$ to $0$, so
# $\mathbb{E}[\mathrm{relu}(z)^2] = \mathrm{Var}(z)/2$: every ReLU layer halves the second
# moment. He et al. (2015) put the lost factor $2$ back into the weights:
#
# $$\mathrm{Var}(w) = \frac{2}{n_\text{in}} \qquad \text{(He, or Kaiming, initialisation).}$$
#
# With Xavier on a square ReLU layer ($n_\text{in} = n_\text{out} = n$) the variance factor per
# layer is $n \cdot \frac{2}{2n} \cdot \frac12 = \frac12$, so the standard deviation shrinks by
# $1/\sqrt2$ per layer. With a fixed $N(0, 0.01^2)$ it is $n \cdot 10^{-4}/2$ per layer,
# whatever the width happens to be.
#
# LeCun et al. (1998) used $\mathrm{Var}(w) = 1/n_\text{in}$; with SELU, whose constants were
# chosen so that mean $0$ and variance $1$ are a fixed point of the layer (Klambauer et al.
# 2017), this keeps the signal at variance $1$ (chapter 09 follows it through more layers).

# %%
import matplotlib.pyplot as plt
import numpy as np

import minnet as mn
from chapters._common import Chapter

ch = Chapter("05_initialization")
DEPTH = 30                 # hidden layers, as in He et al. (2015)'s 30-layer experiment
SMALL_STD = 0.01           # the "small random numbers" recipe of early tutorials


def small_normal(parameter):
    """N(0, 0.01^2) whatever the layer's size: the recipe that ignores fan_in."""
    return mn.init.normal(parameter.shape, std=SMALL_STD, dtype=parameter.dtype)


INITIALISERS = {"N(0, 0.01)": small_normal,
                "Xavier": "xavier_normal",     # Var(w) = 2 / (fan_in + fan_out)
                "He": "he_normal",             # Var(w) = 2 / fan_in
                "LeCun": "lecun_normal"}       # Var(w) = 1 / fan_in
ACTIVATIONS = {"ReLU": mn.nn.ReLU, "tanh": mn.nn.Tanh, "SELU": mn.nn.SELU}
# Var(w) * fan_in of each recipe on a square layer of width n, for the printed predictions
SCALE_TIMES_FAN_IN = {"Xavier": lambda n: 1.0, "He": lambda n: 2.0, "LeCun": lambda n: 1.0,
                      "N(0, 0.01)": lambda n: n * SMALL_STD ** 2}

# %%
def deep_network(depth, width, activation, init, inputs, outputs=None):
    """[Dense(-> width, init), activation] * depth (+ Dense(width -> outputs) when given).

    Biases start at zero, so the weights alone decide how the signal's size changes.
    """
    layers, fan_in = [], inputs
    for _ in range(depth):
        layers += [mn.nn.Dense(fan_in, width, init=init), ACTIVATIONS[activation]()]
        fan_in = width
    if outputs is not None:
        layers.append(mn.nn.Dense(fan_in, outputs, init=init))
    return mn.nn.Sequential(*layers)


# %%
# Bookkeeping and drawing, not the lesson: these helpers record findings (what the prose's
# claims and the tests read), print the tables and draw the figure of the signal's spread.
def report_spreads(spreads, ratios, width):
    ch.record(depth=DEPTH, width=width, spreads=spreads, last_over_first=ratios,
              selu_lecun_stds=spreads["SELU"]["LeCun"])
    ch.table({activation: {name: ratios[f"{activation}/{name}"] for name in INITIALISERS}
              for activation in ACTIVATIONS}, fmt=".2e", key="last/first",
             title=f"std of layer {DEPTH} / std of layer 1 (width {width}, inputs N(0, 1))")
    stds = spreads["SELU"]["LeCun"]
    ch.print(f"SELU + LeCun-normal, std per layer: min {min(stds):.3f}, max {max(stds):.3f}, last {stds[-1]:.3f}")


def report_factors(measured_factor, predicted_factor):
    ch.record(relu_factor_measured=measured_factor, relu_factor_predicted=predicted_factor)
    ch.table({name: {"measured": measured_factor[name], "predicted": predicted_factor[name],
                     f"predicted^{DEPTH - 1}": predicted_factor[name] ** (DEPTH - 1)} for name in INITIALISERS},
             fmt=".4g", key="ReLU, std factor per layer")


def draw_spreads(spreads, width):
    """One panel per activation: the std of every layer's output, one line per initialiser."""
    figure, axes = plt.subplots(1, len(spreads), figsize=(3.7 * len(spreads), 3.6), layout="constrained")
    # one marker and line style per recipe: on square layers LeCun's 1/n equals Xavier's
    # 2/(n + n), so their lines coincide and only the styles tell them apart
    styles = {"N(0, 0.01)": dict(marker="s", markersize=4, linestyle="-"),
              "Xavier": dict(marker="o", markersize=8, markerfacecolor="none", linestyle="-", linewidth=3,
                             alpha=0.6),
              "He": dict(marker="^", markersize=4, linestyle="-."),
              "LeCun": dict(marker="x", markersize=5, linestyle="--", linewidth=1)}
    for ax, (activation, by_init) in zip(axes, spreads.items()):
        for name, layer_stds in by_init.items():
            # float32 can underflow to exactly 0; draw those points at the smallest positive float
            ax.plot(range(1, len(layer_stds) + 1), np.maximum(layer_stds, np.finfo(np.float32).tiny),
                    label=name + (" (leaves the frame)" if min(layer_stds) < 1e-9 else ""), **styles[name])
        ax.set_yscale("log")
        # N(0, 0.01^2) falls off the bottom within a few layers; a frame down to its last value
        # (1e-30 and less) would squash the lines that matter into the top few millimetres
        ax.set_ylim(1e-9, 1e2)
        ax.set_xlabel("layer (input side on the left)")
        ax.set_ylabel("std of the layer's output (log scale)")
        ax.set_title(f"{activation}, width {width}, at initialisation")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize="small")
    return figure


def report_training(histories, output_std, final_loss, samples, epochs):
    final = {name.split(",")[0]: h for name, h in histories.items()}
    ch.record(steps=epochs * int(np.ceil(samples / 64)), initial_last_hidden_std=output_std, final_loss=final_loss,
              last_epoch_loss={name: h["loss"][-1] for name, h in final.items()},
              final_accuracy={name: h["accuracy"][-1] for name, h in final.items()},
              chance_loss=float(np.log(10)))
    ch.table({name: {"last hidden std at init": output_std[name], "loss on all digits": final_loss[name],
                     "last epoch's mean loss": ch.findings["last_epoch_loss"][name],
                     "last epoch's accuracy": ch.findings["final_accuracy"][name]} for name in final_loss},
             fmt=".3g", key=f"{DEPTH} ReLU layers",
             title=f"after {ch.findings['steps']} SGD steps "
                   f"(chance: loss ln 10 = {np.log(10):.3f}, accuracy 0.1)")
    variance_loss = 2.0 ** (DEPTH - 1)
    ch.print(f"Xavier on ReLU loses a factor 2 of variance per layer: over the {DEPTH - 1} steps from layer 1 to "
             f"layer {DEPTH} that is 2^{DEPTH - 1} = {variance_loss:.1e} in variance, 2^{(DEPTH - 1) / 2:g} = "
             f"{np.sqrt(variance_loss):.1e} in standard deviation; measured: "
             f"{1 / ratios['ReLU/Xavier']:.1e} in standard deviation")


# %% [markdown]
# ## The signal at initialisation, layer by layer
# A batch of standard normal inputs (variance $1$, as after standardising the data) goes
# through each network once; `mn.diagnostics.activation_statistics` reports the standard
# deviation of every activation layer's output.

# %%
width, batch = ch.pick(full=(256, 256), quick=(128, 128))
mn.manual_seed(ch.seed)
X_normal = mn.config.rng().standard_normal((batch, width)).astype(np.float32)
spreads = {}
for activation in ACTIVATIONS:
    spreads[activation] = {}
    for name, init in INITIALISERS.items():
        mn.manual_seed(ch.seed)
        model = deep_network(DEPTH, width, activation, init, inputs=width)
        statistics = mn.diagnostics.activation_statistics(model, X_normal, layer_types=mn.nn.Activation)
        spreads[activation][name] = [entry["std"] for entry in statistics.values()]
ratios = {f"{activation}/{name}": stds[-1] / stds[0]
          for activation, by_init in spreads.items() for name, stds in by_init.items()}
report_spreads(spreads, ratios, width)

# %% [markdown]
# The variance argument predicts each ReLU network's factor per layer: the standard deviation
# is multiplied by $\sqrt{n_\text{in}\mathrm{Var}(w)/2}$ at every layer (the square root of
# the variance factor). We compare it with the measured one, the geometric mean over the
# `DEPTH - 1` steps from the first layer to the last.

# %%
measured_factor = {name: (spreads["ReLU"][name][-1] / spreads["ReLU"][name][0]) ** (1 / (DEPTH - 1))
                   for name in INITIALISERS}
predicted_factor = {name: float(np.sqrt(SCALE_TIMES_FAN_IN[name](width) / 2)) for name in INITIALISERS}
report_factors(measured_factor, predicted_factor)

# %%
ch.show(draw_spreads(spreads, width), "signal_spread")

# %% [markdown]
# ## He et al. (2015), at laptop scale
# He et al. trained a $30$-layer ReLU network (their Figure 3): with Xavier initialisation it
# did not learn at all, with theirs it did. We do the same with `DEPTH` hidden ReLU layers of
# $32$ units on the $8 \times 8$ digits: the same seed, optimiser (SGD with momentum), learning
# rate, batches and number of steps; only the initialiser changes. A loss of
# $\ln 10 \approx 2.303$ is what guessing uniformly among ten digits costs.

# %%
X, y = mn.datasets.load_digits()
# 29 steps per epoch (1,797 / 64). Without normalisation a 30-layer net is spiky under SGD;
# lr 0.005 gave similar final losses for seeds 0, 1 and 2, while 0.01 swung between them.
epochs, learning_rate = ch.pick(full=(10, 0.005), quick=(5, 0.0075))
histories, output_std, final_loss = {}, {}, {}
for name in ("Xavier", "He"):
    mn.manual_seed(ch.seed)
    model = deep_network(DEPTH, 32, "ReLU", INITIALISERS[name], inputs=X.shape[1], outputs=10)
    statistics = mn.diagnostics.activation_statistics(model, X[:256], layer_types=mn.nn.Activation)
    output_std[name] = list(statistics.values())[-1]["std"]      # last hidden layer, before training
    optimizer = mn.optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9)
    histories[f"{name}, {DEPTH} ReLU layers"] = mn.fit(
        model, mn.nn.CrossEntropyLoss(), optimizer, X, y, epochs=epochs, batch_size=64,
        metrics=("accuracy",), progress=False, seed=ch.seed)
    # the history averages each epoch's batches; the loss of the trained model on all digits
    final_loss[name] = float(mn.nn.CrossEntropyLoss()(mn.Tensor(mn.predict(model, X)), y).data)
report_training(histories, output_std, final_loss, len(y), epochs)
ch.show(mn.plot.training_curves(histories), "he_vs_xavier_30_layers")

# %% [markdown]
# ## What we saw
# The first figure is the variance argument drawn: on a log scale a constant factor per layer
# is a straight line. In the ReLU panel He's line is flat, Xavier's falls steadily and
# $N(0, 0.01^2)$'s falls off a cliff. The measured per-layer factors of the ReLU networks sit
# on the predictions $\sqrt{n_\text{in}\mathrm{Var}(w)/2}$: $1$ for He, $1/\sqrt2$ for Xavier,
# and a tiny number for $N(0, 0.01^2)$, which never looked at the width. The last/first ratios
# are those factors to the power `DEPTH - 1`. tanh is gentler: it squashes large values and is
# close to the identity near $0$, so under Xavier (the recipe made for it) the signal shrinks
# only slowly, while He's larger weights push tanh towards its saturated $\pm 1$ and hold the
# spread up. Xavier and LeCun give the same numbers here: on a square layer
# $2/(n + n) = 1/n$ (the dashed LeCun line with crosses runs inside Xavier's wide line of open
# circles); they differ only where $n_\text{in}$ and $n_\text{out}$ differ. SELU with
# LeCun-normal weights keeps its standard deviation close to $1$ through every layer
# (Klambauer et al. 2017; chapter 09 goes deeper).
#
# The training curves repeat the first half of He et al.'s result. The Xavier network's last
# hidden layer starts with a spread orders of magnitude below the He network's, its logits
# are all practically zero, its loss sits at $\ln 10$ for the whole run, and its accuracy stays
# at chance. The He network, with the same data, optimiser and steps, leaves chance, but it
# ends far from a good digit classifier: its accuracy after these few hundred steps is well
# below the shallow networks of chapters 03 and 04 (the table). He et al. trained to the end
# and showed both networks' curves; here we show only that He's network starts to learn
# where Xavier's cannot, and that without normalisation layers a deep network learns slowly
# and bumpily (the loss of the final model on all digits is in the table, rather than one
# epoch's average). Chapter 11 makes the same network learn well. Nothing about Xavier is
# wrong for tanh; for ReLU it loses a factor of $2$ in variance ($\sqrt2$ in standard
# deviation) at every layer, and the line printed under the table turns that into the whole
# network's loss.

# %%
ch.headline = (f"ReLU std last/first layer: N(0,0.01) {ratios['ReLU/N(0, 0.01)']:.0e}, Xavier "
               f"{ratios['ReLU/Xavier']:.0e}, He {ratios['ReLU/He']:.2f}; {DEPTH}-layer loss "
               f"Xavier {final_loss['Xavier']:.3f} vs He {final_loss['He']:.3f}")
ch.claims({
    "In the ReLU panel He's line is flat, Xavier's falls steadily and $N(0, 0.01^2)$'s falls off a cliff":
        lambda f: 0.5 < f["last_over_first"]["ReLU/He"] < 2 and 1e-8 < f["last_over_first"]["ReLU/Xavier"] < 1e-3
        and f["last_over_first"]["ReLU/N(0, 0.01)"] < 1e-15,
    "The measured per-layer factors of the ReLU networks sit on the predictions":
        lambda f: all(abs(f["relu_factor_measured"][name] / f["relu_factor_predicted"][name] - 1) < 0.05
                      for name in f["relu_factor_predicted"]),
    "under Xavier (the recipe made for it) the signal shrinks only slowly, while He's larger weights push tanh "
    "towards its saturated $\\pm 1$ and hold the spread up":
        lambda f: 0.05 < f["last_over_first"]["tanh/Xavier"] < 1 and f["last_over_first"]["tanh/He"] > f["last_over_first"]["tanh/Xavier"],
    "Xavier and LeCun give the same numbers here":
        lambda f: all(abs(f["last_over_first"][f"{a}/Xavier"] / f["last_over_first"][f"{a}/LeCun"] - 1) < 1e-6
                      for a in ("ReLU", "tanh", "SELU")),
    "SELU with LeCun-normal weights keeps its standard deviation close to $1$ through every layer":
        lambda f: all(0.9 < std < 1.1 for std in f["selu_lecun_stds"]),
    "The Xavier network's last hidden layer starts with a spread orders of magnitude below the He network's":
        lambda f: f["initial_last_hidden_std"]["Xavier"] < 1e-2 * f["initial_last_hidden_std"]["He"],
    "its loss sits at $\\ln 10$ for the whole run, and its accuracy stays at chance":
        lambda f: abs(f["final_loss"]["Xavier"] - f["chance_loss"]) < 0.01 and f["final_accuracy"]["Xavier"] < 0.15,
    "The He network, with the same data, optimiser and steps, leaves chance, but it ends far from a good digit "
    "classifier":
        lambda f: f["final_loss"]["He"] < f["chance_loss"] - 0.3 and 0.2 < f["final_accuracy"]["He"] < 0.8,
})

# %% [markdown]
# ## Exercises
# 1. Add `"orthogonal": "orthogonal"` to `INITIALISERS`. An orthogonal matrix keeps the
#    length of every vector exactly: where does its ReLU line fall, and why?
# 2. Add `"LeakyReLU": mn.nn.LeakyReLU` to `ACTIVATIONS` and predict its per-layer factor
#    under He initialisation before running: LeakyReLU with slope $a$ keeps $a^2$ of the
#    negative half's second moment.
# 3. Set `DEPTH = 10`. Does Xavier still fail? Find the depth at which it stops learning
#    with this learning rate.

# %% [markdown]
# <details><summary>Solutions</summary>
#
# 1. With Xavier's: an orthogonal square matrix has $\mathrm{Var}(w) = 1/n$ per entry, and
#    ReLU still halves the second moment, so the std shrinks by $1/\sqrt2$ per layer. Scale it
#    by $\sqrt2$ (the gain) to get He's flat line.
# 2. The second moment is multiplied by $n \cdot \frac{2}{n} \cdot \frac{1 + a^2}{2} = 1 + a^2$
#    per layer, so the std factor is $\sqrt{1 + a^2}$, slightly above $1$ (for $a = 0.01$,
#    about $1.00005$). `mn.init.calculate_gain("leaky_relu", a)` gives the gain
#    $\sqrt{2/(1 + a^2)}$ that makes it exactly $1$.
# 3. Over ten layers Xavier loses only a factor $2^{9/2} \approx 23$ in std, little enough
#    for the gradient to reach every layer; loop `DEPTH` over a few values and watch the final
#    loss to find where the signal becomes too small to learn from in this setup.
#
# </details>

# %% [markdown]
# ## References
# - Glorot, X. and Bengio, Y. (2010). Understanding the difficulty of training deep
#   feedforward neural networks (Xavier initialisation). AISTATS.
#   https://proceedings.mlr.press/v9/glorot10a.html
# - He, K., Zhang, X., Ren, S. and Sun, J. (2015). Delving deep into rectifiers: surpassing
#   human-level performance on ImageNet classification (He initialisation; the 30-layer
#   experiment of their Figure 3). https://arxiv.org/abs/1502.01852
# - LeCun, Y., Bottou, L., Orr, G. B. and Mueller, K.-R. (1998). Efficient BackProp (variance
#   1/fan_in). In Neural Networks: Tricks of the Trade, Springer. https://doi.org/10.1007/3-540-49430-8_2
# - Klambauer, G., Unterthiner, T., Mayr, A. and Hochreiter, S. (2017). Self-normalizing
#   neural networks. https://arxiv.org/abs/1706.02515
# - Saxe, A. M., McClelland, J. L. and Ganguli, S. (2014). Exact solutions to the nonlinear
#   dynamics of learning in deep linear neural networks (orthogonal initialisation).
#   https://arxiv.org/abs/1312.6120
