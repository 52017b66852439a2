"""The public tests' `submission` fixture: your starter file, imported from the test's folder.

Each public test file (NN_topic/test_topic.py) names the starter in STARTER. These tests run
on your own machine, in your own process: they check shapes and obvious cases so that you
know you are on the way. Your teacher grades with hidden tests on inputs drawn at grading
time (`python -m coursework grade`, with the teacher's bundle), which check much more.
"""
import importlib.util
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def submission(request):
    """The student's starter module for the assignment of the requesting test file."""
    path = Path(request.module.__file__).resolve().parent / request.module.STARTER
    if not path.is_file():
        pytest.fail(f"{path} not found: keep the starter's file name and folder", pytrace=False)
    name = f"submission_{path.parent.name}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module          # dataclasses look a module up by name
    spec.loader.exec_module(module)
    return module
