"""Forward-mode rules for numpy ufuncs on :class:`~minitorch.autodiff.Dual` (``np.sin``, ``+``, ``@``).

Each rule computes the value with numpy on the values and the tangent by the
chain rule, ``dy = Σ_i ∂y/∂x_i · dx_i``: ``UNARY`` gives dy/dx from x and y,
``BINARY`` gives (∂y/∂a, ∂y/∂b); linear ufuncs send the tangents through
themselves; piecewise-constant ones give a zero tangent and boolean ones a
plain array. Rules use numpy functions only, so a Dual whose value is itself
a Dual (nested dual numbers) works as well. Array functions (``np.sum``,
``np.where``, ...) are in ``_functions.py``.
"""
import math

import numpy as np

from .forward import Dual

__all__ = ["apply_ufunc"]


def _val(a):
    return a.value if isinstance(a, Dual) else a


def _tan(a):
    return a.tangent if isinstance(a, Dual) else None


def _dual(value, tangent):
    """A Dual whose tangent has the value's shape and (inexact) dtype."""
    shape = np.shape(value)
    if tangent is None:
        return Dual(value)
    if np.shape(tangent) != shape:
        tangent = np.broadcast_to(tangent, shape)
    if not isinstance(value, Dual) and not isinstance(tangent, Dual):
        dtype = value.dtype if np.issubdtype(value.dtype, np.inexact) else tangent.dtype
        tangent = np.array(tangent, dtype=dtype)        # own, writable copy
    return Dual(value, tangent)


def _no_rule(name):
    return TypeError(f"Dual: no forward-mode rule for numpy.{name}; "
                     "compute it from supported operations or use .value for a constant")


# --- ufuncs --------------------------------------------------------------------
_LN2, _LN10 = math.log(2.0), math.log(10.0)
UNARY = {  # ufunc: (x, y) -> dy/dx
    np.sin: lambda x, y: np.cos(x),
    np.cos: lambda x, y: -np.sin(x),
    np.tan: lambda x, y: 1 + y * y,
    np.arcsin: lambda x, y: 1 / np.sqrt(1 - x * x),
    np.arccos: lambda x, y: -1 / np.sqrt(1 - x * x),
    np.arctan: lambda x, y: 1 / (1 + x * x),
    np.sinh: lambda x, y: np.cosh(x),
    np.cosh: lambda x, y: np.sinh(x),
    np.tanh: lambda x, y: 1 - y * y,
    np.arcsinh: lambda x, y: 1 / np.sqrt(x * x + 1),
    np.arccosh: lambda x, y: 1 / np.sqrt(x * x - 1),
    np.arctanh: lambda x, y: 1 / (1 - x * x),
    np.exp: lambda x, y: y,
    np.exp2: lambda x, y: y * _LN2,
    np.expm1: lambda x, y: y + 1,
    np.log: lambda x, y: 1 / x,
    np.log2: lambda x, y: 1 / (x * _LN2),
    np.log10: lambda x, y: 1 / (x * _LN10),
    np.log1p: lambda x, y: 1 / (1 + x),
    np.sqrt: lambda x, y: 0.5 / y,
    np.cbrt: lambda x, y: 1 / (3 * y * y),
    np.square: lambda x, y: 2 * x,
    np.reciprocal: lambda x, y: -y * y,
    np.absolute: lambda x, y: np.sign(x),
    np.fabs: lambda x, y: np.sign(x),
    np.deg2rad: lambda x, y: math.pi / 180,
    np.rad2deg: lambda x, y: 180 / math.pi,
}


def _tie_split(a, b):
    """∂max(a, b)/∂a: 1 where a > b, 0 where a < b, ½ on ties (as PyTorch)."""
    return np.where(a > b, 1.0, np.where(a == b, 0.5, 0.0))


def _power_b(a, b, y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a == 0, 0.0, y * np.log(np.where(a == 0, 1, a)))


BINARY = {  # ufunc: (a, b, y) -> (∂y/∂a, ∂y/∂b)
    np.multiply: lambda a, b, y: (b, a),
    np.divide: lambda a, b, y: (1 / b, -y / b),
    np.power: lambda a, b, y: (b * a ** (b - 1), _power_b(a, b, y)),
    np.float_power: lambda a, b, y: (b * np.float_power(a, b - 1), _power_b(a, b, y)),
    np.arctan2: lambda a, b, y: (b / (a * a + b * b), -a / (a * a + b * b)),
    np.hypot: lambda a, b, y: (a / y, b / y),
    np.logaddexp: lambda a, b, y: (np.exp(a - y), np.exp(b - y)),
    np.logaddexp2: lambda a, b, y: (np.exp2(a - y), np.exp2(b - y)),
    np.maximum: lambda a, b, y: (_tie_split(a, b), _tie_split(b, a)),
    np.minimum: lambda a, b, y: (_tie_split(b, a), _tie_split(a, b)),
    np.fmax: lambda a, b, y: (_tie_split(a, b), _tie_split(b, a)),
    np.fmin: lambda a, b, y: (_tie_split(b, a), _tie_split(a, b)),
    np.remainder: lambda a, b, y: (1.0, -np.floor(a / b)),
    np.fmod: lambda a, b, y: (1.0, -np.trunc(a / b)),
}
LINEAR_UFUNCS = {np.add, np.subtract, np.negative, np.positive, np.conjugate}
CONSTANT_UFUNCS = {np.sign, np.floor, np.ceil, np.trunc, np.rint, np.heaviside}


def _ufunc_call(ufunc, inputs, kwargs):
    if ufunc.nout != 1:                                 # divmod, modf, frexp
        raise _no_rule(ufunc.__name__)
    vals = [_val(a) for a in inputs]
    y = ufunc(*vals, **kwargs)
    if not np.issubdtype(y.dtype, np.inexact):          # comparisons, isnan, ...
        return y
    tans = [_tan(a) for a in inputs]
    if ufunc in CONSTANT_UFUNCS:
        return Dual(y)
    if ufunc in LINEAR_UFUNCS:
        tans = [t if t is not None else np.zeros(np.shape(v)) for v, t in zip(vals, tans)]
        return _dual(y, ufunc(*tans, **kwargs))
    if ufunc is np.matmul:
        a, b = vals
        terms = []
        if tans[0] is not None:
            terms.append(np.matmul(tans[0], b, **kwargs))
        if tans[1] is not None:
            terms.append(np.matmul(a, tans[1], **kwargs))
        return _dual(y, sum(terms[1:], terms[0]))
    if ufunc in UNARY:
        return _dual(y, UNARY[ufunc](vals[0], y) * tans[0])
    if ufunc in BINARY:
        partials = BINARY[ufunc](vals[0], vals[1], y)
        terms = [p * t for p, t in zip(partials, tans) if t is not None]
        return _dual(y, sum(terms[1:], terms[0]))
    raise _no_rule(ufunc.__name__)


def apply_ufunc(ufunc, method, inputs, kwargs):
    out = kwargs.pop("out", None)
    if kwargs.get("where", True) is not True:
        raise TypeError(f"Dual: numpy.{ufunc.__name__}(..., where=...) is not supported")
    if method == "__call__":
        y = _ufunc_call(ufunc, inputs, kwargs)
    elif method == "reduce" and ufunc is np.add:
        y = np.sum(inputs[0], **kwargs)
    elif method == "reduce" and ufunc in (np.maximum, np.minimum):
        y = (np.max if ufunc is np.maximum else np.min)(inputs[0], **kwargs)
    elif method == "accumulate" and ufunc is np.add:
        y = np.cumsum(inputs[0], **kwargs)
    elif method == "at" and ufunc is np.add and isinstance(inputs[0], Dual):
        a, index = inputs[0], _val(inputs[1])          # scatter-add: linear in both
        b = inputs[2] if len(inputs) > 2 else 0
        np.add.at(a.value, index, _val(b))
        if isinstance(b, Dual):
            np.add.at(a.tangent, index, b.tangent)
        return None
    else:
        raise _no_rule(f"{ufunc.__name__}.{method}")
    if out is None:
        return y
    (o,) = out
    if not isinstance(o, Dual):
        if isinstance(y, Dual):
            raise TypeError(f"Dual: numpy.{ufunc.__name__}(..., out=ndarray) would drop "
                            "the tangent; write into a Dual")
        o[...] = y
        return o
    o[...] = y
    return o
