"""W3: one training step of a LeNet-like conv net, minnet against PyTorch CPU.

Conv2D(1, 8, 3, pad 1) ReLU MaxPool2D(2) Conv2D(8, 16, 3, pad 1) ReLU MaxPool2D(2) Flatten
Dense(784, 10) on random 1x28x28 inputs, batch 64, softmax cross-entropy, SGD with momentum
0.9, float32. Goal: minnet at most 2.5x PyTorch's time per step on 2 cores.

    python -m benchmarks.bench_conv                      # the table
    MINNET_BENCH_PROFILE=1 python -m benchmarks.bench_conv   # and where minnet's time goes
"""
import cProfile
import os
import pstats

import numpy as np

import minnet as mn
from benchmarks._timing import THREADS, interleaved_medians, peak_memory_mb, print_table, try_import_torch

BATCH, LR, MOMENTUM = 64, 0.01, 0.9


def minnet_step(x, y):
    mn.manual_seed(0)
    model = mn.nn.Sequential(
        mn.nn.Conv2D(1, 8, 3, padding=1), mn.nn.ReLU(), mn.nn.MaxPool2D(2),
        mn.nn.Conv2D(8, 16, 3, padding=1), mn.nn.ReLU(), mn.nn.MaxPool2D(2),
        mn.nn.Flatten(), mn.nn.Dense(784, 10))
    loss_fn = mn.nn.CrossEntropyLoss()
    optimizer = mn.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    inputs = mn.Tensor(x)

    def step():
        optimizer.zero_grad()
        loss_fn(model(inputs), y).backward()
        optimizer.step()
    return step


def torch_step(torch, x, y, threads):
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(784, 10))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    inputs, targets = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        torch.set_num_threads(threads)
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
    return step


def profile(step, calls=50, lines=15):
    """Print the functions where minnet's step spends its own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        step()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(lines)


def main():
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, BATCH)
    steps = {"minnet": minnet_step(x, y)}
    torch = try_import_torch()
    if torch is not None:
        steps["torch"] = torch_step(torch, x, y, THREADS)
        # On a busy 2-core machine torch's second thread waits for a core and a step can take
        # several times longer than with one thread; timing both keeps the ratio honest.
        steps["torch 1 thread"] = torch_step(torch, x, y, 1)
    medians = interleaved_medians(steps, repeats=21, warmup=3, inner=3)
    memory = {"minnet": f"peak {peak_memory_mb(steps['minnet']):.1f} MB (tracemalloc)"}
    print_table(f"W3: LeNet-like conv net on 1x28x28, batch {BATCH}, SGD momentum, float32",
                medians, "torch" if torch else "minnet", memory)
    if torch is None:
        print("  (PyTorch not installed: no comparison)")
    else:
        torch.set_num_threads(THREADS)
        best = min(medians["torch"], medians["torch 1 thread"])
        print(f"  minnet / fastest torch = {medians['minnet'] / best:.2f} (goal <= 2.5)")
    if os.environ.get("MINNET_BENCH_PROFILE") == "1":
        profile(steps["minnet"])
    return medians


if __name__ == "__main__":
    main()
