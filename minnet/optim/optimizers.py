"""Optimisers: turn each parameter's gradient into an update, exactly as torch.optim does.

    SGD      p -= lr * g                      (g plus momentum / Nesterov look-ahead)
    Adam     p -= lr * m_hat / (sqrt(v_hat) + eps)    m, v running means of g and g^2
    AdamW    Adam with the weight decay applied to p directly (decoupled), not through g
    RMSprop  p -= lr * g / (sqrt(E[g^2]) + eps)
    Adagrad  p -= lr * g / (sqrt(sum g^2) + eps)

where g = grad + weight_decay * p (the L2 penalty's gradient, folded in; AdamW excepted).

Updates run on `p.data` with numpy, outside the autograd graph, in place and in the
parameters' own dtype (on a copy when a graph still holds the array: see Optimizer.step).
Adam, AdamW, RMSprop and Adagrad keep scratch arrays per parameter for their temporaries; SGD needs one temporary (lr * b) and simply makes it.

    >>> optimizer = mn.optim.Adam(model.parameters(), lr=1e-3)
    >>> loss = loss_fn(model(x), y)
    >>> optimizer.zero_grad(); loss.backward(); optimizer.step()

Parameters may also come in groups with their own settings, as in PyTorch:
`SGD([{"params": body.parameters()}, {"params": head.parameters(), "lr": 0.1}], lr=0.01)`.
"""
import collections
import copy
import math
import numbers

import numpy as np

from minnet import guard
from minnet.inplace import writable_data
from minnet.tensor import Tensor

# The hyper-parameters minnet's optimisers share, with the ranges PyTorch enforces: each is a
# finite real number (a string, a bool or inf is refused, not compared). A subclass's own
# settings are checked when they use one of these names.
_SETTING_RANGES = {
    "lr": ("lr >= 0", lambda v: v >= 0),
    "weight_decay": ("weight_decay >= 0", lambda v: v >= 0),
    "eps": ("eps >= 0", lambda v: v >= 0),
    "momentum": ("momentum >= 0", lambda v: v >= 0),
    "dampening": ("dampening >= 0", lambda v: v >= 0),
    "lr_decay": ("lr_decay >= 0", lambda v: v >= 0),
    "initial_accumulator_value": ("initial_accumulator_value >= 0", lambda v: v >= 0),
    "alpha": ("0 <= alpha <= 1", lambda v: 0 <= v <= 1),
}
_FLAGS = ("nesterov", "amsgrad", "centered")


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _check_setting(owner, name, value):
    """Raise TypeError or ValueError, naming the optimiser and the setting, for a bad value."""
    if name in _SETTING_RANGES:
        rule, allowed = _SETTING_RANGES[name]
        if not _is_real(value):
            raise TypeError(f"{owner} expected {name} to be a real number ({rule}), got "
                            f"{type(value).__name__} {value!r}")
        if not (math.isfinite(value) and allowed(value)):
            raise ValueError(f"{owner} expected {rule}, a finite number; got {value!r}")
    elif name == "betas":
        if not (isinstance(value, (tuple, list)) and len(value) == 2 and all(map(_is_real, value))):
            raise TypeError(f"{owner} expected betas to be two real numbers in [0, 1), got {value!r}")
        if not all(0 <= beta < 1 for beta in value):
            raise ValueError(f"{owner} expected betas in [0, 1), got {value!r}")
    elif name in _FLAGS and not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner} expected {name} to be True or False, got {value!r}")


class Optimizer:
    """Base class: parameter groups, per-parameter state, zero_grad, state_dict.

    A subclass gives its hyper-parameters' defaults, either as a class attribute
    (`defaults = dict(lr=1e-4, betas=(0.9, 0.99))`, then `MyOpt(params, lr=3e-4)` works with
    no __init__) or by calling `super().__init__(params, defaults)`, and defines the update
    hook `update(p, group, state)` (see update), or overrides step() as in PyTorch.

        class SignSGD(mn.optim.Optimizer):          # p -= lr sign(g)  (Bernstein et al. 2018)
            defaults = dict(lr=0.01)

            def update(self, p, group, state):
                p.data -= group["lr"] * np.sign(p.grad)

        optimizer = SignSGD(model.parameters(), lr=0.1)

    minnet.testing.check_optimizer checks one against a reference step written in numpy.
    """

    defaults = {}

    def __init__(self, params, defaults=None, **settings):
        merged = {**type(self).defaults, **(defaults or {})}
        unknown = set(settings) - set(merged)
        if unknown:
            raise TypeError(f"{type(self).__name__} got unknown settings {sorted(unknown)}; it "
                            f"takes {sorted(merged)} (set them in the class attribute `defaults`)")
        self.defaults = {**merged, **settings}
        self.param_groups = []
        # Parameter -> dict of arrays and counters, made on first use (as torch.optim's state).
        self.state = collections.defaultdict(dict)
        self._scratch = {}         # Parameter -> work arrays reused every step (not state)
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list; did you pass "
                             f"model.parameters() of a model without parameters?")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        """Add {"params": [...], <hyper-parameter>: value, ...}; missing settings take the defaults."""
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for i, p in enumerate(group["params"]):
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise TypeError(f"{type(self).__name__} can only optimise Tensors that require "
                                f"grad, got {type(p).__name__} at position {i}")
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise ValueError(f"{type(self).__name__} got unknown settings {sorted(unknown)}; "
                             f"it takes {sorted(self.defaults)}")
        for name, value in self.defaults.items():
            group.setdefault(name, value)
        self._validate(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("a parameter appears in more than one parameter group")
        self.param_groups.append(group)

    def _validate(self, group):
        """Check a group's settings (see _SETTING_RANGES); subclasses add their own rules."""
        for name, value in group.items():
            _check_setting(type(self).__name__, name, value)

    def parameters(self):
        return [p for group in self.param_groups for p in group["params"]]

    def zero_grad(self):
        """Forget the gradients (call before each backward: gradients accumulate)."""
        for p in self.parameters():
            p.grad = None

    def step(self, closure=None):
        """Update every parameter that has a gradient, in place.

        closure, as in PyTorch: a function that clears the gradients, recomputes the loss,
        calls backward() and returns the loss. step calls it first and returns its loss.

        All or nothing: every parameter is checked before any changes. A parameter that a
        graph still holds for backward (a kept validation loss, retain_graph=True, a failed
        notebook cell) is updated on a copy: the graph keeps the values its forward saw.
        """
        loss = closure() if closure is not None else None
        todo = []
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.shape != p.data.shape:
                    raise ValueError(f"{type(self).__name__}: gradient of shape {p.grad.shape} for "
                                     f"a parameter of shape {p.shape}")
                if p.grad.dtype.kind != "f":
                    raise TypeError(f"{type(self).__name__}: gradient of dtype {p.grad.dtype} for a "
                                    f"parameter of shape {p.shape}; expected a real floating "
                                    f"gradient. Nothing was updated")
                held = guard.held_how(p._data)
                if held == "base":
                    writable_data(p, f"{type(self).__name__}.step()")    # raises, saying why
                if held is None and not p._data.flags.writeable:
                    raise ValueError(
                        f"{type(self).__name__}.step() cannot update a parameter of shape {p.shape}: "
                        f"its array was made read-only outside minnet (setflags(write=False) or a "
                        f"read-only buffer); give it a writeable copy (p.data = p.data.copy()) or "
                        f"leave it out of the optimiser. Nothing was updated")
                todo.append((p, group))
        for p, group in todo:
            writable_data(p, f"{type(self).__name__}.step()")
            self.update(p, group, self.state[p])
        return loss

    def update(self, p, group, state):
        """The update hook: change p.data in place from p.grad, the group's settings and this
        parameter's `state` dict (empty at its first step; keep moments and counters there).

        Override this, or override step() itself as in PyTorch (read self.param_groups; fill
        self.state[p], a dict made on first use).
        """
        raise NotImplementedError(f"{type(self).__name__} must define update(self, p, group, state), "
                                  f"the in-place update of one parameter (or override step())")

    def _work(self, p, count=1):
        """`count` arrays of p's shape and dtype, made once and reused by every step."""
        arrays = self._scratch.get(p)
        if (arrays is None or len(arrays) < count or arrays[0].shape != p.data.shape
                or arrays[0].dtype != p.data.dtype):
            arrays = self._scratch[p] = [np.empty_like(p.data) for _ in range(count)]
        return arrays

    def _decayed_grad(self, p, weight_decay, out):
        """grad + weight_decay * p (the gradient of an L2 penalty weight_decay/2 |p|^2)."""
        if not weight_decay:
            return p.grad
        np.multiply(p.data, weight_decay, out=out)
        out += p.grad
        return out

    # --- saving and restoring ----------------------------------------------------------------
    def state_dict(self):
        """{"state": {index: {name: array or number}}, "param_groups": [{settings, "params": [index]}]}.

        Parameters are numbered in order across groups, as in PyTorch; arrays are copies.
        """
        index = {id(p): i for i, p in enumerate(self.parameters())}
        groups = [{**{k: v for k, v in g.items() if k != "params"},
                   "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        state = {index[id(p)]: copy.deepcopy(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore settings and state saved by state_dict() from an optimiser of the same shape."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
                len(g["params"]) != len(own["params"]) for g, own in zip(groups, self.param_groups)):
            raise ValueError(f"{type(self).__name__}.load_state_dict: the saved optimiser has groups of "
                             f"{[len(g['params']) for g in groups]} parameters, this one "
                             f"{[len(g['params']) for g in self.param_groups]}")
        params = self.parameters()
        for i, saved in state_dict["state"].items():
            p = params[int(i)]
            for name, value in saved.items():
                if isinstance(value, np.ndarray) and value.shape != p.shape:
                    raise ValueError(f"{type(self).__name__}.load_state_dict: state {name!r} of "
                                     f"parameter {i} has shape {value.shape}, the parameter {p.shape}")
        self.state = collections.defaultdict(dict, {
            params[int(i)]: {k: (v.astype(params[int(i)].dtype) if isinstance(v, np.ndarray) else v)
                             for k, v in s.items()}
            for i, s in state_dict["state"].items()})
        for own, saved in zip(self.param_groups, groups):
            own.update({k: v for k, v in saved.items() if k != "params"})

    def __repr__(self):
        lines = [f"{type(self).__name__}("]
        for i, group in enumerate(self.param_groups):
            settings = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {i}: {len(group['params'])} parameters, {settings}")
        return "\n".join(lines) + "\n)"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and Nesterov momentum.

    g = grad + weight_decay p
    b = g at the first step, then b = momentum b + (1 - dampening) g
    p -= lr * (g + momentum b  if nesterov  else  b)       (p -= lr g without momentum)
    """

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      nesterov=nesterov, weight_decay=weight_decay))

    def _validate(self, group):
        super()._validate(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD with nesterov=True needs momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']!r}, dampening={group['dampening']!r}")

    def update(self, p, group, state):
        g = p.grad
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data
        momentum = group["momentum"]
        if momentum:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                # np.array, not g.copy(): g + wd * p of 0-d arrays is a numpy scalar, and
                # `buffer *= momentum` on a scalar would rebind the name, not update the state.
                buffer = state["momentum_buffer"] = np.array(g)
            else:
                buffer *= momentum
                dampening = group["dampening"]
                # Without dampening (the default) add g itself: no (1 - 0) * g temporary.
                buffer += (1 - dampening) * g if dampening else g
            g = g + momentum * buffer if group["nesterov"] else buffer
        p.data -= group["lr"] * g


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): per-parameter steps from running moments of the gradient.

    g = grad + weight_decay p
    m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2      (t = step count)
    p -= lr / (1 - beta1^t) * m / (sqrt(v / (1 - beta2^t)) + eps)
    amsgrad=True uses the running maximum of v (Reddi et al. 2018).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        betas = tuple(betas) if isinstance(betas, list) else betas
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad))

    decoupled = False    # AdamW sets True

    def update(self, p, group, state):
        decay_grad, work = self._work(p, 2)
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        if self.decoupled:
            p.data *= 1 - lr * group["weight_decay"]
            g = p.grad
        else:
            g = self._decayed_grad(p, group["weight_decay"], decay_grad)
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        np.multiply(g, 1 - beta1, out=work)
        m += work
        v *= beta2
        np.multiply(g, g, out=work)
        work *= 1 - beta2
        v += work
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        step = state["step"]
        step_size = lr / (1 - beta1 ** step)
        np.sqrt(v, out=work)
        work /= math.sqrt(1 - beta2 ** step)
        work += eps
        np.divide(m, work, out=work)
        work *= step_size
        p.data -= work


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019).

    ``p *= 1 - lr weight_decay``, then the Adam step on the raw gradient: the decay is not
    divided by sqrt(v), so every weight shrinks at the same rate.
    """

    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)


class RMSprop(Optimizer):
    """RMSprop (Hinton 2012): divide by a running root-mean-square of the gradient.

    g = grad + weight_decay p;   s = alpha s + (1 - alpha) g^2
    d = sqrt(s) + eps   (centered: sqrt(s - a^2) + eps with a = alpha a + (1 - alpha) g)
    p -= lr g / d       (momentum: b = momentum b + g / d;  p -= lr b)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def update(self, p, group, state):
        decay_grad, work = self._work(p, 2)
        g = self._decayed_grad(p, group["weight_decay"], decay_grad)
        alpha, momentum = group["alpha"], group["momentum"]
        if not state:
            state.update(step=0, square_avg=np.zeros_like(p.data))
            if momentum:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.data)
        state["step"] += 1
        square_avg = state["square_avg"]
        square_avg *= alpha
        np.multiply(g, g, out=work)
        work *= 1 - alpha
        square_avg += work
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg *= alpha
            grad_avg += (1 - alpha) * g
            np.multiply(grad_avg, grad_avg, out=work)
            np.subtract(square_avg, work, out=work)
            np.sqrt(work, out=work)
        else:
            np.sqrt(square_avg, out=work)
        work += group["eps"]
        np.divide(g, work, out=work)
        if momentum:
            buffer = state["momentum_buffer"]
            buffer *= momentum
            buffer += work
            work = buffer
        p.data -= group["lr"] * work


class Adagrad(Optimizer):
    """Adagrad (Duchi et al. 2011): divide by the root of the summed squared gradients.

    g = grad + weight_decay p;   S += g^2;   lr_t = lr / (1 + (t - 1) lr_decay)
    p -= lr_t g / (sqrt(S) + eps)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                 eps=1e-10):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))

    def update(self, p, group, state):
        decay_grad, work = self._work(p, 2)
        g = self._decayed_grad(p, group["weight_decay"], decay_grad)
        if not state:
            state.update(step=0, sum=np.full_like(p.data, group["initial_accumulator_value"]))
        state["step"] += 1
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        np.multiply(g, g, out=work)
        state["sum"] += work
        np.sqrt(state["sum"], out=work)
        work += group["eps"]
        np.divide(g, work, out=work)
        work *= lr
        p.data -= work
