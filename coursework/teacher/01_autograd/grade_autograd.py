"""Grader of assignment 1 (teacher's bundle: hidden tests, compared with the reference ops.py).

Each task is a function of one Check (coursework/grader.py); its docstring's first line is its
title. Inputs are drawn at grading time over the whole domain, in float64 and float32.
"""
import numpy as np

from coursework.grader import task

STARTER = "ops.py"
BROADCASTS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 3, 4), (3, 1)), ((), (3,)), ((5,), ()),
              ((2, 1, 4), (3, 1))]
DTYPES = (np.float64, np.float32)


@task(points=2, forbidden=["minnet.ops.unbroadcast"])
def unbroadcast(check):
    """unbroadcast sums the gradient back to the input's shape"""
    for dtype in DTYPES:
        grad = check.wide((2, 3, 4), dtype, high=1e3)
        for shape in [(2, 3, 4), (3, 4), (4,), (3, 1), (1, 1, 4), (2, 1, 1), (1, 3, 1), ()]:
            check.same("call", name="unbroadcast", args=[grad, shape],
                       what=f"unbroadcast(grad of shape (2, 3, 4), {shape}) in {np.dtype(dtype).name}")


def _binary(check, name, b_values):
    for dtype in DTYPES:
        for a_shape, b_shape in BROADCASTS:
            a, b = check.wide(a_shape, dtype), b_values(b_shape).astype(dtype)
            upstream = check.wide(np.broadcast_shapes(a_shape, b_shape), dtype, high=10)
            what = f"{name} of shapes {a_shape} and {b_shape} in {np.dtype(dtype).name}"
            check.same("function", name=name, inputs=[a, b], upstream=upstream, what=what, where=a)


@task(points=2, forbidden=["minnet.ops.Mul"])
def mul(check):
    """Mul: forward and backward, with broadcasting"""
    _binary(check, "Mul", lambda shape: check.wide(shape))


@task(points=2, forbidden=["minnet.ops.Div"])
def div(check):
    """Div: forward and backward, with broadcasting"""
    _binary(check, "Div", lambda shape: check.wide(shape, low=0.1, high=1e3))


@task(points=3, forbidden=["minnet.math_ops.LogSumExp"], partial=True)
def logsumexp(check):
    """LogSumExp: stable along an axis, gradient = softmax"""
    for dtype in DTYPES:
        for axis in (-1, 0):
            with check.part(f"axis={axis}, {np.dtype(dtype).name}"):
                for shape in [(5,), (3, 4), (2, 3, 4)]:
                    x = check.wide(shape, dtype, high=30)
                    upstream = check.wide(shape[:axis % len(shape)] + shape[axis % len(shape) + 1:], dtype, high=10)
                    check.same("function", name="LogSumExp", inputs=[x], upstream=upstream,
                               kwargs=dict(axis=axis), where=None,
                               what=f"LogSumExp(x of shape {shape}, axis={axis}) in {np.dtype(dtype).name}")
    with check.part("finite at +/-1e4"):
        for dtype in DTYPES:
            x = (check.rng.choice([-1.0, 1.0], (3, 4)) * check.rng.uniform(1e3, 1e4, (3, 4))).astype(dtype)
            check.same("function", name="LogSumExp", inputs=[x], upstream=np.ones(3, dtype),
                       what=f"LogSumExp of inputs of magnitude up to 1e4 in {np.dtype(dtype).name}")
