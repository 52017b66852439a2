"""Grader of assignment 2 (teacher's bundle: hidden tests, compared with the reference).

Each activation runs on inputs drawn at grading time over the whole domain (|x| up to 1e4),
in float64 and float32; its output and its input gradient (so its derivative everywhere) must
match the reference's.
"""
import numpy as np

from coursework.grader import task

STARTER = "activations.py"
DTYPES = (np.float64, np.float32)


def _agrees(check, name, init=None, params=None, shapes=((), (7,), (4, 5), (2, 3, 4))):
    got = None
    for dtype in DTYPES:
        for shape in shapes:
            x = check.wide(shape, dtype)
            upstream = check.wide(shape, dtype, high=10)
            cast = {k: np.asarray(v, dtype) for k, v in (params or {}).items()}
            what = f"{name}({init or ''}) on x of shape {shape} in {np.dtype(dtype).name}"
            got = check.same("activation", name=name, x=x, upstream=upstream, init=init, params=cast,
                             what=what, where=x)
    return got


@task(points=2, forbidden=["minnet.nn.Softsign"])
def softsign(check):
    """Softsign: formula and derivative"""
    _agrees(check, "Softsign")


@task(points=3, forbidden=["minnet.nn.Sigmoid", "minnet.math_ops.Sigmoid"])
def stable_sigmoid(check):
    """StableSigmoid: finite and silent, derivative from the output"""
    got = _agrees(check, "StableSigmoid")
    assert got["derivative_from_output"], "set derivative_from_output = True"


@task(points=2, forbidden=["minnet.nn.ELU", "minnet.nn.CELU"])
def elu(check):
    """ELU(alpha): formula and derivative for two values of alpha"""
    for alpha in (1.0, float(np.round(check.rng.uniform(0.2, 3.0), 3))):
        _agrees(check, "ELU", init=dict(alpha=alpha))


@task(points=3)
def scaled_tanh(check):
    """ScaledTanh: learnable a and b, registered as 'scaled_tanh'"""
    a, b = np.round(check.rng.uniform(0.3, 3.0, 2), 3)
    got = _agrees(check, "ScaledTanh", params=dict(a=a, b=b))
    assert "scaled_tanh" in got["registered_as"], \
        "ScaledTanh is not registered: give the class name = 'scaled_tanh'"
