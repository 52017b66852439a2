"""The PyTorch reference run behind chapter 11 (remedies for depth), on the chapter's setup.

Two deep nets of 64 units per layer on the digits (pixels / 16): 20 sigmoid layers with
Xavier uniform weights (chapter 03) and 30 ReLU layers with Xavier normal weights (chapter 05);
each plain, with BatchNorm or LayerNorm between every hidden Dense and its activation, or
with every hidden layer made a residual block x + f(Dense(x)) (the 64 pixels already have the
width, so the first layer is one too); for the ReLU net also residual blocks whose branch is
multiplied by 1/sqrt(depth). SGD lr 0.1, batch 128, seeds 0, 1, 2: 21 epochs over the first
1,792 digits (14 full batches each, 294 steps; a last batch of 5 digits would give BatchNorm
statistics of 5 samples), then training accuracy on all 1,797 digits in eval mode (a run
whose loss became NaN or infinite counts as diverged, accuracy 0.1). mn.fit and chapter 11
use the same rows, batches, steps and measurement.

    python -m benchmarks.reference_remedies_torch

It needs torch (pip install torch) and prints one row per net and variant; chapter 11 runs
the same setup with minnet and prints its own table beside these numbers.
"""
import math
import sys

import numpy as np

SEEDS = (0, 1, 2)
EPOCHS, ROWS, BATCH, LEARNING_RATE = 21, 1792, 128, 0.1
NETS = {"20-layer sigmoid": dict(depth=20, width=64, activation="sigmoid", init="xavier_uniform_"),
        "30-layer ReLU, Xavier": dict(depth=30, width=64, activation="relu", init="xavier_normal_")}
VARIANTS = ("plain", "BatchNorm", "residual", "LayerNorm", "residual, scaled")


def build(torch, depth, width, activation, init, variant, inputs=64, classes=10):
    nn = torch.nn
    make_activation = nn.Sigmoid if activation == "sigmoid" else nn.ReLU

    def dense(fan_in, fan_out):
        layer = nn.Linear(fan_in, fan_out)
        getattr(nn.init, init)(layer.weight)
        nn.init.zeros_(layer.bias)
        return layer

    class Residual(nn.Module):
        def __init__(self, block, scale=1.0):
            super().__init__()
            self.block, self.scale = block, scale

        def forward(self, x):
            return x + self.scale * self.block(x)

    layers, fan_in = [], inputs
    for i in range(depth):
        if variant.startswith("residual"):
            scale = depth ** -0.5 if variant == "residual, scaled" else 1.0
            layers.append(Residual(nn.Sequential(dense(width, width), make_activation()), scale))
        else:
            layers.append(dense(fan_in, width))
            if variant == "BatchNorm":
                layers.append(nn.BatchNorm1d(width))
            elif variant == "LayerNorm":
                layers.append(nn.LayerNorm(width))
            layers.append(make_activation())
        fan_in = width
    layers.append(dense(fan_in, classes))
    return nn.Sequential(*layers)


def train(torch, X, y, net, variant, seed):
    """Training accuracy after EPOCHS epochs of SGD (NaN loss: diverged, returns 0.1 and True)."""
    torch.manual_seed(seed)
    model = build(torch, **NETS[net], variant=variant)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()
    generator = np.random.default_rng(seed)
    for _ in range(EPOCHS):
        order = generator.permutation(ROWS)
        for start in range(0, ROWS, BATCH):
            rows = torch.from_numpy(order[start:start + BATCH])
            loss = loss_fn(model(X[rows]), y[rows])
            if not math.isfinite(loss.item()):
                return 0.1, True
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        return float((model(X).argmax(1) == y).float().mean()), False


def main():
    import torch
    from sklearn.datasets import load_digits

    torch.set_num_threads(1)
    digits = load_digits()
    X = torch.tensor(digits.data / 16.0, dtype=torch.float32)
    y = torch.tensor(digits.target)
    steps = EPOCHS * (ROWS // BATCH)
    print(f"torch {torch.__version__}: SGD lr {LEARNING_RATE}, batch {BATCH}, {steps} steps, seeds {SEEDS}; "
          f"training accuracy on all {len(y)} digits")
    for net in NETS:
        for variant in VARIANTS:
            if variant == "residual, scaled" and NETS[net]["activation"] != "relu":
                continue
            runs = [train(torch, X, y, net, variant, seed) for seed in SEEDS]
            accuracies = [accuracy for accuracy, _ in runs]
            diverged = sum(d for _, d in runs)
            seeds = " ".join(f"{a:.3f}" for a in accuracies)
            print(f"{net:<22} {variant:<17} mean {np.mean(accuracies):.3f}  seeds {seeds}"
                  + (f"  ({diverged} of {len(SEEDS)} diverged)" if diverged else ""), flush=True)


if __name__ == "__main__":
    sys.exit(main())
