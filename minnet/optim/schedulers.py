"""Learning-rate schedules: each sets every parameter group's lr, step by step, as torch.optim.lr_scheduler.

    LinearLR           lr = base_lr * (start + (end - start) * min(t, total_iters) / total_iters)
    ExponentialLR      lr = base_lr * gamma^t
    StepLR             lr = base_lr * gamma^(t // step_size)
    CosineAnnealingLR  lr = eta_min + (base_lr - eta_min) (1 + cos(pi t / T_max)) / 2
    OneCycleLR         up from max_lr / div_factor to max_lr, then down to far below it
    ReduceLROnPlateau  lr = lr * factor when a monitored value stops improving

t counts the calls to step(). Creating a scheduler sets the lr for t = 0 (LinearLR starts at
base_lr * start_factor, OneCycleLR at max_lr / div_factor), as PyTorch's do. Call step() once
per epoch, or once per batch for a schedule counted in steps (warm-up, OneCycleLR):

    >>> optimizer = mn.optim.SGD(model.parameters(), lr=0.1)
    >>> warmup = mn.optim.LinearLR(optimizer, start_factor=0.1, total_iters=5)
    >>> for epoch in range(20):
    ...     train_one_epoch(...)
    ...     warmup.step()

The formulas are written in closed form from base_lr (the lr each group had when the
scheduler was made), so one line of code is one line of the docstring; PyTorch's updates
lr recursively, and the two agree to rounding.
"""
import math
import numbers

import numpy as np


def _check_optimizer(optimizer, where):
    if not hasattr(optimizer, "param_groups"):
        raise TypeError(f"{where} expected an optimiser such as mn.optim.SGD(...), got "
                        f"{type(optimizer).__name__}")


def _real(where, **settings):
    """Refuse settings that are not finite real numbers (a string or a bool would otherwise
    fail later in a comparison, or silently count as 1)."""
    for name, value in settings.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if not isinstance(v, numbers.Real) or isinstance(v, (bool, np.bool_)) or not math.isfinite(v):
                raise TypeError(f"{where} expected {name} to be a finite real number, got {value!r}")


class LRScheduler:
    """Base class: sets group["lr"] = lr_at(base_lr, t) at creation (t = 0) and at every step().

    A new schedule subclasses it and defines `lr_at(self, base_lr, epoch)`, its formula.
    """

    def __init__(self, optimizer):
        _check_optimizer(optimizer, type(self).__name__)
        self.optimizer = optimizer
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    def lr_at(self, base_lr, epoch):
        raise NotImplementedError(f"{type(self).__name__} must define lr_at(self, base_lr, epoch), "
                                  f"the learning rate after `epoch` steps")

    def _lrs(self):
        return [self.lr_at(base_lr, self.last_epoch) for base_lr in self.base_lrs]

    def _apply(self):
        for group, lr in zip(self.optimizer.param_groups, self._lrs()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def step(self):
        """Advance the schedule by one epoch (or batch) and set the new learning rates."""
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self):
        """The learning rates this scheduler set last, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimiser (which saves its own state)."""
        return {key: value for key, value in vars(self).items() if key != "optimizer"}

    def load_state_dict(self, state):
        vars(self).update(state)

    def __repr__(self):
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr})"


class LinearLR(LRScheduler):
    """Linear warm-up (or decay): the factor on base_lr moves from start_factor to end_factor
    in total_iters steps, then stays.

    lr_t = base_lr * (start_factor + (end_factor - start_factor) * min(t, total_iters) / total_iters)

        >>> optimizer = mn.optim.SGD([mn.nn.Parameter([1.0])], lr=0.1)
        >>> warmup = mn.optim.LinearLR(optimizer, start_factor=0.25, total_iters=3)
        >>> lrs = [warmup.get_last_lr()[0]]
        >>> for _ in range(4):
        ...     warmup.step(); lrs.append(round(warmup.get_last_lr()[0], 4))
        >>> lrs
        [0.025, 0.05, 0.075, 0.1, 0.1]
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
        _real("LinearLR", start_factor=start_factor, end_factor=end_factor)
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR expected 0 < start_factor <= 1, got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR expected 0 <= end_factor <= 1, got {end_factor}")
        if isinstance(total_iters, bool) or not isinstance(total_iters, int) or total_iters < 1:
            raise ValueError(f"LinearLR expected a positive integer total_iters, got {total_iters!r}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer)

    def lr_at(self, base_lr, epoch):
        progress = min(epoch, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by gamma every step.

    lr_t = base_lr * gamma^t

        >>> optimizer = mn.optim.SGD([mn.nn.Parameter([1.0])], lr=1.0)
        >>> decay = mn.optim.ExponentialLR(optimizer, gamma=0.5)
        >>> decay.step(); decay.step(); decay.get_last_lr()
        [0.25]
    """

    def __init__(self, optimizer, gamma):
        _real("ExponentialLR", gamma=gamma)
        if not gamma > 0:
            raise ValueError(f"ExponentialLR expected gamma > 0, got {gamma}")
        self.gamma = gamma
        super().__init__(optimizer)

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** epoch


class StepLR(LRScheduler):
    """Multiply the rate by gamma every step_size epochs.

    lr_t = base_lr * gamma^(t // step_size)

        >>> optimizer = mn.optim.SGD([mn.nn.Parameter([1.0])], lr=1.0)
        >>> schedule = mn.optim.StepLR(optimizer, step_size=2, gamma=0.1)
        >>> for _ in range(3): schedule.step()
        >>> schedule.get_last_lr()
        [0.1]
    """

    def __init__(self, optimizer, step_size, gamma=0.1):
        _real("StepLR", gamma=gamma)
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepLR expected step_size >= 1, got {step_size!r}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing (Loshchilov & Hutter 2017): from base_lr down to eta_min in T_max steps.

    lr_t = eta_min + (base_lr - eta_min) (1 + cos(pi t / T_max)) / 2

    Past T_max the cosine climbs back up, as PyTorch's does; stop stepping at T_max.

        >>> optimizer = mn.optim.SGD([mn.nn.Parameter([1.0])], lr=1.0)
        >>> cosine = mn.optim.CosineAnnealingLR(optimizer, T_max=4)
        >>> cosine.step(); cosine.step(); cosine.get_last_lr()      # halfway: half the rate
        [0.5]
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):
        _real("CosineAnnealingLR", eta_min=eta_min)
        if isinstance(T_max, bool) or not isinstance(T_max, int) or T_max < 1:
            raise ValueError(f"CosineAnnealingLR expected T_max >= 1, got {T_max!r}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def lr_at(self, base_lr, epoch):
        if epoch == 0:
            return base_lr      # exactly, not base_lr rounded through the cosine
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


def _per_group(name, value, optimizer, where):
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(f"{where} expected {len(optimizer.param_groups)} values of {name} (one "
                             f"per parameter group), got {len(value)}")
        return list(value)
    return [value] * len(optimizer.param_groups)


def _anneal_cos(start, end, pct):
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


def _anneal_linear(start, end, pct):
    return (end - start) * pct + start


class OneCycleLR(LRScheduler):
    """The one-cycle policy (Smith & Topin 2019): warm up to max_lr, then anneal far below the start.

    Counted in batches: call step() after every optimizer.step(), total_steps times at most::

        initial_lr = max_lr / div_factor,   min_lr = initial_lr / final_div_factor
        phase 1, steps 0 .. pct_start * total_steps - 1:  initial_lr -> max_lr
        phase 2, to step total_steps - 1:                  max_lr -> min_lr

    each by anneal(start, end, pct) = end + (start - end) (1 + cos(pi pct)) / 2 (or linearly,
    anneal_strategy="linear"). three_phase=True goes max_lr -> initial_lr in a second phase
    as long as the first, then on to min_lr.

    With cycle_momentum=True the momentum (SGD's momentum, Adam's beta1) runs the other way,
    max_momentum -> base_momentum -> max_momentum: as PyTorch, it sets SGD's momentum even
    when the optimiser was made without one.

        >>> optimizer = mn.optim.SGD([mn.nn.Parameter([1.0])], lr=0.1)
        >>> schedule = mn.optim.OneCycleLR(optimizer, max_lr=1.0, total_steps=10)
        >>> lrs = [schedule.get_last_lr()[0]]
        >>> for _ in range(9):
        ...     schedule.step(); lrs.append(schedule.get_last_lr()[0])
        >>> [round(lr, 3) for lr in lrs]
        [0.04, 0.52, 1.0, 0.95, 0.812, 0.611, 0.389, 0.188, 0.05, 0.0]
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False):
        where = "OneCycleLR"
        _check_optimizer(optimizer, where)
        _real(where, max_lr=max_lr, pct_start=pct_start, base_momentum=base_momentum,
              max_momentum=max_momentum, div_factor=div_factor, final_div_factor=final_div_factor)
        if not (div_factor > 0 and final_div_factor > 0):
            raise ValueError(f"{where} expected div_factor > 0 and final_div_factor > 0, got "
                             f"{div_factor} and {final_div_factor}")
        if total_steps is not None:
            if isinstance(total_steps, bool) or not isinstance(total_steps, int) or total_steps < 1:
                raise ValueError(f"{where} expected a positive integer total_steps, got {total_steps!r}")
        elif epochs is not None and steps_per_epoch is not None:
            for name, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError(f"{where} expected a positive integer {name}, got {value!r}")
            total_steps = epochs * steps_per_epoch
        else:
            raise ValueError(f"{where} needs total_steps, or epochs and steps_per_epoch")
        if not 0 <= pct_start <= 1:
            raise ValueError(f"{where} expected pct_start in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{where} expected anneal_strategy 'cos' or 'linear', got {anneal_strategy!r}")
        self.total_steps = total_steps
        self.anneal_strategy = anneal_strategy
        self.max_lrs = _per_group("max_lr", max_lr, optimizer, where)
        self.initial_lrs = [lr / div_factor for lr in self.max_lrs]
        self.min_lrs = [lr / final_div_factor for lr in self.initial_lrs]
        warmup_end = float(pct_start * total_steps) - 1
        # Each phase: (last step, lr from, lr to, momentum from, momentum to); "initial", "max",
        # "min" name the per-group rates above, "base" and "top" the momentum bounds.
        if three_phase:
            self.phases = [(warmup_end, "initial", "max", "top", "base"),
                           (float(2 * pct_start * total_steps) - 2, "max", "initial", "base", "top"),
                           (total_steps - 1, "initial", "min", "top", "top")]
        else:
            self.phases = [(warmup_end, "initial", "max", "top", "base"),
                           (total_steps - 1, "max", "min", "base", "top")]
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = "betas" in optimizer.defaults
            if not self.use_beta1 and "momentum" not in optimizer.defaults:
                raise ValueError(f"{where} with cycle_momentum=True needs an optimiser with momentum "
                                 f"or betas, got {type(optimizer).__name__}; pass cycle_momentum=False")
            self.momentum_bounds = list(zip(_per_group("base_momentum", base_momentum, optimizer, where),
                                            _per_group("max_momentum", max_momentum, optimizer, where)))
        super().__init__(optimizer)

    def _lrs(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR was stepped {step} times; it was made for total_steps="
                             f"{self.total_steps}")
        start_step, phase = 0.0, self.phases[-1]
        for i, candidate in enumerate(self.phases):
            if step <= candidate[0] or i == len(self.phases) - 1:
                phase = candidate
                break
            start_step = candidate[0]
        end_step, lr_from, lr_to, momentum_from, momentum_to = phase
        pct = (step - start_step) / (end_step - start_step)
        anneal = _anneal_cos if self.anneal_strategy == "cos" else _anneal_linear
        lrs = []
        for i, group in enumerate(self.optimizer.param_groups):
            rates = {"initial": self.initial_lrs[i], "max": self.max_lrs[i], "min": self.min_lrs[i]}
            lrs.append(anneal(rates[lr_from], rates[lr_to], pct))
            if self.cycle_momentum:
                base, top = self.momentum_bounds[i]
                bounds = {"base": base, "top": top}
                momentum = anneal(bounds[momentum_from], bounds[momentum_to], pct)
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum
        return lrs


class ReduceLROnPlateau(LRScheduler):
    """Cut the learning rate by `factor` when a monitored value has stopped improving.

    An LRScheduler (as in PyTorch) without a formula: its step takes the monitored value.

    Call step(value) once per epoch with the value (a validation loss, say). A value is an
    improvement when it beats the best so far by the threshold::

        mode="min": value < best (1 - threshold)   (threshold_mode="abs": value < best - threshold)
        mode="max": value > best (1 + threshold)   (threshold_mode="abs": value > best + threshold)

    After more than `patience` epochs in a row without one, lr = max(lr * factor, min_lr)
    (skipped when that changes lr by less than eps), then `cooldown` epochs pass before
    bad epochs count again. The same rules as torch.optim.lr_scheduler.ReduceLROnPlateau.

        >>> optimizer = mn.optim.SGD([mn.nn.Parameter([1.0])], lr=1.0)
        >>> plateau = mn.optim.ReduceLROnPlateau(optimizer, factor=0.5, patience=1)
        >>> for val_loss in [1.0, 0.9, 0.95, 0.95, 0.95]:
        ...     plateau.step(val_loss)
        >>> plateau.get_last_lr()
        [0.5]
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        where = "ReduceLROnPlateau"
        _check_optimizer(optimizer, where)
        _real(where, factor=factor, threshold=threshold, min_lr=min_lr, eps=eps)
        if not 0 <= factor < 1:
            raise ValueError(f"{where} expected 0 <= factor < 1, got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"{where} expected mode 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{where} expected threshold_mode 'rel' or 'abs', got {threshold_mode!r}")
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{where} expected a non-negative integer {name}, got {value!r}")
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.min_lrs = _per_group("min_lr", min_lr, optimizer, where)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def is_better(self, value, best):
        """True when `value` improves on `best` by more than the threshold."""
        relative = self.threshold_mode == "rel"
        if self.mode == "min":
            return value < (best * (1 - self.threshold) if relative else best - self.threshold)
        return value > (best * (1 + self.threshold) if relative else best + self.threshold)

    def step(self, metrics):
        """Record one epoch's monitored value; reduce the learning rates if it has plateaued."""
        value = float(metrics)
        self.last_epoch += 1
        if self.is_better(value, self.best):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0           # epochs in cooldown never count as bad
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def __repr__(self):
        return (f"ReduceLROnPlateau(mode={self.mode!r}, factor={self.factor}, patience={self.patience}, "
                f"best={self.best}, lr={self._last_lr})")
