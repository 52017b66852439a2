"""What every chapter shares: the `Chapter` object.

A chapter is a script, a notebook and a test subject at once. It creates one `Chapter` at
the top and then, cell by cell:

    ch = Chapter("03_vanishing_gradients")
    DEPTH = ch.pick(full=20, quick=8)          # MINNET_QUICK=1 shrinks the run to seconds
    ch.record(ratio=ratio)                     # a finding: what tests and the prose check read
    ch.table(rows)                             # printed where it was computed (script and Jupyter)
    ch.show(fig, "gradient_norms")             # inline under Jupyter, saved to the figure folder always
    ch.headline = "..."                        # one line for `python -m chapters`' summary

Figures go to `$MINNET_FIGURES/<chapter>/` when MINNET_FIGURES is set, else to
`figures/<chapter>/` under the current folder.
"""
import os
import sys
from pathlib import Path

import numpy as np


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


def _readable(path):
    """`path` relative to the current folder when it lies inside it (figures/03_.../x.png), else
    absolute: a true path either way, without a machine's folder names in a rendered page."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


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
        self.name = name
        self.quick = quick_mode()
        self.seed = int(os.environ.get("MINNET_SEED", "0"))
        self.findings = {}
        self.figures = {}
        self.headline = ""
        self.folder = figure_dir(name)
        mode = " (quick mode: MINNET_QUICK=1)" if self.quick else ""
        self.print(f"Chapter {name}{mode}; figures go to {_readable(self.folder)}")

    def pick(self, full, quick):
        """`quick` in quick mode, `full` otherwise."""
        return quick if self.quick else full

    def record(self, **findings):
        """Keep findings (numbers the prose and the tests refer to); returns the last value."""
        self.findings.update(findings)
        return list(findings.values())[-1] if findings else None

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
        else:
            self.print(f"figure: {_readable(path)}")
        plt.close(figure)
