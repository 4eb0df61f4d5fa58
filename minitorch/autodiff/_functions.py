"""Forward-mode rules for numpy array functions on :class:`~minitorch.autodiff.Dual`.

Reached through ``__array_function__`` (``np.sum``, ``np.where``, ...):

* linear maps L (reshape, sum, concatenate, indexing helpers ...): value
  L(x), tangent L(dx);
* multilinear ones (dot, einsum, outer ...): the product rule over operands;
* by hand: max/min (ties share the tangent), where, clip, sort, var/std, norm;
* functions whose result carries no derivative (shape, argmax, result_type
  ...): applied to the values.
"""
import numpy as np

from .forward import Dual
from ._ufuncs import _dual, _no_rule, _tan, _val

__all__ = ["apply_function"]

HANDLERS = {}


def implements(*funcs):
    def register(rule):
        for f in funcs:
            HANDLERS[f] = rule
        return rule
    return register


def apply_function(func, args, kwargs):
    rule = HANDLERS.get(func)
    if rule is None:
        raise _no_rule(func.__name__)
    return rule(func, *args, **kwargs)


def _map(y, t):
    """Pair values and tangents, also for functions returning lists (split)."""
    if isinstance(y, (list, tuple)):
        return type(y)(_dual(a, b) for a, b in zip(y, t))
    return _dual(y, t)


@implements(np.sum, np.mean, np.cumsum, np.trace, np.diff, np.reshape, np.transpose,
            np.swapaxes, np.moveaxis, np.squeeze, np.expand_dims, np.ravel,
            np.broadcast_to, np.flip, np.fliplr, np.flipud, np.roll, np.tile, np.repeat,
            np.diagonal, np.diag, np.tril, np.triu, np.take, np.take_along_axis,
            np.copy, np.atleast_1d, np.atleast_2d, np.real, np.imag, np.split,
            np.array_split, np.hsplit, np.vsplit, np.rot90)
def _linear(func, x, *args, **kwargs):
    """A linear map L: value L(x), tangent L(dx)."""
    if any(isinstance(a, Dual) for a in args):
        raise _no_rule(f"{func.__name__} with a Dual in a non-data argument")
    y = func(_val(x), *args, **kwargs)
    t = _tan(x)
    return _map(y, func(t, *args, **kwargs)) if t is not None else y


@implements(np.concatenate, np.stack, np.hstack, np.vstack, np.column_stack, np.dstack)
def _linear_seq(func, arrays, *args, **kwargs):
    arrays = list(arrays)
    y = func([_val(a) for a in arrays], *args, **kwargs)
    t = func([_tan(a) if isinstance(a, Dual) else np.zeros(np.shape(a)) for a in arrays],
             *args, **kwargs)
    return _dual(y, t)


@implements(np.broadcast_arrays)
def _broadcast_arrays(func, *arrays, **kwargs):
    ys = func(*[_val(a) for a in arrays], **kwargs)
    return tuple(_dual(y, np.broadcast_to(_tan(a), y.shape)) if isinstance(a, Dual) else y
                 for a, y in zip(arrays, ys))


@implements(np.dot, np.vdot, np.inner, np.outer, np.tensordot, np.kron, np.cross,
            np.matmul)
def _bilinear(func, a, b, *args, **kwargs):
    """Product rule: d(a∘b) = da∘b + a∘db."""
    y = func(_val(a), _val(b), *args, **kwargs)
    terms = []
    if isinstance(a, Dual):
        terms.append(func(a.tangent, _val(b), *args, **kwargs))
    if isinstance(b, Dual):
        terms.append(func(_val(a), b.tangent, *args, **kwargs))
    return _dual(y, sum(terms[1:], terms[0]))


@implements(np.einsum)
def _einsum(func, subscripts, *operands, **kwargs):
    vals = [_val(o) for o in operands]
    y = func(subscripts, *vals, **kwargs)
    terms = [func(subscripts, *vals[:i], o.tangent, *vals[i + 1:], **kwargs)
             for i, o in enumerate(operands) if isinstance(o, Dual)]
    return _dual(y, sum(terms[1:], terms[0]))


@implements(np.max, np.amax, np.min, np.amin)
def _reduce_extremum(func, x, axis=None, out=None, keepdims=False, **kwargs):
    if out is not None or kwargs:
        raise TypeError(f"Dual: numpy.{func.__name__} supports only axis and keepdims")
    return _extremum(func, x, axis=axis, keepdims=keepdims)


def _extremum(func, x, axis=None, keepdims=False):
    """max/min: the tangent of the winner; ties share it equally (as PyTorch's amax)."""
    v = _val(x)
    m = func(v, axis=axis, keepdims=True)
    mask = v == m
    t = (mask * x.tangent).sum(axis=axis, keepdims=True) / mask.sum(axis=axis, keepdims=True)
    if not keepdims:
        m, t = np.squeeze(m, axis=axis), np.squeeze(t, axis=axis)
    return _dual(m, t)


@implements(np.var, np.std)
def _moments(func, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d = x - np.mean(x, axis=axis, keepdims=True)
    n = np.size(_val(x)) if axis is None else np.prod([np.shape(_val(x))[a] for a in np.atleast_1d(axis)])
    var = np.sum(d * d, axis=axis, keepdims=keepdims) / (n - ddof)
    return np.sqrt(var) if func is np.std else var


@implements(np.where)
def _where(func, cond, *ab):
    cond = _val(cond)
    if not ab:
        return np.where(cond)
    a, b = ab
    y = np.where(cond, _val(a), _val(b))
    if not isinstance(a, Dual) and not isinstance(b, Dual):
        return y
    ta = _tan(a) if isinstance(a, Dual) else np.zeros(np.shape(a))
    tb = _tan(b) if isinstance(b, Dual) else np.zeros(np.shape(b))
    return _dual(y, np.where(cond, ta, tb))


@implements(np.clip)
def _clip(func, x, a_min=None, a_max=None, **kwargs):
    if kwargs or isinstance(a_min, Dual) or isinstance(a_max, Dual):
        y = x if a_min is None else np.maximum(x, a_min)
        return y if a_max is None else np.minimum(y, a_max)
    v = _val(x)
    y = np.clip(v, a_min, a_max)
    inside = np.ones(np.shape(v), dtype=bool)
    if a_min is not None:
        inside &= v >= a_min
    if a_max is not None:
        inside &= v <= a_max
    return _dual(y, np.where(inside, x.tangent, 0))


@implements(np.sort)
def _sort(func, x, axis=-1, **kwargs):
    order = np.argsort(_val(x), axis=axis, **kwargs)
    return np.take_along_axis(x, order, axis=axis)


@implements(np.zeros_like, np.ones_like, np.empty_like, np.full_like)
def _like(func, x, *args, **kwargs):
    y = func(_val(x), *args, **kwargs)
    return Dual(y) if np.issubdtype(y.dtype, np.inexact) else y


@implements(np.around, np.round)
def _round(func, x, *args, **kwargs):
    return Dual(func(_val(x), *args, **kwargs))


@implements(np.result_type, np.shape, np.ndim, np.size, np.argmax, np.argmin, np.argsort,
            np.nonzero, np.argwhere, np.count_nonzero, np.all, np.any, np.isclose,
            np.allclose, np.array_equal, np.searchsorted, np.can_cast, np.iscomplexobj,
            np.isrealobj, np.min_scalar_type)
def _on_values(func, *args, **kwargs):
    """Functions whose result carries no derivative: apply to the values."""
    def strip(a):
        if isinstance(a, (list, tuple)):
            return type(a)(strip(b) for b in a)
        return _val(a)
    return func(*strip(args), **{k: strip(v) for k, v in kwargs.items()})


@implements(np.linalg.norm)
def _norm(func, x, ord=None, axis=None, keepdims=False):
    if ord not in (None, 2, "fro") or (ord == 2 and axis is None and np.ndim(_val(x)) > 1):
        raise _no_rule(f"linalg.norm with ord={ord!r}")
    return np.sqrt(np.sum(x * np.conjugate(x), axis=axis, keepdims=keepdims))
