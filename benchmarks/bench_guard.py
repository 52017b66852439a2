"""What the in-place guard (minnet/guard.py) costs: time per op and per training step, with it
and with it switched off, and how many arrays its registry holds at the peak of a step.

The guard makes every recorded op's arrays read-only until backward releases them, counting
them in a registry (a dict of strong references, id(array) -> [array, count]). Switched off
here means `hold` records nothing: the same step, unprotected. The rows:

- chain: 10,000 multiplications of a 100-element vector, forward and backward: the per-op cost
  with almost no arithmetic;
- W1 (784-256-128-10 ReLU, batch 128) and W2 (20 sigmoid layers of 64, batch 256), the MLP
  steps of bench_mlp.py and bench_deep_sigmoid.py;
- W1 with a kept graph: a validation loss that is never released holds the weights, so every
  optimiser step updates a copy (Optimizer.step): the price of not refusing the step.

    python -m benchmarks.bench_guard
"""
import contextlib
import statistics

import numpy as np

import minnet as mn
from minnet import guard
from benchmarks._timing import interleaved_times, limit_blas_threads, print_header
from benchmarks.bench_mlp import NumpyMLP, minnet_step

CHAIN_OPS = 10_000


@contextlib.contextmanager
def guard_switched_off():
    """hold() records nothing: no read-only flags, no registry (unprotected, for comparison)."""
    original = guard.hold
    guard.hold = lambda inputs, output, op=None: ()
    try:
        yield
    finally:
        guard.hold = original


def chain_step():
    x = mn.Tensor(np.ones(100, np.float32), requires_grad=True)

    def step():
        y = x
        for _ in range(CHAIN_OPS):
            y = y * 1.0001
        y.sum().backward()
        x.grad = None
    return step


def mlp_step(sizes, activation, batch, keep_graph=False):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    step = minnet_step(sizes, activation, x, y, NumpyMLP(sizes, activation, rng))
    if keep_graph:
        # A validation loss computed without no_grad() and kept: its graph holds the weights.
        step.kept = mn.nn.CrossEntropyLoss()(step.model(mn.Tensor(x)), y)
    return step


def peak_registry_size(step):
    """The most arrays the registry holds at once during one step (sampled after each op)."""
    peak = 0
    original = guard.hold

    def counting_hold(inputs, output, op=None):
        nonlocal peak
        held = original(inputs, output, op)
        peak = max(peak, len(guard._held))
        return held
    guard.hold = counting_hold
    try:
        step()
    finally:
        guard.hold = original
    return peak


def with_and_without(name, make_step, repeats, inner):
    step = make_step()
    with guard_switched_off():
        unguarded = make_step()

    def unguarded_step():
        with guard_switched_off():
            unguarded()
    times = interleaved_times({"guard on": step, "guard off": unguarded_step},
                              repeats=repeats, inner=inner)
    on, off = (statistics.median(times[k]) for k in ("guard on", "guard off"))
    ratio = statistics.median(a / b for a, b in zip(times["guard on"], times["guard off"]))
    registry = peak_registry_size(step)
    print(f"  {name:<22} {on * 1e3:9.3f} {off * 1e3:9.3f} {ratio:7.3f} {registry:10d}")
    return on, off


def main():
    print_header("the in-place guard: the same steps with it on and switched off")
    print(f"  {'workload':<22} {'ms on':>9} {'ms off':>9} {'on/off':>7} {'registry':>10}")
    with limit_blas_threads():
        on, off = with_and_without(f"chain of {CHAIN_OPS:,} ops", chain_step, repeats=7, inner=1)
        with_and_without("W1", lambda: mlp_step([784, 256, 128, 10], "relu", 128),
                         repeats=11, inner=10)
        with np.errstate(over="ignore"):
            with_and_without("W2", lambda: mlp_step([64] * 21 + [10], "sigmoid", 256),
                             repeats=11, inner=10)
        with_and_without("W1, a graph kept", lambda: mlp_step([784, 256, 128, 10], "relu", 128,
                                                              keep_graph=True),
                         repeats=11, inner=10)
    per_op = (on - off) / CHAIN_OPS * 1e6
    print(f"  the guard costs about {per_op:.1f} us per recorded op (forward and backward); "
          f"'registry' is the most arrays it held at once in a step")


if __name__ == "__main__":
    main()
