"""Chapter 03: why do deep sigmoid networks stop learning?

We measure the gradient that reaches each layer of a deep network at initialisation, for
sigmoid, tanh and ReLU hidden layers, and then train a deep sigmoid network and a deep ReLU
network side by side on handwritten digits to see what those gradients do to learning.
"""
# %% [markdown]
# **You will learn** why the gradient fades layer by layer in a deep sigmoid network, what
# that does to training, and what tanh and ReLU change. **You need** the chain rule and
# chapter 00 (autograd). **Runs in** about 3 s (1 s in quick mode) on one core.
#
# ## The question
# Backpropagation sends the gradient of the loss $L$ from the output back to the input, one
# layer at a time. Through a hidden layer $h = f(z)$ with $z = xW + b$ the chain rule gives
#
# $$\frac{\partial L}{\partial x} = \Big(\frac{\partial L}{\partial h} \odot f'(z)\Big)\, W^\top,$$
#
# the incoming gradient multiplied elementwise ($\odot$) by the activation's derivative and
# then by $W^\top$. A good initialisation (Xavier for sigmoid and tanh, He for ReLU; chapter 05)
# chooses $W$ so that multiplying by $W^\top$ keeps the size of the gradient about the same.
# What is left is $f'(z)$, once per layer. If that factor is below $1$ at every layer, the
# gradient shrinks geometrically with depth, and the first layers of a deep network hear
# almost nothing of what the loss wants.
#
# How big can the factor be?
#
# - $\sigma'(x) = \sigma(x)\,(1 - \sigma(x)) \le \tfrac14$, with equality only at $x = 0$;
# - $\tanh'(x) = 1 - \tanh^2(x) \le 1$, with equality only at $x = 0$;
# - $\mathrm{ReLU}'(x) = 1$ for every $x > 0$ and $0$ for $x < 0$ (minnet takes $0$ at
#   $x = 0$, as PyTorch does).
#
# We do not take those bounds on trust: autograd measures each derivative on a grid.

# %%
import numpy as np

import minnet as mn
from chapters._common import Chapter

ch = Chapter("03_vanishing_gradients")
WIDTH = 64                       # units in every hidden layer
DEPTHS = (5, 10, 20)             # hidden layers (each Dense followed by its activation)
# Xavier keeps the variance of the signal through a tanh/sigmoid layer; He doubles the weight
# variance for ReLU, which zeroes half its inputs (Glorot & Bengio 2010; He et al. 2015)
ACTIVATIONS = {"sigmoid": ("Sigmoid", "xavier_uniform"),
               "tanh": ("Tanh", "xavier_uniform"),
               "relu": ("ReLU", "he_uniform")}

# %%
# Bookkeeping, not the lesson: these helpers record findings (what the prose's claims and the
# tests read) and print the tables.
def report_maxima(maxima):
    ch.record(max_derivative=maxima, width=WIDTH, depths=DEPTHS)
    ch.table({name: {"max f'(x) on [-10, 10]": value} for name, value in maxima.items()},
             fmt=".4f", key="activation")


def report_ratios(ratios, deepest):
    ch.record(ratios=ratios, depth=deepest, ratio_sigmoid=ratios[f"sigmoid_{deepest}"],
              ratio_tanh=ratios[f"tanh_{deepest}"], ratio_relu=ratios[f"relu_{deepest}"],
              # a sigmoid layer's factor: the geometric mean over the deepest network's layers
              per_layer_factor_sigmoid=ratios[f"sigmoid_{deepest}"] ** (1 / deepest))
    ch.table({activation: {f"{depth} layers": ratios[f"{activation}_{depth}"] for depth in DEPTHS}
              for activation in ACTIVATIONS},
             fmt=".2e", key="first/last", title="gradient norm, first layer / last layer")
    ch.print(f"sigmoid, {deepest} layers: the gradient shrinks by a factor of "
             f"{ch.findings['per_layer_factor_sigmoid']:.3f} per layer (geometric mean)")


def report_spreads(spreads, deepest):
    ch.record(spread_last_hidden=spreads)
    ch.print(f"spread of the last hidden layer across images, {deepest}-layer networks: "
             + ", ".join(f"{name} {value:.1e}" for name, value in spreads.items()))


def report_training(histories, train_size, epochs, deepest):
    ch.record(train_size=train_size, epochs=epochs,
              final_loss={name.split(",")[0]: h["loss"][-1] for name, h in histories.items()},
              first_loss={name.split(",")[0]: h["loss"][0] for name, h in histories.items()},
              final_accuracy={name.split(",")[0]: h["accuracy"][-1] for name, h in histories.items()},
              chance_loss=float(np.log(10)))                   # cross-entropy of a uniform guess
    ch.table({name: {"first epoch loss": ch.findings["first_loss"][name],
                     "last epoch loss": ch.findings["final_loss"][name],
                     "last epoch accuracy": ch.findings["final_accuracy"][name]} for name in ACTIVATIONS},
             fmt=".3f", key=f"{deepest} layers", title=f"{epochs} epochs on {train_size} digits "
             f"(a uniform guess: loss ln 10 = {np.log(10):.3f}, accuracy 0.1)")


# %%
maxima = {}
for name, (layer_name, _) in ACTIVATIONS.items():
    x = mn.Tensor(np.linspace(-10, 10, ch.pick(full=20001, quick=2001)), requires_grad=True)
    getattr(mn.nn, layer_name)()(x).sum().backward()    # d(sum f(x_i))/dx_i = f'(x_i)
    maxima[name] = float(x.grad.max())
report_maxima(maxima)

# %% [markdown]
# ## The networks
# Every network maps the pixels of an $8 \times 8$ digit through `depth` hidden layers of `WIDTH`
# units to one logit per digit, with cross-entropy on top. Only the activation (and the
# initialisation that suits it) changes. Biases start at zero.

# %%
def deep_network(depth, activation, width=WIDTH, inputs=64, classes=10):
    """Dense(inputs -> width), f, [Dense(width -> width), f] * (depth - 1), Dense(width -> classes)."""
    layer_name, init = ACTIVATIONS[activation]
    layers, fan_in = [], inputs
    for _ in range(depth):
        layers += [mn.nn.Dense(fan_in, width, init=init), getattr(mn.nn, layer_name)()]
        fan_in = width
    layers.append(mn.nn.Dense(fan_in, classes, init="xavier_uniform"))
    return mn.nn.Sequential(*layers)


def weight_gradient_norms(model, X, y):
    """||dL/dW|| of every Dense weight, first layer to last, after one backward on (X, y)."""
    model.zero_grad()
    mn.nn.CrossEntropyLoss()(model(mn.Tensor(X)), y).backward()
    norms = mn.diagnostics.gradient_norms(model)       # {name in the Sequential: norm}, Dense only
    # number the Dense layers 1, 2, ... from the input: a friendlier x-axis than "0", "2", "4"
    return {str(number): norm for number, norm in enumerate(norms.values(), start=1)}


# %%
mn.manual_seed(ch.seed)
X, y = mn.datasets.load_digits()
batch = np.arange(ch.pick(full=256, quick=64))          # one batch for the measurements
ch.print(f"digits: {X.shape[0]} images of {X.shape[1]} pixels; measuring on a batch of {len(batch)}")

# %% [markdown]
# ## Measuring the gradient at initialisation
# One forward and one backward pass on a batch of digits; then the norm of the gradient of
# every weight matrix, from the first layer (next to the input) to the last (the output
# layer). The first/last ratio says how much of the output's gradient survives the trip.

# %%
runs, ratios = {}, {}
for activation in ACTIVATIONS:
    for depth in DEPTHS:
        mn.manual_seed(ch.seed)
        norms = weight_gradient_norms(deep_network(depth, activation), X[batch], y[batch])
        runs[f"{activation}, {depth} layers"] = norms
        ratios[f"{activation}_{depth}"] = list(norms.values())[0] / list(norms.values())[-1]
deepest = max(DEPTHS)
report_ratios(ratios, deepest)
figure = mn.plot.gradient_norms(runs, title="Gradient norm per layer at initialisation (digits, width 64)")
ch.show(figure, "gradient_norms")

# %% [markdown]
# ## The same factor, forwards
# For a small change of the input, the forward pass multiplies that change by the same
# W and f' at every layer as the backward pass multiplies the gradient. So in a deep sigmoid
# network the *differences between images* shrink on the way up as well: we measure, at the
# last hidden layer, how much each unit varies across a batch of different digits (the
# standard deviation over the batch, averaged over units).

# %%
def spread_across_images(model, X):
    """Mean over units of the std over the batch of the last hidden layer's output."""
    outputs = mn.diagnostics.layer_outputs(model, X, layer_types=mn.nn.Activation)
    last_hidden = list(outputs.values())[-1]                  # (N, width)
    return float(last_hidden.std(axis=0).mean())


spreads = {}
for activation in ACTIVATIONS:
    mn.manual_seed(ch.seed)
    spreads[activation] = spread_across_images(deep_network(deepest, activation), X[batch])
report_spreads(spreads, deepest)

# %% [markdown]
# ## Training: does the first layer's silence matter?
# A tiny gradient is not yet a failure; it is one if training cannot move the weights. We
# train the deepest sigmoid, tanh and ReLU networks on the digits with the same optimiser
# (SGD with momentum), learning rate, batches and epochs, and watch the training loss and
# accuracy (the table's title says how many digits and epochs this run uses).

# %%
train_size, epochs = ch.pick(full=(len(y), 20), quick=(1200, 2))
histories = {}
for activation in ACTIVATIONS:
    mn.manual_seed(ch.seed)
    model = deep_network(deepest, activation)
    optimizer = mn.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    histories[f"{activation}, {deepest} layers"] = mn.fit(
        model, mn.nn.CrossEntropyLoss(), optimizer, X[:train_size], y[:train_size], epochs=epochs,
        batch_size=64, metrics=("accuracy",), progress=False, seed=ch.seed)
report_training(histories, train_size, epochs, deepest)
ch.show(mn.plot.training_curves(histories), "training_curves")

# %% [markdown]
# ## What we saw
# Glorot and Bengio (2010) watched the same saturation in deep sigmoid networks; here it is
# measured. The derivatives' maxima on the grid are the bounds above: $\tfrac14$ for sigmoid,
# $1$ for tanh and ReLU. In the gradient-norm figure the sigmoid lines fall in a straight
# line on the log scale. A straight line on a log scale is a geometric decay: each sigmoid
# layer multiplies the gradient by about the same factor, and the printed geometric mean of
# that factor sits close to sigmoid's bound of $\tfrac14$ (Xavier keeps $W$'s own
# contribution near 1, and the pre-activations start near 0 where $\sigma'$ is largest).
# Depth multiplies the damage: the first/last ratio of the deepest sigmoid network is many
# orders of magnitude below 1, while tanh and ReLU stay within an order of magnitude of 1 at
# every depth.
#
# The forward pass suffers the same fate: the spread of the last hidden layer across different
# images is essentially zero for the deep sigmoid network (in float32, every image gives
# nearly the same vector at the top), but clearly non-zero for tanh and ReLU.
#
# The training curves show the consequence. With the same optimiser and learning rate the
# deep ReLU and tanh networks' losses fall and their accuracies climb above
# chance, while the deep sigmoid
# network's loss stays near $\ln 10$, the loss of a uniform guess among ten digits, and its
# accuracy near chance. Its output layer sees the same vector for every image, so the best it
# can learn is how common each digit is; and the layers that could change that, the ones
# near the input, receive almost no gradient.
#
# This run compares sigmoid with the other two, not ReLU with tanh: here tanh, with the
# same learning rate, ends at least as accurate as ReLU. What the run shows is why sigmoid
# left the hidden layers of deep networks. ReLU's case over tanh rests on other grounds:
# its derivative is exactly $1$ wherever a unit is active, however large the input, and it is
# cheap; Glorot, Bordes and Bengio (2011) trained deep rectifier networks that matched or beat
# tanh ones, and Krizhevsky et al. (2012) reported ReLU networks training several times
# faster than tanh ones on ImageNet. Sigmoid lives on at the output, where one derivative is
# harmless (chapter 04).

# %%
ch.headline = (f"{deepest} layers, first/last gradient ratio: sigmoid {ch.findings['ratio_sigmoid']:.1e}, "
               f"tanh {ch.findings['ratio_tanh']:.2f}, relu {ch.findings['ratio_relu']:.2f}")
ch.claims({
    "The derivatives' maxima on the grid are the bounds above":
        lambda f: abs(f["max_derivative"]["sigmoid"] - 0.25) < 1e-3
        and min(f["max_derivative"]["tanh"], f["max_derivative"]["relu"]) > 0.999,
    "the sigmoid lines fall in a straight line on the log scale":
        lambda f: f["ratios"]["sigmoid_5"] > f["ratios"]["sigmoid_10"] > f["ratios"]["sigmoid_20"],
    "the printed geometric mean of that factor sits close to sigmoid's bound":
        lambda f: 0.2 < f["per_layer_factor_sigmoid"] <= 0.26,
    "the first/last ratio of the deepest sigmoid network is many orders of magnitude below 1":
        lambda f: f["ratio_sigmoid"] < 1e-6,
    "while tanh and ReLU stay within an order of magnitude of 1 at every depth":
        lambda f: all(0.1 < f["ratios"][f"{a}_{d}"] < 10 for a in ("tanh", "relu") for d in f["depths"]),
    "the spread of the last hidden layer across different images is essentially zero for the deep "
    "sigmoid network":
        lambda f: f["spread_last_hidden"]["sigmoid"] < 1e-4
        < min(f["spread_last_hidden"]["tanh"], f["spread_last_hidden"]["relu"]) / 100,
    "the deep ReLU and tanh networks' losses fall and their accuracies climb above chance":
        lambda f: all(f["final_loss"][a] < f["first_loss"][a] and f["final_accuracy"][a] > 0.2
                      for a in ("tanh", "relu")),
    "the deep sigmoid network's loss stays near":
        lambda f: abs(f["final_loss"]["sigmoid"] - f["chance_loss"]) < 0.1
        and f["final_accuracy"]["sigmoid"] < 0.2,
    "here tanh, with the same learning rate, ends at least as accurate as ReLU":
        lambda f: f["final_accuracy"]["tanh"] >= f["final_accuracy"]["relu"],
})

# %% [markdown]
# ## Exercises
# 1. Add `"leaky_relu": ("LeakyReLU", "he_uniform")` to `ACTIVATIONS` and rerun: where do
#    its lines fall?
# 2. Give the sigmoid networks He initialisation instead of Xavier. Does a larger weight
#    scale rescue the gradient, or does it push the units into saturation?
# 3. Swap `mn.optim.SGD` for `mn.optim.Adam` in the training cell. Adam divides each step by
#    the gradient's own running size: does the deep sigmoid network now learn?

# %% [markdown]
# <details><summary>Solutions</summary>
#
# 1. LeakyReLU's derivative is 1 for positive inputs and 0.01 for negative ones, so its
#    lines lie with ReLU's, within an order of magnitude of 1 at every depth.
# 2. It does not rescue it: He's larger weights spread the pre-activations further from 0,
#    where $\sigma'$ is smaller still, so the per-layer factor falls below $\tfrac14$.
# 3. Adam rescales each weight's step by its own gradient history, so the first layers move
#    even with tiny gradients; but the top layer still sees nearly the same vector for every
#    image at the start, so progress is slow and depends on the seed: try it and compare.
#
# </details>

# %% [markdown]
# ## References
# - Hochreiter, S. (1991). Untersuchungen zu dynamischen neuronalen Netzen (diploma thesis,
#   TU Munich; the first analysis of vanishing gradients).
#   https://people.idsia.ch/~juergen/SeppHochreiter1991ThesisAdvisorSchmidhuber.pdf
# - Bengio, Y., Simard, P. and Frasconi, P. (1994). Learning long-term dependencies with
#   gradient descent is difficult. IEEE Transactions on Neural Networks 5(2), 157-166.
#   https://doi.org/10.1109/72.279181
# - Glorot, X. and Bengio, Y. (2010). Understanding the difficulty of training deep
#   feedforward neural networks. AISTATS. https://proceedings.mlr.press/v9/glorot10a.html
# - Krizhevsky, A., Sutskever, I. and Hinton, G. E. (2012). ImageNet classification with deep
#   convolutional neural networks. NeurIPS.
#   https://papers.nips.cc/paper/4824-imagenet-classification-with-deep-convolutional-neural-networks
# - Nair, V. and Hinton, G. E. (2010). Rectified linear units improve restricted Boltzmann
#   machines. ICML. https://www.cs.toronto.edu/~hinton/absps/reluICML.pdf
# - Glorot, X., Bordes, A. and Bengio, Y. (2011). Deep sparse rectifier neural networks.
#   AISTATS. https://proceedings.mlr.press/v15/glorot11a.html
# - He, K., Zhang, X., Ren, S. and Sun, J. (2015). Delving deep into rectifiers: surpassing
#   human-level performance on ImageNet classification. https://arxiv.org/abs/1502.01852
