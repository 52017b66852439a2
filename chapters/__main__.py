"""Run chapters and print their reports, then a summary table.

    python -m chapters                      # every chapter's full report, then the summary
    MINNET_QUICK=1 python -m chapters       # the same, shrunk to seconds
    python -m chapters 03                   # one chapter's report (names starting with 03)
    python -m chapters --record             # full runs; findings saved to chapters/findings/

A report is exactly what the chapter prints when it runs as a script or as a notebook: the
runner executes the chapter file top to bottom and reads its `Chapter` object afterwards.
`--record` writes each chapter's findings of a full run to chapters/findings/<name>.json:
the tests check the prose's claims against them (the test suite itself runs quick mode only).
"""
import json
import pkgutil
import runpy
import sys
import time
from pathlib import Path

import chapters
from chapters._common import Chapter, figure_root, plain_findings, quick_mode
from minnet import allocator

FINDINGS = Path(chapters.__file__).resolve().parent / "findings"


def record_findings(chapter, seconds, folder=FINDINGS):
    """Write a full run's findings (and its wall-clock seconds) to folder/<name>.json."""
    folder.mkdir(exist_ok=True)
    data = {"seconds": round(seconds, 1), "findings": plain_findings(chapter.findings)}
    (folder / f"{chapter.name}.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def chapter_names():
    """Module names of the chapters, in order: chapters/NN_topic.py."""
    return sorted(m.name for m in pkgutil.iter_modules(chapters.__path__)
                  if m.name[:2].isdigit() and m.name[2] == "_")


def run_chapter(name) -> Chapter:
    """Execute chapters/<name>.py top to bottom (its report prints as it runs); its Chapter."""
    namespace = runpy.run_module(f"chapters.{name}", run_name="__main__")
    chapter = namespace.get("ch")
    if not isinstance(chapter, Chapter):
        raise RuntimeError(f"chapters/{name}.py must create `ch = Chapter({name!r})` at top level")
    return chapter


def main(argv):
    # The chapters train many small nets: keep their freed memory for the next step (see
    # minnet/allocator.py; MINNET_KEEP_FREED_MEMORY=0 leaves malloc as it is).
    allocator.configure_from_environment()
    record = "--record" in argv[1:]
    if record and quick_mode():
        sys.exit("--record keeps the findings of full runs: unset MINNET_QUICK")
    wanted = [arg for arg in argv[1:] if arg != "--record"]
    names = [n for n in chapter_names() if not wanted or any(n.startswith(w) for w in wanted)]
    if not names:
        sys.exit(f"no chapter matches {wanted}; chapters are {chapter_names()}")
    rows = []
    for name in names:
        print(f"\n{'=' * 30} {name} {'=' * 30}", flush=True)
        start, start_cpu = time.perf_counter(), time.process_time()
        chapter = run_chapter(name)
        if record:
            record_findings(chapter, time.perf_counter() - start)
        rows.append((name, time.perf_counter() - start, time.process_time() - start_cpu, chapter.headline))
    width = max(len(row[0]) for row in rows)
    # CPU seconds beside wall-clock ones: on a busy machine only the first says what a chapter costs
    mode = " (quick mode)" if quick_mode() else ""
    print(f"\n{'chapter':<{width}}  {'seconds':>7}  {'CPU s':>6}  headline finding{mode}")
    for name, seconds, cpu_seconds, headline in rows:
        print(f"{name:<{width}}  {seconds:7.1f}  {cpu_seconds:6.1f}  {headline}")
    print(f"figures are in {figure_root()}")


if __name__ == "__main__":
    main(sys.argv)
