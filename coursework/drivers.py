"""What the worker runs on a student's module: each driver calls the student's code on arrays
the grader chose and returns what came out (arrays, numbers, strings), never a verdict.

The grader runs the same driver on its reference solution in its own process and compares
the two (coursework/grader.py), so a driver is the only code both sides share. `Watch` notes
any use of a built-in the task forbids: a subclass of it, or a call into its code.
"""
import copy
import importlib
import inspect
import sys
import threading
import time

import numpy as np

import minnet as mn

ACTIVATION_CLASSES = {"sigmoid": mn.nn.Sigmoid, "relu": mn.nn.ReLU, "tanh": mn.nn.Tanh}


def resolve(dotted):
    """The object named 'minnet.ops.Mul': import the longest module prefix, then getattr."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)
        return target
    raise ImportError(dotted)


def _code_keys(target):
    """(file, qualified name) of each function of a class (or of a function): the same for a
    copy of the code made by reloading its module, unlike the code object itself."""
    members = vars(target).values() if inspect.isclass(target) else [target]
    keys = set()
    for member in members:
        for function in (getattr(member, "__func__", member), getattr(member, "fget", None)):
            code = getattr(function, "__code__", None)
            if code is not None:
                keys.add((code.co_filename, code.co_qualname))
    return keys


class Watch:
    """While active, notes calls into the forbidden built-ins; verdict() says what was used,
    or that the student's code switched the watch off."""

    def __init__(self, module, forbidden, targets):
        self.forbidden = {name: resolve(name) for name in forbidden}
        self.keys = {key: name for name, target in self.forbidden.items() for key in _code_keys(target)}
        self.used, self.switched_off = [], False          # (built-in, how it was used)
        for target in targets:
            mine = getattr(module, target, None)
            for name, built_in in self.forbidden.items():
                if mine is built_in or (inspect.isclass(mine) and inspect.isclass(built_in)
                                        and issubclass(mine, built_in)):
                    self.used.append((name, f"{target} is or subclasses {name}"))

    def _profile(self, frame, event, arg):
        if event == "call" and len(self.used) < 3:
            code = frame.f_code
            name = self.keys.get((code.co_filename, code.co_qualname))
            if name:
                self.used.append((name, f"{code.co_qualname} of {name} was called"))

    def __enter__(self):
        if self.keys:
            sys.setprofile(self._profile)
            threading.setprofile(self._profile)
        return self

    def __exit__(self, *exc):
        self.switched_off = bool(self.keys) and sys.getprofile() != self._profile
        sys.setprofile(None)
        threading.setprofile(None)

    def verdict(self):
        if self.switched_off and not self.used:
            self.used += [(name, "the grader's watch on them was switched off (sys.setprofile)")
                          for name in self.forbidden]
        if not self.used:
            return None
        names = ", ".join(dict.fromkeys(name for name, _ in self.used))      # those used, in order
        return {"ok": False, "kind": "delegation",
                "message": f"uses {names}, which this task asks you to write yourself ({self.used[0][1]})"}


def plain(value):
    """A result the protocol can carry: Tensors become arrays, numpy scalars Python numbers."""
    if isinstance(value, mn.Tensor):
        return value.data
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return f"<a {type(value).__name__}>"


def _changed(originals, arrays):
    return [i for i, (a, b) in enumerate(zip(originals, arrays))
            if isinstance(a, np.ndarray) and not np.array_equal(a, b, equal_nan=True)]


def call(module, name, args=(), kwargs=None, rng_seed=None):
    """name(*args, **kwargs), with rng=np.random.default_rng(rng_seed) when a seed is given."""
    kwargs = dict(kwargs or {})
    if rng_seed is not None:
        kwargs["rng"] = np.random.default_rng(rng_seed)
    given = [a.copy() if isinstance(a, np.ndarray) else tuple(a) if isinstance(a, list) else a
             for a in args]
    value = getattr(module, name)(*given, **kwargs)
    return {"value": plain(value), "changed": _changed(args, given)}


def _backward(output, upstream):
    if not isinstance(output, mn.Tensor):
        raise TypeError(f"expected a Tensor as output, got {type(output).__name__}")
    if upstream is None:                  # forward only
        return False
    before = upstream.astype(output.dtype)
    given = before.copy()
    if output.requires_grad:
        output.backward(given)
    return not np.array_equal(before, given)


def function(module, name, inputs, upstream, kwargs=None):
    """A mn.Function subclass: name.apply(*inputs, **kwargs), then backward(upstream)."""
    tensors = [mn.Tensor(a.copy(), requires_grad=True) for a in inputs]
    output = getattr(module, name).apply(*tensors, **(kwargs or {}))
    upstream_changed = _backward(output, upstream)
    return {"output": output.data, "grads": [t.grad for t in tensors],
            "changed": _changed(inputs, [t.data for t in tensors]), "upstream_changed": upstream_changed}


def _set_parameters(layer, params):
    for pname, p in layer.named_parameters():
        if pname in (params or {}):
            p.data = params[pname].copy()


def activation(module, name, x, upstream, init=None, params=None):
    """An activation layer name(**init) (parameters set from `params`) on x, then backward."""
    layer = getattr(module, name)(**(init or {}))
    _set_parameters(layer, params)
    tensor = mn.Tensor(x.copy(), requires_grad=True)
    output = layer(tensor)
    _backward(output, upstream)
    cls = type(layer)
    return {"output": output.data, "grad": tensor.grad, "changed": _changed([x], [tensor.data]),
            "parameter_grads": {n: p.grad for n, p in layer.named_parameters()},
            "derivative_from_output": bool(getattr(layer, "derivative_from_output", False)),
            "registered_as": [key for key, value in mn.nn.ACTIVATIONS.items() if value is cls]}


def layer(module, name, args, x, upstream, params=None, rng_seed=0):
    """A Module name(*args, rng=...): its parameters' names, shapes and dtypes as made, then
    forward x (parameters set from `params`) and backward."""
    made = getattr(module, name)(*args, rng=np.random.default_rng(rng_seed))
    described = {n: [list(p.shape), str(p.dtype)] for n, p in made.named_parameters()}
    _set_parameters(made, params)
    tensor = mn.Tensor(x.copy(), requires_grad=True)
    output = made(tensor)
    _backward(output, upstream)
    return {"parameters": described, "output": output.data, "grad": tensor.grad,
            "parameter_grads": {n: p.grad for n, p in made.named_parameters()}}


def layer_error(module, name, args, x):
    """The message of the ValueError that name(*args) raises on x (None if it raises none)."""
    made = getattr(module, name)(*args, rng=np.random.default_rng(0))
    try:
        made(mn.Tensor(x))
    except ValueError as error:
        return str(error)
    return None


def depth_experiment(module, activation, init, seed):
    """Assignment 3's gradient_norms(activation class, init, seed=seed)."""
    return plain(module.gradient_norms(ACTIVATION_CLASSES[activation], init, seed=seed))


def conv2d(module, x, weight, bias, upstream, stride, padding):
    """conv2d on Tensors, then backward: output and the gradients of x, weight and bias."""
    tensors = [mn.Tensor(a.copy(), requires_grad=True) for a in (x, weight, bias)]
    output = module.conv2d(*tensors, stride=stride, padding=padding)
    _backward(output, upstream)
    return {"output": output.data, "grads": [t.grad for t in tensors]}


def optimizer(module, name, params, grads, kwargs, groups=None, resume_at=None):
    """Steps of the optimiser name(params, **kwargs): grads[k][i] is parameter i's gradient at
    step k (None: no gradient). Returns the parameters after each step, each parameter's
    state arrays at the end, and the end of a copy resumed from state_dict() at `resume_at`."""
    cls = getattr(module, name)

    def build():
        ps = [mn.nn.Parameter(p.copy()) for p in params]
        spec = [{**g, "params": [ps[i] for i in g["params"]]} for g in groups] if groups else ps
        return ps, cls(spec, **kwargs)

    ps, opt = build()
    trajectory, grads_changed, twin = [], False, None
    for k, step in enumerate(grads):
        if k == resume_at:
            twin_ps, twin = build()
            for own, p in zip(twin_ps, ps):
                own.data = p.data.copy()
            twin.load_state_dict(copy.deepcopy(opt.state_dict()))
        for runner, runner_ps in ((opt, ps), (twin, twin_ps if twin else None)):
            if runner is None:
                continue
            for p, g in zip(runner_ps, step):
                p.grad = None if g is None else g.copy()
            runner.step()
            grads_changed |= any(g is not None and not np.array_equal(p.grad, g)
                                 for p, g in zip(runner_ps, step))
        trajectory.append([p.data.copy() for p in ps])
    state = [[v for _, v in sorted(opt.state[p].items()) if isinstance(v, np.ndarray)] for p in ps]
    return {"trajectory": trajectory, "state": state, "grads_changed": grads_changed,
            "resumed": [p.data for p in twin_ps] if twin else None}


def scheduler(module, name, lrs, kwargs, steps):
    """Each group's lr at creation and after each of `steps` scheduler steps (SGD groups)."""
    groups = [{"params": [mn.nn.Parameter(np.ones(2))], "lr": lr} for lr in lrs]
    opt = mn.optim.SGD(groups, lr=lrs[0])
    schedule = getattr(module, name)(opt, **kwargs)
    seen = []
    for _ in range(steps):
        seen.append([float(g["lr"]) for g in opt.param_groups])
        schedule.step()
    return seen


def build_model(module, seed):
    """Assignment 6's build_model(seed) twice: what it is and whether it is reproducible."""
    model = module.build_model(seed=seed)
    if not isinstance(model, mn.nn.Module):
        return {"type": type(model).__name__}
    again = module.build_model(seed=seed)
    out = model(mn.Tensor(np.zeros((5, 64), dtype=np.float32)))
    first, second = model.state_dict(), again.state_dict()
    return {"type": "Module", "output_shape": list(out.shape),
            "matrices": sum(p.ndim == 2 for p in model.parameters()),
            "reproducible": first.keys() == second.keys() and all(
                np.array_equal(first[k], second[k]) for k in first)}


def train(module, X_train, y_train, X_val, y_val, X_test, seed):
    """Assignment 6's train(build_model(seed), ...): history keys, seconds, test predictions.
    Where build_model fails, train gets a plain MLP, so that train is judged on its own."""
    try:
        model = module.build_model(seed=seed)
    except Exception:
        mn.manual_seed(seed)
        model = mn.nn.Sequential(mn.nn.Dense(64, 64), mn.nn.ReLU(), mn.nn.Dense(64, 10))
    start = time.perf_counter()
    history = module.train(model, X_train, y_train, X_val, y_val, seed=seed)
    seconds = time.perf_counter() - start
    model.eval()
    keys = sorted(map(str, history)) if hasattr(history, "__iter__") else []
    return {"keys": keys, "seconds": seconds,
            "predictions": np.argmax(mn.predict(model, X_test), axis=1).astype(np.int64)}


def gradient_norms(module, weights, X, y, hidden):
    """Assignment 6's gradient_norms, twice, on a model the grader chose (its weights given)."""
    model = mn.nn.Sequential(mn.nn.Dense(64, hidden), mn.nn.Tanh(), mn.nn.Dense(hidden, 10))
    model.load_state_dict({k: v.copy() for k, v in weights.items()})
    module.gradient_norms(model, X, y)            # a first pass must not add into the second
    return plain(module.gradient_norms(model, X, y))


def tensor_function(module, name, inputs, outputs, upstream=None):
    """name(*Tensors made from the arrays of `inputs`, a dict name -> array, in its order),
    returning one Tensor or a tuple of them, named by `outputs`. With `upstream` (one array per
    output) the gradient of sum(output * upstream) reaches every input. Returns the outputs
    and, with upstream, each input's gradient, by name (assignment 7: the student writes
    forward only; autograd does the backward)."""
    arrays = list(inputs.values())
    tensors = [mn.Tensor(a.copy(), requires_grad=True) for a in arrays]
    result = getattr(module, name)(*tensors)
    results = list(result) if isinstance(result, (tuple, list)) else [result]
    if len(results) != len(outputs):
        raise TypeError(f"{name} returned {len(results)} values, expected {len(outputs)}: "
                        f"({', '.join(outputs)})")
    for label, output in zip(outputs, results):
        if not isinstance(output, mn.Tensor):
            raise TypeError(f"{name} returned a {type(output).__name__} as {label}, expected a Tensor")
    found = {"outputs": dict(zip(outputs, (o.data for o in results))),
             "changed": _changed(arrays, [t.data for t in tensors])}
    if upstream is not None:
        # One scalar whose gradient with respect to each output is that output's upstream array.
        pulls = [(o * mn.Tensor(u.astype(o.dtype))).sum() for o, u in zip(results, upstream)
                 if o.requires_grad]
        if pulls:
            sum(pulls[1:], pulls[0]).backward()
        found["grads"] = dict(zip(inputs, (t.grad for t in tensors)))
    return found


class BuiltIns:
    """minnet's own LSTM, softmax and attention in assignment 7's signatures: what the grader
    holds a student's versions to (never called in a student's worker)."""

    @staticmethod
    def lstm_cell(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
        cell = mn.nn.LSTMCell(x.shape[-1], h.shape[-1])
        # The given Tensors in place of the cell's own parameters: their gradients are asked for.
        cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh = weight_ih, weight_hh, bias_ih, bias_hh
        return cell(x, (h, c))

    @staticmethod
    def lstm(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
        layer = mn.nn.LSTM(x.shape[-1], h.shape[-1])
        layer.weight_ih_l0, layer.weight_hh_l0 = weight_ih, weight_hh
        layer.bias_ih_l0, layer.bias_hh_l0 = bias_ih, bias_hh
        hidden = (1,) + tuple(h.shape)
        output, (h_n, c_n) = layer(x, (h.reshape(hidden), c.reshape(hidden)))
        return output, h_n.reshape(h.shape), c_n.reshape(c.shape)

    @staticmethod
    def softmax(scores):
        return mn.nn.Softmax(axis=-1)(scores)

    @staticmethod
    def causal_attention(q, k, v):
        return mn.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)


DRIVERS = {f.__name__: f for f in (call, function, activation, layer, layer_error, depth_experiment,
                                   conv2d, optimizer, scheduler, build_model, train, gradient_norms,
                                   tensor_function)}
