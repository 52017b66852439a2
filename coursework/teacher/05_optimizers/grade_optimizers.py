"""Grader of assignment 5 (teacher's bundle: hidden tests, compared with the reference).

Optimisers take many steps from gradients drawn at grading time whose scale swings from 1e-4
to 1e4 between steps, on parameters of several shapes in float64 and float32; after every
step the parameters, and at the end the optimiser's state (its moment or velocity), must
match the reference's, and a copy resumed from state_dict() must end where the original does.
"""
import numpy as np

from coursework.grader import compare, task

STARTER = "optimizers.py"
SHAPES = [(), (3,), (2, 4)]


def _run(check, name, kwargs, dtype, groups=None, steps=12):
    params = [check.wide(s, dtype, high=10) for s in SHAPES]
    grads = [[None if (k == 3 and i == 1) else
              np.asarray(check.wide(s, dtype, high=1) * 10.0 ** check.rng.uniform(-4, 4), dtype)
              for i, s in enumerate(SHAPES)] for k in range(steps)]
    args = dict(name=name, params=params, grads=grads, kwargs=kwargs, groups=groups, resume_at=steps // 2)
    what = f"{name}({kwargs}{', two groups' if groups else ''}) in {np.dtype(dtype).name}"
    expected = check.expected("optimizer", **args)
    got = check.student("optimizer", **args)
    compare(got["trajectory"], expected["trajectory"], f"{what}: the parameters after each step")
    assert not got["grads_changed"], f"{what}: step() changed p.grad (read it, never write it)"
    for i, (mine, theirs) in enumerate(zip(got["state"], expected["state"])):
        for array in theirs:
            assert any(np.shape(m) == array.shape and np.allclose(m, array, rtol=1e-4, atol=1e-8)
                       for m in mine), (
                f"{what}: the state of parameter {i} (shape {SHAPES[i]}) holds no array equal to the "
                f"moment expected after {steps} steps ({np.asarray(array).ravel()[:3]}...)")
    compare(got["resumed"], expected["resumed"], f"{what}: a copy resumed from state_dict() at step "
            f"{steps // 2}, at the end")


@task(points=3, forbidden=["minnet.optim.SGD"])
def momentum(check):
    """Momentum: the update hook, defaults from the class"""
    lr, momentum = (float(v) for v in np.round(check.rng.uniform([0.01, 0.5], [0.1, 0.95]), 3))
    for dtype in (np.float64, np.float32):
        _run(check, "Momentum", dict(lr=lr, momentum=momentum), dtype)
        _run(check, "Momentum", dict(lr=lr), dtype)                 # momentum from the defaults


@task(points=3)
def lion(check):
    """Lion: step() written PyTorch's way"""
    beta1, beta2 = sorted(float(b) for b in np.round(check.rng.uniform(0.5, 0.999, 2), 3))
    for dtype in (np.float64, np.float32):
        _run(check, "Lion", dict(lr=0.01), dtype)
        _run(check, "Lion", dict(lr=0.01, betas=(beta1, beta2), weight_decay=0.1), dtype)
        _run(check, "Lion", dict(lr=0.01, betas=(beta1, beta2)), dtype,
             groups=[{"params": [0, 1]}, {"params": [2], "lr": 0.003}])


@task(points=2, forbidden=["minnet.optim.CosineAnnealingLR", "minnet.optim.OneCycleLR",
                           "minnet.optim.schedulers._anneal_cos"])
def warmup_cosine(check):
    """warmup_cosine: linear warm-up, then cosine decay to min_lr"""
    for _ in range(4):
        total = int(check.rng.integers(10, 200))
        warmup = int(check.rng.integers(1, total // 2))
        base, low = float(check.rng.uniform(0.01, 1)), float(check.rng.uniform(0, 0.005))
        for step in range(0, total + 10, max(1, total // 40)):
            args = [step, total, warmup, base, low]
            check.same("call", name="warmup_cosine", args=args, what=f"warmup_cosine{tuple(args)}")


@task(points=2, forbidden=["minnet.optim.CosineAnnealingLR", "minnet.optim.OneCycleLR",
                           "minnet.optim.schedulers._anneal_cos"])
def scheduler(check):
    """WarmupCosine: sets each group's lr at creation and each step"""
    total = int(check.rng.integers(8, 30))
    kwargs = dict(total_steps=total, warmup_steps=int(check.rng.integers(1, total // 2)),
                  min_lr=float(check.rng.uniform(0, 1e-3)))
    lrs = [float(v) for v in np.round(check.rng.uniform(0.01, 0.5, 2), 4)]
    check.same("scheduler", name="WarmupCosine", lrs=lrs, kwargs=kwargs, steps=total + 3,
               what=f"each group's lr by step, WarmupCosine(groups with lr {lrs}, {kwargs})")
