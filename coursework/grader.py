"""The teacher's grader: runs an assignment's tasks against a student's sandboxed worker.

A grader (teacher/NN_topic/grade_topic.py) names its starter file in STARTER and defines its
tasks, each a function of one `Check`, with its points and the built-ins it forbids:

    @task(points=2, forbidden=["minnet.ops.Mul"])
    def mul(check):
        '''Mul: forward and backward, with broadcasting'''
        a = check.wide((3, 4))
        check.same("function", name="Mul", inputs=[a, a.T[:1].T], upstream=..., what="Mul")

`check.same` runs a driver (coursework/drivers.py) on the student's file, in the worker, and on
the teacher's reference solution, here, and compares the two (with `against=drivers.BuiltIns`,
on minnet's own versions instead: assignment 7); `check.student` returns the student's value
for the task to judge. Every verdict is made in this process. Inputs come
from `check.rng`, seeded by the grading seed and the task, so they change from one grading
run to the next. A task with `partial=True` scores the fraction of its `with check.part(...)`
blocks that passed.
"""
import ast
import contextlib
import importlib.util
import sys
import time
import zlib

import numpy as np

from coursework.sandbox import TaskFailure

# What a driver reports besides the numbers; judged by the tasks, never compared.
FACTS = ("changed", "upstream_changed", "registered_as", "derivative_from_output")
# (rtol, atol relative to the largest expected value): float32 carries about 7 digits, and
# minnet.testing holds float32 to float64 within the same 1e-4, 1e-5.
TOLERANCES = {np.dtype(np.float64): (1e-6, 1e-9), np.dtype(np.float32): (1e-4, 1e-5)}


class Failure(AssertionError):
    """A check failed; the message says what was expected and what came."""


def task(points=1, forbidden=(), targets=None, partial=False):
    """Mark a grader function as a task worth `points`; `forbidden` built-ins may not be used
    (called or subclassed) by the `targets` (the names in the student's file, default: the
    names in the task's title before ':')."""
    def mark(function):
        title = (function.__doc__ or function.__name__).strip().splitlines()[0]
        function.task = dict(points=points, forbidden=list(forbidden), partial=partial, title=title,
                             name=function.__name__,
                             targets=targets or [n.strip() for n in title.split(":")[0].split(" and ")])
        return function
    return mark


def tasks_of(grader):
    return [f for f in vars(grader).values() if callable(f) and hasattr(f, "task")]


def _call_driver(driver, module, args):
    from coursework import drivers
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return drivers.DRIVERS[driver](module, **args)


def _upcast(value):
    """The same arguments with every float32 array made float64 (the reference's exact run)."""
    if isinstance(value, np.ndarray) and value.dtype == np.float32:
        return value.astype(np.float64)
    if isinstance(value, dict):
        return {k: _upcast(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_upcast(v) for v in value)
    return value


def _has_float32(value):
    if isinstance(value, np.ndarray):
        return value.dtype == np.float32
    if isinstance(value, dict):
        return any(_has_float32(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_float32(v) for v in value)
    return False


def _part(value, path):
    """The element of a nested result at `path` as compare() writes it ("grads[0].x")."""
    for key in [k for k in path.replace("[", ".[").split(".") if k]:
        if value is None:
            return None
        value = value[int(key[1:-1])] if key.startswith("[") else value.get(key)
    return value


def compare(got, expected, what, where=None, path="", truth=None):
    """Raise Failure unless `got` matches `expected` (same structure, dtypes, values within
    the dtype's tolerance); `where` (an input array of the same shape) is quoted on a miss.
    `path` names the part of a driver's result being compared (e.g. "grads[0]"). `truth`, the
    reference's result on the inputs made float64, is what float32 values are held to: a
    student is never asked to repeat the reference's own float32 rounding."""
    label = f"{what}: {path}" if path else what
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            raise Failure(f"{label}: got keys {sorted(got) if isinstance(got, dict) else got!r}, "
                          f"expected {sorted(expected)}")
        for key in expected:
            compare(got[key], expected[key], what, where, f"{path}.{key}" if path else key, truth)
        return
    if isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            raise Failure(f"{label}: got {len(got) if isinstance(got, list) else got!r} items, "
                          f"expected {len(expected)}")
        for i, (g, e) in enumerate(zip(got, expected)):
            compare(g, e, what, where, f"{path}[{i}]", truth)
        return
    if expected is None or isinstance(expected, (str, bool)):
        if got != expected:
            raise Failure(f"{label}: got {got!r}, expected {expected!r}")
        return
    expected = np.asarray(expected)
    if got is None:
        raise Failure(f"{label}: got None, expected an array of shape {expected.shape}")
    got = np.asarray(got)
    if got.shape != expected.shape:
        raise Failure(f"{label}: shape {got.shape}, expected {expected.shape}")
    if expected.dtype.kind == "f" and got.dtype != expected.dtype:
        raise Failure(f"{label}: dtype {got.dtype}, expected {expected.dtype} (keep the input's "
                      f"dtype: Python numbers, not np.float64 constants)")
    if expected.dtype.kind in "fiu" and got.dtype.kind not in "fiub":
        raise Failure(f"{label}: got an array of {got.dtype}, expected numbers")
    rtol, atol = TOLERANCES.get(expected.dtype, (1e-6, 1e-9))
    slack = 0.0
    exact = _part(truth, path) if truth is not None and expected.dtype == np.float32 else None
    if exact is not None and np.shape(exact) == expected.shape:
        # Held to the float64 truth, with float32's tolerance plus twice the reference's own
        # float32 error there: as accurate as the reference is enough, more is welcome.
        slack = 2 * np.abs(expected.astype(np.float64) - exact)
        expected = np.asarray(exact, dtype=np.float64)
    expected64, got64 = expected.astype(np.float64), got.astype(np.float64)
    scale = max(1.0, float(np.max(np.abs(expected64[np.isfinite(expected64)]), initial=0.0)))
    allowed = rtol * np.abs(expected64) + atol * scale + slack
    with np.errstate(invalid="ignore"):                      # inf - inf is nan: not close
        error = np.abs(got64 - expected64)
    close = (error <= allowed) | (got64 == expected64) | (np.isnan(got64) & np.isnan(expected64))
    if not close.all():
        miss = np.where(close, -np.inf, np.nan_to_num(error - allowed, nan=np.inf))
        index = np.unravel_index(int(np.argmax(miss)), got.shape) if got.ndim else ()
        at = f" at index {tuple(map(int, index))}" if got.ndim else ""
        if where is not None and np.shape(where) == got.shape:
            at += f", where the input is {np.asarray(where)[index]:.6g}"
        raise Failure(f"{label}: {got[index]:.8g}{at}, expected {float(expected[index]):.8g}")


class Check:
    """What a task uses: the student's worker, the reference, a seeded rng, the deadline."""

    def __init__(self, box, reference, seed, meta, seconds):
        self.box, self.reference, self.meta = box, reference, meta
        self.rng = np.random.default_rng([seed, zlib.crc32(meta["title"].encode())])
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.parts = []

    def student(self, driver, **args):
        """The value of the driver on the student's file (run in the sandboxed worker)."""
        return self.box.run(driver, args, self.deadline, self.seconds, self.meta["forbidden"],
                            self.meta["targets"])

    def expected(self, driver, against=None, **args):
        """The value of the driver on the teacher's reference solution (run here), or on
        `against`: an object with the starter's names, such as minnet's own versions
        (drivers.BuiltIns), when those are what the student is held to."""
        return _call_driver(driver, self.reference if against is None else against, args)

    def same(self, driver, what, where=None, against=None, **args):
        """Student and reference (or `against`, as in expected()) agree on this driver call
        (its facts, such as a registered name, are the task's to judge); returns the
        student's value."""
        expected = self.expected(driver, against, **args)
        truth = self.expected(driver, against, **_upcast(args)) if _has_float32(args) else None
        got = self.student(driver, **args)
        if isinstance(expected, dict) and isinstance(got, dict):
            if got.get("changed"):
                raise Failure(f"{what}: input {got['changed'][0]} was changed in place (compute a "
                              f"new array, e.g. x = x * 2, not x *= 2)")
            if got.get("upstream_changed"):
                raise Failure(f"{what}: backward changed the incoming gradient in place")
            expected = {k: v for k, v in expected.items() if k not in FACTS}
            compare({k: v for k, v in got.items() if k not in FACTS}, expected, what, where, truth=truth)
        else:
            compare(got, expected, what, where, truth=truth)
        return got

    def wide(self, shape, dtype=np.float64, low=1e-3, high=1e4):
        """Inputs over the whole domain: a third in [-5, 5], a third in [-30, 30], a third of
        magnitude low..high on a log scale, with random signs."""
        size = int(np.prod(shape))
        parts = [self.rng.uniform(-5, 5, size), self.rng.uniform(-30, 30, size),
                 self.rng.choice([-1.0, 1.0], size) * np.exp(self.rng.uniform(np.log(low), np.log(high), size))]
        pick = self.rng.integers(0, 3, size)
        values = np.choose(pick, parts)
        return np.asarray(values.reshape(shape), dtype=dtype)

    @contextlib.contextmanager
    def part(self, title):
        """One check of a task with partial credit: a failure is recorded, not raised."""
        try:
            yield
            self.parts.append((title, None))
        except (Failure, AssertionError, TaskFailure) as error:
            self.parts.append((title, error))
            if isinstance(error, TaskFailure) and error.kind in ("timeout", "exit", "memory", "delegation"):
                raise                   # these cost the whole task


def forbidden_in_source(source, meta):
    """A task's forbidden built-ins named in the student's source (read, never run): imported
    by name, or written as an attribute such as mn.nn.Softsign inside the task's targets."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    found = []
    for dotted in meta["forbidden"]:
        module, name = dotted.rsplit(".", 1)
        tail = module.split(".")[-1] + "." + name
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] == module.split(".")[-1] \
                    and any(alias.name == name for alias in node.names):
                found.append(dotted)
        for node in tree.body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name in meta["targets"]:
                if any(ast.unparse(n).endswith(tail) for n in ast.walk(node) if isinstance(n, ast.Attribute)):
                    found.append(dotted)
    return sorted(set(found))


def load_module(path, name):
    """Import a trusted file (a grader, a reference solution) in this process."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
