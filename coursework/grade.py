"""Grade: run every assignment's grader on a student's folder and print a score table.

The graders are the teacher's copies (in this package), never the student's; they import
the student's starter files from the folder given. pytest runs in a child process, so a
student's file that crashes, loops on import or calls sys.exit cannot take the grader down.
"""
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from coursework.release import assignment_folders

HERE = Path(__file__).resolve().parent
MESSAGE_WIDTH = 72


def run_graders(folder, assignments=None, timeout=600):
    """Task results [{assignment, task, points, passed, message}] for the student's folder."""
    graders = [g for a in assignment_folders(HERE) if not assignments or a.name in assignments
               for g in sorted(a.glob("grade_*.py"))]
    if not graders:
        raise ValueError(f"no assignment matches {assignments}; expected names like "
                         f"{[a.name for a in assignment_folders(HERE)]}")
    with tempfile.TemporaryDirectory() as scratch:
        results = Path(scratch) / "results.json"
        env = dict(os.environ, COURSEWORK_SUBMISSION=str(Path(folder).resolve()),
                   COURSEWORK_RESULTS=str(results), MPLBACKEND="Agg",
                   PYTHONPATH=os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")]),
                   PYTHONDONTWRITEBYTECODE="1")
        command = [sys.executable, "-m", "pytest", "-q", "--no-header", "-c", str(HERE / "pytest.ini"),
                   "--rootdir", str(HERE), *map(str, graders)]
        run = subprocess.run(command, env=env, cwd=scratch, capture_output=True, text=True,
                             timeout=timeout)
        if not results.exists():
            raise RuntimeError(f"the graders did not run (pytest exit code {run.returncode}):\n"
                               f"{run.stdout[-3000:]}{run.stderr[-3000:]}")
        return json.loads(results.read_text())


def _short(message):
    """A failure in one line: a kit table's first failed check, else the message's first line."""
    lines = message.strip().splitlines()
    failed = [line.strip() for line in lines if line.strip().startswith("FAIL ")]
    first = " ".join(failed[0].split()) if failed else (lines[0] if lines else "")
    return first if len(first) <= MESSAGE_WIDTH else first[:MESSAGE_WIDTH - 3] + "..."


def score_table(results):
    """The table printed by `grade`: one row per task, a subtotal per assignment, a total,
    then the full message of every failed task that has more to say than its row."""
    task_width = min(64, max(len(r["task"]) for r in results))
    lines, details = [], []
    total = earned = 0
    for assignment in dict.fromkeys(r["assignment"] for r in results):
        rows = [r for r in results if r["assignment"] == assignment]
        got = sum(r["points"] for r in rows if r["passed"])
        out_of = sum(r["points"] for r in rows)
        total, earned = total + out_of, earned + got
        lines.append(f"{assignment}  {got}/{out_of}")
        for r in rows:
            mark = f"{r['points'] if r['passed'] else 0}/{r['points']}"
            status = "passed" if r["passed"] else _short(r["message"])
            lines.append(f"  {r['task'][:task_width]:{task_width}}  {mark:>5}  {status}")
            if not r["passed"] and r["message"].strip() != _short(r["message"]):
                details.append(f"{assignment} / {r['task']}:\n" + textwrap.indent(r["message"].strip(), "  "))
    percent = 100.0 * earned / total if total else 0.0
    lines.append(f"total  {earned}/{total}  ({percent:.0f}%)")
    if details:
        lines += ["", "Details of the failed tasks:", ""] + details
    return "\n".join(lines), earned, total


def grade(folder, assignments=None, out=sys.stdout):
    """Print the score table for `folder`; return 0 when every task passed, else 1."""
    folder = Path(folder)
    if not folder.is_dir():
        print(f"grade: {folder} is not a folder", file=out)
        return 2
    try:
        results = run_graders(folder, assignments)
    except subprocess.TimeoutExpired as error:
        print(f"grade: the graders were stopped after {error.timeout:.0f} s; does a starter loop "
              f"forever?", file=out)
        return 2
    except (ValueError, RuntimeError) as error:
        print(f"grade: {error}", file=out)
        return 2
    table, earned, total = score_table(results)
    print(table, file=out)
    return 0 if results and earned == total else 1
