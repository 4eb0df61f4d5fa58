"""Numerical derivatives for the tests, independent of minitorch.

* :func:`complex_step` — for a function analytic in each entry:
  ∂f/∂xᵢ = Im f(x + i·h·eᵢ) / h with h = 1e-20. No subtraction, so no
  cancellation: exact to float64 rounding (about 1e-15 relative).
* :func:`central_difference` — for any function smooth near x (ReLU away
  from 0, max without ties, ...): ∂f/∂xᵢ ≈ (f(x + hᵢeᵢ) − f(x − hᵢeᵢ)) / 2hᵢ
  with hᵢ = ∛eps·max(1, |xᵢ|), error about 1e-10 relative in float64.

Both take ``f`` from an array of x's shape to a scalar and return the
gradient as a float64 array of x's shape.
"""
import numpy as np

__all__ = ["complex_step", "central_difference", "numerical_gradient", "assert_allclose",
           "COMPLEX_STEP_TOL", "CENTRAL_TOL"]

#: (rtol, atol) when comparing a backward with each kind of numerical derivative.
COMPLEX_STEP_TOL = (1e-9, 1e-11)
CENTRAL_TOL = (1e-6, 1e-7)


def complex_step(f, x, h=1e-20):
    """∂f/∂x by the complex step; f maps a complex128 array to a (complex) scalar."""
    x = np.asarray(x, dtype=np.complex128)
    grad = np.empty(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):
        xi = x.copy()
        xi[i] += 1j * h
        grad[i] = np.imag(f(xi)) / h
    return grad


def central_difference(f, x, h=None):
    """∂f/∂x by central differences in float64; f maps a float64 array to a scalar."""
    x = np.asarray(x, dtype=np.float64)
    grad = np.empty(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):
        step = np.cbrt(np.finfo(np.float64).eps) * max(1.0, abs(x[i])) if h is None else h
        up, down = x.copy(), x.copy()
        up[i] += step
        down[i] -= step
        grad[i] = (float(np.real(f(up))) - float(np.real(f(down)))) / (2 * step)
    return grad


def numerical_gradient(f, x, analytic):
    """Complex step when ``analytic``, central differences otherwise."""
    return complex_step(f, x) if analytic else central_difference(f, x)


def assert_allclose(actual, expected, rtol, atol, what):
    """np.testing.assert_allclose with the name of what is compared and the worst entry."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: expected shape {expected.shape}, got {actual.shape}")
    bad = ~np.isclose(actual, expected, rtol=rtol, atol=atol)
    if np.any(bad):
        err = np.abs(actual - expected) - rtol * np.abs(expected)
        worst = np.unravel_index(np.argmax(np.where(bad, err, -np.inf)), actual.shape) \
            if actual.ndim else ()
        raise AssertionError(f"{what}: {int(bad.sum())} of {bad.size} entries differ "
                             f"(rtol={rtol}, atol={atol}); worst at {worst}: got "
                             f"{actual[worst]!r}, expected {expected[worst]!r}")
