"""W1: one training step of an MLP 784-256-128-10 with ReLU, batch 128, minnet against
hand-written numpy and PyTorch CPU (softmax cross-entropy, SGD momentum 0.9, float32).

The numpy version is the zero-overhead reference: the same matmuls with the backward written
out by hand, so minnet / numpy is what the framework costs. Goal: minnet <= 1.3x torch and
within 1.1x of numpy. W2 (bench_deep_sigmoid.py) reuses NumpyMLP and run() from here.

    python -m benchmarks.bench_mlp
    MINNET_BENCH_THREADS=1 python -m benchmarks.bench_mlp     # one thread for everyone
"""
import statistics

import numpy as np

import minnet as mn
from benchmarks._timing import (THREADS, interleaved_medians, interleaved_times,
                               limit_blas_threads, peak_memory_mb, print_header, report,
                               torch_with_threads, training_step, try_import_torch)

LR, MOMENTUM = 0.01, 0.9


class NumpyMLP:
    """Forward, backward and SGD-momentum update written by hand (PyTorch's update rule)."""

    def __init__(self, sizes, activation, rng):
        self.weights = [(rng.standard_normal((n_in, n_out)) * np.sqrt(1 / n_in)).astype(np.float32)
                        for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        self.biases = [np.zeros(n, np.float32) for n in sizes[1:]]
        self.buffers = [np.zeros_like(p) for p in self.weights + self.biases]
        self.activation = activation

    def _act(self, z):
        if self.activation == "relu":
            return np.maximum(z, 0)
        return 1 / (1 + np.exp(-z))       # minnet's formula, so only the framework differs

    def _act_grad(self, a):
        if self.activation == "relu":
            return a > 0
        return a * (1 - a)

    def step(self, x, y):
        outputs = [x]
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = outputs[-1] @ w + b
            outputs.append(z if i == len(self.weights) - 1 else self._act(z))
        logits = outputs.pop()
        shifted = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(shifted)
        probs /= probs.sum(axis=1, keepdims=True)
        grad = probs
        grad[np.arange(len(y)), y] -= 1
        grad /= len(y)
        grads_w, grads_b = [], []
        for i in reversed(range(len(self.weights))):
            grads_w.append(outputs[i].T @ grad)
            grads_b.append(grad.sum(axis=0))
            if i:
                grad = (grad @ self.weights[i].T) * self._act_grad(outputs[i])
        grads = grads_w[::-1] + grads_b[::-1]
        for p, g, buf in zip(self.weights + self.biases, grads, self.buffers):
            buf *= MOMENTUM
            buf += g
            p -= LR * buf


# All three start from the reference's weights: the same numbers flow through each (a deep
# sigmoid net's gradients shrink layer by layer, and how far they fall depends on the weights).

def minnet_step(sizes, activation, x, y, reference):
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(mn.nn.Dense(n_in, n_out))
        layers[-1].weight.data[...] = reference.weights[i]
        layers[-1].bias.data[...] = reference.biases[i]
        if i < len(sizes) - 2:
            layers.append(mn.nn.ReLU() if activation == "relu" else mn.nn.Sigmoid())
    model = mn.nn.Sequential(*layers)
    loss_fn = mn.nn.CrossEntropyLoss()
    optimizer = mn.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    inputs = mn.Tensor(x)
    step = training_step(model, loss_fn, optimizer, inputs, y)
    step.model = model
    return step


def torch_step(torch, sizes, activation, x, y, reference):
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(n_in, n_out))
        with torch.no_grad():
            layers[-1].weight.copy_(torch.from_numpy(reference.weights[i].T))
            layers[-1].bias.copy_(torch.from_numpy(reference.biases[i]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU() if activation == "relu" else torch.nn.Sigmoid())
    model = torch.nn.Sequential(*layers)
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    inputs, targets = torch.from_numpy(x), torch.from_numpy(y)
    return training_step(model, loss_fn, optimizer, inputs, targets)


def sgemm_gflops(n=1024):
    """numpy's float32 matmul speed on this machine: the ceiling for any numpy MLP."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    seconds = interleaved_medians({"sgemm": lambda: a @ a}, repeats=5)["sgemm"]
    return 2 * n ** 3 / seconds / 1e9


def run(name, sizes, activation, batch, goal):
    """Time one MLP training step in minnet, numpy and torch (2 threads and 1); print the report."""
    torch = try_import_torch()
    print_header(f"{name}: MLP {'-'.join(map(str, sizes)) if len(sizes) < 6 else f'{sizes[0]}-({len(sizes) - 2} x {sizes[1]})-{sizes[-1]}'}"
                 f", {activation}, batch {batch}, softmax CE, SGD momentum, float32", torch)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    numpy_mlp = NumpyMLP(sizes, activation, rng)
    steps = {"minnet": minnet_step(sizes, activation, x, y, numpy_mlp),
             "numpy": lambda: numpy_mlp.step(x, y)}
    if torch is not None:
        step = torch_step(torch, sizes, activation, x, y, numpy_mlp)
        steps["torch"] = step
        if THREADS > 1:
            steps["torch 1 thread"] = torch_with_threads(torch, step, 1)
    times = interleaved_times(steps, repeats=15, inner=20)   # blocks of 20 steps: steadier
    memory = {k: peak_memory_mb(steps[k]) for k in ("minnet", "numpy")}
    report(times, memory, goal)
    return {name: statistics.median(seconds) for name, seconds in times.items()}


def main():
    with limit_blas_threads():
        w1 = run("W1", [784, 256, 128, 10], "relu", 128, goal=1.3)
        # Forward and weight-gradient matmuls for all three layers, input gradients for the last
        # two (nobody needs the gradient of the data): 2 flops per multiply-add.
        layer_sizes = [784 * 256, 256 * 128, 128 * 10]
        flops = 2 * 128 * (2 * sum(layer_sizes) + sum(layer_sizes[1:]))
        peak = sgemm_gflops()
        print(f"  W1 minnet achieves {flops / w1['minnet'] / 1e9:.1f} GFLOP/s, numpy "
              f"{flops / w1['numpy'] / 1e9:.1f}; numpy sgemm (1024^3) peak here is {peak:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
