"""What `minnet.allocator.keep_freed_memory()` changes: W2's training step with and without it.

`import minnet` leaves malloc as it is; the chapter runner and the other benchmarks opt in
(minnet/allocator.py says why it helps). Here each setting runs in a fresh process, because
the setting holds for the whole process and cannot be undone: W2 (20 sigmoid layers of width
64, batch 256, as bench_deep_sigmoid.py) in minnet and in the hand-written numpy reference,
with the page faults and kernel time of each step. Three settings:

- off: malloc as the imports left it. glibc raises its thresholds by itself whenever a block
  over the current threshold is freed, so what this row shows depends on what ran before.
- off, start values: glibc's documented start thresholds (128 KB), as in a process that has
  not yet freed a large block (a small script, or a net whose arrays all stay small).
- on: keep_freed_memory().

The settings run in turn, ROUNDS times, and each ratio is the median over rounds of
(without / with) within the round.

    python -m benchmarks.bench_allocator
"""
import json
import os
import resource
import statistics
import subprocess
import sys

import numpy as np

from benchmarks._timing import THREADS, cpu_model, interleaved_times, limit_blas_threads, load_average
from minnet import allocator

ROUNDS = 3
SIZES, BATCH = [64] * 21 + [10], 256
COUNTED_STEPS = 100                 # steps whose page faults and kernel time are averaged
GLIBC_START_THRESHOLD = 128 * 1024  # M_MMAP_THRESHOLD and M_TRIM_THRESHOLD before any adjustment
# label -> (MINNET_KEEP_FREED_MEMORY, set glibc's start values first)
SETTINGS = {"off": ("0", False), "off, start values": ("0", True), "on": ("1", False)}


def child(start_values):
    """In a fresh process: time W2's steps under this process's setting; print them as JSON."""
    if start_values:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(allocator._M_MMAP_THRESHOLD, GLIBC_START_THRESHOLD)
        libc.mallopt(allocator._M_TRIM_THRESHOLD, GLIBC_START_THRESHOLD)
    from benchmarks.bench_mlp import NumpyMLP, minnet_step   # imports _timing: the setting applies

    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    reference = NumpyMLP(SIZES, "sigmoid", rng)
    steps = {"minnet": minnet_step(SIZES, "sigmoid", x, y, reference),
             "numpy": lambda: reference.step(x, y)}
    with limit_blas_threads(), np.errstate(over="ignore"):   # the reference's e^-z may overflow
        times = interleaved_times(steps, repeats=9, warmup=20, inner=20)
        before = resource.getrusage(resource.RUSAGE_SELF)
        for _ in range(COUNTED_STEPS):
            steps["minnet"]()
        after = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "minnet": statistics.median(times["minnet"]) * 1e3,
        "numpy": statistics.median(times["numpy"]) * 1e3,
        "faults": (after.ru_minflt - before.ru_minflt) / COUNTED_STEPS,
        "kernel": (after.ru_stime - before.ru_stime) * 1e3 / COUNTED_STEPS,
    }))


def _run_child(setting):
    keep, start_values = SETTINGS[setting]
    env = dict(os.environ, MINNET_KEEP_FREED_MEMORY=keep)
    code = f"from benchmarks.bench_allocator import child; child({start_values})"
    result = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                            text=True)
    return json.loads(result.stdout.splitlines()[-1])


def main():
    print(f"\nfreed memory kept or not (minnet.allocator): W2 (20 sigmoid layers of 64, batch {BATCH}) "
          f"training step, each setting in its own process, {ROUNDS} rounds")
    print(f"  {os.cpu_count()} cores, {cpu_model()}; numpy {np.__version__}; {THREADS} threads; "
          f"{load_average()}")
    runs = {setting: [] for setting in SETTINGS}
    for round_ in range(ROUNDS):
        order = list(SETTINGS)
        for setting in order[round_ % len(order):] + order[:round_ % len(order)]:
            runs[setting].append(_run_child(setting))
    print(f"  {'freed memory kept':<20} {'minnet ms':>10} {'numpy ms':>9} {'faults/step':>12} "
          f"{'kernel ms/step':>15} {'minnet x on':>12} {'numpy x on':>11}")
    for setting in SETTINGS:
        median = {key: statistics.median(run[key] for run in runs[setting]) for key in runs[setting][0]}
        ratios = [statistics.median(run[name] / on[name] for run, on in zip(runs[setting], runs["on"]))
                  for name in ("minnet", "numpy")]
        print(f"  {setting:<20} {median['minnet']:10.3f} {median['numpy']:9.3f} {median['faults']:12.1f} "
              f"{median['kernel']:15.3f} {ratios[0]:12.2f} {ratios[1]:11.2f}")
    print("  (x on: median over rounds of the step's time / its time with freed memory kept)")


if __name__ == "__main__":
    main()
