"""W2: one training step of a deep sigmoid MLP: 20 sigmoid layers of width 64, batch 256.

Many small ops (20 x matmul, bias add, sigmoid, and their backward): this workload measures
the framework's per-op Python cost more than arithmetic. Same reference and report as W1
(bench_mlp.py). Goal: minnet <= 1.5x torch and within 1.1x of the numpy reference.

    python -m benchmarks.bench_deep_sigmoid
"""
import numpy as np

from benchmarks._timing import limit_blas_threads
from benchmarks.bench_mlp import run


def main():
    with limit_blas_threads(), np.errstate(over="ignore"):   # the reference's e^-z may overflow
        return run("W2", [64] * 21 + [10], "sigmoid", 256, goal=1.5)


if __name__ == "__main__":
    main()
