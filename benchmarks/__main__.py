"""Run every benchmark: python -m benchmarks (or python -m benchmarks conv mlp for some).

Each benchmarks/bench_<name>.py runs in its own process, so one benchmark's memory and
thread settings cannot disturb the next.
"""
import pkgutil
import subprocess
import sys
import time

import benchmarks


def main(argv):
    names = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))
    wanted = argv[1:]
    names = [n for n in names if not wanted or any(w in n for w in wanted)]
    failures = []
    for name in names:
        print(f"\n##### {name}", flush=True)
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", f"benchmarks.{name}"])
        print(f"##### {name} took {time.perf_counter() - start:.0f} s", flush=True)
        if result.returncode:
            failures.append(name)
    if failures:
        sys.exit(f"benchmarks failed: {failures}")


if __name__ == "__main__":
    main(sys.argv)
