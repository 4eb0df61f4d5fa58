"""Optimizers and learning-rate schedules, with PyTorch's names and update rules.

Example:
    >>> from minitorch import nn, optim
    >>> model = nn.Linear(4, 2)
    >>> opt = optim.Adam(model.parameters(), lr=1e-3)
    >>> sched = optim.lr_scheduler.StepLR(opt, step_size=10)   # lr × 0.1 every 10 epochs
"""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
