"""check_function and check_activation: one call checks a student's op or activation.

    >>> from minnet.testing import check_activation
    >>> check_activation(MySigmoid())          # raises AssertionError with a table if a check fails
"""
import inspect

import numpy as np

from minnet.function import Function
from minnet.nn.activations.base import Activation
from minnet.nn.module import Module, evaluating
from minnet.testing import core
from minnet.testing.report import CheckFailure, Report, compare, require_finite

# One row per check: scalars (0-d), vectors, matrices and 3-D arrays for one input; for
# several inputs, equal shapes and every kind of broadcasting, 0-d against a matrix included.
UNARY_SHAPES = [((),), ((5,),), ((3, 4),), ((2, 3, 4),)]
BROADCAST_PATTERNS = [[(3, 4), (3, 4), (3, 4)], [(3, 4), (4,), (3, 1)], [(3, 1), (1, 4), (4,)],
                      [(), (2, 3), ()], [(2, 3, 4), (3, 1), (4,)], [(), (), ()]]
SAME_SHAPE_PATTERNS = [[()] * 3, [(5,)] * 3, [(3, 4)] * 3]


def _name(subject):
    if inspect.isclass(subject):
        return subject.__qualname__
    if isinstance(subject, Module):
        return repr(subject).splitlines()[0]
    return getattr(subject, "__qualname__", repr(subject))


def _count_inputs(fn):
    """The number of array inputs of forward(ctx, a, b, ...) or of a plain callable."""
    target = fn.forward if inspect.isclass(fn) and issubclass(fn, Function) else fn
    try:
        parameters = list(inspect.signature(target).parameters.values())
    except (TypeError, ValueError):
        return 1
    if inspect.isclass(fn):
        parameters = parameters[1:]                       # ctx
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                  and p.default is p.empty]
    return max(1, len(positional))


def _patterns(shapes):
    """Each entry as a tuple of shapes, one per input: (3, 4) -> ((3, 4),), () -> ((),)."""
    return [((),) if tuple(s) == () else tuple(s) if isinstance(s[0], (tuple, list))
            else (tuple(s),) for s in shapes]


def _random_pattern(n_inputs, broadcasting, rng):
    """One more pattern drawn at random: a shape of 1 to 3 axes of 1 to 4, and for each input
    (with broadcasting) some leading axes dropped and some axes set to 1."""
    full = tuple(int(n) for n in rng.integers(1, 5, size=rng.integers(1, 4)))
    if not broadcasting:
        return (full,) * n_inputs
    pattern = []
    for _ in range(n_inputs):
        shape = full[rng.integers(0, len(full) + 1):]
        pattern.append(tuple(1 if rng.random() < 0.3 else n for n in shape))
    pattern[rng.integers(n_inputs)] = full          # one input keeps the full shape
    return tuple(pattern)


def _default_shapes(n_inputs, broadcasting, seed=0):
    rng = np.random.default_rng(seed)
    if n_inputs == 1:
        return UNARY_SHAPES + [_random_pattern(1, False, rng)]
    patterns = BROADCAST_PATTERNS if broadcasting else SAME_SHAPE_PATTERNS
    return [tuple(pattern[i % len(pattern)] for i in range(n_inputs)) for pattern in patterns] + [
        _random_pattern(n_inputs, broadcasting, rng)]


def _points(kinks, extremes, domain):
    """Kinks and extremes, only positive ones when the domain is (0, ...)."""
    points = np.unique(np.array(list(kinks) + list(extremes), dtype=np.float64))
    return points[points > 0] if domain[0] >= 0 else points


def check_function(fn, n_inputs=None, *, shapes=None, domain=(-2.0, 2.0), kinks=(0.0,),
                   extremes=core.EXTREMES, broadcasting=True, kwargs=None, atol=1e-5, rtol=1e-3,
                   seed=0, raise_on_failure=True):
    """Check a differentiable op: a `mn.Function` subclass, or any callable of Tensors.

    Checks gradients against finite differences in float64 for every shape in `shapes`
    (default: 0-d to 3-D for one input; for several, equal shapes and broadcasting of every
    kind; and one more drawn at random from `seed`), float32 in -> float32 out with
    gradients of each input's shape and dtype, float32 agreeing with float64, the inputs
    left unmodified, and finite results without warnings at `kinks` and `extremes`. Random
    inputs are uniform in `domain`; `kwargs` go to the op as keyword options.

    Returns a Report (a table, printable); raises AssertionError carrying the table when a
    check fails, unless raise_on_failure=False.

    Example:
        >>> check_function(Cube)                  # class Cube(mn.Function) with forward/backward
        Cube
          result  check                          details
          ok      gradcheck float64, shapes ()
          ...
    """
    call = fn.apply if inspect.isclass(fn) and issubclass(fn, Function) else fn
    if kwargs:
        call = (lambda inner: lambda *tensors: inner(*tensors, **kwargs))(call)
    n_inputs = n_inputs or _count_inputs(fn)
    shapes = _patterns(shapes) \
        if shapes is not None else _default_shapes(n_inputs, broadcasting, seed)
    rng = np.random.default_rng(seed)
    report = Report(_name(fn))
    examples = [[rng.uniform(*domain, size=shape) for shape in pattern] for pattern in shapes]
    for arrays in examples:
        report.run(f"gradcheck float64, shapes {core.shape_text(a.shape for a in arrays)}",
                   core.check_gradcheck, call, arrays, atol=atol, rtol=rtol)
    typical = examples[min(1, len(examples) - 1)]
    report.run("float32 in, float32 out and gradients", core.check_dtypes, call, typical)
    report.run("float32 agrees with float64", core.check_agreement, call, typical)
    report.run("inputs and incoming gradient unmodified", core.check_unmodified, call, typical)
    points = _points(kinks, extremes, domain)
    # An op that needs its inputs' shapes (a convolution) gets every point in that shape.
    extreme_inputs = [np.resize(points, a.shape) if a.size >= points.size else points for a in typical]
    report.run(f"finite, no warnings at kinks/extremes ({len(points)} points)",
               core.check_extremes, call, extreme_inputs)
    return report.raise_if_failed() if raise_on_failure else report


# --- activations --------------------------------------------------------------------------------

def _defines(activation, method):
    return getattr(type(activation), method) is not getattr(Activation, method)


def _activation_shapes(activation):
    sizes = [p.size for p in activation.parameters() if p.size > 1]
    if sizes:                                # per-channel parameters: channels on axis 1
        return [((4, sizes[0]),), ((2, sizes[0], 3),)]
    if not getattr(activation, "elementwise", True):
        return [((3, 12),), ((2, 2, 12),)]
    return UNARY_SHAPES


def _check_derivative(activation, grid):
    """df against central differences of f in float64, away from kinks (found where the
    left and right difference quotients disagree)."""
    channels = max([p.size for p in activation.parameters()] + [1])
    # Per-channel parameters: every grid point in every channel (channels on axis 1).
    x = np.repeat(grid.astype(np.float64)[:, None], channels, axis=1) if channels > 1 else grid
    step = 1e-6 * np.maximum(1.0, np.abs(x))
    with core.cast_parameters(activation, np.float64):
        f = activation.f
        y = f(x)
        stated = activation.df(None if activation.derivative_from_output else x, y)
        right, left = (f(x + step) - y) / step, (y - f(x - step)) / step
    stated = np.broadcast_to(np.asarray(stated, dtype=np.float64), x.shape)
    central = (right + left) / 2
    smooth = np.abs(right - left) <= 1e-3 + 1e-3 * np.abs(central)
    if not smooth.any():
        raise CheckFailure("f has no smooth point on the grid")
    kinks = np.unique(x[~smooth])
    compare("df(x, y) against (f(x + h) - f(x - h)) / 2h", stated[smooth], central[smooth],
            atol=1e-5, rtol=1e-4, where=x[smooth])
    if kinks.size:
        return f"kinks skipped at x = {', '.join(f'{k:g}' for k in kinks[:4])}" + \
            (" ..." if kinks.size > 4 else "")


def _check_range(activation, grid):
    low, high = activation.output_range
    channels = max([p.size for p in activation.parameters()] + [1])
    x = np.repeat(grid[:, None], channels, axis=1) if channels > 1 else grid
    with core.cast_parameters(activation, np.float64):
        y = np.asarray(activation.f(x))
    require_finite("f(x)", y, x)
    tolerance = 1e-12 * np.maximum(1.0, np.abs(y))
    outside = (y < low - tolerance) | (y > high + tolerance)
    if outside.any():
        i = np.unravel_index(np.argmax(outside), y.shape)
        raise CheckFailure(f"f({x[i]:.6g}) = {y[i]:.8g} is outside the declared output_range "
                           f"({low}, {high})")


def check_activation(activation, *, shapes=None, grid=(-10.0, 10.0), kinks=(0.0,),
                     extremes=core.EXTREMES, seed=0, raise_on_failure=True):
    """Check an activation layer (an instance, or a class built with no arguments).

    Everything check_function checks, for its input and its parameters (gradients of each
    parameter's shape and dtype), and for an elementwise Activation also: the stated
    derivative df against central differences of f on a fine grid over `grid` (kinks, where
    the one-sided differences disagree, are skipped and listed), and f inside the declared
    `output_range`. Stochastic activations draw the same numbers in every evaluation.

    Example:
        >>> check_activation(mn.nn.Softsign()).passed
        True
    """
    if inspect.isclass(activation):
        activation = activation()
    state = activation.state_dict()
    try:
        report = _check_activation(activation, shapes, grid, kinks, extremes, seed)
    finally:
        activation.load_state_dict(state)         # the kit leaves the layer as it found it
    return report.raise_if_failed() if raise_on_failure else report


def _check_activation(activation, shapes, grid, kinks, extremes, seed):
    report = Report(_name(activation))
    shapes = _patterns(shapes) \
        if shapes is not None else _activation_shapes(activation)
    rng = np.random.default_rng(seed)
    examples = [[rng.uniform(-3, 3, size=shape) for shape in pattern] for pattern in shapes]
    for arrays in examples:
        report.run(f"gradcheck float64, shape {core.shape_text(a.shape for a in arrays)}",
                   core.check_gradcheck, activation, arrays, module=activation)
    typical = examples[min(1, len(examples) - 1)]
    report.run("float32 in, float32 out and gradients", core.check_dtypes, activation, typical,
               module=activation)
    report.run("float32 agrees with float64", core.check_agreement, activation, typical, module=activation)
    report.run("inputs and incoming gradient unmodified", core.check_unmodified, activation, typical,
               module=activation)
    points = _points(kinks, extremes, (-1.0, 1.0))
    feature_shape = typical[0].shape[1:] if len(typical[0].shape) > 1 else ()
    extreme_input = np.resize(points, (points.size, *feature_shape))
    report.run(f"finite, no warnings at kinks/extremes ({points.size} points)", core.check_extremes,
               activation, [extreme_input], module=activation)
    elementwise = isinstance(activation, Activation) and getattr(activation, "elementwise", True) \
        and _defines(activation, "f") and _defines(activation, "df")
    fine_grid = np.concatenate([np.linspace(*grid, 4001), points])
    if elementwise:
        with evaluating():        # a stochastic f (RReLU) is fixed in eval mode
            report.run("df matches the derivative of f", _check_derivative, activation,
                       np.linspace(*grid, 4001))
            report.run("f stays inside output_range", _check_range, activation, fine_grid)
    else:
        report.skip("df matches the derivative of f", "not an elementwise f/df Activation")
    return report
