"""Grader of assignment 3 (teacher's bundle: hidden tests, compared with the reference)."""
import numpy as np

from coursework.grader import task

STARTER = "layers.py"


def _draw(check, name, fan_in, fan_out):
    seed = int(check.rng.integers(2 ** 31))
    w = np.asarray(check.student("call", name=name, args=[fan_in, fan_out], rng_seed=seed)["value"])
    assert w.shape == (fan_in, fan_out), f"{name}({fan_in}, {fan_out}) has shape {w.shape}"
    again = np.asarray(check.student("call", name=name, args=[fan_in, fan_out], rng_seed=seed)["value"])
    assert np.array_equal(w, again), f"{name} with the same rng gave different arrays: draw from rng"
    return w


@task(points=2, forbidden=["minnet.init.xavier_uniform", "minnet.init.he_normal"],
      targets=["xavier_uniform", "he_normal"])
def initialisers(check):
    """xavier_uniform and he_normal: shapes, bounds and variances"""
    fan_in, fan_out = (int(n) for n in check.rng.integers(150, 400, 2))
    w = _draw(check, "xavier_uniform", fan_in, fan_out)
    limit = np.sqrt(6 / (fan_in + fan_out))
    assert np.abs(w).max() <= limit, (
        f"xavier_uniform({fan_in}, {fan_out}) reached {np.abs(w).max():.4f} > limit {limit:.4f}")
    assert np.isclose(w.var(), 2 / (fan_in + fan_out), rtol=0.05), (
        f"Var(xavier_uniform({fan_in}, {fan_out})) = {w.var():.5f}, expected {2 / (fan_in + fan_out):.5f}")
    w = _draw(check, "he_normal", fan_in, fan_out)
    assert np.isclose(w.var(), 2 / fan_in, rtol=0.05), (
        f"Var(he_normal({fan_in}, {fan_out})) = {w.var():.5f}, expected {2 / fan_in:.5f}")
    assert abs(w.mean()) < 0.01, f"mean of he_normal({fan_in}, {fan_out}) is {w.mean():.4f}, expected about 0"


@task(points=3, forbidden=["minnet.nn.Dense"])
def linear(check):
    """Linear: parameters, forward, gradients and a clear error"""
    n_in, n_out = (int(n) for n in check.rng.integers(2, 7, 2))
    for dtype in (np.float32, np.float64):
        params = dict(weight=check.wide((n_in, n_out), dtype, high=100), bias=check.wide((n_out,), dtype, high=100))
        x = check.wide((5, n_in), dtype)
        got = check.same("layer", name="Linear", args=[n_in, n_out], x=x, params=params,
                         upstream=check.wide((5, n_out), dtype, high=10), what=f"Linear({n_in} -> {n_out}) in "
                         f"{np.dtype(dtype).name}")
    message = check.student("layer_error", name="Linear", args=[n_in, n_out], x=np.ones((4, n_in + 2)))
    assert message is not None, f"Linear({n_in} -> {n_out}) on an input of shape (4, {n_in + 2}) raised no ValueError"
    assert str(n_in) in message and f"(4, {n_in + 2})" in message, (
        f"the error for an input of shape (4, {n_in + 2}) should name the expected width {n_in} and "
        f"the shape; it says: {message}")
    assert got["parameters"]["weight"][1] == "float32", "weight should be float32 as made"


@task(points=3)
def gradient_flow(check):
    """gradient_norms: sigmoid+Xavier vanishes, ReLU+He keeps it"""
    seed = int(check.rng.integers(1000))
    sigmoid = check.student("depth_experiment", activation="sigmoid", init="xavier_uniform", seed=seed)
    assert len(sigmoid) == 20, f"gradient_norms returned {len(sigmoid)} values for depth 20"
    assert all(n >= 0 for n in sigmoid), "a norm is never negative"
    assert sigmoid[0] / sigmoid[-1] < 1e-6, (
        f"sigmoid + Xavier: first/last = {sigmoid[0] / sigmoid[-1]:.3g}; the gradient should vanish (< 1e-6)")
    relu = check.student("depth_experiment", activation="relu", init="he_normal", seed=seed)
    assert 0.1 < relu[0] / relu[-1] < 10, (
        f"ReLU + He: first/last = {relu[0] / relu[-1]:.3g}, expected between 0.1 and 10")
    again = check.student("depth_experiment", activation="relu", init="he_normal", seed=seed)
    assert again == relu, "gradient_norms with the same seed gave different results: use np.random.default_rng(seed)"
    other = check.student("depth_experiment", activation="relu", init="he_normal", seed=seed + 1)
    assert other != relu, "gradient_norms gave the same norms for two seeds: draw from np.random.default_rng(seed)"
