"""What every chapter shares: the `Chapter` object.

A chapter is a script, a notebook and a test subject at once. It creates one `Chapter` at
the top and then, cell by cell:

    ch = Chapter("03_vanishing_gradients")
    DEPTH = ch.pick(full=20, quick=8)          # MINNET_QUICK=1 shrinks the run to seconds
    ch.record(ratio=ratio)                     # a finding: what tests and the prose check read
    ch.table(rows)                             # printed where it was computed (script and Jupyter)
    ch.show(fig, "gradient_norms")             # inline under Jupyter, saved to the figure folder always
    ch.headline = "..."                        # one line for `python -m chapters`' summary
    ch.claims({"sigmoid's gradient shrinks": lambda f: f["ratio"] < 1e-3})   # the last cell

Every sentence of the prose that states a number, a size or a direction is either printed by
the run or quoted in the chapter's `ch.claims` table with a check on the findings: the page
shows which claims this run bears out, and the tests require all of them to hold, in quick
mode and in the recorded full run (chapters/findings/, written by `python -m chapters --record`).

Figures go to `$MINNET_FIGURES/<chapter>/` when MINNET_FIGURES is set, else to
`figures/<chapter>/` under the current folder. Nothing the runner does for itself (where the
figures went, which mode it runs in) is printed: a chapter's output is its lesson.

Creating a `Chapter` pins numpy's BLAS to one thread (threadpoolctl): a matrix product summed
by several threads adds its terms in an order that depends on the thread count, so the same
seed would give different numbers on different machines, and deep nets amplify the difference.
It also keeps freed memory for reuse (minnet.allocator, unless MINNET_KEEP_FREED_MEMORY=0), as
the runner always did: otherwise a chapter's timings would differ between the terminal, a
notebook and the site (each fresh temporary array costing page faults in the last two).
"""
import os
import sys
from pathlib import Path

import numpy as np

from minnet import allocator


def quick_mode() -> bool:
    """True when MINNET_QUICK=1: chapters shrink their runs to seconds (used by the tests)."""
    return os.environ.get("MINNET_QUICK") == "1"


def figure_root() -> Path:
    """The folder that holds every chapter's figure folder, as an absolute path."""
    return Path(os.environ.get("MINNET_FIGURES", "figures")).resolve()


def figure_dir(chapter: str) -> Path:
    """figure_root() / chapter, created if needed."""
    path = figure_root() / chapter
    path.mkdir(parents=True, exist_ok=True)
    return path


def pin_blas_threads(threads=1):
    """Limit numpy's BLAS (and any OpenMP pool already loaded) to `threads` threads, process-wide."""
    from threadpoolctl import threadpool_limits   # installed with scikit-learn

    threadpool_limits(limits=threads)


def in_jupyter() -> bool:
    """True when running under an IPython kernel (a notebook), where figures show inline."""
    ipython = sys.modules.get("IPython")       # never import IPython just to ask
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


def _choose_backend():
    """Leave the backend to MPLBACKEND, Jupyter or the desktop; Agg only when there is no screen.

    matplotlib would find out the same by probing GUI toolkits one by one; saying it up front
    is quicker and never opens a window in a headless run.
    """
    if os.environ.get("MPLBACKEND") or "matplotlib.pyplot" in sys.modules or in_jupyter():
        return
    headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                         or os.environ.get("WAYLAND_DISPLAY"))
    if headless:
        import matplotlib
        matplotlib.use("Agg")


def plain_findings(value):
    """Findings as JSON can hold them: numpy scalars and arrays as numbers and lists."""
    if isinstance(value, dict):
        return {str(key): plain_findings(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_findings(item) for item in value]
    if isinstance(value, np.ndarray):
        return plain_findings(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value)
    return value


def _format(value, fmt):
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return format(float(value), fmt)
    return str(value)


class Chapter:
    """One chapter's run: quick mode, findings, printed results and saved figures.

    Parameters
    ----------
    name : the chapter's module name, such as "03_vanishing_gradients"; it names the figure
        folder.
    """

    def __init__(self, name):
        _choose_backend()
        pin_blas_threads(1)
        allocator.configure_from_environment()
        self.name = name
        self.quick = quick_mode()
        self.seed = int(os.environ.get("MINNET_SEED", "0"))
        self.findings = {}
        self.figures = {}
        self.headline = ""
        self.checks = {}
        self.folder = figure_dir(name)

    def pick(self, full, quick):
        """`quick` in quick mode, `full` otherwise."""
        return quick if self.quick else full

    def record(self, **findings):
        """Keep findings (numbers the prose and the tests refer to); returns the last value."""
        self.findings.update(findings)
        return list(findings.values())[-1] if findings else None

    def claims(self, checks):
        """Check the prose against this run: {sentence quoted from the prose: check(findings)}.

        Each check receives the findings as JSON keeps them (dict keys as strings, tuples as
        lists), as the recorded full runs hold them. Prints how many claims this run bears out
        and each one it does not, records those under "claims_failed" and returns them.
        """
        self.checks = dict(checks)
        findings = plain_findings(self.findings)
        failed = [claim for claim, check in self.checks.items() if not check(findings)]
        self.print(f"{len(self.checks) - len(failed)} of {len(self.checks)} claims in this page's prose "
                   "hold in this run")
        for claim in failed:
            self.print(f"does NOT hold: {claim}")
        self.record(claims_failed=failed)
        return failed

    def print(self, *args, **kwargs):
        """print(), flushed: results appear under the cell (or in the terminal) as they come."""
        print(*args, **kwargs, flush=True)

    def table(self, rows, fmt=".3g", title=None, key=""):
        """Print a table and return its text.

        `rows` is {row name: {column: value}} (one row per entry) or {name: value} (a
        two-column table). Floats use `fmt`, or `fmt[column]` when `fmt` is a dict (".3g"
        for the columns it does not name); booleans print as yes/no.
        """
        if rows and not isinstance(next(iter(rows.values())), dict):
            rows = {name: {"value": value} for name, value in rows.items()}
        columns = list(next(iter(rows.values())))
        formats = fmt if isinstance(fmt, dict) else {column: fmt for column in columns}
        cells = [[str(name)] + [_format(row.get(column, ""), formats.get(column, ".3g"))
                                for column in columns] for name, row in rows.items()]
        header = [key] + [str(column) for column in columns]
        widths = [max(len(line[i]) for line in [header] + cells) for i in range(len(header))]
        lines = [" ".join(text.ljust(width) if i == 0 else text.rjust(width)
                          for i, (text, width) in enumerate(zip(line, widths))) for line in [header] + cells]
        text = "\n".join(([title] if title else []) + lines)
        self.print(text)
        return text

    def show(self, figure, name, dpi=100, tight=True):
        """Save `figure` as <figure folder>/<name>.png; show it inline under Jupyter; close it.

        tight=False keeps the figure's own margins: a tight bounding box draws the figure
        twice, which a figure of 30 panels feels.
        """
        import matplotlib.pyplot as plt

        path = self.folder / f"{name}.png"
        figure.savefig(path, dpi=dpi, bbox_inches="tight" if tight else None)
        self.figures[name] = str(path)
        if in_jupyter():
            from IPython.display import display
            display(figure)
        plt.close(figure)
