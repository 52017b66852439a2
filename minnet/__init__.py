"""minnet: a small neural-network framework on numpy, written to be read.

    import minnet as mn
"""
from minnet import allocator
from minnet.config import get_default_dtype, manual_seed, set_default_dtype
from minnet.tensor import Tensor, tensor
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
from minnet import data, datasets, diagnostics, plot
from minnet import estimators

allocator.configure_from_environment()

__all__ = ["Tensor", "tensor", "Function", "no_grad", "is_grad_enabled", "where", "pad",
           "concatenate", "stack", "gradcheck", "draw_graph", "manual_seed", "get_default_dtype",
           "set_default_dtype", "init", "regularizers", "nn", "optim", "fit", "predict", "History", "callbacks", "save", "load", "data", "datasets", "diagnostics", "plot", "estimators"]
