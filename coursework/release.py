"""Release: the student version of the assignments, every reference solution taken out.

What students get lives in coursework/assignments/ (installed with minnet): each assignment's
statement, its starter (the teacher's reference with the solutions stripped) and its public
tests. The teacher's bundle, coursework/teacher/ (reference solutions and hidden graders), is
not installed; `build_starters` regenerates the starters from it, and the test suite checks
that they agree.

A solution sits between nbgrader's markers, on lines of their own:

    # HINT: sum over the axes that broadcasting added, then over the axes of size 1
    ### BEGIN SOLUTION
    ...the reference code...
    ### END SOLUTION

and the released file has, at the same indentation,

    # HINT: sum over the axes that broadcasting added, then over the axes of size 1
    # YOUR CODE HERE
    raise NotImplementedError("sum over the axes that broadcasting added, ...")

so the starter imports and runs, and every task fails with its hint until it is written.
In a markdown file (a report to write) the block becomes nbgrader's "YOUR ANSWER HERE".
"""
import re
import shutil
from pathlib import Path

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HINT = re.compile(r"^\s*# HINT:\s*(.*)$")
DEFAULT_HINT = "write this part (see the statement)"
# Copied next to the assignments: `pytest` inside a released folder runs the public tests,
# and STUDENTS.md says how to work there.
SUPPORT_FILES = ("conftest.py", "pytest.ini", "STUDENTS.md")
SKIPPED = {"__pycache__", ".pytest_cache"}


class MarkerError(ValueError):
    """A BEGIN without an END (or the reverse): the file is not safe to release."""


def strip_solutions(text, where="<text>", markdown=False):
    """The text with each BEGIN/END SOLUTION block replaced by a NotImplementedError stub
    (in markdown, by nbgrader's "YOUR ANSWER HERE")."""
    lines, out, inside, hint_lines = text.splitlines(keepends=True), [], None, []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside is not None:
                raise MarkerError(f"{where}:{number}: {BEGIN} inside the block opened at line {inside}")
            inside = number
            indent = line[:len(line) - len(line.lstrip())]
            hint = " ".join(hint_lines) or DEFAULT_HINT
            if markdown:
                out.append(f"{indent}YOUR ANSWER HERE\n")
            else:
                out.append(f"{indent}# YOUR CODE HERE\n")
                out.append(f"{indent}raise NotImplementedError({hint!r})\n")
        elif stripped == END:
            if inside is None:
                raise MarkerError(f"{where}:{number}: {END} without a {BEGIN}")
            inside = None
        elif inside is None:
            out.append(line)
        match = HINT.match(line) if inside is None else None
        hint_lines = (hint_lines + [match.group(1)]) if match else ([] if stripped != BEGIN else hint_lines)
    if inside is not None:
        raise MarkerError(f"{where}:{inside}: {BEGIN} is never closed by {END}")
    return "".join(out)


def release(source, destination, notebooks=False):
    """Copy the assignments under `source` (coursework/assignments) and the support files
    beside it to `destination`, any solution stripped; with notebooks=True each starter also
    comes as a paired Jupyter notebook (jupytext). Returns the files written. The destination
    must not exist or be empty, so nothing is overwritten."""
    source, destination = Path(source), Path(destination)
    if destination.exists() and any(destination.iterdir()):
        raise FileExistsError(f"{destination} is not empty; choose a new folder")
    written = []
    for folder in assignment_folders(source):
        for path in sorted(folder.rglob("*")):
            if path.is_dir() or SKIPPED & set(path.parts):
                continue
            target = destination / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            if path.suffix in (".py", ".md"):
                target.write_text(strip_solutions(path.read_text(), str(path), path.suffix == ".md"))
            else:
                shutil.copyfile(path, target)
            written.append(target)
            if notebooks and path.suffix == ".py" and not path.name.startswith("test_"):
                written.append(_pair_notebook(target))
    for name in SUPPORT_FILES:
        shutil.copyfile(source.parent / name, destination / name)
        written.append(destination / name)
    return written


def _pair_notebook(script):
    """Write script.ipynb beside script.py, paired by jupytext (either file updates the other
    with `jupytext --sync`); the grader reads the .py, or the .ipynb when the .py is gone."""
    import jupytext
    notebook = jupytext.reads(script.read_text(), fmt="py:light")
    notebook.metadata["jupytext"] = {"formats": "ipynb,py:light"}
    target = script.with_suffix(".ipynb")
    jupytext.write(notebook, target)
    return target


def build_starters(teacher, assignments):
    """Write each reference file of the teacher's bundle, solutions stripped, into the
    student-facing assignments folder (graders stay behind). Returns the files written."""
    written = []
    for folder in assignment_folders(teacher):
        for path in sorted(folder.iterdir()):
            if path.is_dir() or path.name.startswith("grade_") or path.suffix not in (".py", ".md"):
                continue
            target = Path(assignments) / folder.name / path.name
            target.write_text(strip_solutions(path.read_text(), str(path), path.suffix == ".md"))
            written.append(target)
    return written


def assignment_folders(root):
    """The folders NN_topic under root, in order."""
    return sorted(p for p in Path(root).iterdir() if p.is_dir() and re.fullmatch(r"\d\d_\w+", p.name))
