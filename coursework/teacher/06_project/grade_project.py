"""Grader of assignment 6 (teacher's bundle: hidden tests).

train is judged on digits the worker never sees the labels of: the grader splits the data at
grading time, sends the training and validation parts, and scores the predictions on the rest
itself. gradient_norms runs on a model the grader chose and is recomputed here.
"""
import re

import numpy as np

import minnet as mn
from coursework.grader import compare, task

STARTER = "project.py"
SECTIONS = ("What I built", "What I measured", "What went wrong, and how I found out")
HELD_OUT, TEST_ACCURACY, SECONDS = 300, 0.93, 60


@task(points=2)
def build_model(check):
    """build_model: (N, 64) -> (N, 10), a hidden layer, reproducible"""
    got = check.student("build_model", seed=int(check.rng.integers(1000)))
    assert got["type"] == "Module", f"build_model returned {got['type']}, expected a Module"
    assert got["output_shape"] == [5, 10], f"the model maps (5, 64) to {tuple(got['output_shape'])}, expected (5, 10)"
    assert got["matrices"] >= 2, "the model needs at least one hidden layer (two weight matrices)"
    assert got["reproducible"], "build_model(seed) twice gave different weights: call mn.manual_seed(seed) first"


@task(points=4)
def train(check):
    """train: >= 0.93 on digits the grader held out, in a minute"""
    X, y = mn.datasets.load_digits()
    order = check.rng.permutation(len(X))
    test, rest = order[:HELD_OUT], order[HELD_OUT:]
    train_part, val_part = rest[HELD_OUT:], rest[:HELD_OUT]
    got = check.student("train", X_train=X[train_part], y_train=y[train_part], X_val=X[val_part],
                        y_val=y[val_part], X_test=X[test], seed=0)
    assert "val_accuracy" in got["keys"], (
        "train must return mn.fit's History with metrics=('accuracy',) and validation_data")
    accuracy = float(np.mean(np.asarray(got["predictions"]) == y[test]))
    assert accuracy >= TEST_ACCURACY, f"accuracy {accuracy:.3f} on {HELD_OUT} held-out digits, needs {TEST_ACCURACY}"
    assert got["seconds"] < SECONDS, f"training took {got['seconds']:.0f} s, needs under {SECONDS} s"


@task(points=2)
def gradient_norms(check):
    """gradient_norms: one backward pass, norms by parameter name"""
    X, y = mn.datasets.load_digits()
    rows = check.rng.choice(len(X), 64, replace=False)
    hidden = int(check.rng.integers(16, 48))
    mn.manual_seed(int(check.rng.integers(2 ** 31)))
    model = mn.nn.Sequential(mn.nn.Dense(64, hidden), mn.nn.Tanh(), mn.nn.Dense(hidden, 10))
    weights = {k: np.asarray(v) for k, v in model.state_dict().items()}
    got = check.student("gradient_norms", weights=weights, X=X[rows], y=y[rows], hidden=hidden)
    model.zero_grad()
    mn.nn.CrossEntropyLoss()(model(mn.Tensor(X[rows])), y[rows]).backward()
    expected = {name: float(np.linalg.norm(p.grad)) for name, p in model.named_parameters()}
    assert isinstance(got, dict) and set(got) == set(expected), (
        f"keys {sorted(got) if isinstance(got, dict) else got}, expected the parameter names {sorted(expected)}")
    compare({k: np.float64(v) for k, v in got.items()}, {k: np.float64(v) for k, v in expected.items()},
            "the gradient norms")


@task(points=2)
def report(check):
    """report.md: three sections, 40 words and a measured number each"""
    path = check.folder / "report.md"
    assert path.is_file(), "report.md not found next to project.py"
    text = path.read_text(errors="replace")
    for title in SECTIONS:
        match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
        assert match, f"report.md has no section '## {title}'"
        body = match.group(1)
        assert "YOUR ANSWER HERE" not in body, f"not written yet: write the section '{title}' of report.md"
        words = len(re.findall(r"[A-Za-z]+", body))
        assert words >= 40, f"the section '{title}' has {words} words, needs 40"
        assert re.search(r"\d", body), f"the section '{title}' quotes no number"
