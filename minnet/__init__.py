"""minnet: a small neural-network framework on numpy, written to be read.

    import minnet as mn

Importing minnet changes nothing outside it: no allocator settings, random seeds or warning
filters. The submodules that need scikit-learn or matplotlib (estimators, plot) and the
dataset loaders are imported on first use (`mn.estimators`, `mn.plot`, `mn.datasets`), so
`import minnet` costs little more than `import numpy`.
"""
import importlib

from minnet import allocator, guard
from minnet.config import get_default_dtype, manual_seed, set_default_dtype
from minnet.tensor import Tensor, tensor, from_numpy
from minnet.function import Function, no_grad, is_grad_enabled
from minnet.ops import where, pad, concatenate, stack
from minnet.gradcheck import gradcheck
from minnet.graph import draw_graph
from minnet import init
from minnet import regularizers
from minnet import nn
from minnet import optim
from minnet.training import fit, predict, History
from minnet import callbacks
from minnet.checkpoint import save, load
from minnet import data, diagnostics
from minnet import text

# Imported by __getattr__ on first access (PEP 562): they pull in scikit-learn, matplotlib
# or the dataset machinery, which most programs never touch.
_LAZY_SUBMODULES = ("datasets", "plot", "estimators", "testing")

__all__ = ["Tensor", "tensor", "from_numpy", "Function", "no_grad", "is_grad_enabled", "where", "pad",
           "concatenate", "stack", "gradcheck", "draw_graph", "manual_seed", "get_default_dtype",
           "set_default_dtype", "init", "regularizers", "nn", "optim", "fit", "predict",
           "History", "callbacks", "save", "load", "allocator", "guard", "data", "diagnostics", "text",
           *_LAZY_SUBMODULES]


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        module = importlib.import_module(f"minnet.{name}")
        globals()[name] = module          # later lookups find it without calling us again
        return module
    raise AttributeError(f"module 'minnet' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))
