"""Assignment 5: an optimiser, one written PyTorch's way, and a learning-rate schedule (see statement.md).

Updates change p.data in place, in the parameter's dtype, outside the autograd graph; they
read p.grad and never change it (other code may still use the gradient).
"""
import math

import numpy as np

import minnet as mn


class Momentum(mn.optim.Optimizer):
    """Heavy-ball momentum (Polyak 1964):  v = momentum v + g;  p -= lr v   (v = 0 at the start).

    Written with minnet's update hook: the base class walks the groups, skips parameters
    without a gradient, and hands update() one parameter, its group's settings and its state.
    """

    defaults = dict(lr=0.01, momentum=0.9)

    def update(self, p, group, state):
        # HINT: keep v in state["velocity"] (np.zeros_like(p.data) at the first step); update it in
        # HINT: place, then p.data
        ### BEGIN SOLUTION
        if "velocity" not in state:
            state["velocity"] = np.zeros_like(p.data)
        velocity = state["velocity"]
        velocity *= group["momentum"]
        velocity += p.grad
        p.data -= group["lr"] * velocity
        ### END SOLUTION


class Lion(mn.optim.Optimizer):
    """Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"):

        c = beta1 m + (1 - beta1) g
        p -= lr (sign(c) + weight_decay p)
        m = beta2 m + (1 - beta2) g          (m = 0 at the start)

    Written as in PyTorch: step() walks self.param_groups itself and keeps each parameter's
    moment in self.state[p] (a dict made on first use).
    """

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    def step(self):
        # HINT: for group in self.param_groups: for p in group["params"]: skip p.grad is None; state
        # HINT: = self.state[p]
        ### BEGIN SOLUTION
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "exp_avg" not in state:
                    state["exp_avg"] = np.zeros_like(p.data)
                m = state["exp_avg"]
                direction = np.sign(beta1 * m + (1 - beta1) * p.grad)
                p.data -= group["lr"] * (direction + group["weight_decay"] * p.data)
                m *= beta2
                m += (1 - beta2) * p.grad
        ### END SOLUTION


def warmup_cosine(step, total_steps, warmup_steps, base_lr, min_lr=0.0):
    """The learning rate at `step` (0, 1, ...): linear warm-up, then cosine decay to min_lr.

        step < warmup_steps:  base_lr (step + 1) / warmup_steps
        otherwise:            min_lr + (base_lr - min_lr) (1 + cos(pi s / S)) / 2,
                              s = step - warmup_steps, S = total_steps - warmup_steps
    (Goyal et al. 2017 for the warm-up; Loshchilov & Hutter 2017 for the cosine.)
    """
    # HINT: two branches; math.cos and math.pi; clip s at S so the rate stays at min_lr after the
    # HINT: end
    ### BEGIN SOLUTION
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    progress = min(step - warmup_steps, total_steps - warmup_steps) / max(1, total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2
    ### END SOLUTION


class WarmupCosine(mn.optim.LRScheduler):
    """A scheduler: every group's lr follows warmup_cosine(t, ...) from its own base lr.

    minnet's LRScheduler does the bookkeeping (each group's base lr, the step count t, setting
    group["lr"] when the scheduler is made and at each step()); a schedule writes its formula
    as lr_at(base_lr, epoch). Here one "epoch" of the scheduler is one optimiser step.
    """

    def __init__(self, optimizer, total_steps, warmup_steps, min_lr=0.0):
        self.total_steps, self.warmup_steps, self.min_lr = total_steps, warmup_steps, min_lr
        super().__init__(optimizer)          # calls lr_at(base_lr, 0) at once

    def lr_at(self, base_lr, epoch):
        # HINT: one line: your warmup_cosine with this scheduler's settings
        ### BEGIN SOLUTION
        return warmup_cosine(epoch, self.total_steps, self.warmup_steps, base_lr, self.min_lr)
        ### END SOLUTION
