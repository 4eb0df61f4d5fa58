"""How Tensor's operators and numpy's functions reach the operations in ``ops.py``.

``t + u`` calls ``ops.add``; ``np.sin(t)`` arrives in ``Tensor.__array_ufunc__``
and ``np.sum(t)`` in ``Tensor.__array_function__``, which look the numpy
function up in :data:`UFUNCS` / :data:`FUNCTIONS`. A numpy function without a
gradient rule, called on a tensor that requires grad, raises rather than
silently dropping the gradient; without grad it just runs on the arrays.
"""
import numpy as np

from minitorch import autograd
from minitorch.ops import (absolute, add, arctan, astype, concatenate, cos, cosh, div, exp, exp2,
                           expm1, log, log1p, log2, log10, matmul, max, maximum, mean, min,
                           minimum, mul, neg, positive, power, reciprocal, record, relu, reshape,
                           sigmoid, sin, sinh, sqrt, square, stack, sub, sum, tan, tanh,
                           transpose, getitem, where)
from minitorch.tensor import Tensor

__all__ = ["UFUNCS", "FUNCTIONS"]

UFUNCS = {
    np.add: add, np.subtract: sub, np.multiply: mul, np.true_divide: div, np.power: power,
    np.negative: neg, np.matmul: matmul, np.exp: exp, np.log: log, np.tanh: tanh,
    np.sin: sin, np.cos: cos, np.tan: tan, np.sqrt: sqrt, np.absolute: absolute,
    np.square: square, np.log1p: log1p, np.expm1: expm1, np.sinh: sinh, np.cosh: cosh,
    np.arctan: arctan, np.reciprocal: reciprocal, np.log2: log2, np.log10: log10,
    np.exp2: exp2, np.positive: positive, np.maximum: maximum, np.minimum: minimum,
}

FUNCTIONS = {
    np.sum: sum, np.mean: mean, np.max: max, np.amax: max, np.min: min, np.amin: min,
    np.reshape: reshape, np.transpose: transpose, np.concatenate: concatenate,
    np.stack: stack, np.where: where, np.dot: matmul,
}


def _data(x):
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, (list, tuple)):
        return type(x)(_data(i) for i in x)
    return x


def _needs_grad(args):
    return autograd._grad_enabled and any(
        (isinstance(x, Tensor) and x.requires_grad) or
        (isinstance(x, (list, tuple)) and _needs_grad(x)) for x in args)


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    op = UFUNCS.get(ufunc)
    if method == "__call__" and op is not None and not kwargs:
        return op(*inputs)
    if _needs_grad(inputs) or _needs_grad(kwargs.get("out", ())):
        raise TypeError(f"np.{ufunc.__name__} ({method}, {sorted(kwargs)}) on a tensor that requires "
                        f"grad has no gradient rule in minitorch; expected one of "
                        f"{sorted(u.__name__ for u in UFUNCS)}, or use .detach() / no_grad()")
    result = getattr(ufunc, method)(*_data(inputs), **{k: _data(v) for k, v in kwargs.items()})
    if isinstance(result, tuple):
        return tuple(Tensor._wrap(np.asarray(r)) for r in result)
    return Tensor._wrap(np.asarray(result)) if isinstance(result, np.ndarray) else result


def _array_function(self, func, types, args, kwargs):
    op = FUNCTIONS.get(func)
    if op is not None:
        if func in (np.sum, np.mean, np.max, np.amax, np.min, np.amin) and set(kwargs) - {"axis", "keepdims"}:
            op = None
        elif func is np.transpose:
            return op(args[0], *(args[1:] or [kwargs.get("axes") or ()]))
        elif func is np.reshape:
            shape = args[1] if len(args) > 1 else kwargs.get("shape", kwargs.get("newshape"))
            return op(args[0], shape)
        elif func is np.dot:
            return op(*args)
    if op is not None:
        return op(*args, **kwargs)
    if _needs_grad(args) or _needs_grad(tuple(kwargs.values())):
        raise TypeError(f"np.{func.__name__} on a tensor that requires grad has no gradient rule in "
                        f"minitorch; expected one of {sorted(f.__name__ for f in FUNCTIONS)}, "
                        f"or use .detach() / no_grad()")
    return func(*_data(args), **{k: _data(v) for k, v in kwargs.items()})


def _compare(f):
    def op(self, other):
        return Tensor._wrap(f(self.data, _data(other)))
    return op


# --- attach the operators to Tensor ---------------------------------------------
def _swap(f):
    return lambda self, other: f(other, self)


for _name, _fn in {
    "__add__": add, "__radd__": _swap(add), "__sub__": sub, "__rsub__": _swap(sub),
    "__mul__": mul, "__rmul__": _swap(mul), "__truediv__": div, "__rtruediv__": _swap(div),
    "__pow__": power, "__rpow__": _swap(power), "__matmul__": matmul, "__rmatmul__": _swap(matmul),
    "__neg__": neg, "__getitem__": getitem, "exp": exp, "log": log, "tanh": tanh,
    "sigmoid": sigmoid, "relu": relu, "sum": sum, "mean": mean, "max": max, "min": min,
    "reshape": reshape, "view": reshape, "transpose": transpose, "abs": absolute, "sqrt": sqrt,
    "sin": sin, "cos": cos, "astype": astype, "__abs__": absolute,
    "__array_ufunc__": _array_ufunc, "__array_function__": _array_function,
    "__lt__": _compare(np.less), "__le__": _compare(np.less_equal),
    "__gt__": _compare(np.greater), "__ge__": _compare(np.greater_equal),
    "__eq__": _compare(np.equal), "__ne__": _compare(np.not_equal),
}.items():
    setattr(Tensor, _name, _fn)

Tensor.T = property(lambda self: transpose(self), doc="The transpose (axes reversed).")
Tensor.argmax = lambda self, axis=None, keepdims=False: Tensor._wrap(
    np.asarray(self.data.argmax(axis=axis, keepdims=keepdims)))
Tensor.argmin = lambda self, axis=None, keepdims=False: Tensor._wrap(
    np.asarray(self.data.argmin(axis=axis, keepdims=keepdims)))
Tensor.flatten = lambda self: reshape(self, -1)
Tensor.float = lambda self: astype(self, np.float32)
Tensor.double = lambda self: astype(self, np.float64)
Tensor.long = lambda self: astype(self, np.int64)
Tensor.to = lambda self, dtype: astype(self, dtype) if np.dtype(dtype) != self.dtype else self
Tensor.clone = lambda self: record(self.data.copy(), (self,), lambda g: (g,), "clone")
Tensor.any = lambda self, axis=None: Tensor._wrap(np.asarray(self.data.any(axis=axis)))
Tensor.all = lambda self, axis=None: Tensor._wrap(np.asarray(self.data.all(axis=axis)))
