"""W5 and friends: forward + backward of activations on 4,000,000 float32 values.

    python -m benchmarks.bench_activations            ReLU, sigmoid, tanh, SiLU (W5), GELU
    MINNET_BENCH_ALL=1 python -m benchmarks.bench_activations     every activation
    python -m benchmarks.bench_activations relu gelu  only these (MINNET_BENCH_REPEATS=7)

Each row times y = layer(x); y.backward(g) in minnet and the same in PyTorch (when
installed; the faster of 2 threads and 1), interleaved so that machine drift hits all alike;
times are medians of the repeats after a warm-up, ratios medians of the per-round ratios.
For ReLU, sigmoid, tanh, SiLU and GELU a hand-written numpy forward+backward is timed too:
the floor any numpy framework can reach.
The goal is minnet within 2.5x of PyTorch for those five; W5 is the SiLU row.
"""
import os
import statistics
import sys

import numpy as np
from scipy.special import erf

import minnet as mn
from benchmarks._timing import (THREADS, fastest_torch, interleaved_times, paired_ratio,
                                peak_memory_mb, print_header, torch_with_threads, try_import_torch)
from minnet.nn import ACTIVATIONS

SIZE = (2000, 2000)                 # 4,000,000 values
REPEATS = int(os.environ.get("MINNET_BENCH_REPEATS", "7"))
GOAL_NAMES = ("relu", "sigmoid", "tanh", "silu", "gelu")
ARGUMENTS = {"threshold": {"threshold": 0.5, "value": -1.0}, "maxout": {"pieces": 2}}


def _torch_layers(torch):
    """PyTorch's module of the same name; compositions where PyTorch has none."""
    nn = torch.nn
    return {
        "identity": nn.Identity(), "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh(), "relu": nn.ReLU(),
        "leaky_relu": nn.LeakyReLU(), "prelu": nn.PReLU(), "rrelu": nn.RReLU(), "relu6": nn.ReLU6(),
        "elu": nn.ELU(), "selu": nn.SELU(), "celu": nn.CELU(), "gelu": nn.GELU(),
        "swish": lambda x: x * torch.sigmoid(x), "silu": nn.SiLU(), "mish": nn.Mish(),
        "softsign": nn.Softsign(), "softplus": nn.Softplus(), "log_sigmoid": nn.LogSigmoid(),
        "hard_sigmoid": nn.Hardsigmoid(), "hard_swish": nn.Hardswish(), "hard_tanh": nn.Hardtanh(),
        "tanhshrink": nn.Tanhshrink(), "softshrink": nn.Softshrink(), "hardshrink": nn.Hardshrink(),
        "threshold": nn.Threshold(0.5, -1.0),
        "maxout": lambda x: x.unflatten(-1, (-1, 2)).amax(dim=-1),
        "glu": nn.GLU(), "softmax": nn.Softmax(dim=-1), "log_softmax": nn.LogSoftmax(dim=-1),
        "softmin": nn.Softmin(dim=-1),
    }


def _numpy_steps(x, grad):
    """Hand-written forward and backward, the fewest passes over memory plain numpy allows."""
    def relu():
        y = np.maximum(x, 0)
        return y, grad * (x > 0)

    def sigmoid():
        y = 1 / (1 + np.exp(-x))           # minnet's formula (e^-x -> inf gives the limit 0)
        return y, grad * y * (1 - y)

    def tanh():
        y = np.tanh(x)
        return y, grad * (1 - y * y)

    def silu():
        s = 1 / (1 + np.exp(-x))
        y = x * s
        return y, grad * (s + y * (1 - s))

    def gelu():
        cdf = 0.5 * (1 + erf(x * (1 / np.sqrt(np.float32(2)))))
        y = x * cdf
        return y, grad * (cdf + x * np.exp(-0.5 * x * x) * np.float32(1 / np.sqrt(2 * np.pi)))

    return {"relu": relu, "sigmoid": sigmoid, "tanh": tanh, "silu": silu, "gelu": gelu}


def main(names=()):
    torch = try_import_torch()
    torch_layers = _torch_layers(torch) if torch is not None else {}
    np.seterr(over="ignore")               # only the numpy baseline's e^-x overflows (to inf)
    data = np.random.default_rng(0).standard_normal(SIZE).astype(np.float32) * 3
    numpy_steps = _numpy_steps(data, np.ones_like(data))
    names = names or (ACTIVATIONS if os.environ.get("MINNET_BENCH_ALL") == "1" else GOAL_NAMES)

    print_header(f"forward + backward on {data.size:,} float32 values, median of {REPEATS} "
                 f"(W5 = silu); x torch is the faster of torch's {THREADS} threads and 1", torch)
    print(f"{'activation':<14}{'minnet ms':>11}{'numpy ms':>10}{'torch ms':>10}{'x torch':>9}{'x numpy':>9}")
    ratios = {}
    for name, cls in ACTIVATIONS.items():
        if name not in names:
            continue
        layer = cls(**ARGUMENTS.get(name, {}))
        x = mn.Tensor(data, requires_grad=True)

        def minnet_step():
            x.grad = None
            y = layer(x)
            y.backward(np.ones_like(y.data))

        steps = {"minnet": minnet_step}
        if name in numpy_steps:
            steps["numpy"] = numpy_steps[name]
        if torch is not None:
            torch_layer, tx = torch_layers[name], torch.from_numpy(data.copy()).requires_grad_()

            def torch_step():
                tx.grad = None
                ty = torch_layer(tx)
                ty.backward(torch.ones_like(ty))
            steps["torch"] = torch_step
            if THREADS > 1:
                steps["torch 1 thread"] = torch_with_threads(torch, torch_step, 1)
        rounds = interleaved_times(steps, repeats=REPEATS, warmup=1)
        times = {n: statistics.median(seconds) for n, seconds in rounds.items()}
        torch_row = fastest_torch(rounds)
        torch_time = times[torch_row] if torch_row else None
        ratio = paired_ratio(rounds, "minnet", torch_row) if torch_row else float("nan")
        ratios[name] = ratio
        numpy_ms = f"{times['numpy'] * 1e3:10.1f}" if "numpy" in times else f"{'':>10}"
        torch_ms = f"{torch_time * 1e3:10.1f}" if torch_time else f"{'-':>10}"
        vs_numpy = f"{paired_ratio(rounds, 'minnet', 'numpy'):9.2f}" if "numpy" in times else f"{'':>9}"
        goal = "  (goal <= 2.5)" if name in GOAL_NAMES else ""
        print(f"{name:<14}{times['minnet'] * 1e3:11.1f}{numpy_ms}{torch_ms}{ratio:9.2f}{vs_numpy}{goal}",
              flush=True)
        if name == "silu":
            print(f"  W5 peak memory: minnet {peak_memory_mb(minnet_step):.1f} MB, numpy "
                  f"{peak_memory_mb(numpy_steps['silu']):.1f} MB (tracemalloc; input 15.3 MB)")
    if torch is not None:
        missed = [n for n in GOAL_NAMES if ratios.get(n, 0) > 2.5]
        print("goal met for " + ", ".join(n for n in GOAL_NAMES if n in ratios) if not missed
              else f"goal missed for {missed}")


if __name__ == "__main__":
    main(sys.argv[1:])
