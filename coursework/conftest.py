"""Grading support for pytest: the `submission` fixture, task points, and a results file.

Each grader (NN_topic/grade_topic.py) names its starter file in STARTER and asks for the
`submission` fixture: the student's module, imported from

    $COURSEWORK_SUBMISSION/NN_topic/STARTER     (default: this folder, the reference solutions)

Each test is one task; `@pytest.mark.points(n)` gives its weight (1 otherwise) and its
docstring's first line its title. With $COURSEWORK_RESULTS set, every task's outcome and a
short message (no traceback) are written there as JSON for `python -m coursework grade`.
"""
import importlib.util
import json
import os
import re
import sys
import traceback
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
_results = []


class SubmissionError(Exception):
    """The student's file is missing or does not import."""


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): the weight of this task in the score")


def _load(path, name):
    if not path.is_file():
        raise SubmissionError(f"{path} not found: keep the starter's file name and folder")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module           # dataclasses and pickling look a module up by name
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise SubmissionError(f"{path.name} line {error.lineno}: SyntaxError: {error.msg}") from None
    except (Exception, SystemExit) as error:       # sys.exit() at import must not end grading
        raise SubmissionError(f"importing {path.name} raised {type(error).__name__}: {error}") from None
    return module


@pytest.fixture(scope="module")
def submission(request):
    """The student's starter module for the assignment of the requesting grader."""
    assignment = Path(request.module.__file__).resolve().parent.name
    root = Path(os.environ.get("COURSEWORK_SUBMISSION") or Path(request.module.__file__).parent.parent)
    return _load(root / assignment / request.module.STARTER, f"submission_{assignment}")


def _summary(excinfo, root):
    """One readable message for a failed task: the hint of an unwritten part, the kit's table,
    or the error with the line of the student's file where it happened."""
    error = excinfo.value
    text = f"{type(error).__name__}: {error}"
    unwritten = re.search(r"NotImplementedError: (.*)", text)
    if isinstance(error, NotImplementedError) or unwritten:
        hint = str(error) if isinstance(error, NotImplementedError) else unwritten.group(1)
        return f"not written yet: {hint}"
    if isinstance(error, SubmissionError):
        return str(error)
    if isinstance(error, AssertionError):
        return str(error).strip() or "assertion failed"
    frames = [f for f in traceback.extract_tb(excinfo.tb) if f.filename.startswith(str(root))
              and not Path(f.filename).name.startswith("grade_")]
    last = frames[-1] if frames else None
    where = f" (in {Path(last.filename).name}, line {last.lineno}: {last.line})" if last else ""
    return f"{text}{where}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" or (report.when == "setup" and report.failed):
        marker = item.get_closest_marker("points")
        doc = (item.function.__doc__ or item.name).strip().splitlines()[0]
        root = Path(os.environ.get("COURSEWORK_SUBMISSION") or HERE).resolve()
        _results.append({
            "assignment": Path(item.fspath).parent.name,
            "task": doc,
            "points": marker.args[0] if marker else 1,
            "passed": report.passed,
            "message": "" if report.passed else _summary(call.excinfo, root),
        })


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("COURSEWORK_RESULTS")
    if path:
        Path(path).write_text(json.dumps(_results, indent=1))
