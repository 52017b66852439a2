"""Chapter 03: why do deep sigmoid networks stop learning?

We measure the gradient that reaches each layer of a deep network at initialisation, for
sigmoid, tanh and ReLU hidden layers, and then train a deep sigmoid network and a deep ReLU
network side by side on handwritten digits to see what those gradients do to learning.
"""
# %% [markdown]
# ## The question
# Backpropagation sends the gradient of the loss from the output back to the input, one layer
# at a time. Through a hidden layer h = f(x @ W + b) the chain rule multiplies the incoming
# gradient by f'(x @ W + b) (elementwise) and then by W transposed. A good initialisation
# (Xavier for sigmoid and tanh, He for ReLU) chooses W so that multiplying by W keeps the size
# of the gradient about the same. What is left is the activation's derivative, once per
# layer. If that factor is below 1 at every layer, the gradient shrinks geometrically with
# depth: after 20 layers the first layer hears almost nothing of what the loss wants.
#
# How big can the factor be?
#
# - sigmoid'(x) = s(1 - s) with s = sigmoid(x): at most 1/4, reached only at x = 0;
# - tanh'(x) = 1 - tanh(x)^2: at most 1, reached only at x = 0, and smaller everywhere else;
# - ReLU'(x) = 1 for every x > 0 (and 0 for x < 0; minnet takes 0 at x = 0, as PyTorch does).
#
# We do not take those bounds on trust: autograd measures each derivative on a grid.

# %%
import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

import minnet as mn  # noqa: E402
from chapters._common import figure_dir, quick_mode  # noqa: E402

CHAPTER = "03_vanishing_gradients"
WIDTH = 64                       # units in every hidden layer
DEPTHS = (5, 10, 20)             # hidden layers (each Dense followed by its activation)
# Xavier keeps the variance of the signal through a tanh/sigmoid layer; He doubles the weight
# variance for ReLU, which zeroes half its inputs (Glorot & Bengio 2010; He et al. 2015)
ACTIVATIONS = {"sigmoid": ("Sigmoid", "xavier_uniform"),
               "tanh": ("Tanh", "xavier_uniform"),
               "relu": ("ReLU", "he_uniform")}


def derivative_maxima(points=20001, limit=10.0):
    """max f'(x) over a grid of x in [-limit, limit], measured by autograd for each activation."""
    maxima = {}
    for name, (layer_name, _) in ACTIVATIONS.items():
        x = mn.Tensor(np.linspace(-limit, limit, points), requires_grad=True)
        getattr(mn.nn, layer_name)()(x).sum().backward()    # d(sum f(x_i))/dx_i = f'(x_i)
        maxima[name] = float(x.grad.max())
    return maxima


# %% [markdown]
# ## The networks
# Every network maps the 64 pixels of an 8x8 digit through `depth` hidden layers of 64 units
# to 10 logits, with cross-entropy on top. Only the activation (and the initialisation that
# suits it) changes. Biases start at zero.

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


# %% [markdown]
# ## Measuring the gradient at initialisation
# One forward and one backward pass on a batch of digits; then the norm of the gradient of
# every weight matrix, from the first layer (next to the input) to the last (the output
# layer). The first/last ratio says how much of the output's gradient survives the trip.

# %%
def measure_gradients(X, y, depths=DEPTHS, seed=0):
    runs, ratios = {}, {}
    for activation in ACTIVATIONS:
        for depth in depths:
            mn.manual_seed(seed)
            norms = weight_gradient_norms(deep_network(depth, activation), X, y)
            values = list(norms.values())
            runs[f"{activation}, {depth} layers"] = norms
            ratios[(activation, depth)] = values[0] / values[-1]
    return runs, ratios


def measure_spread(X, depth, seed=0):
    spreads = {}
    for activation in ACTIVATIONS:
        mn.manual_seed(seed)
        spreads[activation] = spread_across_images(deep_network(depth, activation), X)
    return spreads


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


# %% [markdown]
# ## Training: does the first layer's silence matter?
# A tiny gradient is not yet a failure; it is one if training cannot move the weights. We
# train a 20-layer sigmoid network, a 20-layer ReLU network and a 20-layer tanh network on
# all 1,797 digits with the same optimiser (SGD with momentum), learning rate, batches and
# epochs, and watch the training loss and accuracy.

# %%
def train_deep_networks(X, y, depth, epochs, learning_rate=0.01, seed=0):
    histories = {}
    for activation in ACTIVATIONS:
        mn.manual_seed(seed)
        model = deep_network(depth, activation)
        optimizer = mn.optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9)
        histories[f"{activation}, {depth} layers"] = mn.fit(
            model, mn.nn.CrossEntropyLoss(), optimizer, X, y, epochs=epochs, batch_size=64,
            metrics=("accuracy",), progress=False, seed=seed)
    return histories


# %%
def main(quick: bool = quick_mode()) -> dict:
    mn.manual_seed(0)
    X, y = mn.datasets.load_digits()
    batch = np.arange(64 if quick else 256)                 # one batch for the measurement
    maxima = derivative_maxima(points=2001 if quick else 20001)
    runs, ratios = measure_gradients(X[batch], y[batch])
    spreads = measure_spread(X[batch], depth=max(DEPTHS))

    train_size, epochs = (1200, 2) if quick else (len(y), 20)
    histories = train_deep_networks(X[:train_size], y[:train_size], depth=max(DEPTHS), epochs=epochs)

    folder = figure_dir(CHAPTER)
    norms_path = folder / "gradient_norms.png"
    mn.plot.gradient_norms(runs, path=norms_path,
                           title="Gradient norm per layer at initialisation (digits, width 64)")
    curves_path = folder / "training_curves.png"
    mn.plot.training_curves(histories, path=curves_path)

    deepest = max(DEPTHS)
    return {
        "max_derivative": maxima,
        "ratios": {f"{a}_{d}": r for (a, d), r in ratios.items()},
        "ratio_sigmoid": ratios[("sigmoid", deepest)],
        "ratio_tanh": ratios[("tanh", deepest)],
        "ratio_relu": ratios[("relu", deepest)],
        # a sigmoid layer's factor per layer: the geometric mean over the deepest network's layers
        "per_layer_factor_sigmoid": ratios[("sigmoid", deepest)] ** (1 / deepest),
        "spread_last_hidden": spreads,
        "final_loss": {name.split(",")[0]: h["loss"][-1] for name, h in histories.items()},
        "final_accuracy": {name.split(",")[0]: h["accuracy"][-1] for name, h in histories.items()},
        "chance_loss": float(np.log(10)),                   # cross-entropy of a uniform guess
        "depth": deepest,
        "figures": [str(norms_path), str(curves_path)],
    }


def headline(findings: dict) -> str:
    return (f"{findings['depth']} layers, first/last gradient ratio: sigmoid "
            f"{findings['ratio_sigmoid']:.1e}, tanh {findings['ratio_tanh']:.2f}, "
            f"relu {findings['ratio_relu']:.2f}")


# %% [markdown]
# ## What we saw
# The measured maxima of the derivatives are printed first: sigmoid's is 1/4, tanh's and
# ReLU's are 1. In the gradient-norm figure the sigmoid lines fall in a straight line on the
# log scale. A straight line on a log scale is a geometric decay: each sigmoid layer
# multiplies the gradient by about the same factor, and the printed geometric mean of that
# factor sits right at sigmoid's bound of 1/4 (Xavier keeps W's own contribution near 1,
# and the pre-activations start near 0 where sigmoid' is largest). Depth multiplies the
# damage: the printed first/last ratio of the deepest sigmoid network is many orders of
# magnitude below 1, while tanh and ReLU stay within about an order of magnitude of 1 at
# every depth.
#
# The forward pass suffers the same fate: the printed spread of the last hidden layer across
# different images is essentially zero for the deep sigmoid network (in float32, every image
# gives the same vector at the top), but clearly non-zero for tanh and ReLU.
#
# The training curves show the consequence. With the same optimiser and learning rate the
# deep ReLU and tanh networks' losses fall and their accuracies climb, while the deep sigmoid
# network's loss stays at log 10, the loss of a uniform guess among ten digits (both are
# printed below). Its output layer sees the same vector for every image, so the best it can
# learn is how common each digit is; and the layers that could change that, the ones near the
# input, receive almost no gradient.
#
# This is why ReLU (and its relatives) replaced sigmoid inside deep networks; sigmoid lives on
# at the output, where one derivative is harmless (see chapter 04).
#
# ## Try it yourself
# 1. Add `"leaky_relu": ("LeakyReLU", "he_uniform")` or `"gelu": ("GELU", "he_uniform")` to
#    `ACTIVATIONS` and rerun: where do their lines fall?
# 2. Give the sigmoid networks He initialisation instead of Xavier. Does a larger weight
#    scale rescue the gradient, or does it push the units into saturation?
# 3. Swap `mn.optim.SGD` for `mn.optim.Adam` in `train_deep_networks`. Adam divides each
#    step by the gradient's own running size: does the deep sigmoid network now learn?

if __name__ == "__main__":
    findings = main()
    maxima = findings["max_derivative"]
    print("max of the derivative on a grid over [-10, 10]: "
          + ", ".join(f"{name}' {value:.4f}" for name, value in maxima.items()))
    print("first/last layer gradient-norm ratio at initialisation:")
    for key, ratio in findings["ratios"].items():
        print(f"  {key:>12}: {ratio:.2e}")
    print(f"sigmoid, {findings['depth']} layers: the gradient shrinks by a factor of "
          f"{findings['per_layer_factor_sigmoid']:.3f} per layer (geometric mean)")
    print(f"spread of the last hidden layer across {findings['depth']}-layer networks' input images: "
          + ", ".join(f"{name} {value:.1e}" for name, value in findings["spread_last_hidden"].items()))
    print(f"cross-entropy of a uniform guess over 10 digits: log 10 = {findings['chance_loss']:.3f}")
    for name in findings["final_loss"]:
        print(f"after training, {name:>7}: loss {findings['final_loss'][name]:.3f}, "
              f"accuracy {findings['final_accuracy'][name]:.3f}")
    print("figures:", *findings["figures"], sep="\n  ")
