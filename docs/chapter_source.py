"""Reading a chapter (a `# %%` percent-format script) as notebook cells, for the notebooks and the site.

jupytext turns the script into cells: `# %% [markdown]` cells become markdown, bare `# %%`
cells code. The module docstring, which jupytext keeps as a code cell that would only echo
a string, becomes the notebook's title cell instead: its first line is the title. A second
cell installs minnet when the notebook runs outside the repository (downloaded from the site,
opened in Colab); inside it, or wherever minnet is installed, that cell does nothing.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"


def chapter_paths():
    """chapters/NN_topic.py, in order."""
    return sorted(p for p in CHAPTERS.glob("[0-9][0-9]_*.py"))


def split_docstring(source):
    """(title, body, rest of the source) of a module whose first statement is its docstring."""
    tree = ast.parse(source)
    first = tree.body[0] if tree.body else None
    if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):
        raise ValueError("a chapter must start with a docstring whose first line is its title")
    title, _, body = first.value.value.strip().partition("\n")
    rest = "\n".join(source.splitlines()[first.end_lineno:]).lstrip("\n")
    return title.strip(), body.strip(), rest


INSTALL_CELL = """\
# Outside minnet's repository (a downloaded notebook, Colab), this cell installs minnet: write
# where your copy of minnet is (a folder, a wheel or a git URL) below, or set the environment
# variable MINNET_SOURCE. Where minnet and its chapters can be imported already, it does nothing.
import importlib.util
import os
import subprocess
import sys

MINNET_SOURCE = os.environ.get("MINNET_SOURCE", "")
if importlib.util.find_spec("minnet") is None or importlib.util.find_spec("chapters") is None:
    if not MINNET_SOURCE:
        raise ModuleNotFoundError("minnet is not installed: set MINNET_SOURCE in this cell to a copy of "
                                  "minnet (a folder, a wheel or a git URL) and run it again")
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", f"{MINNET_SOURCE}[docs]"])
"""


def chapter_notebook(path):
    """The chapter at `path` as an nbformat notebook: a title cell, then the script's cells."""
    import jupytext
    import nbformat

    title, body, rest = split_docstring(Path(path).read_text(encoding="utf-8"))
    notebook = jupytext.reads(rest, fmt="py:percent")
    intro = f"# {title}\n\n{body}" if body else f"# {title}"
    notebook.cells.insert(0, nbformat.v4.new_markdown_cell(intro))
    notebook.cells.insert(1, nbformat.v4.new_code_cell(INSTALL_CELL))
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata.pop("jupytext", None)
    return notebook
