"""Write every chapter as an executed Jupyter notebook.

    pip install -e ".[docs]"
    python docs/build_notebooks.py                  # notebooks/NN_topic.ipynb, full size
    python docs/build_notebooks.py --quick          # shrunk to seconds (MINNET_QUICK=1)
    python docs/build_notebooks.py 03 --out DIR     # only chapters whose names start with 03
    python docs/build_notebooks.py my_script.py     # any `# %%` script that starts with a docstring

jupytext converts each `# %%` script into cells and nbclient runs them in a fresh ipykernel,
from the repository root, so each notebook holds its printed results and inline figures
under the cells that made them. The figures are saved as the chapters always save them
(figures/<chapter>/, or $MINNET_FIGURES). A cell that raises stops its chapter; the others
still run, and the command exits with status 1 naming every chapter that failed.
"""
import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chapter_source import ROOT, chapter_notebook, chapter_paths  # noqa: E402

CELL_TIMEOUT_S = 900          # one cell of a full-size chapter; a hung kernel fails, not blocks


def kernel_environment(quick, extra_env=None):
    """The kernel's environment: ours, quick mode as asked, and matplotlib's inline backend.

    ipykernel picks the inline backend only when MPLBACKEND is unset, and CI sets it to
    Agg for the tests, which would leave every notebook without figures.
    """
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    if quick:
        env["MINNET_QUICK"] = "1"
    env.update(extra_env or {})
    return env


def execute(path, out_dir, quick, extra_env=None):
    """Run one chapter as a notebook; write it (also when a cell failed). Returns (path, error)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from traitlets.config import Config

    notebook = chapter_notebook(path)
    error = None
    with tempfile.TemporaryDirectory() as sockets:
        # Local sockets (ipc) rather than TCP ports: nothing listens on the network, and
        # ipykernel does not warn about unencrypted TCP for every notebook.
        config = Config()
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = os.path.join(sockets, "kernel")
        client = NotebookClient(notebook, kernel_name="python3", timeout=CELL_TIMEOUT_S, config=config,
                                resources={"metadata": {"path": str(ROOT)}})
        try:
            client.execute(env=kernel_environment(quick, extra_env))
        except CellExecutionError as failure:
            error = str(failure)
    target = Path(out_dir) / f"{Path(path).stem}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    return target, error


def build(out_dir, quick=False, wanted=(), jobs=1, extra_env=None):
    """Execute the chosen chapters; returns {chapter name: (notebook path, error or None)}.

    `extra_env` adds variables to the kernels' environment (the tests set MINNET_FIGURES).
    """
    scripts = [Path(w) for w in wanted if w.endswith(".py")]
    prefixes = [w for w in wanted if not w.endswith(".py")]
    paths = [p for p in chapter_paths() if prefixes and any(p.stem.startswith(w) for w in prefixes)]
    paths = scripts + paths if wanted else chapter_paths()
    if not paths:
        raise SystemExit(f"no chapter matches {list(wanted)}; chapters are {[p.stem for p in chapter_paths()]}")
    # Threads suffice: each notebook runs in its own kernel process.
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = pool.map(lambda p: execute(p, out_dir, quick, extra_env), paths)
        return {p.stem: result for p, result in zip(paths, results)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="name prefixes such as 03, or paths to other percent-format scripts "
                        "(default: every chapter)")
    parser.add_argument("--quick", action="store_true", help="run shrunk to seconds (MINNET_QUICK=1)")
    parser.add_argument("--out", default=str(ROOT / "notebooks"), help="folder for the .ipynb files")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks executed at once")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    results = build(args.out, quick=args.quick, wanted=args.chapters, jobs=args.jobs)
    for name, (target, error) in results.items():
        print(f"{name}: {'FAILED' if error else 'ok'}  {target}")
        if error:
            print(error, file=sys.stderr)
    failed = [name for name, (_, error) in results.items() if error]
    print(f"{len(results) - len(failed)} of {len(results)} notebooks executed without error "
          f"in {time.perf_counter() - start:.0f} s; written to {Path(args.out).resolve()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
