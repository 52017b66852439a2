"""Module, Parameter and Sequential: the containers every layer is built from.

A Module finds its parameters by looking at its own attributes: a Parameter attribute is
a parameter, a Module attribute (or a list of Modules, or a ModuleList or ModuleDict from
containers.py) is a child whose parameters are its own, named with dots ("0.weight",
"encoder.bias"). No registration calls needed. A plain dict of Modules is refused with an
error rather than silently skipped (see named_children).
"""
import contextlib
import threading
from collections import OrderedDict

import numpy as np

from minnet.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is a learnable parameter of a Module (requires grad)."""

    def __init__(self, data, requires_grad=True, dtype=None):
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)

    def __repr__(self):
        return f"Parameter(shape={self.shape}, dtype={self.dtype})"


class _HookHandle:
    """Returned by register_forward_hook; `.remove()` takes the hook off again."""

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _refuse_hidden_parameters(module, name, container):
    """Raise when a plain container attribute holds Modules or Parameters minnet would not see."""
    values = list(container.values()) if isinstance(container, dict) else list(container)
    hidden = [type(v).__name__ for v in values if isinstance(v, (Module, Parameter))]
    if not hidden:
        return
    where = f"{type(module).__name__}.{name}"
    fixes = []
    if any(isinstance(v, Parameter) for v in values):
        fixes.append("give each Parameter an attribute of its own (self.w0 = Parameter(...))")
    if any(isinstance(v, Module) for v in values):
        fixes.append("hold Modules in mn.nn.ModuleDict({...})" if isinstance(container, dict)
                     else "hold Modules in mn.nn.ModuleList([...]) with nothing else in it")
    raise TypeError(f"{where} is a {type(container).__name__} holding {', '.join(hidden)}, whose "
                    f"parameters minnet does not register from a plain {type(container).__name__}; "
                    + " and ".join(fixes))


class _Evaluating(threading.local):
    depth = 0


_evaluating = _Evaluating()


@contextlib.contextmanager
def evaluating():
    """Run every module in evaluation mode in this thread only, changing no module's mode.

    `mn.predict` uses it, so a thread that predicts never switches off Dropout for a thread
    that trains the same model (model.eval() would: a mode is shared by all threads).
    """
    _evaluating.depth += 1
    try:
        yield
    finally:
        _evaluating.depth -= 1


class Module:
    """Base class of every layer and model: subclasses define `forward`.

    Shape: whatever `forward` takes and returns. Call the module, not `forward`, so that
    forward hooks run and the output shape is recorded for the summary `repr`.
    """

    _training = True

    @property
    def training(self):
        """True in training mode, unless this thread runs inside `evaluating()`."""
        return self._training and not _evaluating.depth

    @training.setter
    def training(self, mode):
        self._training = bool(mode)

    def forward(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *inputs, **options):
        # Keyword options (attn_mask=..., need_weights=...) go to forward; hooks see the inputs.
        output = self.forward(*inputs, **options)
        self.__dict__["_output_shape"] = getattr(output, "shape", None)
        for hook in self.__dict__.get("_forward_hooks", ()):
            hook(self, inputs, output)
        return output

    # --- the tree of modules and parameters ---------------------------------------------------
    def named_children(self):
        """(name, module) for the direct children: Module attributes and lists of Modules.

        A dict holding Modules, a list mixing Modules with other things, or a list or dict
        of Parameters raises TypeError: their parameters would otherwise be silently left
        out of parameters(), the optimiser and the state_dict.
        """
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple, dict)) and value:
                if isinstance(value, dict) or not all(isinstance(v, Module) for v in value):
                    _refuse_hidden_parameters(self, name, value)
                    continue
                for i, child in enumerate(value):
                    yield f"{name}.{i}", child

    def named_modules(self, prefix=""):
        """(dotted name, module) for this module ("") and every descendant, depth first."""
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        """This module and every descendant."""
        return [module for _, module in self.named_modules()]

    def named_parameters(self):
        """(dotted name, Parameter) for every parameter in the tree, each once."""
        seen = set()
        for prefix, module in self.named_modules():
            for name, value in vars(module).items():
                if isinstance(value, Parameter) and id(value) not in seen:
                    seen.add(id(value))
                    yield (f"{prefix}.{name}" if prefix else name), value

    def parameters(self):
        """Every Parameter in the tree (what an optimiser updates)."""
        return [p for _, p in self.named_parameters()]

    def register_buffer(self, name, array):
        """A numpy array that is state but not a parameter (e.g. BatchNorm's running mean)."""
        self.__dict__.setdefault("_buffer_names", [])
        if name not in self._buffer_names:
            self._buffer_names.append(name)
        setattr(self, name, array)

    def named_buffers(self):
        for prefix, module in self.named_modules():
            for name in module.__dict__.get("_buffer_names", ()):
                yield (f"{prefix}.{name}" if prefix else name), getattr(module, name)

    # --- modes and gradients ---------------------------------------------------------------
    def train(self, mode=True):
        """Training mode (Dropout drops, BatchNorm uses batch statistics); returns self."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        """Evaluation mode: the same as train(False)."""
        return self.train(False)

    def zero_grad(self):
        """Forget the gradients of every parameter."""
        for p in self.parameters():
            p.grad = None

    def run_in_sequence(self, x, layers, index):
        """Run this layer, layers[index] of a Sequential, on x; return the output and the index
        of the next layer to run. Dense overrides it to run the layers after it in its op."""
        return self(x), index + 1

    # --- penalties ---------------------------------------------------------------------------
    def penalty(self):
        """This module's own weight penalty as a Tensor, or None (layers with regularizers override)."""
        return None

    def regularization_loss(self):
        """The sum of every module's penalty: add it to the loss (mn.fit does)."""
        total = Tensor(0.0)
        for module in self.modules():
            penalty = module.penalty()
            if penalty is not None:
                total = total + penalty
        return total

    # --- hooks -----------------------------------------------------------------------------
    def register_forward_hook(self, hook):
        """Call hook(module, inputs, output) after every forward; returns a handle with remove()."""
        self.__dict__.setdefault("_forward_hooks", []).append(hook)
        return _HookHandle(self._forward_hooks, hook)

    # --- state -------------------------------------------------------------------------------
    def state_dict(self):
        """name -> numpy array (a copy) for every parameter and buffer."""
        state = OrderedDict((name, p.data.copy()) for name, p in self.named_parameters())
        state.update((name, np.array(b, copy=True)) for name, b in self.named_buffers())
        return state

    def load_state_dict(self, state, strict=True):
        """Copy arrays into the parameters and buffers by name.

        With strict=True, missing keys, unexpected keys and mismatched shapes are all errors
        that list the names involved. Arrays are cast to each parameter's dtype.
        """
        own = dict(self.named_parameters())
        buffers = dict(self.named_buffers())
        expected = list(own) + list(buffers)
        missing = [k for k in expected if k not in state]
        unexpected = [k for k in state if k not in own and k not in buffers]
        mismatched = [f"{k}: expected {np.shape(own.get(k, buffers.get(k)))}, got {np.shape(state[k])}"
                      for k in expected if k in state
                      and np.shape(state[k]) != np.shape(own[k].data if k in own else buffers[k])]
        not_numeric = [f"{k} (dtype {np.asarray(state[k]).dtype})" for k in expected
                       if k in state and np.asarray(state[k]).dtype.kind not in "fiub"]
        problems = []
        if not_numeric:
            problems.append(f"non-numeric arrays for {'; '.join(not_numeric)}")
        if strict and missing:
            problems.append(f"missing keys {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys {unexpected}")
        if mismatched:
            problems.append(f"shape mismatch for {'; '.join(mismatched)}")
        if problems:
            raise ValueError(f"load_state_dict into {type(self).__name__}: " + ", ".join(problems))
        for name, p in own.items():
            if name in state:
                p.data = np.array(state[name], dtype=p.dtype)
        for prefix, module in self.named_modules():
            for name in module.__dict__.get("_buffer_names", ()):
                key = f"{prefix}.{name}" if prefix else name
                if key in state:
                    setattr(module, name, np.array(state[key], dtype=np.asarray(getattr(module, name)).dtype))

    # --- printing ----------------------------------------------------------------------------
    def extra_repr(self):
        """The arguments shown in repr, e.g. "4 -> 2" (layers override)."""
        return ""

    def __repr__(self):
        try:
            children = list(self.named_children())
            if not children:
                return f"{type(self).__name__}({self.extra_repr()})"
            return self.summary()
        except TypeError as error:
            # A container that named_children refuses; repr must not raise (debuggers call it).
            return f"{type(self).__name__}(not printable: {error})"

    def summary(self):
        """A table of layers, output shapes (after a forward pass) and parameter counts."""
        rows = [("layer", "output shape", "params")]
        for name, module in self.named_modules():
            if module is self or list(module.named_children()):
                continue
            count = sum(p.size for p in vars(module).values() if isinstance(p, Parameter))
            shape = module.__dict__.get("_output_shape")
            rows.append((f"{name}: {type(module).__name__}({module.extra_repr()})",
                         "?" if shape is None else str(tuple(shape)), f"{count:,}"))
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = [f"{type(self).__name__}"]
        for row in rows:
            lines.append(f"  {row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}")
        total = sum(p.size for p in self.parameters())
        lines.append(f"  total parameters: {total:,}")
        return "\n".join(lines)


class Sequential(Module):
    """Layers applied one after another: Sequential(Dense(2, 8), ReLU(), Dense(8, 1)).

    Supports len(), iteration, and indexing (an int gives a layer, a slice a Sequential).
    """

    def __init__(self, *layers):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential expected Modules, got {type(layer).__name__} at position {i}")
        self.layers = list(layers)

    def named_children(self):
        for i, layer in enumerate(self.layers):
            yield str(i), layer

    def forward(self, x):
        # Each layer runs itself, or itself and some after it as one op (Dense.run_in_sequence).
        index = 0
        while index < len(self.layers):
            x, index = self.layers[index].run_in_sequence(x, self.layers, index)
        return x

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]
