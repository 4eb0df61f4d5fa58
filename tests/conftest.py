"""Shared test set-up: the tests folder on sys.path, and a clean global state per test.

minitorch keeps exactly two pieces of global state (the default dtype and the
seeded generator); every test starts from float32 and seed 0 and leaves them
as it found them.
"""
import os
import sys

import numpy as np
import pytest
from hypothesis import settings

# No per-example deadline (a shared 2-core machine can be slow for a moment), and in CI
# the same examples every run, so a red build always means a reproducible failure.
settings.register_profile("minitorch", deadline=None, derandomize=bool(os.environ.get("CI")),
                          print_blob=True)
settings.load_profile("minitorch")

TESTS = os.path.dirname(os.path.abspath(__file__))
if TESTS not in sys.path:                  # `from strategies import ...` in any test folder
    sys.path.insert(0, TESTS)

import minitorch as mt  # noqa: E402


@pytest.fixture(autouse=True)
def _clean_state():
    """Default dtype float32 and ``manual_seed(0)`` on entry; the dtype restored on exit."""
    previous = mt.get_default_dtype()
    mt.set_default_dtype(np.float32)
    mt.manual_seed(0)
    yield
    mt.set_default_dtype(previous)


@pytest.fixture
def float64():
    """Run a test with float64 as the default dtype (restored by ``_clean_state``)."""
    mt.set_default_dtype(np.float64)
    return np.float64
