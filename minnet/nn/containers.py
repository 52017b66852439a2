"""Containers that hold other modules: ModuleList, ModuleDict and Residual.

A Module finds its children among its attributes (module.py). A plain list of Modules is
found too, but a plain dict is not searched, and asking such a module for its parameters
raises an error that points here. ModuleList and ModuleDict are the containers PyTorch
students know: their modules' parameters are registered under "name.index" and "name.key",
so state_dict keys read "layers.0.weight" and "heads.digit.bias" exactly as in PyTorch.
"""
from minnet.nn.module import Module


def _check_module(container, module, where):
    if not isinstance(module, Module):
        raise TypeError(f"{container} holds Modules only, got {type(module).__name__} {where}")
    return module


class ModuleList(Module):
    """A list of Modules whose parameters belong to the module that holds the list.

    It is a container, not a layer: it has no forward; a model's forward decides how its
    modules are called. Indexing, slicing (a new ModuleList), len, iteration, append,
    extend and insert work as on a list.

    Shape: none of its own (each module keeps its own).

        >>> class Deep(mn.nn.Module):
        ...     def __init__(self, depth):
        ...         self.layers = mn.nn.ModuleList(mn.nn.Dense(4, 4) for _ in range(depth))
        ...         self.act = mn.nn.ReLU()
        ...     def forward(self, x):
        ...         for layer in self.layers:
        ...             x = self.act(layer(x))
        ...         return x
        >>> list(Deep(3).state_dict())[:2]
        ['layers.0.weight', 'layers.0.bias']
    """

    def __init__(self, modules=()):
        self._modules = []
        self.extend(modules)

    def named_children(self):
        for i, module in enumerate(self._modules):
            yield str(i), module

    def forward(self, *inputs):
        raise NotImplementedError("ModuleList is a container, not a layer: call its modules in "
                                  "your model's forward (for layer in self.layers: x = layer(x))")

    def append(self, module):
        """Add one module at the end; returns self."""
        self._modules.append(_check_module("ModuleList", module, f"at position {len(self._modules)}"))
        return self

    def extend(self, modules):
        """Add every module of an iterable at the end; returns self."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Put a module before position `index`."""
        self._modules.insert(index, _check_module("ModuleList", module, f"for position {index}"))

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(self._modules[index])
        return self._modules[index]

    def __setitem__(self, index, module):
        self._modules[index] = _check_module("ModuleList", module, f"for position {index}")

    def __delitem__(self, index):
        del self._modules[index]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __iadd__(self, modules):
        return self.extend(modules)


class ModuleDict(Module):
    """A dict of Modules (string keys, insertion order) whose parameters are registered.

    Keys become part of parameter names ("heads.digit.weight"), so they must be strings
    without dots. Like ModuleList it has no forward of its own.

    Shape: none of its own (each module keeps its own).

        >>> class TwoHeads(mn.nn.Module):
        ...     def __init__(self):
        ...         self.body = mn.nn.Dense(8, 16)
        ...         self.act = mn.nn.ReLU()
        ...         self.heads = mn.nn.ModuleDict({"digit": mn.nn.Dense(16, 10),
        ...                                        "parity": mn.nn.Dense(16, 2)})
        ...     def forward(self, x, task):
        ...         return self.heads[task](self.act(self.body(x)))
        >>> [name for name, _ in TwoHeads().named_parameters()][2:4]
        ['heads.digit.weight', 'heads.digit.bias']
    """

    def __init__(self, modules=None):
        self._modules = {}
        if modules is not None:
            self.update(modules)

    def named_children(self):
        yield from self._modules.items()

    def forward(self, *inputs):
        raise NotImplementedError("ModuleDict is a container, not a layer: call its modules in "
                                  "your model's forward (self.heads[task](x))")

    def __setitem__(self, key, module):
        if not isinstance(key, str) or not key or "." in key:
            raise KeyError(f"ModuleDict keys are part of parameter names, so they must be non-empty "
                           f"strings without '.', got {key!r}")
        self._modules[key] = _check_module("ModuleDict", module, f"under key {key!r}")

    def __getitem__(self, key):
        if key not in self._modules:
            raise KeyError(f"ModuleDict has no module {key!r}; it has {list(self._modules)}")
        return self._modules[key]

    def __delitem__(self, key):
        del self._modules[key]

    def __contains__(self, key):
        return key in self._modules

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules):
        """Add the modules of a mapping or of an iterable of (key, module) pairs."""
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self[key] = module

    def pop(self, key):
        """Remove the module under `key` and return it."""
        module = self[key]
        del self._modules[key]
        return module


class Residual(Module):
    """A residual connection (He et al. 2016): the block learns a correction to its input.

    y = x + block(x),  or  y = projection(x) + block(x)  when a projection is given.

    The identity path carries the gradient straight through: dy/dx = I + dblock/dx, so a
    deep stack of residual blocks does not multiply the gradient down to nothing. When the
    block changes the shape (more features, fewer pixels), `projection` (any Module, such as
    Dense(in, out, bias=False) or a 1x1 Conv2D) maps x to the block's output shape. Shapes
    must agree exactly: broadcasting one path against the other would hide a wiring mistake.

    Shape: ``x (N, *) -> (N, *)``, the block's output shape.

        >>> block = mn.nn.Sequential(mn.nn.Dense(4, 4), mn.nn.ReLU(), mn.nn.Dense(4, 4))
        >>> mn.nn.Residual(block)(mn.Tensor(np.ones((2, 4)))).shape
        (2, 4)
        >>> wide = mn.nn.Residual(mn.nn.Dense(4, 8), projection=mn.nn.Dense(4, 8, bias=False))
        >>> wide(mn.Tensor(np.ones((2, 4)))).shape
        (2, 8)
    """

    def __init__(self, block, projection=None):
        if not isinstance(block, Module):
            raise TypeError(f"Residual expected a Module as its block, got {type(block).__name__}")
        if projection is not None and not isinstance(projection, Module):
            raise TypeError(f"Residual expected a Module (or None) as projection, got "
                            f"{type(projection).__name__}")
        self.block = block
        self.projection = projection

    def forward(self, x):
        out = self.block(x)
        shortcut = x if self.projection is None else self.projection(x)
        if shortcut.shape != out.shape:
            if self.projection is None:
                raise ValueError(
                    f"Residual: the block maps an input of shape {tuple(x.shape)} to shape "
                    f"{tuple(out.shape)}, so x cannot be added to it; pass projection=... (for "
                    f"example Dense({x.shape[-1]}, {out.shape[-1]}, bias=False)) to map x to "
                    f"the block's output shape")
            raise ValueError(f"Residual: the projection gives shape {tuple(shortcut.shape)} but the "
                             f"block gives {tuple(out.shape)} (input shape {tuple(x.shape)}); they "
                             f"must match")
        return shortcut + out
