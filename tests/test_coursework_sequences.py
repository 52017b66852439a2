"""Assignment 7 (07_sequences): the reference earns full marks against minnet's built-ins, the
starter nothing, each forbidden built-in nothing for its task, and plausible mistakes (a gate
read from the wrong slice, attention unscaled or not causal, a softmax or sigmoid that
overflows, a forward pass in numpy that autograd cannot follow) lose the points the statement
says, while honest formulas that round differently earn full marks. The checks common to
every assignment (starters = stripped references, statement points, release, public tests)
are in test_coursework.py.
"""
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coursework.drivers import BuiltIns  # noqa: E402
from coursework.grade import grade_folder  # noqa: E402
from coursework.release import strip_solutions  # noqa: E402

TEACHER = ROOT / "coursework" / "teacher"
ASSIGNMENT, STARTER = "07_sequences", "sequences.py"
REFERENCE = (TEACHER / ASSIGNMENT / STARTER).read_text()
POINTS = {"lstm_cell": 4, "lstm": 2, "softmax": 2, "causal_attention": 4}


def grade(tmp_path, text, seed=3):
    folder = tmp_path / "student" / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / STARTER).write_text(text)
    return {r["name"]: r for r in grade_folder(tmp_path / "student", TEACHER, [ASSIGNMENT], seed=seed)}


def edited(old, new):
    assert old in REFERENCE, old
    return REFERENCE.replace(old, new, 1)


def test_the_reference_earns_full_marks_against_minnets_own_layers(tmp_path):
    rows = grade(tmp_path, REFERENCE)
    assert {name: r["earned"] for name, r in rows.items()} == POINTS, rows


def test_the_unwritten_starter_earns_nothing_and_each_row_gives_its_hint_once(tmp_path):
    rows = grade(tmp_path, strip_solutions(REFERENCE))
    assert set(rows) == set(POINTS) and all(r["earned"] == 0 for r in rows.values()), rows
    # Every check of a partial-credit task failed the same way: the hint is said once, untitled.
    assert all(r["message"].startswith("not written yet: ") and r["message"].count("not written") == 1
               for r in rows.values()), rows


CELL = "    hidden = h.shape[-1]\n    pre ="
LOOP = "    outputs = []\n"
SHIFT = "    shifted = scores -"
ATTEND = "    length, features = q.shape[-2], q.shape[-1]\n"
DELEGATIONS = [   # (where, the delegating code put first there, the tasks it costs, the message)
    (CELL, "    return BuiltIns.lstm_cell(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh)\n",
     ["lstm_cell", "lstm"], "uses minnet.nn.LSTMCell"),
    (LOOP, "    return BuiltIns.lstm(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh)\n",
     ["lstm"], "uses minnet.nn.LSTM, minnet.nn.recurrence.Recurrence, which"),
    (CELL, "    import minnet.nn.recurrence as r\n"
           "    hidden = h.shape[-1]\n"
           "    y = r.Recurrence.apply(x.reshape(1, *x.shape), h, c, weight_ih, weight_hh, bias_ih,"
           " bias_hh, cell=r.LSTMStep)\n"
           "    return y[0], y[1]\n",
     ["lstm_cell", "lstm"], "uses minnet.nn.recurrence.Recurrence"),
    (SHIFT, "    return getattr(mn.nn, 'Soft' + 'max')(axis=-1)(scores)\n",
     ["softmax", "causal_attention"], "uses minnet.nn.Softmax, "),
    (ATTEND, "    import minnet.nn.functional as F\n"
             "    return F.scaled_dot_product_attention(q, k, v, is_causal=True)\n",
     ["causal_attention"], "(scaled_dot_product_attention of minnet.nn.functional."),
    (ATTEND, "    attention = mn.nn.MultiheadAttention(q.shape[-1], 1, bias=False)\n",
     ["causal_attention"], "uses minnet.nn.MultiheadAttention"),
]


@pytest.mark.parametrize("where, delegate, costs, message", DELEGATIONS,
                         ids=["LSTMCell", "LSTM", "Recurrence", "Softmax", "sdpa", "MultiheadAttention"])
def test_delegating_to_a_built_in_earns_nothing_for_the_tasks_that_use_it(tmp_path, where, delegate,
                                                                          costs, message):
    text = "from coursework.drivers import BuiltIns\n" + edited(where, delegate + where)
    rows = grade(tmp_path, text)
    for name, r in rows.items():
        if name in costs:
            assert r["earned"] == 0 and message in r["message"], r
            assert "which this task asks you to write yourself" in r["message"], r
        else:
            assert r["passed"], r


MISTAKES = {   # a plausible wrong submission: (right, wrong, points earned per task, words of the row)
    "forget gate read from the input gate's slice": (
        "for k in range(4))", "for k in (0, 0, 2, 3))",
        {"lstm_cell": 0, "lstm": 0}, "h' and c' (forward): lstm_cell(x of shape"),
    # Scores in the thousands make a one-hot softmax with or without the scale: only the
    # stability check passes.
    "attention without the 1/sqrt(E) scale": (
        "(q @ k.transpose(axes)) * (1 / math.sqrt(features))", "q @ k.transpose(axes)",
        {"causal_attention": 1}, "outputs (forward): causal_attention(q, k of shape"),
    "attention that sees the future": (
        "    scores = mn.where(allowed, scores, -math.inf)\n", "",
        {"causal_attention": 0}, "outputs.output: "),
    "a softmax without the maximum subtracted": (
        "shifted = scores - scores.max(axis=-1, keepdims=True).detach()", "shifted = scores",
        {"softmax": 1, "causal_attention": 3}, "RuntimeWarning: overflow encountered in exp"),
    "a sigmoid written as 1 / (1 + exp(-z))": (
        "i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()",
        "i, f, o = (1 / (1 + (-z).exp()) for z in (i, f, o))\n    g = g.tanh()",
        {"lstm_cell": 3}, "saturated gates (pre-activations in the thousands): finite, no overflow: "
                          "RuntimeWarning: overflow"),
    "a cell computed in numpy, out of autograd's sight": (
        "    c_next = f * c + i * g\n    h_next = o * c_next.tanh()\n",
        "    c_next = mn.Tensor(f.data * c.data + i.data * g.data)\n"
        "    h_next = mn.Tensor(o.data * np.tanh(c_next.data))\n",
        {"lstm_cell": 1, "lstm": 0}, "grads.x: got None, expected an array"),
    "a float64 mask on float32 scores": (
        "    scores = mn.where(allowed, scores, -math.inf)\n",
        "    scores = scores + np.where(allowed, 0.0, -np.inf)\n",
        {"causal_attention": 1}, "outputs.output: dtype float64, expected float32"),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_plausible_mistake_loses_the_points_the_statement_says(tmp_path, mistake):
    right, wrong, earned, words = MISTAKES[mistake]
    rows = grade(tmp_path, edited(right, wrong))
    for name, r in rows.items():
        assert r["earned"] == earned.get(name, POINTS[name]), (name, r)
    assert any(words in r["message"] for r in rows.values()), rows



HONEST = [   # the same functions written another way, each rounding differently from minnet's
    ("    pre = x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh\n"
     "    i, f, g, o = (pre[:, k * hidden:(k + 1) * hidden] for k in range(4))\n",
     "    def gate(k):\n"
     "        rows = slice(k * hidden, (k + 1) * hidden)\n"
     "        return x @ weight_ih[rows].T + h @ weight_hh[rows].T + (bias_ih[rows] + bias_hh[rows])\n"
     "    i, f, g, o = (gate(k) for k in range(4))\n"),
    ("i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()",
     "i, f, o = ((1 + (z * 0.5).tanh()) * 0.5 for z in (i, f, o))\n    g = g.tanh()"),
    ("    c_next = f * c + i * g\n", "    c_next = i * g + c * f\n"),
    ("    shifted = scores - scores.max(axis=-1, keepdims=True).detach()\n    weights = shifted.exp()\n"
     "    return weights / weights.sum(axis=-1, keepdims=True)\n",
     "    return (scores - scores.logsumexp(axis=-1, keepdims=True)).exp()\n"),
    ("    scores = (q @ k.transpose(axes)) * (1 / math.sqrt(features))",
     "    scores = (q / math.sqrt(features)) @ k.transpose(axes)"),
    ("    scores = mn.where(allowed, scores, -math.inf)", "    scores = mn.where(allowed, scores, -1e9)"),
]


def test_honest_formulas_that_round_differently_earn_full_marks(tmp_path):
    text = REFERENCE
    for right, other in HONEST:
        assert right in text, right
        text = text.replace(right, other)
    rows = grade(tmp_path, text, seed=8)
    assert all(r["passed"] for r in rows.values()), [r["message"] for r in rows.values() if not r["passed"]]


def test_the_built_ins_take_the_students_signatures_and_agree_with_the_reference():
    import importlib.util
    import minnet as mn
    spec = importlib.util.spec_from_file_location("reference_sequences", TEACHER / ASSIGNMENT / STARTER)
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    rng = np.random.default_rng(0)
    x, h, c = rng.normal(size=(6, 2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    weights = [rng.normal(size=s) for s in [(16, 3), (16, 4), (16,), (16,)]]
    q, k, v = (rng.normal(size=(2, 5, 4)) for _ in range(3))
    calls = {"lstm_cell": [x[0], h, c, *weights], "lstm": [x, h, c, *weights],
             "softmax": [rng.normal(size=(3, 5)) * 100], "causal_attention": [q, k, v]}
    for name, args in calls.items():
        ours, theirs = (getattr(m, name)(*map(mn.Tensor, args)) for m in (reference, BuiltIns))
        for a, b in zip(*(o if isinstance(o, tuple) else (o,) for o in (ours, theirs))):
            np.testing.assert_allclose(a.data, b.data, rtol=1e-12, atol=1e-12, err_msg=name)
