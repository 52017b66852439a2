"""Run every chapter (or the ones named) and print a summary table.

    python -m chapters                      # all, full size
    MINNET_QUICK=1 python -m chapters       # all, shrunk to seconds
    python -m chapters 02 03                # only chapters whose names start with these
"""
import importlib
import pkgutil
import sys
import time
from pathlib import Path

import chapters
from chapters._common import quick_mode


def chapter_names():
    """Module names of the chapters, in order: chapters/NN_topic.py."""
    return sorted(m.name for m in pkgutil.iter_modules(chapters.__path__)
                  if m.name[:2].isdigit() and m.name[2] == "_")


def run(names, quick):
    rows = []
    for name in names:
        module = importlib.import_module(f"chapters.{name}")
        print(f"\n=== {name} {'(quick)' if quick else ''}".rstrip(), flush=True)
        start = time.perf_counter()
        findings = module.main(quick=quick)
        seconds = time.perf_counter() - start
        rows.append((name, seconds, module.headline(findings)))
    return rows


def main(argv):
    wanted = argv[1:]
    names = [n for n in chapter_names() if not wanted or any(n.startswith(w) for w in wanted)]
    if not names:
        sys.exit(f"no chapter matches {wanted}; chapters are {chapter_names()}")
    rows = run(names, quick_mode())
    width = max(len(name) for name, _, _ in rows)
    print(f"\n{'chapter':<{width}}  {'seconds':>7}  headline finding")
    for name, seconds, headline in rows:
        print(f"{name:<{width}}  {seconds:7.1f}  {headline}")
    print(f"figures are in {Path('figures').resolve()}")


if __name__ == "__main__":
    main(sys.argv)
