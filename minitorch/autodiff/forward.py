"""Forward mode (tangent mode): dual numbers that flow through numpy code.

A :class:`Dual` is a pair (value, tangent) of equally shaped arrays. Every
numpy operation on it computes the value as usual and, beside it, the
tangent by the chain rule in differential form (``dy = f'(x) dx``)::

    x = Dual(2.0, 1.0)      # seed dx = 1
    y = np.sin(x * x) + x   # y.value = sin 4 + 2, y.tangent = 4 cos 4 + 1

It plugs into numpy through ``__array_ufunc__`` (``np.sin``, ``+``, ``@``, ...)
and ``__array_function__`` (``np.sum``, ``np.where``, ``np.concatenate``, ...),
so code written for plain arrays runs unchanged. An operation without a rule
raises ``TypeError`` rather than silently dropping the tangent; for the same
reason ``np.asarray(dual)`` and ``float(dual)`` are refused. The derivative
rules live in ``_ufuncs.py`` and ``_functions.py``.

:func:`jvp` seeds ``dx = v`` and reads ``J·v`` off the output (the lecture's
``df_fw``, done for any function).
"""
import numpy as np

from .numerical import _data

__all__ = ["Dual", "jvp"]


class Dual(np.lib.mixins.NDArrayOperatorsMixin):
    """An array with a tangent: the value of x and the directional derivative dx.

    Args:
        value: the primal value (array-like).
        tangent: the tangent, broadcastable to the value's shape
            (default: zeros, a constant). Floating like the value
            (float64 for integer values).

    Example:
        >>> y = np.exp(Dual(np.array([0.0, 1.0]), np.array([1.0, 1.0])))
        >>> y.tangent.round(4)
        array([1.    , 2.7183])
    """

    __slots__ = ("value", "tangent")

    def __init__(self, value, tangent=None):
        value = value if isinstance(value, Dual) else np.asarray(value)
        if tangent is None:
            tangent = np.zeros(np.shape(value), dtype=_tangent_dtype(value.dtype))
        elif not isinstance(tangent, Dual):
            tangent = np.asarray(tangent)
            if tangent.shape != value.shape:
                try:
                    tangent = np.array(np.broadcast_to(tangent, value.shape))
                except ValueError:
                    raise ValueError(f"Dual: tangent of shape {tangent.shape} does not "
                                     f"fit value of shape {value.shape}") from None
            if not np.issubdtype(tangent.dtype, np.inexact):
                tangent = tangent.astype(_tangent_dtype(value.dtype))
        self.value, self.tangent = value, tangent

    # --- numpy protocol ---------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from ._ufuncs import apply_ufunc
        if any(_foreign(a) for a in inputs + kwargs.get("out", ())):
            return NotImplemented          # e.g. a Tensor: let it unwrap first
        return apply_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        from ._functions import apply_function
        if not all(issubclass(t, (Dual, np.ndarray)) for t in types):
            return NotImplemented
        return apply_function(func, args, kwargs)

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Dual: converting to a plain numpy array would drop the tangent. "
                        "Use .value for a constant; for code that calls modules or "
                        "mt.tensor, pass x as a Tensor to jvp/jacobian (a Dual then flows "
                        "inside the Tensor)")

    # --- array attributes ---------------------------------------------------------
    shape = property(lambda self: self.value.shape)
    ndim = property(lambda self: self.value.ndim)
    size = property(lambda self: self.value.size)
    dtype = property(lambda self: self.value.dtype)
    T = property(lambda self: np.transpose(self))
    mT = property(lambda self: np.swapaxes(self, -1, -2))
    real = property(lambda self: np.real(self))
    imag = property(lambda self: np.imag(self))

    def __len__(self):
        return len(self.value)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getitem__(self, index):
        index = _plain(index)
        return Dual(self.value[index], self.tangent[index])

    def __setitem__(self, index, other):
        index = _plain(index)
        if isinstance(other, Dual):
            self.value[index], self.tangent[index] = other.value, other.tangent
        else:
            self.value[index], self.tangent[index] = other, 0

    def __bool__(self):
        return bool(self.value)

    def __float__(self):
        raise TypeError("Dual: float() would drop the tangent; use .value")

    __int__ = __complex__ = __index__ = __float__

    def item(self, *args):
        raise TypeError("Dual: item() would drop the tangent; use .value.item()")

    def __repr__(self):
        return f"Dual(value={self.value!r}, tangent={self.tangent!r})"

    # --- ndarray methods, all through numpy functions (so the rules apply) --------
    def astype(self, dtype, copy=True):
        dtype = np.dtype(dtype)
        if not np.issubdtype(dtype, np.inexact):    # piecewise constant: no tangent
            return self.value.astype(dtype)
        return Dual(self.value.astype(dtype), self.tangent.astype(dtype))

    def reshape(self, *shape, **kwargs):
        shape = shape[0] if len(shape) == 1 else shape
        return np.reshape(self, shape, **kwargs)

    def transpose(self, *axes):
        axes = axes[0] if len(axes) == 1 else (axes or None)
        return np.transpose(self, axes)

    def sum(self, axis=None, dtype=None, keepdims=False):
        return np.sum(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def mean(self, axis=None, dtype=None, keepdims=False):
        return np.mean(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def var(self, axis=None, ddof=0, keepdims=False):
        return np.var(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def std(self, axis=None, ddof=0, keepdims=False):
        return np.std(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return np.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return np.min(self, axis=axis, keepdims=keepdims)

    def clip(self, min=None, max=None):
        return np.clip(self, min, max)

    def dot(self, other):
        return np.dot(self, other)

    def cumsum(self, axis=None):
        return np.cumsum(self, axis=axis)

    def squeeze(self, axis=None):
        return np.squeeze(self, axis=axis)

    def swapaxes(self, a, b):
        return np.swapaxes(self, a, b)

    def ravel(self):
        return np.ravel(self)

    def flatten(self):
        return np.ravel(self).copy()

    def copy(self):
        return Dual(self.value.copy(), self.tangent.copy())

    def conj(self):
        return np.conjugate(self)

    def argmax(self, axis=None, keepdims=False):
        return self.value.argmax(axis=axis, keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        return self.value.argmin(axis=axis, keepdims=keepdims)

    def all(self, axis=None, keepdims=False):
        return self.value.all(axis=axis, keepdims=keepdims)

    def any(self, axis=None, keepdims=False):
        return self.value.any(axis=axis, keepdims=keepdims)


def _tangent_dtype(dtype):
    return dtype if np.issubdtype(dtype, np.inexact) else np.dtype(np.float64)


def _foreign(a):
    """An operand with its own ``__array_ufunc__`` that is neither Dual nor ndarray."""
    return (not isinstance(a, (Dual, np.ndarray))
            and getattr(type(a), "__array_ufunc__", None) is not None)


def _plain(index):
    """An index with any Dual replaced by its value (indices carry no tangent)."""
    if isinstance(index, tuple):
        return tuple(_plain(i) for i in index)
    return index.value if isinstance(index, Dual) else index


# --- jvp -----------------------------------------------------------------------

def jvp(f, x, v):
    r"""Jacobian-vector product by forward mode: ``(f(x), J·v)``.

    .. math:: J v = \frac{\partial F_n}{\partial F_{n-1}} \cdots
              \left(\frac{\partial F_1}{\partial x} v\right)

    ``x`` is seeded with the tangent ``v`` and one forward pass carries it to
    the output: the cost is a small constant times one evaluation of ``f``,
    whatever the sizes. With ``v = e_i`` this is column i of J.

    Args:
        f: a function of one array: plain numpy code, code on minitorch Tensors
            (if ``x`` is a Tensor, ``f`` receives a Tensor), or an ``nn.Module``.
        x: the point (number, array or Tensor). Integer input is taken as float64.
        v: the tangent (direction), shaped like ``x``.

    Returns:
        ``(y, jv)``: ``f(x)`` and ``J·v``, numpy arrays shaped like ``f(x)``
        (Python floats when ``f(x)`` is a scalar).

    Example:
        >>> y, dy = jvp(np.sin, 0.0, 1.0)
        >>> float(y), float(dy)
        (0.0, 1.0)
    """
    x0 = _data(x)
    x0 = np.array(x0, dtype=x0.dtype if np.issubdtype(x0.dtype, np.inexact) else np.float64)
    v = np.asarray(_data(v))
    if v.shape != x0.shape:
        raise ValueError(f"jvp: tangent v must have the shape of x {x0.shape}, got {v.shape}")
    y = _call_dual(f, x, Dual(x0, v.astype(np.result_type(x0.dtype, v.dtype))))
    value, tangent = (y.value, y.tangent) if isinstance(y, Dual) else (y, np.zeros_like(y))
    return _out(value), _out(tangent)


def _call_dual(f, x, d):
    """Evaluate f on the dual ``d`` and return a Dual (or a plain array if f is constant)."""
    from minitorch.autodiff._tensors import call_with_dual
    return call_with_dual(f, x, d)


def _out(a):
    a = np.asarray(a)
    return a.item() if a.ndim == 0 else a
