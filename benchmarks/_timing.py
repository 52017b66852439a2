"""Shared benchmark plumbing: interleaved timing, medians, peak memory, a printed table."""
import os
import statistics
import time
import tracemalloc

# Two threads everywhere, like the 2-core machines the goals were set on.
THREADS = int(os.environ.get("MINNET_BENCH_THREADS", "2"))


def try_import_torch():
    """torch when installed (set to THREADS threads), else None: it is an optional peer."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(THREADS)
    return torch


def interleaved_medians(steps: dict, repeats: int = 7, warmup: int = 2, inner: int = 1) -> dict:
    """Median seconds per call of each step, timing them in turn so drift hits all alike."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    times = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            for _ in range(inner):
                step()
            times[name].append((time.perf_counter() - start) / inner)
    return {name: statistics.median(values) for name, values in times.items()}


def peak_memory_mb(step, calls: int = 2) -> float:
    """Peak bytes numpy/Python allocate during `calls` calls of step (tracemalloc), in MB."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    for _ in range(calls):
        step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2 ** 20


def print_table(title: str, medians: dict, reference: str, extra: dict | None = None) -> None:
    """One row per implementation: milliseconds and the ratio to `reference`."""
    print(f"\n{title}")
    print(f"  {'implementation':<16} {'ms/step':>9} {'x ' + reference:>12}")
    for name, seconds in medians.items():
        ratio = seconds / medians[reference] if reference in medians else float("nan")
        note = f"  {extra[name]}" if extra and name in extra else ""
        print(f"  {name:<16} {seconds * 1e3:9.3f} {ratio:12.2f}{note}")
