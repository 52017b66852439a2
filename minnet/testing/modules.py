"""check_module and check_loss: a layer or a loss checked with one call.

    >>> check_module(MyDense(3, 2), (4, 3))
    >>> check_loss(MyHuber(), (8,), target="real")
"""
import inspect

import numpy as np

from minnet.nn.module import Module
from minnet.tensor import Tensor
from minnet.testing import core
from minnet.testing.functions import _name
from minnet.testing.report import CheckFailure, Report, compare


def _example(spec, rng, domain):
    """A shape becomes uniform random values in domain; an array or Tensor is used as given."""
    if isinstance(spec, Tensor):
        return np.array(spec.data, dtype=np.float64)
    if isinstance(spec, np.ndarray):
        return spec.astype(np.float64)
    return rng.uniform(*domain, size=tuple(spec))


def check_module(module, *inputs, domain=(-2.0, 2.0), extremes=(-1e4, -100.0, 0.0, 100.0, 1e4),
                 batch_of_one=True, seed=0, raise_on_failure=True):
    """Check a Module (an instance, or a class built with no arguments) on example inputs.

    `inputs` are shapes (filled with uniform values in `domain`) or arrays, one per argument of
    forward. Checks gradients of the inputs and of every parameter in float64, also with a
    batch of one (batch_of_one=False for a layer that rightly refuses one, such as BatchNorm1D
    in training); float32 in -> float32 out with gradients of each input's and parameter's
    shape and dtype; float32 agreeing with float64; inputs unmodified; finite outputs and
    gradients without warnings for inputs at `extremes`.

    Example:
        >>> check_module(mn.nn.Dense(3, 2), (4, 3)).passed
        True
    """
    if inspect.isclass(module):
        module = module()
    if not inputs:
        raise TypeError("check_module needs the shape (or an example array) of each input, "
                        "e.g. check_module(layer, (4, 3))")
    state = module.state_dict()         # running statistics change in training mode
    try:
        report = _check_module(module, inputs, domain, extremes, batch_of_one, seed)
    finally:
        module.load_state_dict(state)
    return report.raise_if_failed() if raise_on_failure else report


def _check_module(module, inputs, domain, extremes, batch_of_one, seed):
    rng = np.random.default_rng(seed)
    arrays = [_example(spec, rng, domain) for spec in inputs]
    report = Report(_name(module))
    report.run(f"gradcheck float64, shapes {core.shape_text(a.shape for a in arrays)}",
               core.check_gradcheck, module, arrays, module=module)
    if batch_of_one and all(a.ndim >= 1 and a.shape[0] > 1 for a in arrays):
        single = [a[:1] for a in arrays]
        report.run(f"gradcheck float64, batch of one {core.shape_text(a.shape for a in single)}",
                   core.check_gradcheck, module, single, module=module)
    report.run("float32 in, float32 out and gradients", core.check_dtypes, module, arrays, module=module)
    report.run("float32 agrees with float64", core.check_agreement, module, arrays, module=module)
    report.run("inputs and incoming gradient unmodified", core.check_unmodified, module, arrays,
               module=module)
    points = np.asarray(extremes, dtype=np.float64)
    extreme_inputs = [np.resize(points, a.shape) for a in arrays]
    report.run(f"finite, no warnings at extremes {tuple(float(p) for p in points)}",
               core.check_extremes, module, extreme_inputs, module=module)
    return report


# --- losses ---------------------------------------------------------------------------------------

# What a loss's predictions look like, with the extreme values each kind must survive.
PREDICTIONS = {
    "real": ((-2.0, 2.0), (-1e4, -100.0, 0.0, 100.0, 1e4)),
    "logits": ((-3.0, 3.0), (-1e4, -1e3, -100.0, -30.0, 0.0, 30.0, 100.0, 1e3, 1e4)),
    "probabilities": ((0.05, 0.95), (0.0, 1e-30, 1e-12, 0.5, 1.0 - 1e-7, 1.0)),
    "log_probabilities": ((-4.0, -0.05), (-1e4, -100.0, -30.0, -1e-12, 0.0)),
}
DEFAULT_PREDICTION = {"real": "real", "binary": "logits", "probability": "logits", "labels": "logits"}


def _target(kind, shape, rng):
    if kind == "real":
        return rng.uniform(-2, 2, size=shape)
    if kind == "binary":
        return rng.integers(0, 2, size=shape).astype(np.float64)
    if kind == "probability":
        return rng.uniform(0, 1, size=shape)
    if kind == "labels":
        if len(shape) < 2:
            raise ValueError(f"target='labels' needs predictions of shape (N, C), got {shape}")
        return rng.integers(0, shape[1], size=(shape[0],) + tuple(shape[2:]))
    raise ValueError(f"unknown target kind {kind!r}; expected 'real', 'binary', 'probability' "
                     f"or 'labels' (or pass an array)")


def _with_reduction(loss, reduction):
    def call(prediction):
        previous, loss.reduction = loss.reduction, reduction
        try:
            return loss(prediction, call.target)
        finally:
            loss.reduction = previous
    return call


def _check_reductions(loss, prediction, target):
    calls = {}
    for reduction in ("none", "sum", "mean"):
        call = _with_reduction(loss, reduction)
        call.target = target
        calls[reduction] = call(Tensor(prediction)).data
    if np.ndim(calls["sum"]) != 0 or np.ndim(calls["mean"]) != 0:
        raise CheckFailure(f"reduction 'sum'/'mean' gave shapes {np.shape(calls['sum'])}/"
                           f"{np.shape(calls['mean'])}, expected scalars (shape ())")
    compare("reduction='sum' against the sum of reduction='none'", calls["sum"],
            np.sum(calls["none"]), 1e-10, 1e-10)
    compare("reduction='mean' against the mean of reduction='none'", calls["mean"],
            np.mean(calls["none"]), 1e-10, 1e-10)


def _check_rejects_wrong_target(loss, prediction, target):
    """A target with an extra axis of 1 ((N,) -> (N, 1), the classic slip that broadcasts a
    loss to (N, N)) and a target one sample longer must both be refused."""
    target = np.asarray(target)
    wrong_targets = [target[..., None]]
    if target.ndim:
        wrong_targets.append(np.concatenate([target, target[:1]]))
    messages = []
    for wrong in wrong_targets:
        try:
            loss(Tensor(prediction), wrong)
        except (ValueError, TypeError) as error:
            messages.append(f"{type(error).__name__}")
            continue
        raise CheckFailure(f"a target of shape {wrong.shape} for predictions of shape "
                           f"{prediction.shape} was accepted; raise ValueError instead of "
                           f"broadcasting silently")
    return "refused with " + ", ".join(messages)


def check_loss(loss, prediction=(6, 3), target="real", *, predictions=None, seed=0,
               raise_on_failure=True):
    """Check a loss Module called as loss(prediction, target).

    `prediction` is a shape or an array; `target` an array or a kind: "real", "binary" (0/1),
    "probability" (in [0, 1]) or "labels" (integers, predictions (N, C)). `predictions` says
    what the loss expects: "real", "logits", "probabilities" or "log_probabilities" (default
    from the target). Checks gradcheck in float64 (for every reduction when the loss has a
    `reduction` attribute), that 'sum' and 'mean' agree with 'none', float32 in -> float32
    out, float32 agreeing with float64, inputs unmodified, finite losses and gradients
    without warnings at extreme predictions, and that a target of the wrong shape is refused.

    Example:
        >>> check_loss(mn.nn.CrossEntropyLoss(), (6, 3), "labels").passed
        True
    """
    if inspect.isclass(loss):
        loss = loss()
    rng = np.random.default_rng(seed)
    kind = predictions or DEFAULT_PREDICTION.get(target if isinstance(target, str) else "real", "real")
    domain, extreme_values = PREDICTIONS[kind]
    prediction = _example(prediction, rng, domain)
    target = _target(target, prediction.shape, rng) if isinstance(target, str) else np.asarray(target)
    report = Report(_name(loss))

    def call(p):
        return loss(p, target.copy())

    reductions = ("none", "sum", "mean") if hasattr(loss, "reduction") else (None,)
    for reduction in reductions:
        fn = call
        if reduction is not None:
            fn = _with_reduction(loss, reduction)
            fn.target = target
        report.run(f"gradcheck float64" + (f", reduction={reduction!r}" if reduction else ""),
                   core.check_gradcheck, fn, [prediction])
    if reductions[0] is not None:
        report.run("reductions: 'sum' and 'mean' agree with 'none'", _check_reductions, loss,
                   prediction, target)
    report.run("float32 in, float32 out and gradients", core.check_dtypes, call, [prediction])
    report.run("float32 agrees with float64", core.check_agreement, call, [prediction])
    target_before = target.copy()

    def unmodified(p):
        core.check_unmodified(lambda x: loss(x, target), [p])
        if not np.array_equal(target, target_before):
            raise CheckFailure("the target array was changed in place")
    report.run("inputs, target and incoming gradient unmodified", unmodified, prediction)
    points = np.resize(np.asarray(extreme_values, dtype=np.float64), prediction.shape)
    report.run(f"finite, no warnings at extreme {kind}", core.check_extremes, call, [points])
    report.run("refuses a target of the wrong shape", _check_rejects_wrong_target, loss,
               prediction, target)
    return report.raise_if_failed() if raise_on_failure else report
