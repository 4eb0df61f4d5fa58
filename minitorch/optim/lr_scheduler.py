"""Learning-rate schedules: change each group's ``lr`` once per ``scheduler.step()``.

Call ``scheduler.step()`` after ``optimizer.step()``, usually once per epoch.
Each scheduler follows PyTorch's recursive ("chainable") form, so two schedulers
on one optimizer compose, and the sequence of ``get_last_lr()`` matches PyTorch's.
"""
import math
import numbers

from .optimizer import Optimizer

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
           "LinearLR", "ReduceLROnPlateau"]


def _check_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"expected an Optimizer, got {type(optimizer).__name__}")


def _check_positive_int(value, name):
    """Refuse ``value`` unless it is an int ≥ 1 (a Python or numpy int; not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


class LRScheduler:
    """Base class: keeps ``last_epoch``, ``base_lrs`` and writes ``get_lr()`` into the groups.

    Constructing with ``last_epoch=-1`` records each group's current ``lr`` as
    ``group["initial_lr"]`` (unless present) and takes the first step (to epoch 0);
    resuming with ``last_epoch >= 0`` needs ``initial_lr`` in every group.
    A subclass fills ``get_lr()``: the new lr of each group from the current one.
    """

    def __init__(self, optimizer, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise ValueError(f"param_groups[{i}] has no 'initial_lr', needed to resume a "
                                 f"scheduler at last_epoch={last_epoch}; load the optimizer's "
                                 "state_dict first or use last_epoch=-1")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        """The learning rate of each group for epoch ``last_epoch``."""
        raise NotImplementedError

    def _current(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self):
        """Advance one epoch and set each group's ``lr``."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = self._current()

    def get_last_lr(self):
        """The learning rates set by the last ``step()``, one per group."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer (hyper-parameters, ``last_epoch``, ``base_lrs``, ...)."""
        return {k: (list(v) if isinstance(v, list) else v)
                for k, v in self.__dict__.items() if k not in ("optimizer", "_is_initial")}

    def load_state_dict(self, state_dict):
        """Restore a ``state_dict()``; refuses one made for a different number of groups."""
        n = len(self.optimizer.param_groups)
        for key in ("base_lrs", "_last_lr", "min_lrs"):
            if key in state_dict and len(state_dict[key]) != n:
                raise ValueError(f"scheduler state '{key}' has {len(state_dict[key])} entries, "
                                 f"but the optimizer has {n} parameter groups")
        self.__dict__.update((k, list(v) if isinstance(v, (list, tuple)) else v)
                             for k, v in state_dict.items())


class StepLR(LRScheduler):
    """Multiply each group's lr by ``gamma`` every ``step_size`` epochs.

    lr(epoch) = base_lr · gamma^⌊epoch / step_size⌋

    Example:
        >>> import numpy as np
        >>> from minitorch import nn, optim
        >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1)
        >>> sched = StepLR(opt, step_size=2, gamma=0.5)
        >>> lrs = []
        >>> for epoch in range(6):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))   # this epoch's lr
        ...     opt.step()                                     # (the epoch's training)
        ...     sched.step()
        >>> lrs
        [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        _check_positive_int(step_size, "StepLR: step_size")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class MultiStepLR(LRScheduler):
    """Multiply each group's lr by ``gamma`` at each epoch listed in ``milestones``.

    lr(epoch) = base_lr · gamma^(number of milestones ≤ epoch)

    Example:
        >>> import numpy as np
        >>> from minitorch import nn, optim
        >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1)
        >>> sched = MultiStepLR(opt, milestones=[2, 4], gamma=0.1)
        >>> lrs = []
        >>> for epoch in range(6):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))   # this epoch's lr
        ...     opt.step()                                     # (the epoch's training)
        ...     sched.step()
        >>> lrs
        [0.1, 0.1, 0.01, 0.01, 0.001, 0.001]
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = sorted(int(m) for m in milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        hits = self.milestones.count(self.last_epoch)
        if hits == 0:
            return self._current()
        return [lr * self.gamma ** hits for lr in self._current()]


class ExponentialLR(LRScheduler):
    """Multiply each group's lr by ``gamma`` every epoch: lr(epoch) = base_lr · gamma^epoch.

    Example:
        >>> import numpy as np
        >>> from minitorch import nn, optim
        >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1)
        >>> sched = ExponentialLR(opt, gamma=0.5)
        >>> lrs = []
        >>> for epoch in range(6):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))   # this epoch's lr
        ...     opt.step()                                     # (the epoch's training)
        ...     sched.step()
        >>> lrs
        [0.1, 0.05, 0.025, 0.0125, 0.0063, 0.0031]
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._current()
        return [lr * self.gamma for lr in self._current()]


class CosineAnnealingLR(LRScheduler):
    r"""Anneal each group's lr from base_lr to ``eta_min`` along a half cosine in ``T_max`` epochs.

    Closed form: lr(t) = η_min + ½(base_lr − η_min)(1 + cos(π t / T_max)).
    Computed, as in PyTorch, by the recursion

        lr(t) = η_min + (lr(t−1) − η_min)·(1 + cos(πt/T_max)) / (1 + cos(π(t−1)/T_max)),

    which follows other changes to ``lr`` made along the way. Past T_max the
    lr rises again (the cosine continues; there are no restarts).

    Example:
        >>> import numpy as np
        >>> from minitorch import nn, optim
        >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1)
        >>> sched = CosineAnnealingLR(opt, T_max=4)
        >>> lrs = []
        >>> for epoch in range(6):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))   # this epoch's lr
        ...     opt.step()                                     # (the epoch's training)
        ...     sched.step()
        >>> lrs
        [0.1, 0.0854, 0.05, 0.0146, 0.0, 0.0146]
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        _check_positive_int(T_max, "CosineAnnealingLR: T_max")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current()
        if (t - 1 - T) % (2 * T) == 0:   # at the bottom the ratio is 0/0: step up explicitly
            return [lr + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for lr, base in zip(self._current(), self.base_lrs)]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [eta_min + (lr - eta_min) * ratio for lr in self._current()]


class LinearLR(LRScheduler):
    """Scale each group's lr by a factor going linearly from ``start_factor`` to ``end_factor``.

    lr(epoch) = base_lr · (start + (end − start) · min(epoch, total_iters) / total_iters)

    Example:
        >>> import numpy as np
        >>> from minitorch import nn, optim
        >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1)
        >>> sched = LinearLR(opt, start_factor=0.25, total_iters=3)   # a warm-up
        >>> lrs = []
        >>> for epoch in range(6):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))   # this epoch's lr
        ...     opt.step()                                     # (the epoch's training)
        ...     sched.step()
        >>> lrs
        [0.025, 0.05, 0.075, 0.1, 0.1, 0.1]
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor}")
        _check_positive_int(total_iters, "LinearLR: total_iters")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, start, end = self.last_epoch, self.start_factor, self.end_factor
        if t == 0:
            return [lr * start for lr in self._current()]
        if self._is_initial or t > self.total_iters:
            return self._current()
        ratio = 1.0 + (end - start) / (self.total_iters * start + (t - 1) * (end - start))
        return [lr * ratio for lr in self._current()]


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by ``factor`` when a metric has stopped improving for ``patience`` epochs.

    At each ``step(metric)``: the metric improves on the best so far when it is
    below best·(1 − threshold) (mode 'min', threshold_mode 'rel'), below
    best − threshold ('min', 'abs'), above best·(1 + threshold) ('max', 'rel')
    or above best + threshold ('max', 'abs'). After more than ``patience``
    epochs without improvement each group's lr becomes max(lr·factor, min_lr)
    (skipped when the change is at most ``eps``), then ``cooldown`` epochs are
    not counted as bad. As in PyTorch, ``initial_lr`` is not set.

    Args:
        optimizer (Optimizer): the optimizer whose ``lr`` to change.
        mode (str): 'min' or 'max'. Default: 'min'.
        factor (float): multiplier in [0, 1). Default: 0.1.
        patience (int): bad epochs tolerated. Default: 10.
        threshold (float): size of a significant improvement. Default: 1e-4.
        threshold_mode (str): 'rel' or 'abs'. Default: 'rel'.
        cooldown (int): epochs to wait after a reduction. Default: 0.
        min_lr (float or list): lower bound, for all groups or one per group. Default: 0.
        eps (float): smallest change of lr applied. Default: 1e-8.

    Example:
        >>> import numpy as np
        >>> from minitorch import nn, optim
        >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1)
        >>> sched = ReduceLROnPlateau(opt, factor=0.5, patience=1)
        >>> for val_loss in [1.0, 0.9, 0.9, 0.9, 0.8]:
        ...     sched.step(val_loss)                  # once per epoch, with the watched value
        ...     print(sched.get_last_lr())
        [0.1]
        [0.1]
        [0.1]
        [0.05]
        [0.05]
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        _check_optimizer(optimizer)
        if not 0 <= factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in [0, 1), got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', "
                             f"got {threshold_mode!r}")
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"ReduceLROnPlateau: expected {n} min_lrs, got {len(min_lr)}")
            self.default_min_lr, self.min_lrs = None, list(min_lr)
        else:
            self.default_min_lr, self.min_lrs = min_lr, [min_lr] * n
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.last_epoch = 0
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._last_lr = self._current()

    def _is_better(self, a, best):
        if self.mode == "min":
            return a < (best * (1.0 - self.threshold) if self.threshold_mode == "rel"
                        else best - self.threshold)
        return a > (best * (1.0 + self.threshold) if self.threshold_mode == "rel"
                    else best + self.threshold)

    def step(self, metrics):
        """Record one epoch's metric (a number, numpy scalar or one-element Tensor)."""
        current = float(metrics.item() if hasattr(metrics, "item") else metrics)
        self.last_epoch += 1
        if self._is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            groups = self.optimizer.param_groups
            if len(groups) != len(self.min_lrs):
                if self.default_min_lr is None:
                    raise ValueError(f"ReduceLROnPlateau: the optimizer now has {len(groups)} "
                                     f"parameter groups but min_lr lists {len(self.min_lrs)}; "
                                     "set scheduler.min_lrs to one value per group")
                self.min_lrs = [self.default_min_lr] * len(groups)
            for group, min_lr in zip(groups, self.min_lrs):
                old = float(group["lr"])
                new = max(old * self.factor, min_lr)
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current()
