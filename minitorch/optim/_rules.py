"""What the update rules share: hyper-parameter checks, the effective gradient, state arrays.

Each rule (``sgd.py``, ``adam.py``, ...) refuses bad options with
``check_number`` in its ``_validate``, makes its state with ``state_array`` in
its ``_init_state``, and starts its ``_update`` with ``effective_grad``.
"""
import math
import numbers

import numpy as np

__all__ = ["check_number", "effective_grad", "state_array"]


def check_number(value, name, low=0.0, high=math.inf, high_open=False):
    """Refuse a hyper-parameter outside ``[low, high]`` (``[low, high)`` if high_open).

    ``name`` starts the message, as in PyTorch: ``Invalid learning rate: -1``.
    NaN is refused; so are non-numbers (TypeError) and booleans.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {type(value).__name__} {value!r}")
    inside = low <= value < high if high_open else low <= value <= high
    if not inside:
        right = ")" if high_open else "]"
        raise ValueError(f"{name}: {value} (expected a value in [{low}, {high}{right})")


def effective_grad(g, theta, weight_decay, maximize, tmp):
    """``g ← ±g + weight_decay·θ`` (minus when maximizing) in place: the gradient the rules use.

    Changes ``g`` only when there is something to do (so the caller hands in
    its own copy then: see ``Optimizer._writes_grad``); ``tmp`` is scratch
    like ``theta``. Returns ``g``.
    """
    if maximize:
        np.negative(g, out=g)
    if weight_decay:
        np.multiply(theta, weight_decay, out=tmp)
        g += tmp
    return g


def state_array(state, key, theta, fill=0.0):
    """Make ``state[key]`` an array like ``theta``: filled with ``fill`` if missing (unless
    ``fill`` is None), cast to ``theta``'s dtype if it is of another (after ``model.double()``).
    """
    value = state.get(key)
    if type(value) is np.ndarray and value.dtype == theta.dtype and value.shape == theta.shape:
        return
    if value is None:
        if fill is not None:
            state[key] = np.full(theta.shape, fill, theta.dtype)
        return
    value = np.asarray(value)
    if value.shape != theta.shape:
        raise ValueError(f"optimizer state '{key}' has shape {value.shape}, but its parameter "
                         f"has shape {theta.shape}; expected the same shape (a parameter "
                         "cannot change shape during training)")
    state[key] = value.astype(theta.dtype)
