"""grade-class: a class of generated submissions graded into a correct gradebook, with a
feedback file per student, resumable, in parallel with joblib and on a dask cluster."""
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coursework.gradebook import grade_class  # noqa: E402
from coursework.release import strip_solutions  # noqa: E402

TEACHER = ROOT / "coursework" / "teacher"
ASSIGNMENTS = ["01_autograd"]          # one assignment keeps the test fast; columns are per task
FILES = {"01_autograd": "ops.py"}
POINTS = {"01_autograd": {"unbroadcast": 2, "mul": 2, "div": 2, "logsumexp": 3}}
FORGE = ("\nimport atexit, os\natexit.register(lambda: open(os.environ.get('COURSEWORK_RESULTS', "
         "'results.json'), 'w').write('[]'))\n")
WRONG_MUL = ("return unbroadcast(grad * b, a.shape), unbroadcast(grad * a, b.shape)",
             "return unbroadcast(np.where(np.abs(a) > 3, grad * b / 2, grad * b), a.shape), "
             "unbroadcast(grad * a, b.shape)")


def _reference(assignment):
    return (TEACHER / assignment / FILES[assignment]).read_text()


def _student(kind):
    """(files, expected points per column) for one kind of generated student."""
    reference = {a: _reference(a) for a in ASSIGNMENTS}
    blank = {a: strip_solutions(text) for a, text in reference.items()}
    full = {f"{a}.{t}": p for a in ASSIGNMENTS for t, p in POINTS[a].items()}
    zero = dict.fromkeys(full, 0)
    if kind == "reference":
        return reference, full
    if kind == "blank":
        return blank, zero
    if kind == "attacked":
        return {**blank, "01_autograd": blank["01_autograd"] + FORGE}, zero
    if kind == "partly":           # Div and LogSumExp left unwritten
        text = reference["01_autograd"]
        cut = text.index("class Div")
        return {"01_autograd": text[:cut] + blank["01_autograd"][blank["01_autograd"].index("class Div"):]}, {
            **full, "01_autograd.div": 0, "01_autograd.logsumexp": 0}
    assert kind == "wrong_mul"
    return {**reference, "01_autograd": reference["01_autograd"].replace(*WRONG_MUL)}, {**full, "01_autograd.mul": 0}


KINDS = ["reference"] * 8 + ["blank"] * 7 + ["attacked"] * 5 + ["partly"] * 5 + ["wrong_mul"] * 5


@pytest.fixture(scope="module")
def submissions(tmp_path_factory):
    root = tmp_path_factory.mktemp("class") / "submissions"
    expected = {}
    for number, kind in enumerate(KINDS):
        student = f"student{number:02d}_{kind}"
        files, expected[student] = _student(kind)
        for assignment, text in files.items():
            (root / student / assignment).mkdir(parents=True)
            (root / student / assignment / FILES[assignment]).write_text(text)
    return root, expected


def _read(path):
    with open(path, newline="") as file:
        return {row["student"]: row for row in csv.DictReader(file)}


def test_a_class_of_30_grades_into_a_correct_gradebook_and_resumes(submissions, tmp_path):
    root, expected = submissions
    gradebook, feedback = tmp_path / "gradebook.csv", tmp_path / "feedback"
    result = subprocess.run([sys.executable, "-m", "coursework", "grade-class", root, *ASSIGNMENTS,
                             "--csv", gradebook, "--feedback", feedback, "--jobs", "2", "--seed", "11"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "graded 30 students" in result.stdout
    rows = _read(gradebook)
    assert sorted(rows) == sorted(expected)
    for student, points in expected.items():
        got = {column: float(rows[student][column]) for column in points}
        assert got == points, (student, got)
        assert float(rows[student]["total"]) == sum(points.values())
        assert rows[student]["out_of"] == "9"
    text = (feedback / "student20_partly.txt").read_text()
    assert "total  4/9" in text and "Details of the failed tasks" in text and "not written yet" in text

    # An interrupted run: three students' results are missing; only they are graded again.
    redo = ["student00_reference", "student10_blank", "student29_wrong_mul"]
    kept = {s: (feedback / f"{s}.json").stat().st_mtime_ns for s in expected if s not in redo}
    for student in redo:
        (feedback / f"{student}.json").unlink()
    graded = grade_class(root, gradebook, feedback, jobs=1, assignments=ASSIGNMENTS, progress=False)
    assert all((feedback / f"{s}.json").stat().st_mtime_ns == t for s, t in kept.items())
    assert _read(gradebook) == rows and len(graded) == 30
    with pytest.raises(ValueError, match="seed 11"):
        grade_class(root, gradebook, feedback, seed=12, assignments=ASSIGNMENTS, progress=False)


def test_a_class_grades_on_a_dask_cluster(submissions, tmp_path):
    pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    root, expected = submissions
    few = tmp_path / "few"
    few.mkdir()
    chosen = ["student00_reference", "student08_blank", "student25_wrong_mul"]
    for student in chosen:
        (few / student).symlink_to(root / student)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        graded = grade_class(few, tmp_path / "book.csv", tmp_path / "feedback", jobs=2,
                             scheduler=cluster.scheduler_address, assignments=ASSIGNMENTS, progress=False)
    rows = _read(tmp_path / "book.csv")
    for student in chosen:
        assert float(rows[student]["total"]) == sum(expected[student].values()), graded[student]
    assert json.loads((tmp_path / "feedback" / "student08_blank.json").read_text())[0]["earned"] == 0
