"""scikit-learn's ``random_state`` for a minitorch fit: one generator for every draw.

Randomness (initial weights, the factory's draws, shuffling, dropout, the
validation split) comes from one generator made from ``random_state`` for each
call of ``fit``; minitorch's global generator is lent to it for the duration
and given back unchanged. With ``random_state=None`` the global generator is
used, so ``mt.manual_seed`` decides. (Lending it is not thread-safe: fits that
run in parallel should use processes, as scikit-learn's ``n_jobs`` does.)
"""
import contextlib

import numpy as np

from minitorch import random as _random

__all__ = ["generator_for", "drawing_from"]


def generator_for(random_state):
    """A numpy Generator for ``random_state``: None (minitorch's global one), an int, a
    ``RandomState`` (seeds a new one) or a ``Generator`` (itself)."""
    if isinstance(random_state, np.random.RandomState):
        random_state = random_state.randint(2**31 - 1)
    return _random.seed_from(random_state)


@contextlib.contextmanager
def drawing_from(generator):
    """Let every minitorch draw (init, dropout) come from ``generator``; restore afterwards."""
    previous = _random._generator
    _random._generator = generator
    try:
        yield
    finally:
        _random._generator = previous
