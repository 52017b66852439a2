"""Layers, activations and losses: `mn.nn.Dense`, `mn.nn.ReLU`, `mn.nn.CrossEntropyLoss`, ..."""
from minnet.nn.module import Module, Parameter, Sequential

__all__ = ["Module", "Parameter", "Sequential"]
