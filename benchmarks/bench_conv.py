"""W3: one training step of a LeNet-like conv net: minnet, hand-written numpy and PyTorch CPU.

Conv2D(1, 8, 3, pad 1) ReLU MaxPool2D(2) Conv2D(8, 16, 3, pad 1) ReLU MaxPool2D(2) Flatten
Dense(784, 10) on random 1x28x28 inputs, batch 64, softmax cross-entropy, SGD with momentum
0.9, float32. Goal: minnet at most 2.5x PyTorch's time per step on 2 cores.

The numpy reference (NumpyLeNet) writes the same step out by hand in channels-last layout:
im2col by a strided window view, one matmul per convolution, col2im as nine shifted adds,
2x2 max pooling by reshape, softmax cross-entropy and the momentum update.

    python -m benchmarks.bench_conv                      # the table
    MINNET_BENCH_PROFILE=1 python -m benchmarks.bench_conv   # and where minnet's time goes
"""
import cProfile
import os
import pstats
import statistics

import numpy as np

import minnet as mn
from benchmarks._timing import (THREADS, interleaved_times, limit_blas_threads, peak_memory_mb,
                               print_header, report, torch_with_threads, training_step,
                               try_import_torch)

BATCH, LR, MOMENTUM = 64, 0.01, 0.9


class NumpyLeNet:
    """The W3 step written by hand in NHWC layout (no framework, no graph)."""

    def __init__(self, rng):
        def he(fan_in, *shape):
            return (rng.standard_normal(shape) * np.sqrt(2 / fan_in)).astype(np.float32)
        # Convolution weights as (kh * kw * c_in, c_out) matrices, rows in im2col's order.
        self.params = [he(9, 9, 8), np.zeros(8, np.float32), he(72, 72, 16), np.zeros(16, np.float32),
                       he(784, 784, 10), np.zeros(10, np.float32)]
        self.buffers = [np.zeros_like(p) for p in self.params]

    @staticmethod
    def _im2col(x):
        """(N, H, W, C) -> (N*H*W, 9*C): each row the 3x3 window (padding 1) around one pixel."""
        padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
        windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))
        n, h, w, c = x.shape
        return windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * h * w, 9 * c)   # (i, j, c) order

    @staticmethod
    def _col2im(grad_cols, shape):
        """The adjoint of _im2col: add each window position's gradient back to its pixel."""
        n, h, w, c = shape
        grad_cols = grad_cols.reshape(n, h, w, 3, 3, c)
        padded = np.zeros((n, h + 2, w + 2, c), np.float32)
        for i in range(3):              # nine shifted adds: a loop over the kernel, not pixels
            for j in range(3):
                padded[:, i:i + h, j:j + w] += grad_cols[:, :, :, i, j]
        return padded[:, 1:-1, 1:-1]

    @staticmethod
    def _pool(a):
        """2x2 max pooling, and the mask of the maxima for backward."""
        n, h, w, c = a.shape
        blocks = a.reshape(n, h // 2, 2, w // 2, 2, c)
        out = blocks.max(axis=(2, 4))
        # Ties (all-zero windows after ReLU) send gradient to several zeros, but ReLU's
        # derivative is 0 there, so the parameter gradients equal first-max pooling's.
        mask = blocks == out[:, :, None, :, None]
        return out, mask

    def step(self, x, y):
        w1, b1, w2, b2, w3, b3 = self.params
        n = len(x)
        cols1 = self._im2col(x)
        a1 = np.maximum(cols1 @ w1 + b1, 0).reshape(n, 28, 28, 8)
        p1, mask1 = self._pool(a1)
        cols2 = self._im2col(p1)
        a2 = np.maximum(cols2 @ w2 + b2, 0).reshape(n, 14, 14, 16)
        p2, mask2 = self._pool(a2)
        flat = p2.reshape(n, 784)
        logits = flat @ w3 + b3
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        probs[np.arange(n), y] -= 1
        grad = probs / n
        grads = [None] * 6
        grads[4], grads[5] = flat.T @ grad, grad.sum(axis=0)
        grad = (grad @ w3.T).reshape(n, 7, 1, 7, 1, 16) * mask2          # unpool
        grad = grad.reshape(n * 196, 16) * (a2.reshape(n * 196, 16) > 0)  # ReLU
        grads[2], grads[3] = cols2.T @ grad, grad.sum(axis=0)
        grad = self._col2im(grad @ w2.T, p1.shape)
        grad = grad.reshape(n, 14, 1, 14, 1, 8) * mask1
        grad = grad.reshape(n * 784, 8) * (a1.reshape(n * 784, 8) > 0)
        grads[0], grads[1] = cols1.T @ grad, grad.sum(axis=0)
        for p, g, buffer in zip(self.params, grads, self.buffers):
            buffer *= MOMENTUM
            buffer += g
            p -= LR * buffer


def minnet_step(x, y):
    mn.manual_seed(0)
    model = mn.nn.Sequential(
        mn.nn.Conv2D(1, 8, 3, padding=1), mn.nn.ReLU(), mn.nn.MaxPool2D(2),
        mn.nn.Conv2D(8, 16, 3, padding=1), mn.nn.ReLU(), mn.nn.MaxPool2D(2),
        mn.nn.Flatten(), mn.nn.Dense(784, 10))
    loss_fn = mn.nn.CrossEntropyLoss()
    optimizer = mn.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    inputs = mn.Tensor(x)
    return training_step(model, loss_fn, optimizer, inputs, y)


def torch_step(torch, x, y):
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(784, 10))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    inputs, targets = torch.from_numpy(x), torch.from_numpy(y)
    return training_step(model, loss_fn, optimizer, inputs, targets)


def profile(step, calls=50, lines=15):
    """Print the functions where minnet's step spends its own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        step()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(lines)


def main():
    torch = try_import_torch()
    print_header(f"W3: LeNet-like conv net on 1x28x28, batch {BATCH}, softmax CE, SGD momentum, float32", torch)
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, BATCH)
    numpy_net, x_channels_last = NumpyLeNet(rng), np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    steps = {"minnet": minnet_step(x, y), "numpy": lambda: numpy_net.step(x_channels_last, y)}
    if torch is not None:
        step = torch_step(torch, x, y)
        steps["torch"] = step
        # On a busy 2-core machine torch's second thread waits for a core and a step can take
        # several times longer than with one thread; timing both keeps the ratio honest.
        if THREADS > 1:
            steps["torch 1 thread"] = torch_with_threads(torch, step, 1)
    times = interleaved_times(steps, repeats=15, warmup=3, inner=3)
    memory = {k: peak_memory_mb(steps[k]) for k in ("minnet", "numpy")}
    report(times, memory, goal=2.5)
    if os.environ.get("MINNET_BENCH_PROFILE") == "1":
        profile(steps["minnet"])
    return {name: statistics.median(seconds) for name, seconds in times.items()}


if __name__ == "__main__":
    with limit_blas_threads():
        main()
