"""Grader of assignment 6: each test is one task; its docstring is the task's title."""
import re
import time
from pathlib import Path

import numpy as np
import pytest

import minnet as mn

STARTER = "project.py"
SECTIONS = ("What I built", "What I measured", "What went wrong, and how I found out")


@pytest.mark.points(2)
def test_build_model(submission):
    """build_model: (N, 64) -> (N, 10), a hidden layer, reproducible"""
    model = submission.build_model(seed=0)
    assert isinstance(model, mn.nn.Module), f"build_model returned {type(model).__name__}, expected a Module"
    out = model(mn.Tensor(np.zeros((5, 64), dtype=np.float32)))
    assert out.shape == (5, 10), f"the model maps (5, 64) to {out.shape}, expected (5, 10)"
    weights = [p for name, p in model.named_parameters() if p.ndim == 2]
    assert len(weights) >= 2, "the model needs at least one hidden layer (two weight matrices)"
    again = submission.build_model(seed=0)
    pairs = zip(model.state_dict().values(), again.state_dict().values())
    assert all(np.array_equal(a, b) for a, b in pairs), \
        "build_model(seed=0) twice gave different weights: call mn.manual_seed(seed) first"


@pytest.mark.points(4)
def test_train(submission):
    """train: validation accuracy >= 0.95 within a minute"""
    X_train, y_train, X_val, y_val = submission.load_data()
    model = submission.build_model(seed=0)
    start = time.perf_counter()
    history = submission.train(model, X_train, y_train, X_val, y_val, seed=0)
    seconds = time.perf_counter() - start
    assert "val_accuracy" in history, (
        "train must return mn.fit's History with metrics=('accuracy',) and validation_data")
    model.eval()
    accuracy = float(np.mean(np.argmax(mn.predict(model, X_val), axis=1) == y_val))
    assert accuracy >= 0.95, f"validation accuracy {accuracy:.3f}, needs 0.95"
    assert seconds < 60, f"training took {seconds:.0f} s, needs under 60 s"


@pytest.mark.points(2)
def test_gradient_norms(submission):
    """gradient_norms: one backward pass, norms by parameter name"""
    X_train, y_train, _, _ = submission.load_data()
    model = submission.build_model(seed=1)
    X, y = X_train[:64], y_train[:64]
    submission.gradient_norms(model, X, y)                 # a first pass must not add into the second
    got = submission.gradient_norms(model, X, y)
    model.zero_grad()
    mn.nn.CrossEntropyLoss()(model(mn.Tensor(X)), y).backward()
    expected = {name: float(np.linalg.norm(p.grad)) for name, p in model.named_parameters()}
    assert set(got) == set(expected), f"keys {sorted(got)}, expected the parameter names {sorted(expected)}"
    for name in expected:
        assert np.isclose(got[name], expected[name], rtol=1e-5), (
            f"norm of {name}: {got[name]:.6g}, expected {expected[name]:.6g}")


@pytest.mark.points(2)
def test_report(submission):
    """report.md: three sections, 40 words and a measured number each"""
    text = (Path(submission.__file__).parent / "report.md").read_text()
    for title in SECTIONS:
        match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
        assert match, f"report.md has no section '## {title}'"
        body = match.group(1)
        if "YOUR ANSWER HERE" in body:
            raise NotImplementedError(f"write the section '{title}' of report.md")
        words = len(re.findall(r"[A-Za-z]+", body))
        assert words >= 40, f"the section '{title}' has {words} words, needs 40"
        assert re.search(r"\d", body), f"the section '{title}' quotes no number"
