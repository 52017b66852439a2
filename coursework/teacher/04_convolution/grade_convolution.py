"""Grader of assignment 4 (teacher's bundle: hidden tests, compared with the reference)."""
import numpy as np

from coursework.grader import task

STARTER = "conv.py"
FORBIDDEN = ["minnet.nn.Conv2D", "minnet.nn.conv.Conv2DFunction", "minnet.nn.conv._col2im"]


def _settings(check):
    kh, kw = (int(k) for k in check.rng.integers(1, 4, 2))
    return [dict(kh=3, kw=3, stride=1, padding=0), dict(kh=3, kw=2, stride=2, padding=1),
            dict(kh=kh, kw=kw, stride=int(check.rng.integers(1, 3)), padding=int(check.rng.integers(0, 2)))]


def _image(check, dtype=np.float64):
    n, c = (int(k) for k in check.rng.integers(1, 4, 2))
    return check.wide((n, c, int(check.rng.integers(5, 8)), int(check.rng.integers(5, 8))), dtype, high=100)


@task(points=3, forbidden=FORBIDDEN, partial=True)
def im2col(check):
    """im2col: receptive fields as rows, with stride and padding"""
    for settings in _settings(check):
        with check.part(f"im2col with {settings}"):
            x = _image(check)
            check.same("call", name="im2col", args=[x], kwargs=settings,
                       what=f"im2col(x of shape {x.shape}, {settings})")


@task(points=2, forbidden=FORBIDDEN)
def col2im(check):
    """col2im: the adjoint of im2col"""
    for settings in _settings(check):
        x = _image(check)
        cols = check.expected("call", name="im2col", args=[x], kwargs=settings)["value"]
        c = check.wide(cols.shape, high=100)
        check.same("call", name="col2im", args=[c, list(x.shape)], kwargs=settings,
                   what=f"col2im(cols of shape {c.shape}, {x.shape}, {settings})")


@task(points=2, forbidden=FORBIDDEN)
def im2col_function(check):
    """Im2Col: a Function whose gradient passes gradcheck"""
    for dtype in (np.float64, np.float32):
        for settings in _settings(check):
            x = _image(check, dtype)
            out = check.expected("function", name="Im2Col", inputs=[x], upstream=None, kwargs=settings)
            upstream = check.wide(out["output"].shape, dtype, high=10)
            check.same("function", name="Im2Col", inputs=[x], upstream=upstream, kwargs=settings,
                       what=f"Im2Col on x of shape {x.shape}, {settings}, {np.dtype(dtype).name}")


@task(points=3, forbidden=FORBIDDEN)
def conv2d(check):
    """conv2d: output and gradients equal mn.nn.Conv2D's"""
    for dtype in (np.float32, np.float64):
        for stride, padding in [(1, 0), (2, 1)]:
            x = _image(check, dtype)
            out_channels = int(check.rng.integers(1, 5))
            weight = check.wide((out_channels, x.shape[1], 3, 2), dtype, high=10)
            bias = check.wide((out_channels,), dtype, high=10)
            shape = check.expected("conv2d", x=x, weight=weight, bias=bias, upstream=None,
                                   stride=stride, padding=padding)["output"].shape
            check.same("conv2d", x=x, weight=weight, bias=bias, upstream=check.wide(shape, dtype, high=10),
                       stride=stride, padding=padding,
                       what=f"conv2d(x {x.shape}, weight {weight.shape}, stride {stride}, padding {padding}) "
                            f"in {np.dtype(dtype).name}")
