"""Grade one student's folder: every assignment's tasks, each judged here, run in a sandbox.

    results = grade_folder("student/", bundle="coursework/teacher", seed=1234)
    print(score_table(results)[0])

The teacher's bundle (its graders and reference solutions) is read in this process; the
student's files are only ever imported by sandboxed workers (coursework/sandbox.py). A task
that fails, hangs, crashes or runs out of memory costs its own points and no others.
"""
import os
import secrets
import sys
import textwrap
import time
from pathlib import Path

from coursework.grader import Check, Failure, forbidden_in_source, load_module, tasks_of
from coursework.release import assignment_folders
from coursework.sandbox import Sandbox, TaskFailure, WorkerStartError

HERE = Path(__file__).resolve().parent
MESSAGE_WIDTH = 72
TIMEOUT, MEMORY_MB = 60, 2048


class BundleError(ValueError):
    """No teacher's bundle where one was asked for or expected."""


def find_bundle(path=None):
    """The teacher's bundle: `path`, else $COURSEWORK_TEACHER, else coursework/teacher in a
    checkout of the repository. pip does not install it (see the README, "Coursework")."""
    for candidate in (path, os.environ.get("COURSEWORK_TEACHER"), HERE / "teacher"):
        if candidate and Path(candidate).is_dir():
            if not assignment_folders(candidate):
                raise BundleError(f"{candidate} holds no assignment folders NN_topic/")
            return Path(candidate).resolve()
        if candidate and candidate is path:
            raise BundleError(f"no teacher's bundle at {path}")
    raise BundleError("grading needs the teacher's bundle (graders and reference solutions), which "
                      "pip does not install: pass --teacher DIR, set $COURSEWORK_TEACHER, or run from "
                      "a checkout of minnet (coursework/teacher/). Students: run `pytest` in your "
                      "folder for the public tests")


_loaded = {}


def _grader(bundle, assignment):
    """The grader module of one assignment and its reference solution, imported once."""
    key = (str(bundle), assignment.name)
    if key not in _loaded:
        (path,) = sorted(assignment.glob("grade_*.py"))
        tag = assignment.name          # one name per assignment: a registry entry is replaced quietly
        grader = load_module(path, f"coursework_grader_{tag}")
        reference = load_module(assignment / grader.STARTER, f"coursework_reference_{tag}")
        _loaded[key] = grader, reference
    return _loaded[key]


class _NotebookToScript:
    """A prepare hook: a submitted STARTER.ipynb becomes STARTER in the sandbox's copy
    (jupytext reads the notebook as data, nothing in it runs here). A notebook that cannot
    be read leaves `error` for every task's row."""

    def __init__(self, starter):
        self.starter, self.error = starter, None

    def __call__(self, copy):
        notebook = copy / Path(self.starter).with_suffix(".ipynb")
        if (copy / self.starter).exists() or not notebook.exists():
            return
        try:
            import jupytext
            jupytext.write(jupytext.read(notebook), copy / self.starter, fmt="py:percent")
        except ImportError:
            self.error = f"{notebook.name} needs jupytext to be graded: pip install 'minnet[grading]'"
        except Exception as error:          # not a notebook: the student's problem, not ours
            self.error = f"{notebook.name} is not a readable notebook ({type(error).__name__}: {error})"


def _result(assignment, meta, earned, message):
    return {"assignment": assignment, "name": meta["name"], "task": meta["title"], "points": meta["points"],
            "earned": round(earned, 2), "passed": earned == meta["points"], "message": message}


def _part_credit(check, meta):
    failed = [(title, error) for title, error in check.parts if error is not None]
    earned = meta["points"] * (len(check.parts) - len(failed)) / max(1, len(check.parts))
    if len(failed) == len(check.parts) and len({str(error) for _, error in failed}) == 1:
        return earned, str(failed[0][1])          # every check failed the same way: say it once
    message = "\n".join(f"{title}: {error}" if title else str(error) for title, error in failed)
    return earned, message


def grade_assignment(bundle, assignment, folder, seed, timeout=TIMEOUT, memory_mb=MEMORY_MB,
                     hidden=()):
    """Results of one assignment's tasks for the student's assignment folder."""
    grader, reference = _grader(bundle, assignment)
    results = []
    hidden = [bundle, *hidden]
    notebook = _NotebookToScript(grader.STARTER)
    with Sandbox(folder, memory_mb, hidden, prepare=notebook) as box:
        starter = box.submission / grader.STARTER          # the copy: no links followed
        source = starter.read_text(errors="replace") if starter.is_file() else ""
        box.load(grader.STARTER)
        for function in tasks_of(grader):
            meta = function.task
            if notebook.error:
                results.append(_result(assignment.name, meta, 0, notebook.error))
                continue
            named = forbidden_in_source(source, meta) if meta["forbidden"] else []
            if named:
                results.append(_result(assignment.name, meta, 0, (
                    f"uses {', '.join(named)}, which this task asks you to write yourself")))
                continue
            check = Check(box, reference, seed, meta, timeout)
            check.folder = box.submission
            try:
                function(check)
                earned, message = (_part_credit(check, meta) if meta["partial"] and check.parts
                                   else (meta["points"], ""))
            except (Failure, AssertionError, TaskFailure) as error:
                earned, message = 0, str(error).strip() or "assertion failed"
                if meta["partial"] and check.parts and not isinstance(error, TaskFailure):
                    check.parts.append(("", error))        # a check outside the parts failed
                    earned, message = _part_credit(check, meta)
            except WorkerStartError:
                raise                       # grading cannot work here: stop, blame no one
            except Exception as error:     # a bug in a grader: say so, do not blame the student
                earned, message = 0, f"the grader itself failed ({type(error).__name__}: {error})"
            results.append(_result(assignment.name, meta, earned, message))
        _warn_unconfined(box.confinement)
    return results


_warned = set()


def _warn_unconfined(confinement):
    """Say once per process when a worker ran without Landlock (an older kernel)."""
    if confinement and confinement != "landlock" and confinement not in _warned:
        _warned.add(confinement)
        print(f"grade: warning: the workers ran with {confinement}: student code could read and "
              f"write wherever you can; grade as an unprivileged user in a container",
              file=sys.stderr)


def grade_folder(folder, bundle=None, assignments=None, seed=None, timeout=TIMEOUT,
                 memory_mb=MEMORY_MB, hidden=()):
    """Results [{assignment, task, points, earned, passed, message}] for a student's folder."""
    bundle = find_bundle(bundle)
    chosen = [a.rstrip("/").split("/")[-1] for a in assignments or []]
    folders = [a for a in assignment_folders(bundle) if not chosen or a.name in chosen]
    if not folders:
        raise ValueError(f"no assignment matches {chosen}; expected names like "
                         f"{[a.name for a in assignment_folders(bundle)]}")
    seed = secrets.randbits(32) if seed is None else seed
    results = []
    for assignment in folders:
        results += grade_assignment(bundle, assignment, Path(folder) / assignment.name, seed,
                                    timeout, memory_mb, hidden)
    return results


def _short(message):
    """A failure in one line: the message's first line, cut to the table's width."""
    lines = message.strip().splitlines()
    first = lines[0] if lines else ""
    return first if len(first) <= MESSAGE_WIDTH else first[:MESSAGE_WIDTH - 3] + "..."


def _number(value):
    return f"{value:g}"


def score_table(results):
    """The table printed by `grade`: one row per task, a subtotal per assignment, a total,
    then the full message of every failed task that has more to say than its row."""
    task_width = min(64, max(len(r["task"]) for r in results))
    lines, details = [], []
    total = earned = 0
    for assignment in dict.fromkeys(r["assignment"] for r in results):
        rows = [r for r in results if r["assignment"] == assignment]
        got, out_of = sum(r["earned"] for r in rows), sum(r["points"] for r in rows)
        total, earned = total + out_of, earned + got
        lines.append(f"{assignment}  {_number(got)}/{out_of}")
        for r in rows:
            mark = f"{_number(r['earned'])}/{r['points']}"
            status = "passed" if r["passed"] else _short(r["message"])
            lines.append(f"  {r['task'][:task_width]:{task_width}}  {mark:>5}  {status}")
            if not r["passed"] and r["message"].strip() != _short(r["message"]):
                details.append(f"{assignment} / {r['task']}:\n" + textwrap.indent(r["message"].strip(), "  "))
    percent = 100.0 * earned / total if total else 0.0
    lines.append(f"total  {_number(earned)}/{total}  ({percent:.0f}%)")
    if details:
        lines += ["", "Details of the failed tasks:", ""] + details
    return "\n".join(lines), earned, total


def grade(folder, assignments=None, bundle=None, seed=None, timeout=TIMEOUT, memory_mb=MEMORY_MB,
          as_json=False, out=sys.stdout):
    """Print the score table (or the results as JSON) for `folder`; 0 when every task passed."""
    import json
    folder = Path(folder)
    if not folder.is_dir():
        print(f"grade: {folder} is not a folder", file=sys.stderr)
        return 2
    seed = secrets.randbits(32) if seed is None else seed
    start = time.perf_counter()
    try:
        results = grade_folder(folder, bundle, assignments, seed, timeout, memory_mb)
    except (ValueError, WorkerStartError) as error:
        print(f"grade: {error}", file=sys.stderr)
        return 2
    table, earned, total = score_table(results)
    if as_json:
        print(json.dumps({"seed": seed, "earned": earned, "total": total, "results": results},
                         indent=1), file=out)
    else:
        print(table, file=out)
        print(f"\n(seed {seed}, {time.perf_counter() - start:.1f} s; `--seed {seed}` repeats these "
              f"inputs)", file=out)
    return 0 if results and earned == total else 1
