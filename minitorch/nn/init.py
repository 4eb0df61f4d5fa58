"""Parameter initialisation, drawing from minitorch's one seeded generator.

Each function fills a Parameter (or array) in place, returns it, and states
its distribution plainly. ``Linear`` uses U(-1/√fan_in, 1/√fan_in) for weight
and bias, as PyTorch does. For a weight of shape (out, in), fan_in = in and
fan_out = out.

Example:
    >>> import minitorch as mt
    >>> from minitorch import nn
    >>> _ = mt.manual_seed(0)
    >>> layer = nn.Linear(64, 32)
    >>> _ = nn.init.xavier_uniform_(layer.weight)   # U(-a, a), a = √(6 / (64 + 32)) = 0.25
    >>> _ = nn.init.zeros_(layer.bias)
    >>> float(abs(layer.weight.data).max()) <= 0.25, bool(layer.bias.data.any())
    (True, False)
"""
import math

import numpy as np

from minitorch.random import get_generator
from minitorch.tensor import get_default_dtype

__all__ = ["uniform", "uniform_", "normal_", "zeros_", "ones_", "constant_",
           "xavier_uniform_", "kaiming_uniform_"]


def uniform(shape, low, high, dtype=None):
    """A new array of ``shape`` drawn from U(low, high) in ``dtype`` (default dtype if None).

    Example:
        >>> from minitorch.nn import init
        >>> init.uniform((2, 3), -1.0, 1.0).shape
        (2, 3)
    """
    dtype = np.dtype(dtype or get_default_dtype())
    return get_generator().uniform(low, high, size=shape).astype(dtype)


def _fill(param, values):
    array = param.data if hasattr(param, "data") else param
    array[...] = values
    return param


def uniform_(param, a=0.0, b=1.0):
    """Fill ``param`` (a Parameter or array) with draws from U(a, b); returns it."""
    return _fill(param, get_generator().uniform(a, b, size=np.shape(param.data)))


def normal_(param, mean=0.0, std=1.0):
    """Fill ``param`` (a Parameter or array) with draws from N(mean, std²); returns it."""
    return _fill(param, get_generator().normal(mean, std, size=np.shape(param.data)))


def constant_(param, value):
    """Fill ``param`` (a Parameter or array) with ``value``; returns it."""
    return _fill(param, value)


def zeros_(param):
    """Fill ``param`` (a Parameter or array) with 0; returns it."""
    return _fill(param, 0)


def ones_(param):
    """Fill ``param`` (a Parameter or array) with 1; returns it."""
    return _fill(param, 1)


def _fans(shape):
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need at least 2 dimensions, got shape {shape}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def xavier_uniform_(param, gain=1.0):
    """Fill with U(-a, a), a = gain·√(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010); returns it.

    Keeps the variance of activations and of gradients about equal across
    layers for tanh and sigmoid networks (scikit-learn's MLP uses it).
    """
    fan_in, fan_out = _fans(np.shape(param.data))
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(param, -bound, bound)


def kaiming_uniform_(param, nonlinearity_gain=math.sqrt(2.0)):
    """Fill with U(-a, a), a = gain·√(3 / fan_in) (He et al., 2015); returns it.

    The default gain √2 keeps the variance of activations constant across
    ReLU layers.
    """
    fan_in, _ = _fans(np.shape(param.data))
    bound = nonlinearity_gain * math.sqrt(3.0 / fan_in)
    return uniform_(param, -bound, bound)
