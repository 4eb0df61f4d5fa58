"""``quiet_exp(x)``: eˣ with overflow to inf ignored, for σ(x) = 1 / (1 + e⁻ˣ) on the hot path.

σ(x) = 1 / (1 + e⁻ˣ) overflows in e⁻ˣ for x below about −88 (float32): the
result, h = 1 / (1 + inf) = 0, is right, and numpy's RuntimeWarning would only
alarm. ``with np.errstate(over="ignore")`` silences it, but entering and
leaving one costs about 0.7 µs (numpy 2.4), a sizeable share of a small
layer's forward.

numpy keeps its floating-point error settings in a context variable; an
``errstate`` makes a new settings object from the current one and sets the
variable for the block. Here the settings object with overflow ignored is
made once for each settings object the caller runs under (so divide,
invalid, under and a ``seterrcall`` stay as the caller set them) and the
variable is set and reset around the one ``np.exp`` call: about 0.2 µs. On a
numpy without that variable it falls back to ``np.errstate(over="ignore")``,
with the same effect.
"""
import numpy as np

__all__ = ["quiet_exp"]

try:
    from numpy._core.umath import _extobj_contextvar as _settings
except ImportError:         # (another numpy: errstate itself, at its usual cost)
    _settings = None

_quiet = (None, None)       # (the caller's settings, the same with overflow ignored)


def _quiet_settings(current):
    """``current`` with overflow ignored (made once per settings object, by np.errstate)."""
    global _quiet
    with np.errstate(over="ignore"):
        quiet = _settings.get()
    _quiet = (current, quiet)               # one tuple: threads read a consistent pair
    return quiet                            # (ours, whatever another thread kept since)


def quiet_exp(x, out=None):
    """``np.exp(x, out=out)`` with overflow ignored, as under ``np.errstate(over="ignore")``:
    where eˣ is too large for the dtype it is inf, with no warning. Every other error
    setting stays the caller's.

    Example:
        >>> import numpy as np
        >>> from minitorch.overflow import quiet_exp
        >>> quiet_exp(np.array([0.0, 100.0], np.float32))
        array([ 1., inf], dtype=float32)
    """
    current = _settings.get()
    caller, quiet = _quiet
    if caller is not current:
        quiet = _quiet_settings(current)
    token = _settings.set(quiet)
    try:
        return np.exp(x) if out is None else np.exp(x, out=out)
    finally:
        _settings.reset(token)


def _errstate_exp(x, out=None):
    with np.errstate(over="ignore"):
        return np.exp(x) if out is None else np.exp(x, out=out)


if _settings is None:
    _errstate_exp.__doc__ = quiet_exp.__doc__
    quiet_exp = _errstate_exp       # noqa: F811  (the same, at np.errstate's cost)
