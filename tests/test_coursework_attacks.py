"""The grader cannot be fooled or harmed by a student's file (issue 23's attacks, each run).

Every attack is appended to (or written into) a submission and graded as the teacher would;
it must earn no points for the tasks it attacks, cost nothing else, and leave the teacher's
bundle and files untouched. The bundle here is a copy in a temporary folder, so that an
attack that got through could not damage the repository.
"""
import hashlib
import json
import os
import signal
import subprocess
import shutil
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coursework import landlock  # noqa: E402
from coursework.grade import grade_folder  # noqa: E402
from coursework.grader import Check  # noqa: E402
from coursework.release import strip_solutions  # noqa: E402

TEACHER = ROOT / "coursework" / "teacher"
REFERENCE = {name: (TEACHER / folder / name).read_text() for folder, name in [
    ("01_autograd", "ops.py"), ("02_activations", "activations.py"), ("05_optimizers", "optimizers.py")]}
BLANK_OPS = strip_solutions(REFERENCE["ops.py"])


def _digest(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


@pytest.fixture
def teacher(tmp_path):
    """A copy of the teacher's bundle, and a check at the end that nobody changed it."""
    bundle = tmp_path / "teacher"
    shutil.copytree(TEACHER, bundle, ignore=shutil.ignore_patterns("__pycache__"))
    before = _digest(bundle)
    yield bundle
    assert _digest(bundle) == before, "a student's file changed the teacher's bundle"


def grade(tmp_path, teacher, files, assignments=("01_autograd",), **options):
    student = tmp_path / "student"
    for relative, text in files.items():
        (student / relative).parent.mkdir(parents=True, exist_ok=True)
        (student / relative).write_text(text)
    results = grade_folder(student, teacher, list(assignments), seed=5, **options)
    return {r["name"]: r for r in results}


def test_an_atexit_hook_cannot_forge_the_results(tmp_path, teacher):
    attack = textwrap.dedent("""
        import atexit, json, os
        def _forge():
            rows = [{"assignment": "01_autograd", "task": t, "points": 3, "passed": True, "message": ""}
                    for t in ("unbroadcast", "Mul", "Div", "LogSumExp")]
            for path in (os.environ.get("COURSEWORK_RESULTS"), "results.json", "../results.json"):
                try:
                    open(path, "w").write(json.dumps(rows))
                except (OSError, TypeError):
                    pass
        atexit.register(_forge)
    """)
    rows = grade(tmp_path, teacher, {"01_autograd/ops.py": BLANK_OPS + attack})
    assert all(r["earned"] == 0 for r in rows.values()), rows


def test_monkeypatching_the_checks_earns_nothing(tmp_path, teacher):
    attack = textwrap.dedent("""
        import sys
        import minnet.testing
        minnet.testing.Report.passed = property(lambda self: True)
        for name, module in list(sys.modules.items()):
            if name.startswith("coursework"):
                for attribute in ("compare", "same", "_failure"):
                    if hasattr(module, attribute):
                        setattr(module, attribute, lambda *args, **kwargs: None)
    """)
    blank = {f"{a}/{f}": strip_solutions((TEACHER / a / f).read_text())
             for a, f in [("04_convolution", "conv.py"), ("05_optimizers", "optimizers.py")]}
    rows = grade(tmp_path, teacher, {"01_autograd/ops.py": BLANK_OPS + attack, **blank},
                 assignments=("01_autograd", "04_convolution", "05_optimizers"))
    assert len(rows) == 12 and all(r["earned"] == 0 for r in rows.values()), rows


def test_a_submission_can_neither_rewrite_the_graders_nor_write_outside_its_scratch(tmp_path, teacher):
    canary = tmp_path / "teachers_notes.txt"
    canary.write_text("marks")
    attack = textwrap.dedent(f"""
        import pathlib, sys
        import coursework
        victims = [pathlib.Path(m.__file__) for m in list(sys.modules.values())
                   if (getattr(m, "__file__", None) or "").endswith(".py") and "grade" in m.__file__]
        victims += list(pathlib.Path({str(teacher)!r}).rglob("*.py")) + [pathlib.Path({str(canary)!r})]
        for path in victims:
            try:
                path.write_text("def __getattr__(name):\\n    return None\\n")
            except OSError:
                pass
        for path in (pathlib.Path(coursework.__file__).parent / "pwned.txt",
                     pathlib.Path({str(tmp_path)!r}) / "pwned.txt", pathlib.Path("/tmp/coursework-pwned.txt")):
            try:
                path.write_text("pwned")
            except OSError:
                pass
    """)
    rows = grade(tmp_path, teacher, {"01_autograd/ops.py": BLANK_OPS + attack})
    assert all(r["earned"] == 0 for r in rows.values()), rows
    (tmp_path / "next").mkdir()
    (tmp_path / "next" / "01_autograd").mkdir()
    (tmp_path / "next" / "01_autograd" / "ops.py").write_text(BLANK_OPS)
    after = grade_folder(tmp_path / "next", teacher, ["01_autograd"], seed=6)   # the next student
    assert all(r["earned"] == 0 for r in after), after
    assert canary.read_text() == "marks"
    for path in (ROOT / "coursework" / "pwned.txt", tmp_path / "pwned.txt", Path("/tmp/coursework-pwned.txt")):
        assert not path.exists(), f"the student wrote {path}"


@pytest.mark.skipif(not landlock.available(), reason="reading is confined by Landlock only")
def test_a_submission_cannot_read_the_references(tmp_path, teacher):
    attack = textwrap.dedent(f"""
        try:
            exec(open({str(teacher / "01_autograd" / "ops.py")!r}).read())
        except OSError:
            pass
    """)
    rows = grade(tmp_path, teacher, {"01_autograd/ops.py": BLANK_OPS + attack})
    assert all(r["earned"] == 0 for r in rows.values()), rows


def _break(task_line, code):
    """The reference ops.py with `code` as the first line of the function at `task_line`."""
    text = REFERENCE["ops.py"]
    start = text.index(task_line)
    body = text.index("### BEGIN SOLUTION", start) + len("### BEGIN SOLUTION\n")
    return text[:body] + f"        {code}\n" + text[body:]


@pytest.mark.parametrize("broken, task_line, code, message", [
    ("mul", "class Mul", "while True: pass", "timed out after 2 s"),
    ("div", "class Div", "import os; os._exit(0)", "exited with code 0"),
    ("logsumexp", "class LogSumExp", "import sys; sys.exit(3)", "called sys.exit(3)"),
    ("mul", "class Mul", "import numpy; numpy.ones(1 << 31).sum()", "exceeded 1024 MB"),
    ("div", "class Div", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "killed by SIGKILL"),
])
def test_a_hang_an_exit_or_a_memory_blowup_costs_its_task_alone(tmp_path, teacher, broken, task_line,
                                                                code, message):
    rows = grade(tmp_path, teacher, {"01_autograd/ops.py": _break(task_line, code)},
                 timeout=2, memory_mb=1024)
    assert rows[broken]["earned"] == 0 and message in rows[broken]["message"], rows[broken]
    assert all(r["passed"] for name, r in rows.items() if name != broken), rows


def test_a_file_that_exits_at_import_costs_its_assignment_alone(tmp_path, teacher):
    rows = grade(tmp_path, teacher, {"01_autograd/ops.py": "import os\nos._exit(0)\n",
                                     "02_activations/activations.py": REFERENCE["activations.py"]},
                 assignments=("01_autograd", "02_activations"))
    autograd = [r for r in rows.values() if r["assignment"] == "01_autograd"]
    assert all(r["earned"] == 0 and "exited with code 0" in r["message"] for r in autograd), autograd
    assert all(r["passed"] for r in rows.values() if r["assignment"] == "02_activations"), rows


DELEGATIONS = [
    ("01_autograd", "ops.py", ["mul", "div"],
     lambda text: text + "\nfrom minnet.ops import Mul, Div\n", "uses minnet.ops."),
    ("01_autograd", "ops.py", ["mul"],
     lambda text: text + "\nMul = getattr(__import__('minnet.ops', fromlist=['x']), 'M' + 'ul')\n",
     "Mul is or subclasses minnet.ops.Mul"),
    ("01_autograd", "ops.py", ["mul"], lambda text: text.replace(
        "        ctx.save_for_backward(a, b)\n        return a * b\n",
        "        return getattr(mn.ops, 'M' + 'ul').forward(ctx, a, b)\n", 1), "Mul.forward of minnet.ops.Mul"),
    ("01_autograd", "ops.py", ["mul"], lambda text: text.replace(
        "        ctx.save_for_backward(a, b)\n        return a * b\n",
        "        import importlib, minnet.ops\n"
        "        return importlib.reload(minnet.ops).Mul.forward(ctx, a, b)\n", 1), "Mul.forward of minnet.ops.Mul"),
    ("01_autograd", "ops.py", ["mul"], lambda text: text.replace(
        "        ctx.save_for_backward(a, b)\n        return a * b\n",
        "        import sys\n        sys.setprofile(None)\n"
        "        return getattr(mn.ops, 'M' + 'ul').forward(ctx, a, b)\n", 1), "watch on them was switched off"),
    ("02_activations", "activations.py", ["softsign"],
     lambda text: text + "\nclass Softsign(mn.nn.Softsign):\n    pass\n", "uses minnet.nn.Softsign"),
    ("05_optimizers", "optimizers.py", ["momentum"], lambda text: text + textwrap.dedent("""
        class Momentum(mn.optim.SGD):
            defaults = dict(lr=0.01, momentum=0.9)
        """), "uses minnet.optim.SGD"),
]


@pytest.mark.parametrize("assignment, starter, tasks, delegate, message", DELEGATIONS)
def test_using_the_built_in_a_task_asks_for_earns_nothing(tmp_path, teacher, assignment, starter, tasks,
                                                         delegate, message):
    rows = grade(tmp_path, teacher, {f"{assignment}/{starter}": delegate(REFERENCE[starter])},
                 assignments=(assignment,))
    for name in tasks:
        assert rows[name]["earned"] == 0 and message in rows[name]["message"], rows[name]
    assert all(r["passed"] for name, r in rows.items() if name not in tasks), rows


WRONG = [
    ("01_autograd", "ops.py", "mul", "return unbroadcast(grad * b, a.shape), unbroadcast(grad * a, b.shape)",
     "g = np.where(np.abs(a) > 3, grad * b / 2, grad * b)\n"
     "        return unbroadcast(g, a.shape), unbroadcast(grad * a, b.shape)"),
    ("02_activations", "activations.py", "elu", "return np.where(x > 0, 1, y + self.alpha).astype(x.dtype)",
     "return np.where(x > 12, 0.5, np.where(x > 0, 1, y + self.alpha)).astype(x.dtype)"),
    ("05_optimizers", "optimizers.py", "lion", "m *= beta2\n                m += (1 - beta2) * p.grad",
     "m *= beta1\n                m += (1 - beta1) * p.grad"),
]


@pytest.mark.parametrize("assignment, starter, task, right, wrong", WRONG)
def test_the_issues_wrong_submissions_fail_their_task(tmp_path, teacher, assignment, starter, task, right, wrong):
    text = REFERENCE[starter]
    assert right in text
    rows = grade(tmp_path, teacher, {f"{assignment}/{starter}": text.replace(right, wrong)},
                 assignments=(assignment,))
    assert rows[task]["earned"] == 0, rows[task]
    assert all(r["passed"] for name, r in rows.items() if name != task), rows


def test_the_inputs_change_with_the_grading_seed_so_a_table_of_answers_fails():
    meta = {"title": "Mul: forward and backward", "forbidden": [], "targets": []}
    draws = [Check(None, None, seed, meta, 1).wide((8,)) for seed in (1, 1, 2)]
    assert np.array_equal(draws[0], draws[1]) and not np.array_equal(draws[0], draws[2])
    assert np.abs(draws[0]).max() > 5 or np.abs(draws[2]).max() > 5


def test_a_link_to_the_reference_brings_nothing_in(tmp_path, teacher):
    student = tmp_path / "student" / "01_autograd"
    student.mkdir(parents=True)
    (student / "ops.py").symlink_to(teacher / "01_autograd" / "ops.py")
    results = grade_folder(tmp_path / "student", teacher, ["01_autograd"], seed=5)
    assert all(r["earned"] == 0 and "ops.py not found" in r["message"] for r in results), results


@pytest.mark.skipif(landlock.available() < 6, reason="signals are scoped from Landlock ABI 6")
def test_a_submission_cannot_signal_the_grader(tmp_path, teacher):
    received = []
    previous = signal.signal(signal.SIGUSR2, lambda number, frame: received.append(number))
    try:
        attack = "\nimport os, signal\nos.kill(os.getppid(), signal.SIGUSR2)\n"
        rows = grade(tmp_path, teacher, {"01_autograd/ops.py": REFERENCE["ops.py"] + attack})
    finally:
        signal.signal(signal.SIGUSR2, previous)
    assert not received, "the student's file signalled the grader's process"
    assert all(r["earned"] == 0 and "PermissionError" in r["message"] for r in rows.values()), rows


def test_a_file_that_hangs_at_import_times_out_once(tmp_path, teacher):
    start = time.perf_counter()
    rows = grade(tmp_path, teacher, {"01_autograd/ops.py": "while True:\n    pass\n"}, timeout=2)
    assert all(r["earned"] == 0 and r["message"] == "importing ops.py: timed out after 2 s"
               for r in rows.values()), rows
    assert time.perf_counter() - start < 8, "the import was retried for every task"


@pytest.mark.skipif(not landlock.available(), reason="reading is confined by Landlock only")
def test_a_submission_cannot_read_the_graders_environment(tmp_path, teacher):
    attack = textwrap.dedent("""
        import os
        def unbroadcast(grad, shape):
            found = []
            for path in [f"/proc/{pid}/{name}" for pid in (os.getppid(), 1) for name in ("environ", "cmdline")]:
                try:
                    found.append(open(path, "rb").read().decode(errors="replace"))
                except OSError as error:
                    found.append(type(error).__name__)
            for path in ("/etc/shadow", "/dev/sda"):       # readable by a grader run as root
                try:
                    found.append(open(path, "rb").read(64).decode(errors="replace"))
                except OSError as error:
                    found.append(type(error).__name__)
            open(os.devnull, "w").write("output thrown away is fine")
            raise ValueError(" ".join(found))
    """)
    (tmp_path / "student" / "01_autograd").mkdir(parents=True)
    (tmp_path / "student" / "01_autograd" / "ops.py").write_text(BLANK_OPS + attack)
    # /proc/PID/environ holds a process's environment as it started: the grader's own process.
    result = subprocess.run([sys.executable, "-m", "coursework", "grade", tmp_path / "student", "01_autograd",
                             "--teacher", teacher, "--json"], cwd=ROOT, capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=str(ROOT), TEACHERS_TOKEN="s3cret-0f-the-teacher"),
                            timeout=600)
    rows = {r["name"]: r for r in json.loads(result.stdout)["results"]}
    message = rows["unbroadcast"]["message"]
    assert "s3cret" not in message and "--teacher" not in message and "root:" not in message, message
    assert message.count("PermissionError") + message.count("FileNotFoundError") >= 6, message
