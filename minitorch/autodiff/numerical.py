"""Numerical differentiation: central differences and the complex step.

Both perturb one input entry at a time and read the change of ``f``:

* central difference   f'(x) ≈ (f(x + h) − f(x − h)) / 2h,  error O(h²) + O(ε/h)
* complex step         f'(x) ≈ Im f(x + ih) / h,             error O(h²), no cancellation

The shape of what comes back follows one rule, shared with :func:`jvp`,
:func:`vjp` and :func:`jacobian` (``x`` the input, ``y = f(x)``):

==============  ==============  =======================================
``x``           ``y``           result
==============  ==============  =======================================
scalar          scalar          a Python float, dy/dx
array           scalar          the gradient, shaped like ``x``
scalar          array           dy/dx, shaped like ``y``
array           array           the Jacobian, ``(y.size, x.size)``
==============  ==============  =======================================
"""
import numpy as np

__all__ = ["central_difference", "complex_step"]

_CBRT_EPS = np.finfo(np.float64).eps ** (1.0 / 3.0)  # ≈ 6.1e-6


# --- helpers shared by the autodiff modules -----------------------------------

def _tensor_type():
    """The minitorch Tensor class, or None while the core is not importable."""
    try:
        from minitorch.tensor import Tensor
    except ImportError:  # pragma: no cover - only before the core exists
        return None
    return Tensor


def _is_tensor(x):
    T = _tensor_type()
    return T is not None and isinstance(x, T)


def _data(y):
    """A plain numpy array from an array, a number or a Tensor (detached)."""
    return np.asarray(y.data) if _is_tensor(y) else np.asarray(y)


def _point(x, name="x", dtype=np.float64):
    """The evaluation point as a float64 array (a copy, never the caller's)."""
    a = _data(x)
    if np.iscomplexobj(a):
        raise TypeError(f"{name} must be real, got {a.dtype} array")
    if not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
        raise TypeError(f"{name} must be numeric, got {a.dtype}")
    return np.array(a, dtype=dtype)


def _call(f, x, a):
    """``f`` at the array ``a`` (as a Tensor if ``x`` was one), unrecorded, as an array."""
    if _tensor_type() is None:  # pragma: no cover - only before the core exists
        return _data(f(a))
    from minitorch.autograd import no_grad
    from minitorch.tensor import tensor
    with no_grad():
        return _data(f(tensor(a) if _is_tensor(x) else a))


def _result(J, x_shape, y_shape):
    """Shape the (M, N) matrix ``J`` by the rule in the module docstring."""
    if x_shape == () and y_shape == ():
        return J.reshape(()).item()
    if y_shape == ():
        return J.reshape(x_shape)
    if x_shape == ():
        return J.reshape(y_shape)
    return J


def _assemble(columns, x0, evaluate):
    """Stack the columns ∂f/∂x_j (each shaped like f(x)) into J and shape it by the rule."""
    cols, y_shape = [], None
    for c in columns:
        if y_shape is None:
            y_shape = c.shape
        elif c.shape != y_shape:
            raise ValueError(f"f returned shape {c.shape} after returning {y_shape}; "
                             "its output shape must not depend on the input values")
        cols.append(np.ravel(c))
    if y_shape is None:                     # an empty x: evaluate f once for the shape
        y_shape = evaluate(x0).shape
        return _result(np.zeros((int(np.prod(y_shape)), 0)), x0.shape, y_shape)
    return _result(np.stack(cols, axis=1), x0.shape, y_shape)


# --- central difference --------------------------------------------------------

def central_difference(f, x, h=None, *, elementwise=False):
    r"""Derivative, gradient or Jacobian of ``f`` at ``x`` by central differences.

    .. math:: \frac{\partial f}{\partial x_j} \approx
              \frac{f(x + h_j e_j) - f(x - h_j e_j)}{2 h_j}

    The truncation error is O(h²) and the rounding error O(ε/h), so the best
    step is about ∛ε ≈ 6e-6 (relative), giving about 10 correct digits. The
    evaluation runs in float64 and each step is made exactly representable
    (``h = (x + h) - x``). Two evaluations of ``f`` per input entry.

    Args:
        f: a function of one array (or Tensor, if ``x`` is a Tensor) returning a
            scalar or an array (or Tensor).
        x: the point, a number, array or Tensor; it is not modified.
        h: step, a number or an array broadcastable to ``x``.
            Default ``∛eps · max(1, |x|)`` per entry (float64 ``eps``).
        elementwise: ``f`` acts entry by entry (``y[i]`` depends on ``x[i]`` only),
            so all entries are perturbed at once: two evaluations in total,
            and the result is the derivative shaped like ``x``.

    Returns:
        float, gradient (shape of ``x``), derivative (shape of ``f(x)``) or
        Jacobian ``(f(x).size, x.size)``; see the module docstring.

    Example:
        >>> round(central_difference(np.sin, 0.0), 8)
        1.0
        >>> central_difference(lambda v: (v ** 2).sum(), np.array([1.0, 2.0])).round(6)
        array([2., 4.])
    """
    x0 = _point(x)
    if h is None:
        h = _CBRT_EPS * np.maximum(1.0, np.abs(x0))
    h = np.broadcast_to(np.asarray(h, dtype=np.float64), x0.shape)
    if not np.all(h > 0):
        raise ValueError(f"central_difference: step h must be positive, got {h.min()}")
    xp, xm = x0 + h, x0 - h                 # exact steps: the quotient uses xp - xm
    if np.any(xp == xm):
        j = tuple(int(i) for i in np.unravel_index(int(np.argmax(xp == xm)), x0.shape))
        raise ValueError(f"central_difference: step h={h[j]:.3g} is below the spacing of floats "
                         f"at x={float(x0[j])!r} (index {j}), so x + h == x - h; "
                         f"use h ≳ 1e-15·max(1, |x|)")
    if elementwise:
        yp, ym = _call(f, x, xp), _call(f, x, xm)
        if yp.shape != x0.shape:
            raise ValueError(f"elementwise=True needs f(x) shaped like x {x0.shape}, "
                             f"got {yp.shape}")
        d = (yp - ym) / (xp - xm)
        return d.item() if d.ndim == 0 else d
    def columns():
        for j in range(x0.size):
            a, b = x0.copy(), x0.copy()
            a.flat[j], b.flat[j] = xp.flat[j], xm.flat[j]
            yield (_call(f, x, a) - _call(f, x, b)) / (xp.flat[j] - xm.flat[j])
    return _assemble(columns(), x0, lambda a: _call(f, x, a))


# --- complex step --------------------------------------------------------------

def complex_step(f, x, h=1e-20, *, elementwise=False):
    r"""Derivative, gradient or Jacobian of ``f`` at ``x`` by the complex-step method.

    For ``f`` analytic and real on the real axis,
    :math:`f(x + ih) = f(x) + ih f'(x) - \tfrac{h^2}{2} f''(x) + O(h^3)`, so

    .. math:: \frac{\partial f}{\partial x_j} \approx \frac{\operatorname{Im} f(x + i h e_j)}{h}

    with error O(h²) and no subtraction, hence no cancellation: ``h = 1e-20``
    gives the derivative to machine precision. One complex128 evaluation of
    ``f`` per input entry. ``f`` must carry complex numbers through (no
    ``abs``, ``maximum``, ``.real`` or casts to float on the way).

    Args:
        f: a function of one array (or Tensor) returning a scalar or an array.
        x: the (real) point, a number, array or Tensor.
        h: step, default 1e-20.
        elementwise: ``f`` acts entry by entry: one evaluation in total, and
            the result is the derivative shaped like ``x``.

    Returns:
        As :func:`central_difference`.

    Raises:
        TypeError: ``f`` returned a real array for complex input (it dropped
            the imaginary part, so the derivative would silently be 0).

    Example:
        >>> complex_step(np.exp, 0.0)
        1.0
    """
    x0 = _point(x)
    if not np.isscalar(h) and np.ndim(h) != 0 or not h > 0:
        raise ValueError(f"complex_step: h must be a positive number, got {h!r}")
    xc = x0.astype(np.complex128)

    def evaluate(a):
        y = _call(f, x, a)
        if not np.iscomplexobj(y):
            raise TypeError(
                f"complex_step: f returned a real {y.dtype} result for complex input; "
                "it must carry the imaginary part through (is it analytic?)")
        return y

    if elementwise:
        y = evaluate(xc + 1j * h)
        if y.shape != x0.shape:
            raise ValueError(f"elementwise=True needs f(x) shaped like x {x0.shape}, "
                             f"got {y.shape}")
        d = y.imag / h
        return d.item() if d.ndim == 0 else d
    def columns():
        for j in range(x0.size):
            a = xc.copy()
            a.flat[j] += 1j * h
            yield evaluate(a).imag / h
    return _assemble(columns(), x0, lambda a: _call(f, x, a))
