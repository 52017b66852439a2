"""Shared benchmark plumbing: thread settings, interleaved timing, peak memory, the report.

Every workload prints the same report: the median milliseconds per step of each
implementation, its ratio to PyTorch and to the hand-written numpy reference (the median of
the ratios within each round, paired_ratio), and peak memory, under a header that names the
machine, the library versions and the load average at the time.
"""
import os
import platform
import statistics
import time
import tracemalloc

import numpy as np

from minnet import allocator

# Two threads everywhere, like the 2-core machines the goals were set on. Set
# MINNET_BENCH_THREADS=1 on a busy machine: a 2-thread BLAS or torch call whose second thread
# waits for a core can take ten times longer, and the medians then measure the scheduler.
THREADS = int(os.environ.get("MINNET_BENCH_THREADS", "2"))
SETTLE_SECONDS = 0.1
# MINNET_BENCH_CLOCK=cpu times with the process's CPU time instead of the wall clock: on a
# machine that other jobs keep busy, the time a step waits for a core then does not count.
# CPU time adds up every thread of the process, so use it with MINNET_BENCH_THREADS=1.
CLOCK = os.environ.get("MINNET_BENCH_CLOCK", "wall")
_now = time.process_time if CLOCK == "cpu" else time.perf_counter

# The benchmarks time training steps as the chapters run them: with freed memory kept for the
# next step, which `import minnet` leaves to the program (minnet/allocator.py).
# bench_allocator.py measures what it changes; MINNET_KEEP_FREED_MEMORY=0 switches it off.
KEEPS_FREED_MEMORY = allocator.configure_from_environment()


def limit_blas_threads(threads: int = THREADS):
    """Give numpy's BLAS `threads` threads (threadpoolctl, when installed); returns the limiter."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=threads, user_api="blas")


def training_step(model, loss_fn, optimizer, inputs, targets):
    """One training step as a closure: the same three lines drive minnet and PyTorch."""
    def step():
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
    return step


def try_import_torch():
    """torch when installed (set to THREADS threads), else None: it is an optional peer."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(THREADS)
    return torch


def torch_with_threads(torch, step, threads):
    """step, run with torch set to `threads` threads (restored afterwards)."""
    def run():
        torch.set_num_threads(threads)
        try:
            step()
        finally:
            torch.set_num_threads(THREADS)
    return run


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def load_average() -> str:
    try:
        return "load average " + ", ".join(f"{load:.2f}" for load in os.getloadavg())
    except OSError:
        return "load average unknown"


def print_header(title: str, torch=None) -> None:
    """The workload, the machine, the versions, the threads and the current load."""
    versions = f"numpy {np.__version__}" + (f", torch {torch.__version__}" if torch else ", torch not installed")
    print(f"\n{title}")
    print(f"  {os.cpu_count()} cores, {cpu_model()}; {versions}; {THREADS} threads; {load_average()}"
          + ("; CPU time" if CLOCK == "cpu" else "")
          + ("; freed memory kept" if KEEPS_FREED_MEMORY else ""))


def interleaved_times(steps: dict, repeats: int = 7, warmup: int = 2, inner: int = 1) -> dict:
    """Seconds per call of each step in each of `repeats` rounds, timing the steps in turn
    so that drift in the machine's speed hits all alike."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    times = {name: [] for name in steps}
    names = list(steps)
    for round_ in range(repeats):
        # Each round starts with the next implementation, so that none always runs right
        # after the same other one (a step timed right after torch's ran markedly slower).
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:
            step = steps[name]
            # Thread pools (PyTorch's OpenMP, OpenBLAS) keep spinning for a while after a call;
            # on 2 cores they steal the next implementation's cores (numpy's W1 step ran several
            # times slower right after torch's). A pause lets them go to sleep first.
            time.sleep(SETTLE_SECONDS)
            start = _now()
            for _ in range(inner):
                step()
            times[name].append((_now() - start) / inner)
    return times


def interleaved_medians(steps: dict, **options) -> dict:
    """Median seconds per call of each step (interleaved_times' options)."""
    return {name: statistics.median(values) for name, values in interleaved_times(steps, **options).items()}


def peak_memory_mb(step, calls: int = 2) -> float:
    """Peak MB numpy/Python allocate during `calls` calls of step (tracemalloc).

    tracemalloc sees numpy's buffers but not PyTorch's allocator, so torch has no number.
    """
    tracemalloc.start()
    tracemalloc.reset_peak()
    for _ in range(calls):
        step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2 ** 20


def fastest_torch(times: dict):
    """The name of the faster torch row (2 threads or 1, by median): the fair peer on a busy
    machine; None without torch."""
    rows = {name: statistics.median(seconds) for name, seconds in times.items() if name.startswith("torch")}
    return min(rows, key=rows.get) if rows else None


def paired_ratio(times: dict, name: str, peer: str | None) -> float | None:
    """Median over rounds of name's time / peer's time in the same round (None without peer).

    The steps of one round run within a second of each other, so a ratio taken within a
    round cancels the machine's drift in speed, which on a shared 2-core machine moves
    whole rounds at once; the ratio of the two medians would mix different rounds.
    """
    if peer not in times:
        return None
    return statistics.median(a / b for a, b in zip(times[name], times[peer]))


def report(times: dict, memory: dict | None = None, goal: float | None = None) -> dict:
    """Print median ms/step, x fastest torch, x numpy and peak memory per row (the ratios are
    medians of per-round ratios, see paired_ratio); return minnet's ratios."""
    memory = memory or {}
    torch_row = fastest_torch(times)
    print(f"  {'implementation':<16} {'ms/step':>9} {'x torch':>8} {'x numpy':>8} {'peak MB':>8}")
    for name, seconds in times.items():
        vs_torch, vs_numpy = paired_ratio(times, name, torch_row), paired_ratio(times, name, "numpy")
        vs_torch = f"{vs_torch:8.2f}" if vs_torch else f"{'-':>8}"
        vs_numpy = f"{vs_numpy:8.2f}" if vs_numpy else f"{'-':>8}"
        peak = f"{memory[name]:8.1f}" if name in memory else f"{'-':>8}"
        print(f"  {name:<16} {statistics.median(seconds) * 1e3:9.3f} {vs_torch} {vs_numpy} {peak}")
    ratios = {"minnet/torch": paired_ratio(times, "minnet", torch_row),
              "minnet/numpy": paired_ratio(times, "minnet", "numpy")}
    summary = [f"{k} = {v:.2f}" for k, v in ratios.items() if v is not None]
    if goal is not None and ratios["minnet/torch"] is not None:
        met = "met" if ratios["minnet/torch"] <= goal else "MISSED"
        summary.append(f"goal minnet/torch <= {goal} {met}")
    print("  " + "; ".join(summary) + "  (x torch: the faster torch row)")
    return ratios
