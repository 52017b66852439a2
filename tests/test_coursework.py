"""coursework/: the teacher's references score 100%, the released starters 0 with a readable
message per task, the student release holds no answer, and the command line behaves.

The attacks on the grader are in test_coursework_attacks.py, the class workflow in
test_coursework_class.py. Grading runs the real command line in a child process where the
command line is what is tested, and grade_folder in this process otherwise (the student's
code runs in sandboxed workers either way).
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COURSEWORK = ROOT / "coursework"
TEACHER, ASSIGNMENTS_DIR = COURSEWORK / "teacher", COURSEWORK / "assignments"
sys.path.insert(0, str(ROOT))

from coursework.grade import grade_folder  # noqa: E402
from coursework.release import (BEGIN, END, MarkerError, assignment_folders,  # noqa: E402
                                release, strip_solutions)

ASSIGNMENTS = assignment_folders(TEACHER)
TASKS = sum(len(re.findall(r"^@task\(", grader.read_text(), re.M))      # rows of a full score table
            for folder in ASSIGNMENTS for grader in folder.glob("grade_*.py"))
ROW = re.compile(r"^  (?P<task>.+?)\s+(?P<got>[\d.]+)/(?P<points>\d+)  (?P<status>.*)$")
ENV = dict(os.environ, PYTHONPATH=str(ROOT))


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "coursework", *map(str, args)], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=600)


def task_rows(output):
    return [m.groupdict() for m in map(ROW.match, output.split("\n\nDetails")[0].splitlines()) if m]


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    folder = tmp_path_factory.mktemp("released") / "student"
    result = run("release", folder)
    assert result.returncode == 0, result.stderr
    return folder


def test_each_assignment_has_a_statement_a_starter_public_tests_and_a_hidden_grader():
    assert [a.name[:2] for a in ASSIGNMENTS] == [f"{i:02d}" for i in range(1, len(ASSIGNMENTS) + 1)]
    assert [a.name for a in assignment_folders(ASSIGNMENTS_DIR)] == [a.name for a in ASSIGNMENTS]
    for folder in ASSIGNMENTS:
        statement = (ASSIGNMENTS_DIR / folder.name / "statement.md").read_text()
        assert "## Learning goals" in statement and "## Tasks" in statement, folder.name
        (grader,) = folder.glob("grade_*.py")
        starter = re.search(r'^STARTER = "(.+)"$', grader.read_text(), re.M).group(1)
        assert BEGIN in (folder / starter).read_text(), f"{folder.name}/{starter} has no solutions"
        assert list((ASSIGNMENTS_DIR / folder.name).glob("test_*.py")), f"{folder.name} has no public tests"


def test_the_student_starters_are_the_references_with_the_solutions_stripped():
    for folder in ASSIGNMENTS:
        for reference in folder.iterdir():
            if reference.suffix in (".py", ".md") and not reference.name.startswith("grade_"):
                starter = (ASSIGNMENTS_DIR / folder.name / reference.name).read_text()
                assert starter == strip_solutions(reference.read_text(), markdown=reference.suffix == ".md"), (
                    f"{folder.name}/{reference.name}: run `python -m coursework build-starters`")


def test_each_statement_gives_the_points_its_grader_awards():
    for folder in ASSIGNMENTS:
        stated = [int(n) for n in re.findall(r"\((\d+) points?", (ASSIGNMENTS_DIR / folder.name / "statement.md").read_text())]
        (grader,) = folder.glob("grade_*.py")
        awarded = [int(n) for n in re.findall(r"@task\(points=(\d+)", grader.read_text())]
        assert stated == awarded, f"{folder.name}: statement says {stated}, grader awards {awarded}"


def test_no_answer_reaches_the_students():
    """Nothing students get (the release, the installed package data) holds a solution block
    or the graders' helpers; every reference stays in the teacher's bundle."""
    for path in ASSIGNMENTS_DIR.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert BEGIN not in text and END not in text, path
            for helper in ("warmup_cosine(step", "lion_reference", "momentum_reference", "naive_im2col"):
                assert helper not in text.replace("def warmup_cosine(step, total_steps", ""), (path, helper)
    readme = (ROOT / "README.md").read_text()
    assert "class ScaledTanh" not in readme, "the README must not print task 02.4's answer"


def test_reference_solutions_score_full_marks_on_the_command_line():
    result = run("grade", TEACHER, "--seed", "7")
    rows = task_rows(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(rows) == TASKS
    assert all(r["status"] == "passed" and r["got"] == r["points"] for r in rows), result.stdout
    assert re.search(r"^total  (\d+)/\1  \(100%\)$", result.stdout, re.M)


def test_released_starters_score_zero_with_a_hint_per_task_and_no_traceback(released):
    result = run("grade", released, "--timeout", "20")
    rows = task_rows(result.stdout)
    assert result.returncode == 1
    assert len(rows) == TASKS and all(r["got"] == "0" for r in rows), result.stdout
    assert all("not writ" in r["status"] for r in rows), result.stdout
    assert re.search(r"^total  0/\d+  \(0%\)$", result.stdout, re.M)
    assert "Traceback" not in result.stdout + result.stderr and not result.stderr


def test_grade_prints_json_and_accepts_a_trailing_slash():
    result = run("grade", TEACHER, "01_autograd/", "--json", "--seed", "3")
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["seed"] == 3 and report["earned"] == report["total"] == 9
    assert [r["name"] for r in report["results"]] == ["unbroadcast", "mul", "div", "logsumexp"]


def test_public_tests_fail_on_the_starters_and_pass_on_the_references(released, tmp_path):
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "01_autograd"], cwd=released, env=ENV,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 1 and "4 failed" in result.stdout
    assert "NotImplementedError" in result.stdout
    student = tmp_path / "student"
    release(ASSIGNMENTS_DIR, student)
    for folder in ASSIGNMENTS:
        for reference in folder.iterdir():
            if not reference.name.startswith("grade_"):
                (student / folder.name / reference.name).write_text(reference.read_text())
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"], cwd=student,
                            env=ENV, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout


def test_a_broken_file_and_a_wrong_answer_cost_their_own_tasks(tmp_path):
    student = tmp_path / "student"
    release(ASSIGNMENTS_DIR, student)
    (student / "01_autograd" / "ops.py").write_text("def unbroadcast(grad, shape)\n    return grad\n")
    activations = (TEACHER / "02_activations" / "activations.py").read_text()
    wrong = activations.replace("return 1 / (1 + np.abs(x)) ** 2", "return 1 / (1 + np.abs(x))")
    assert wrong != activations
    (student / "02_activations" / "activations.py").write_text(wrong)
    results = grade_folder(student, TEACHER, ["01_autograd", "02_activations"], seed=1)
    autograd = [r for r in results if r["assignment"] == "01_autograd"]
    assert all("ops.py line 1: SyntaxError" in r["message"] and r["earned"] == 0 for r in autograd)
    softsign, *others = [r for r in results if r["assignment"] == "02_activations"]
    assert softsign["earned"] == 0 and "where the input is" in softsign["message"], softsign
    assert all(r["passed"] for r in others), others


def test_a_notebook_submission_is_graded_like_its_script(tmp_path):
    pytest.importorskip("jupytext")
    student = tmp_path / "student"
    result = run("release", student, "--format", "ipynb")
    assert result.returncode == 0, result.stderr
    assert (student / "01_autograd" / "ops.ipynb").exists()
    import jupytext
    notebook = jupytext.read(TEACHER / "01_autograd" / "ops.py")
    (student / "01_autograd" / "ops.py").unlink()
    jupytext.write(notebook, student / "01_autograd" / "ops.ipynb")
    results = grade_folder(student, TEACHER, ["01_autograd"], seed=2)
    assert all(r["passed"] for r in results), results
    (student / "01_autograd" / "ops.ipynb").write_text("{not json")
    results = grade_folder(student, TEACHER, ["01_autograd"], seed=2)
    assert all(r["earned"] == 0 and "ops.ipynb is not a readable notebook" in r["message"] for r in results)


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


def test_release_refuses_a_folder_that_is_not_empty_and_says_so_once(tmp_path):
    (tmp_path / "homework.py").write_text("mine")
    result = run("release", tmp_path)
    assert result.returncode == 2 and "is not empty" in result.stderr
    assert result.stderr.count("release:") == 1
    assert (tmp_path / "homework.py").read_text() == "mine"


def test_usage_without_a_command_exits_2():
    result = run()
    assert result.returncode == 2 and "release" in result.stderr


def test_grading_an_unknown_assignment_says_which_exist():
    result = run("grade", TEACHER, "07_nothing")
    assert result.returncode == 2 and "01_autograd" in result.stderr and "Traceback" not in result.stderr


def test_grading_without_the_teacher_bundle_says_how_to_get_it(tmp_path):
    result = run("grade", tmp_path, "--teacher", tmp_path / "nowhere")
    assert result.returncode == 2 and "no teacher's bundle" in result.stderr


def test_a_task_with_partial_credit_scores_the_share_of_its_checks_that_passed(tmp_path):
    reference = (TEACHER / "01_autograd" / "ops.py").read_text()
    right = "return np.squeeze(m + np.log(total), axis=axis)"
    assert right in reference
    student = tmp_path / "student" / "01_autograd"
    student.mkdir(parents=True)
    (student / "ops.py").write_text(reference.replace(right, right + ".astype(np.float64)"))
    (logsumexp,) = [r for r in grade_folder(tmp_path / "student", TEACHER, ["01_autograd"], seed=4)
                    if r["name"] == "logsumexp"]
    assert logsumexp["earned"] == 1.2 and not logsumexp["passed"], logsumexp     # 2 of 5 checks
    assert "axis=-1, float32: " in logsumexp["message"] and "dtype float64, expected float32" in logsumexp["message"]


@pytest.mark.parametrize("right, wrong, task, message", [
    ("        ctx.save_for_backward(a, b)\n        return a * b\n",
     "        ctx.save_for_backward(a, b)\n        a *= 2\n        return a * b / 2\n", "mul",
     "input 0 was changed in place"),
    ("    output_range = (-1.0, 1.0)\n\n    def f(self, x):\n        # HINT: np.abs",
     "    output_range = (-1.0, 1.0)\n    name = 'my_softsign'\n\n    def f(self, x):\n        # HINT: np.abs",
     None, None),
])
def test_in_place_changes_fail_and_a_registered_name_is_not_compared(tmp_path, right, wrong, task, message):
    assignment, starter = ("01_autograd", "ops.py") if task else ("02_activations", "activations.py")
    reference = (TEACHER / assignment / starter).read_text()
    assert right in reference
    student = tmp_path / "student" / assignment
    student.mkdir(parents=True)
    (student / starter).write_text(reference.replace(right, wrong, 1))
    results = grade_folder(tmp_path / "student", TEACHER, [assignment], seed=4)
    for r in results:
        if r["name"] == task:
            assert r["earned"] == 0 and message in r["message"], r
        else:
            assert r["passed"], r


def test_package_data_installs_the_students_part_and_never_the_teachers_bundle():
    import configparser
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    patterns = config["options.package_data"]["coursework"].split()
    installed = {p for pattern in patterns for p in COURSEWORK.glob(pattern)}
    students = {p for p in ASSIGNMENTS_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert students <= installed and (COURSEWORK / "STUDENTS.md") in installed
    assert not any(TEACHER in p.parents for p in installed)
    assert "coursework.*" not in config["options.packages.find"]["include"].split()


def test_a_teacher_copies_the_bundle_out_and_grades_with_it(tmp_path):
    result = run("teacher-bundle", tmp_path / "bundle")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "bundle" / "05_optimizers" / "grade_optimizers.py").exists()
    result = run("grade", tmp_path / "bundle", "05_optimizers", "--teacher", tmp_path / "bundle")
    assert result.returncode == 0 and "total  10/10  (100%)" in result.stdout, result.stdout + result.stderr


ALTERNATIVES = {   # honest formulas that round differently from the references'
    ("02_activations", "activations.py"): [
        ("        return 1 / (1 + np.abs(x)) ** 2", "        return (1 - np.abs(x / (1 + np.abs(x)))) ** 2"),
        ("        e = np.exp(-np.abs(x))\n        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))",
         "        return 0.5 * (1 + np.tanh(x / 2))"),
        ("        t = np.tanh(self.b.data * x)\n        return self.a.data * self.b.data * (1 - t * t)",
         "        t = y / self.a.data\n        return self.a.data * self.b.data * (1 - t * t)"),
    ],
    ("01_autograd", "ops.py"): [("unbroadcast(-grad * a / (b * b), b.shape)", "unbroadcast(-grad * (a / b) / b, b.shape)")],
}


def test_honest_formulas_that_round_differently_earn_full_marks(tmp_path):
    for (assignment, starter), swaps in ALTERNATIVES.items():
        text = (TEACHER / assignment / starter).read_text()
        for right, other in swaps:
            assert right in text
            text = text.replace(right, other)
        (tmp_path / "student" / assignment).mkdir(parents=True)
        (tmp_path / "student" / assignment / starter).write_text(text)
    results = grade_folder(tmp_path / "student", TEACHER, ["01_autograd", "02_activations"], seed=8)
    assert all(r["passed"] for r in results), [r["message"] for r in results if not r["passed"]]


def test_a_worker_that_cannot_start_stops_grading_instead_of_failing_the_student(monkeypatch):
    import coursework.sandbox
    monkeypatch.setattr(coursework.sandbox, "WORKER", ROOT / "no_such_worker.py")
    with pytest.raises(coursework.sandbox.WorkerStartError, match="no_such_worker.py"):
        grade_folder(TEACHER, TEACHER, ["01_autograd"], seed=1)
