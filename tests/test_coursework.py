"""coursework/: the reference solutions score 100%, the released starters 0 with a readable
message per task, and grading survives a student's file that does not even import.

Each grading run is the real command line (`python -m coursework grade DIR`) in a child process.
"""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COURSEWORK = ROOT / "coursework"
sys.path.insert(0, str(ROOT))

from coursework.release import (BEGIN, END, MarkerError, assignment_folders,  # noqa: E402
                                release, strip_solutions)

ASSIGNMENTS = assignment_folders(COURSEWORK)
ROW = re.compile(r"^  (?P<task>.+?)\s+(?P<got>\d+)/(?P<points>\d+)  (?P<status>.*)$")


def run(*args):
    return subprocess.run([sys.executable, "-m", "coursework", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def task_rows(output):
    return [m.groupdict() for m in map(ROW.match, output.split("\n\nDetails")[0].splitlines()) if m]


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    folder = tmp_path_factory.mktemp("released") / "student"
    result = run("release", folder)
    assert result.returncode == 0, result.stderr
    return folder


def test_every_assignment_has_a_statement_a_starter_with_solutions_and_a_grader():
    assert [a.name[:2] for a in ASSIGNMENTS] == [f"{i:02d}" for i in range(1, len(ASSIGNMENTS) + 1)]
    for folder in ASSIGNMENTS:
        statement = (folder / "statement.md").read_text()
        assert "## Learning goals" in statement and "## Tasks" in statement, folder.name
        (grader,) = folder.glob("grade_*.py")
        starter = re.search(r'^STARTER = "(.+)"$', grader.read_text(), re.M).group(1)
        assert BEGIN in (folder / starter).read_text(), f"{folder.name}/{starter} has no solutions"


def test_each_statement_gives_the_points_its_grader_awards():
    for folder in ASSIGNMENTS:
        stated = [int(n) for n in re.findall(r"\((\d+) points?\)", (folder / "statement.md").read_text())]
        (grader,) = folder.glob("grade_*.py")
        awarded = [int(n) for n in re.findall(r"@pytest\.mark\.points\((\d+)\)", grader.read_text())]
        assert stated == awarded, f"{folder.name}: statement says {stated}, grader awards {awarded}"


def test_reference_solutions_score_full_marks():
    result = run("grade", COURSEWORK)
    rows = task_rows(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(rows) >= 4 * len(ASSIGNMENTS) - 4
    assert all(r["status"] == "passed" and r["got"] == r["points"] for r in rows), result.stdout
    assert re.search(r"^total  (\d+)/\1  \(100%\)$", result.stdout, re.M)


def test_released_starters_score_zero_with_a_hint_per_task_and_no_traceback(released):
    result = run("grade", released)
    rows = task_rows(result.stdout)
    assert result.returncode == 1
    assert rows and all(r["got"] == "0" and r["status"].startswith("not written yet: ") for r in rows), \
        result.stdout
    assert re.search(r"^total  0/\d+  \(0%\)$", result.stdout, re.M)
    assert "Traceback" not in result.stdout + result.stderr and not result.stderr


def test_released_files_hold_no_solution_and_still_import(released):
    for folder in ASSIGNMENTS:
        for source in folder.glob("*.py"):
            text = (released / folder.name / source.name).read_text()
            assert BEGIN not in text and END not in text
            original = source.read_text()
            assert text.count("raise NotImplementedError(") == (
                original.count("raise NotImplementedError(") + original.count(BEGIN))
            compile(text, source.name, "exec")
        for source in folder.glob("*.md"):
            text = (released / folder.name / source.name).read_text()
            assert BEGIN not in text and text.count("YOUR ANSWER HERE") == source.read_text().count(BEGIN)
    assert all((released / name).exists() for name in ("conftest.py", "pytest.ini", "STUDENTS.md"))


def test_pytest_inside_a_released_folder_runs_its_graders_on_its_files(released):
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "01_autograd"], cwd=released,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 1 and "4 failed" in result.stdout
    assert "NotImplementedError" in result.stdout


def test_grading_reports_a_broken_file_and_a_wrong_answer_without_crashing(released, tmp_path):
    student = tmp_path / "student"
    release(COURSEWORK, student)
    (student / "01_autograd" / "ops.py").write_text("def unbroadcast(grad, shape)\n    return grad\n")
    activations = (COURSEWORK / "02_activations" / "activations.py").read_text()
    wrong = activations.replace("return 1 / (1 + np.abs(x)) ** 2", "return 1 / (1 + np.abs(x))")
    assert wrong != activations
    (student / "02_activations" / "activations.py").write_text(wrong)
    result = run("grade", student, "01_autograd", "02_activations")
    rows = task_rows(result.stdout)
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    autograd = [r for r in rows if r["task"].startswith(("unbroadcast", "Mul", "Div", "LogSumExp"))]
    assert autograd and all("ops.py line 1: SyntaxError" in r["status"] for r in autograd)
    softsign = next(r for r in rows if r["task"].startswith("Softsign"))
    assert softsign["got"] == "0"
    assert "FAIL    df matches the derivative of f" in result.stdout      # the kit's table in the details
    others = [r for r in rows if r["task"].startswith(("StableSigmoid", "ELU", "ScaledTanh"))]
    assert others and all(r["status"] == "passed" for r in others)


def test_strip_solutions_keeps_the_indentation_and_turns_the_hint_into_the_message():
    text = ("def f(x):\n    # HINT: square it\n    ### BEGIN SOLUTION\n    return x * x\n"
            "    ### END SOLUTION\n")
    stripped = strip_solutions(text)
    assert stripped == ("def f(x):\n    # HINT: square it\n    # YOUR CODE HERE\n"
                        "    raise NotImplementedError('square it')\n")


@pytest.mark.parametrize("text, message", [
    ("### BEGIN SOLUTION\nx = 1\n", r"<text>:1: ### BEGIN SOLUTION is never closed"),
    ("x = 1\n### END SOLUTION\n", r"<text>:2: ### END SOLUTION without a ### BEGIN SOLUTION"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n",
     r"<text>:2: ### BEGIN SOLUTION inside the block opened at line 1"),
])
def test_unbalanced_markers_are_refused_with_the_line(text, message):
    with pytest.raises(MarkerError, match=message):
        strip_solutions(text)


def test_release_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "homework.py").write_text("mine")
    result = run("release", tmp_path)
    assert result.returncode == 2 and "is not empty" in result.stderr
    assert (tmp_path / "homework.py").read_text() == "mine"


def test_usage_without_a_command_exits_2():
    result = run()
    assert result.returncode == 2 and "release DIR" in result.stderr


def test_grading_an_unknown_assignment_says_which_exist():
    result = run("grade", COURSEWORK, "07_nothing")
    assert result.returncode == 2 and "01_autograd" in result.stdout and "Traceback" not in result.stderr
