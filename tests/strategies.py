"""Hypothesis strategies for the tests: small shapes, and floats kept where derivatives are safe.

Numerical derivatives need room: a central difference steps ~1e-5 to either
side, so values near a kink (0 for ReLU and abs, ties for max) or a pole
(0 for 1/x and log) are kept at a distance. Every array is float64; a test
casts it to the dtype it checks.
"""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = ["floats", "nonzero_floats", "positive_floats", "shapes", "arrays", "distinct_arrays",
           "broadcastable_shapes", "probabilities", "labels", "SETTINGS"]

#: Settings for the registry checks: few examples (each is many function calls), no deadline.
SETTINGS = dict(max_examples=15, deadline=None)


def floats(low=-2.0, high=2.0):
    """Finite float64 values in [low, high]."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)


def nonzero_floats(low=0.1, high=2.0):
    """Values with low ≤ |v| ≤ high, of either sign (away from kinks and poles at 0)."""
    return st.one_of(floats(low, high), floats(-high, -low))


def positive_floats(low=0.2, high=3.0):
    """Values in [low, high] (for log, sqrt, the base of a power)."""
    return floats(low, high)


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=4):
    """Array shapes with few elements (at most 4·4·4)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def arrays(shape, elements=None):
    """float64 arrays of ``shape`` (a tuple or a strategy), elements in [-2, 2] by default."""
    return hnp.arrays(np.float64, shape, elements=floats() if elements is None else elements)


def distinct_arrays(shape, spacing=1 / 8):
    """float64 arrays whose entries are all different, at least ``spacing`` apart, none within
    ``spacing / 2`` of zero (no ties for max, no kink for ReLU/abs under a central difference)."""
    def build(shape):
        n = int(np.prod(shape))
        ints = st.lists(st.integers(-4 * n - 8, 4 * n + 8), min_size=n, max_size=n, unique=True)
        return ints.map(lambda k: ((np.array(k, dtype=np.float64) + 0.5) * spacing).reshape(shape))
    return (st.just(shape) if isinstance(shape, tuple) else shape).flatmap(build)


def broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3):
    """Tuples of shapes that broadcast together (including () and stretched 1s)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=0, max_dims=max_dims,
                                             max_side=max_side).map(lambda s: s.input_shapes)


def probabilities(shape, low=0.05, high=0.95):
    """Values strictly inside (0, 1), e.g. the input of BCELoss."""
    return arrays(shape, floats(low, high))


def labels(n, classes):
    """Integer class labels of shape (n,) in [0, classes)."""
    return hnp.arrays(np.int64, (n,), elements=st.integers(0, classes - 1))
