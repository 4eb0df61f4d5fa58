"""The one random generator every part of minitorch draws from.

Parameter initialisation, dropout masks and DataLoader shuffling all call
:func:`get_generator`, so ``manual_seed(s)`` makes a whole run reproducible.
This and the default dtype are the only global state minitorch keeps.
"""
import numpy as np

__all__ = ["manual_seed", "get_generator", "seed_from"]

_generator = np.random.default_rng()


def manual_seed(seed):
    """Reseed the generator all of minitorch draws from; returns it.

    Example:
        >>> import minitorch as mt
        >>> _ = mt.manual_seed(0)
    """
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def get_generator():
    """The current generator (a ``numpy.random.Generator``)."""
    return _generator


def seed_from(random_state=None):
    """A generator for an optional seed: the global one for ``None``, else a new one."""
    if random_state is None:
        return _generator
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)
