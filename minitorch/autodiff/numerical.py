"""Numerical differentiation: central differences and the complex step.

Both perturb one input entry at a time and read the change of ``f``:

* central difference   f'(x) ≈ (f(x + h) − f(x − h)) / 2h,  error O(h²) + O(ε/h);
  ``order=4`` and ``order=6`` use 4 and 6 points for O(h⁴) and O(h⁶)
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

_EPS = np.finfo(np.float64).eps

# The order-p stencil is Σ c_k D_k over the order-2 quotients D_k = (f(x+kh) − f(x−kh)) / 2kh,
# k = 1 … p/2: weights that sum to one and cancel the h², …, h^(p−2) terms of
# D_k = f' + (kh)² f‴/6 + (kh)⁴ f⁽⁵⁾/120 + … (Richardson extrapolation).
_WEIGHTS = {2: (1.0,), 4: (4 / 3, -1 / 3), 6: (3 / 2, -3 / 5, 1 / 10)}
# Truncation error C h^p against rounding error ≈ ε|f|/h: the best step is ∝ ε^(1/(p+1)).
_STEP = {p: _EPS ** (1.0 / (p + 1)) for p in _WEIGHTS}  # ≈ 6.1e-6, 7.4e-4, 5.8e-3


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

def central_difference(f, x, h=None, *, order=2, elementwise=False):
    r"""Derivative, gradient or Jacobian of ``f`` at ``x`` by central differences.

    .. math:: \frac{\partial f}{\partial x_j} \approx
              \frac{f(x + h_j e_j) - f(x - h_j e_j)}{2 h_j}
              \qquad (\text{order } 2)

    Higher orders use more points along ``e_j`` (``f_k = f(x + k h_j e_j)``):

    | order | stencil                                      | truncation error | default ``h``    |
    |-------|----------------------------------------------|------------------|------------------|
    | 2     | (f₁ − f₋₁) / 2h                              | h² f⁽³⁾/6        | ε^(1/3) ≈ 6.1e-6 |
    | 4     | (−f₂ + 8f₁ − 8f₋₁ + f₋₂) / 12h               | −h⁴ f⁽⁵⁾/30      | ε^(1/5) ≈ 7.4e-4 |
    | 6     | (f₃ − 9f₂ + 45f₁ − 45f₋₁ + 9f₋₂ − f₋₃) / 60h | h⁶ f⁽⁷⁾/140      | ε^(1/7) ≈ 5.8e-3 |

    An order-p stencil is exact for polynomials of degree ≤ p. Its truncation
    error falls as hᵖ while the rounding error grows as ε|f|/h (ε = 2.2e-16, the
    float64 epsilon), so the best step is about ε^(1/(p+1)), relative to
    max(1, |x|): the defaults above, which give roughly 10, 12 and 13 correct
    digits when f's derivatives are of order one. A function that bends on a
    scale L ≪ 1 needs a step about L times smaller; a step r times too large
    costs a factor rᵖ in truncation error, so the higher orders need it most.

    The order-p stencil is evaluated as Σₖ cₖ Dₖ over the order-2 quotients
    Dₖ = (f(x + kh) − f(x − kh)) / ((x + kh) − (x − kh)), k = 1 … p/2, each
    divided by the distance between its two points as represented in float64
    (Richardson extrapolation: c = (4/3, −1/3) for order 4, (3/2, −3/5, 1/10)
    for order 6). Everything runs in float64.

    Args:
        f: a function of one array (or Tensor, if ``x`` is a Tensor) returning a
            scalar or an array (or Tensor).
        x: the point, a number, array or Tensor; it is not modified.
        h: step, a number or an array broadcastable to ``x``.
            Default ``ε^(1/(order+1)) · max(1, |x|)`` per entry (see the table).
        order: order of accuracy of the stencil, 2 (default), 4 or 6.
        elementwise: ``f`` acts entry by entry (``y[i]`` depends on ``x[i]`` only),
            so all entries are perturbed at once: ``order`` evaluations in total,
            and the result is the derivative shaped like ``x``.

    Returns:
        float, gradient (shape of ``x``), derivative (shape of ``f(x)``) or
        Jacobian ``(f(x).size, x.size)``; see the module docstring.
        ``order`` evaluations of ``f`` per input entry.

    Raises:
        ValueError: ``order`` is not 2, 4 or 6, ``h`` is not positive, or ``h``
            is too small to move ``x``.

    Example:
        >>> round(central_difference(np.sin, 0.0), 8)
        1.0
        >>> [f"{central_difference(np.exp, 0.0, h=0.1, order=p) - 1:.1e}" for p in (2, 4, 6)]
        ['1.7e-03', '-3.3e-06', '7.2e-09']
        >>> central_difference(lambda v: (v ** 2).sum(), np.array([1.0, 2.0])).round(6)
        array([2., 4.])
    """
    if isinstance(order, bool) or order not in (2, 4, 6):
        raise ValueError(f"central_difference: order must be 2, 4 or 6, got {order!r}")
    weights = _WEIGHTS[int(order)]
    x0 = _point(x)
    if h is None:
        h = _STEP[int(order)] * np.maximum(1.0, np.abs(x0))
    h = np.broadcast_to(np.asarray(h, dtype=np.float64), x0.shape)
    if not np.all(h > 0):
        raise ValueError(f"central_difference: step h must be positive, got {h.min()}")
    # the pairs x ± kh; each quotient divides by the step actually taken, xp - xm
    pairs = [(x0 + k * h, x0 - k * h) for k in range(1, len(weights) + 1)]
    xp, xm = pairs[0]
    if np.any(xp == xm):
        j = tuple(int(i) for i in np.unravel_index(int(np.argmax(xp == xm)), x0.shape))
        raise ValueError(f"central_difference: step h={h[j]:.3g} is below the spacing of floats "
                         f"at x={float(x0[j])!r} (index {j}), so x + h == x - h; "
                         f"use h ≳ 1e-15·max(1, |x|)")
    if elementwise:
        d = 0.0
        for c, (xp, xm) in zip(weights, pairs):
            yp, ym = _call(f, x, xp), _call(f, x, xm)
            if yp.shape != x0.shape:
                raise ValueError(f"elementwise=True needs f(x) shaped like x {x0.shape}, "
                                 f"got {yp.shape}")
            d = d + c * (yp - ym) / (xp - xm)
        return d.item() if d.ndim == 0 else d
    def columns():
        for j in range(x0.size):
            quotients = []
            for xp, xm in pairs:
                a, b = x0.copy(), x0.copy()
                a.flat[j], b.flat[j] = xp.flat[j], xm.flat[j]
                quotients.append((_call(f, x, a) - _call(f, x, b)) / (xp.flat[j] - xm.flat[j]))
            if any(q.shape != quotients[0].shape for q in quotients):
                raise ValueError(f"f returned shapes {[q.shape for q in quotients]} around "
                                 f"x[{j}]; its output shape must not depend on the input values")
            yield sum(c * q for c, q in zip(weights, quotients))
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
