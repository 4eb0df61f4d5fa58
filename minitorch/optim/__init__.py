"""Optimizers and learning-rate schedules, with PyTorch's names and update rules.

Example:
    >>> from minitorch import optim
    >>> opt = optim.Adam(model.parameters(), lr=1e-3)          # doctest: +SKIP
    >>> sched = optim.lr_scheduler.StepLR(opt, step_size=10)   # doctest: +SKIP
"""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
