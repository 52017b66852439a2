"""Optimisers, learning-rate schedules and gradient clipping, as torch.optim: `mn.optim.SGD`.

    optimizers.py   Optimizer and the update rules: SGD, Adam, AdamW, RMSprop, Adagrad
    schedulers.py   LRScheduler, LinearLR, ExponentialLR, StepLR, CosineAnnealingLR, OneCycleLR,
                    ReduceLROnPlateau
    clip.py         clip_grad_norm_, clip_grad_value_

The names and semantics are torch.optim's (torch.nn.utils' for clipping).

    >>> optimizer = mn.optim.Adam(model.parameters(), lr=1e-3)
    >>> schedule = mn.optim.CosineAnnealingLR(optimizer, T_max=100)
    >>> loss.backward(); mn.optim.clip_grad_norm_(model.parameters(), 1.0); optimizer.step()
"""
from minnet.optim.optimizers import Optimizer, SGD, Adam, AdamW, RMSprop, Adagrad
from minnet.optim.schedulers import (LRScheduler, LinearLR, ExponentialLR, StepLR, CosineAnnealingLR,
                                     OneCycleLR, ReduceLROnPlateau)
from minnet.optim.clip import clip_grad_norm_, clip_grad_value_

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad",
           "LRScheduler", "LinearLR", "ExponentialLR", "StepLR", "CosineAnnealingLR", "OneCycleLR",
           "ReduceLROnPlateau", "clip_grad_norm_", "clip_grad_value_"]
