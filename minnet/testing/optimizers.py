"""check_optimizer: an optimiser's steps against a reference step written in plain numpy.

The reference is the update rule as a student writes it on paper, for one parameter:

    def sgd_momentum(param, grad, state, lr, momentum=0.9):
        state["buffer"] = momentum * state.get("buffer", 0) + grad
        return param - lr * state["buffer"]

    check_optimizer(MySGD, sgd_momentum, settings=dict(lr=0.1, momentum=0.9))
"""
import copy
import inspect
import os
import tempfile

import numpy as np

from minnet.checkpoint import load, save
from minnet.nn.module import Parameter
from minnet.testing.functions import _name
from minnet.testing.report import CheckFailure, Report, compare, require_finite

SHAPES = ((3,), (2, 3), ())


def _builder(optimizer, settings):
    if inspect.isclass(optimizer):
        return lambda params: optimizer(params, **settings)
    return lambda params: optimizer(params, **settings)


def _parameters(values, dtype):
    return [Parameter(np.array(v, dtype=dtype)) for v in values]


def _gradients(shapes, steps, rng, scale=1.0):
    return [[scale * rng.standard_normal(shape) for shape in shapes] for _ in range(steps)]


def _run(build, params, gradients):
    """Give each step's gradients and step(); returns the parameter values after every step."""
    optimizer = build(params)
    history = []
    for grads in gradients:
        for p, g in zip(params, grads):
            p.grad = None if g is None else np.array(g, dtype=p.dtype)
        optimizer.step()
        history.append([p.data.copy() for p in params])
    return optimizer, history


def _reference(reference, starts, gradients, group_settings):
    states = [{} for _ in starts]
    values = [np.array(s, dtype=np.float64) for s in starts]
    history = []
    for grads in gradients:
        for i, g in enumerate(grads):
            if g is not None:
                values[i] = np.asarray(reference(values[i].copy(), np.array(g, dtype=np.float64),
                                                 states[i], **group_settings[i]), dtype=np.float64)
        history.append([v.copy() for v in values])
    return history


def _compare_histories(got, expected, atol, rtol, what="parameter"):
    for step, (got_step, expected_step) in enumerate(zip(got, expected)):
        for i, (g, e) in enumerate(zip(got_step, expected_step)):
            compare(f"after step {step + 1}, {what} {i} (shape {np.shape(e)})", g, e, atol, rtol)


def _same_state(loaded, saved, where="state_dict()"):
    """The loaded state equals the saved one, containers, key types and array dtypes included."""
    if isinstance(saved, dict):
        if list(loaded) != list(saved):
            raise CheckFailure(f"{where} came back with keys {list(loaded)}, saved {list(saved)}")
        for key in saved:
            _same_state(loaded[key], saved[key], f"{where}[{key!r}]")
    elif isinstance(saved, (list, tuple)):
        if type(loaded) is not type(saved) or len(loaded) != len(saved):
            raise CheckFailure(f"{where} came back as {loaded!r}, saved {saved!r}")
        for i, (a, b) in enumerate(zip(loaded, saved)):
            _same_state(a, b, f"{where}[{i}]")
    elif isinstance(saved, np.ndarray):
        compare(where, loaded, saved, 0, 0)
        if loaded.dtype != saved.dtype:
            raise CheckFailure(f"{where} came back as {loaded.dtype}, saved {saved.dtype}")
    elif loaded != saved or type(loaded) is not type(saved):
        raise CheckFailure(f"{where} came back as {loaded!r}, saved {saved!r}")


def check_optimizer(optimizer, reference, settings=None, *, steps=5, shapes=SHAPES, seed=0,
                    atol=1e-10, rtol=1e-7, raise_on_failure=True):
    """Check an optimiser class (or a callable `make(params, **settings)`) against `reference`.

    `reference(param, grad, state, **settings) -> new param` updates one parameter in numpy
    float64 (`state` is a dict kept per parameter, empty at the first step). Checks, over
    `steps` steps with random gradients on parameters of `shapes`: the values after every step
    against the reference in float64; two parameter groups, the second with half the lr,
    each following its own settings; float32 parameters staying float32 and close to the
    float64 run; gradients left unmodified by step(); a parameter without a gradient left
    alone; zero_grad(); state_dict()/load_state_dict() resuming exactly where the run was,
    and the state dict coming back unchanged through mn.save and mn.load;
    finite values without warnings for gradients of 0, 1e-30 and 1e4.

    Example:
        >>> check_optimizer(mn.optim.SGD, lambda p, g, state, lr: p - lr * g, dict(lr=0.1)).passed
        True
    """
    settings = dict(settings or {})
    build = _builder(optimizer, settings)
    rng = np.random.default_rng(seed)
    starts = [rng.standard_normal(shape) for shape in shapes]
    gradients = _gradients(shapes, steps, rng)
    report = Report(_name(optimizer))

    def matches_reference():
        _, got = _run(build, _parameters(starts, np.float64), gradients)
        _compare_histories(got, _reference(reference, starts, gradients, [settings] * len(starts)),
                           atol, rtol)
    report.run(f"matches the reference for {steps} steps (float64)", matches_reference)

    def groups():
        half = dict(settings, lr=settings["lr"] / 2)
        params = _parameters(starts, np.float64)
        split = [{"params": params[:1]}, {"params": params[1:], "lr": half["lr"]}]
        _, got = _run(lambda _: build(split), params, gradients)
        expected = _reference(reference, starts, gradients, [settings] + [half] * (len(starts) - 1))
        _compare_histories(got, expected, atol, rtol)
    if "lr" in settings and len(starts) > 1:
        report.run("each parameter group follows its own lr", groups)
    else:
        report.skip("each parameter group follows its own lr", "needs settings['lr'] and 2 shapes")

    def float32():
        params = _parameters(starts, np.float32)
        _, got = _run(build, params, gradients)
        for i, p in enumerate(params):
            if p.data.dtype != np.float32:
                raise CheckFailure(f"parameter {i} became {p.data.dtype} (float32 expected)")
        _, exact = _run(build, _parameters(starts, np.float64), gradients)
        _compare_histories(got, exact, 1e-4, 1e-3)
    report.run("float32 parameters stay float32 and agree with float64", float32)

    def gradients_unmodified():
        params = _parameters(starts, np.float64)
        opt = build(params)
        for p, g in zip(params, gradients[0]):
            p.grad = g.copy()
        opt.step()
        for i, (p, g) in enumerate(zip(params, gradients[0])):
            compare(f"gradient of parameter {i} after step()", p.grad, g, 0, 0)
    report.run("step() leaves the gradients unmodified", gradients_unmodified)

    def skips_missing_grad():
        params = _parameters(starts, np.float64)
        missing = [[None] + grads[1:] for grads in gradients]
        _run(build, params, missing)
        compare("parameter 0 (grad None)", params[0].data, starts[0], 0, 0)
    report.run("a parameter without a gradient is left alone", skips_missing_grad)

    def zero_grad():
        params = _parameters(starts, np.float64)
        opt = build(params)
        for p, g in zip(params, gradients[0]):
            p.grad = g.copy()
        opt.zero_grad()
        if any(p.grad is not None and np.any(p.grad) for p in params):
            raise CheckFailure("zero_grad() left a nonzero gradient")
    report.run("zero_grad() clears the gradients", zero_grad)

    def resumes():
        half = steps // 2 or 1
        params = _parameters(starts, np.float64)
        opt, _ = _run(build, params, gradients[:half])
        saved = copy.deepcopy(opt.state_dict())
        resumed_params = [Parameter(p.data.copy()) for p in params]
        resumed = build(resumed_params)
        resumed.load_state_dict(saved)
        for grads in gradients[half:]:
            for ps in (params, resumed_params):
                for p, g in zip(ps, grads):
                    p.grad = g.copy()
            opt.step()
            resumed.step()
        _compare_histories([[p.data for p in resumed_params]], [[p.data for p in params]], 0, 0)
    report.run("state_dict() / load_state_dict() resume exactly", resumes)

    def survives_checkpoint():
        opt, _ = _run(build, _parameters(starts, np.float64), gradients[:2])
        state = opt.state_dict()
        with tempfile.TemporaryDirectory() as folder:
            loaded = load(save(state, os.path.join(folder, "optimizer.npz")))
        _same_state(loaded, state)
    report.run("state_dict() survives mn.save / mn.load", survives_checkpoint)

    def extremes():
        for scale in (0.0, 1e-30, 1e4):
            for dtype in (np.float32, np.float64):
                params = _parameters(starts, dtype)
                _run(build, params, _gradients(shapes, 3, np.random.default_rng(seed), scale))
                for i, p in enumerate(params):
                    require_finite(f"{np.dtype(dtype).name} parameter {i} after gradients of "
                                   f"size {scale:g}", p.data)
    report.run("finite, no warnings with gradients of 0, 1e-30 and 1e4", extremes)
    return report.raise_if_failed() if raise_on_failure else report
