"""Grader of assignment 7 (teacher's bundle: hidden tests, compared with minnet's built-ins).

The student's LSTM cell, LSTM, softmax and causal attention are held to minnet's own
(mn.nn.LSTMCell, mn.nn.LSTM, mn.nn.Softmax, scaled_dot_product_attention with is_causal=True;
coursework.drivers.BuiltIns) with the same weights: outputs, and the gradient of every input
and weight through autograd, on inputs drawn at grading time in float64 and float32, from
gates in their working range to saturated ones and attention scores in the thousands.
"""
import numpy as np

from coursework.drivers import BuiltIns
from coursework.grader import task

STARTER = "sequences.py"
DTYPES = (np.float64, np.float32)
LSTM_BUILT_INS = ["minnet.nn.LSTMCell", "minnet.nn.LSTM", "minnet.nn.recurrence.Recurrence",
                  "minnet.nn.recurrence.LSTMStep"]
SOFTMAX_BUILT_INS = ["minnet.nn.Softmax", "minnet.nn.LogSoftmax", "minnet.nn.Softmin",
                     "minnet.nn.activations.multi._SoftmaxFunction",
                     "minnet.nn.activations.multi._LogSoftmaxFunction"]
ATTENTION_BUILT_INS = ["minnet.nn.functional.scaled_dot_product_attention",
                       "minnet.nn.functional.ScaledDotProductAttention",
                       "minnet.nn.functional.attention_mask", "minnet.nn.MultiheadAttention",
                       "minnet.nn.TransformerBlock"] + SOFTMAX_BUILT_INS


def _agrees(check, name, inputs, outputs, what, backward=True):
    """The student's name(*inputs) against minnet's: its outputs ({name: shape}), and with
    backward the gradient of every input ({name: array}) from upstream arrays drawn here."""
    dtype = next(iter(inputs.values())).dtype
    upstream = [check.wide(shape, dtype, high=10) for shape in outputs.values()] if backward else None
    check.same("tensor_function", name=name, inputs=inputs, outputs=list(outputs), upstream=upstream,
               against=BuiltIns, what=f"{name}({what}) in {np.dtype(dtype).name}")


def _lstm_inputs(check, steps, batch, features, hidden, dtype, spread=1.0):
    """x, h, c and the four weights of an LSTM; `spread` scales x and the weights (spread 1:
    gates mostly in their working range; 30: pre-activations in the thousands, the gates saturated)."""
    rng = check.rng
    x = rng.normal(0, 1.5 * spread, (steps, batch, features) if steps else (batch, features))
    h, c = rng.uniform(-1, 1, (batch, hidden)), rng.normal(0, 2, (batch, hidden))
    weights = [rng.uniform(-1, 1, shape) * spread for shape in
               [(4 * hidden, features), (4 * hidden, hidden), (4 * hidden,), (4 * hidden,)]]
    names = ("x", "h", "c", "weight_ih", "weight_hh", "bias_ih", "bias_hh")
    return {n: np.asarray(a, dtype) for n, a in zip(names, (x, h, c, *weights))}


CELL_SHAPES = [(1, 3, 2), (4, 5, 3), (3, 2, 6)]         # (batch, features, hidden)


@task(points=4, forbidden=LSTM_BUILT_INS, partial=True)
def lstm_cell(check):
    """lstm_cell: h' and c' of one step, and their gradients"""
    def each_shape(dtype, backward=True, spread=1.0):
        for batch, features, hidden in CELL_SHAPES:
            inputs = _lstm_inputs(check, 0, batch, features, hidden, dtype, spread)
            _agrees(check, "lstm_cell", inputs, {"h'": (batch, hidden), "c'": (batch, hidden)},
                    backward=backward,
                    what=f"x of shape {(batch, features)}, hidden size {hidden}"
                         + (", saturated gates" if spread > 1 else ""))

    with check.part("h' and c' (forward)"):
        for dtype in DTYPES:
            each_shape(dtype, backward=False)
    with check.part("gradients of x, h, c and the weights, float64"):
        each_shape(np.float64)
    with check.part("gradients, float32"):
        each_shape(np.float32)
    with check.part("saturated gates (pre-activations in the thousands): finite, no overflow"):
        # A saturated gate's derivative is below float32's resolution (1 - tanh(10)^2 rounds
        # to 0): its float32 gradients are rounding noise, so outputs only in float32.
        each_shape(np.float64, spread=30.0)
        each_shape(np.float32, backward=False, spread=30.0)


@task(points=2, forbidden=LSTM_BUILT_INS)
def lstm(check):
    """lstm: your cell over time, backpropagated through time"""
    for dtype in DTYPES:
        for steps, batch, features, hidden in [(1, 2, 3, 4), (6, 3, 2, 5), (15, 2, 4, 3)]:
            inputs = _lstm_inputs(check, steps, batch, features, hidden, dtype)
            _agrees(check, "lstm", inputs, {"output": (steps, batch, hidden), "h_T": (batch, hidden),
                                            "c_T": (batch, hidden)},
                    what=f"x of shape {(steps, batch, features)}, hidden size {hidden}")


@task(points=2, forbidden=SOFTMAX_BUILT_INS, partial=True)
def softmax(check):
    """softmax: along the last axis, and stable"""
    with check.part("scores in [-5, 5], float64 and float32"):
        for dtype in DTYPES:
            for shape in [(5,), (3, 4), (2, 3, 6)]:
                scores = np.asarray(check.rng.uniform(-5, 5, shape), dtype)
                _agrees(check, "softmax", {"scores": scores}, {"weights": shape},
                        what=f"scores of shape {shape}")
    with check.part("scores up to 1e4 (exp would overflow): finite, no overflow"):
        for dtype in DTYPES:
            for shape in [(3, 4), (2, 3, 6)]:
                scores = check.wide(shape, dtype, high=1e4)
                _agrees(check, "softmax", {"scores": scores}, {"weights": shape},
                        what=f"scores of shape {shape} up to 1e4")


ATTENTION_SHAPES = [((), 1, 3, 3), ((), 5, 4, 4), ((2,), 6, 8, 3), ((2, 3), 7, 16, 5)]


def _attention(check, dtype, backward=True, magnitude=1.0):
    for leading, length, features, value_features in ATTENTION_SHAPES:
        spread = magnitude * check.rng.uniform(0.5, 2.0)
        q, k = (check.rng.normal(0, spread, (*leading, length, features)) for _ in range(2))
        v = check.rng.normal(0, 3, (*leading, length, value_features))
        inputs = {"q": np.asarray(q, dtype), "k": np.asarray(k, dtype), "v": np.asarray(v, dtype)}
        what = f"q, k of shape {q.shape}, v of shape {v.shape}" + (
            f", scores up to {np.abs(q @ np.swapaxes(k, -1, -2)).max() / np.sqrt(features):.0f}"
            if magnitude > 1 else "")
        _agrees(check, "causal_attention", inputs, {"output": (*leading, length, value_features)},
                what=what, backward=backward)


@task(points=4, forbidden=ATTENTION_BUILT_INS, partial=True)
def causal_attention(check):
    """causal_attention: masked, scaled, and its gradients"""
    with check.part("outputs (forward)"):
        for dtype in DTYPES:
            _attention(check, dtype, backward=False)
    with check.part("gradients of q, k and v, float64"):
        _attention(check, np.float64)
    with check.part("gradients, float32"):
        _attention(check, np.float32)
    with check.part("scores in the thousands: finite, no overflow"):
        # float32's gradients there are ill-conditioned (a score's rounding error, times
        # |k| ~ 30, moves them by a few per cent in minnet's own): outputs only in float32.
        _attention(check, np.float64, magnitude=30.0)
        _attention(check, np.float32, backward=False, magnitude=30.0)
