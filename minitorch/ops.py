"""Tensor operations: each forward with its vector-Jacobian product beside it.

Every operation computes its output on ``.data`` with numpy and, when a
gradient is wanted, records a ``Node`` whose ``vjp`` maps dL/d(out) to
dL/d(each input). Operands that were broadcast get their gradient summed back
to their own shape (:func:`unbroadcast`). numpy ufuncs called on tensors
(``np.sin(t)``, ``np.maximum(t, 0)``) come here through ``__array_ufunc__``
(see ``dispatch.py``, which also attaches the operators to Tensor).
"""
import builtins

import numpy as np

from minitorch import autograd
from minitorch.overflow import quiet_exp
from minitorch.tensor import Tensor

__all__ = ["unbroadcast", "record"]


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched to reach ``shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)


def _t(x):
    """A tensor for an operand (constants become leaves that need no gradient)."""
    return x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(x))


def _operands(a, b):
    """Both operands as tensors; a number takes the other's dtype (x32 * 2 stays float32).

    Python and numpy scalars are "weak", as in PyTorch; ``np.asarray(2)``
    alone would make an int64 array that promotes float32 to float64.
    """
    if isinstance(b, _NUMBERS) and isinstance(a, Tensor):
        return a, _weak(b, a)
    if isinstance(a, _NUMBERS) and isinstance(b, Tensor):
        return _weak(a, b), b
    return _t(a), _t(b)


_NUMBERS = (int, float, complex, np.number, np.bool_)


def _weak(x, like):
    value = x.item() if isinstance(x, (np.number, np.bool_)) else x
    return Tensor._wrap(np.asarray(value, dtype=np.result_type(like.data, value)))


def record(data, inputs, vjp, name):
    """The output tensor of an operation; records a Node when any input needs a gradient."""
    if autograd._anomaly:
        autograd.check_finite(data, f"operation '{name}'", "forward")
    if autograd._grad_enabled and any(t.requires_grad for t in inputs):
        return Tensor._wrap(data, autograd.Node(inputs, vjp, name))
    return Tensor._wrap(data)


# --- arithmetic -------------------------------------------------------------
def add(a, b):
    a, b = _operands(a, b)
    return record(a.data + b.data, (a, b),
                  lambda g: (unbroadcast(g, a.shape), unbroadcast(g, b.shape)), "add")


def sub(a, b):
    a, b = _operands(a, b)
    return record(a.data - b.data, (a, b),
                  lambda g: (unbroadcast(g, a.shape), unbroadcast(-g, b.shape)), "sub")


def mul(a, b):
    a, b = _operands(a, b)
    return record(a.data * b.data, (a, b),                       # d(ab) = b da + a db
                  lambda g: (unbroadcast(g * b.data, a.shape),
                             unbroadcast(g * a.data, b.shape)), "mul")


def div(a, b):
    a, b = _operands(a, b)
    out = a.data / b.data                                        # d(a/b) = da/b - a db/b²
    return record(out, (a, b),
                  lambda g: (unbroadcast(g / b.data, a.shape),
                             unbroadcast(-g * out / b.data, b.shape)), "div")


def power(a, b):
    a, b = _operands(a, b)
    out = a.data ** b.data                                       # d(a^b) = b a^(b-1) da + a^b ln(a) db

    def vjp(g):
        ga = unbroadcast(g * b.data * a.data ** (b.data - 1), a.shape) if a.requires_grad else None
        gb = None
        if b.requires_grad:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = unbroadcast(g * out * np.where(a.data > 0, np.log(np.where(a.data > 0, a.data, 1)), 0),
                                 b.shape)
        return ga, gb
    return record(out, (a, b), vjp, "pow")


def neg(a):
    return record(-a.data, (a,), lambda g: (-g,), "neg")


def matmul(a, b):
    """a @ b with numpy's rules (1-d and batched operands); d(AB) = dA B + A dB."""
    a, b = _operands(a, b)
    A, B = a.data, b.data
    if A.ndim == 0 or B.ndim == 0:
        raise ValueError(f"matmul expects operands with at least 1 dimension, got shapes {A.shape} and {B.shape}")
    out = A @ B

    def vjp(g):                                   # h = A B:  dL/dA = g Bᵀ,  dL/dB = Aᵀ g
        if A.ndim == 1 and B.ndim == 1:
            return g * B, g * A
        A2 = A[None, :] if A.ndim == 1 else A
        B2 = B[:, None] if B.ndim == 1 else B
        g2 = g
        if A.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        if B.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        ga = unbroadcast(g2 @ np.swapaxes(B2, -1, -2), A2.shape).reshape(A.shape) if a.requires_grad else None
        gb = unbroadcast(np.swapaxes(A2, -1, -2) @ g2, B2.shape).reshape(B.shape) if b.requires_grad else None
        return ga, gb
    return record(out, (a, b), vjp, "matmul")


# --- elementwise functions: derivative written from the output where it can be ---
def exp(a):
    """eˣ, elementwise; the derivative is the output itself."""
    out = np.exp(a.data)
    return record(out, (a,), lambda g: (g * out,), "exp")                  # (eˣ)' = eˣ


def log(a):
    """ln x, elementwise; (ln x)' = 1/x."""
    return record(np.log(a.data), (a,), lambda g: (g / a.data,), "log")    # (ln x)' = 1/x


def tanh(a):
    """tanh x, elementwise; tanh' = 1 − tanh², from the output."""
    out = np.tanh(a.data)
    return record(out, (a,), lambda g: (g * (1 - out * out),), "tanh")     # 1 − tanh²


def sigmoid(a):
    """σ(x) = 1/(1 + e⁻ˣ), elementwise; σ' = σ(1 − σ), from the output."""
    out = 1 / (1 + quiet_exp(-a.data))              # e⁻ˣ = inf gives σ = 0, as it should
    return record(out, (a,), lambda g: (g * out * (1 - out),), "sigmoid")  # σ(1−σ)


def relu(a):
    """max(x, 0), elementwise; the derivative is [x > 0]."""
    mask = a.data > 0
    return record(a.data * mask, (a,), lambda g: (g * mask,), "relu")


def _unary(name, f, df):
    """An elementwise op from f and its derivative df(x, out)."""
    def op(a):
        a = _t(a)
        out = f(a.data)
        return record(out, (a,), lambda g: (g * df(a.data, out),), name)
    op.__name__ = name
    return op


sin = _unary("sin", np.sin, lambda x, y: np.cos(x))
cos = _unary("cos", np.cos, lambda x, y: -np.sin(x))
tan = _unary("tan", np.tan, lambda x, y: 1 + y * y)
sqrt = _unary("sqrt", np.sqrt, lambda x, y: 0.5 / y)
absolute = _unary("abs", np.abs, lambda x, y: np.sign(x))
square = _unary("square", np.square, lambda x, y: 2 * x)
log1p = _unary("log1p", np.log1p, lambda x, y: 1 / (1 + x))
expm1 = _unary("expm1", np.expm1, lambda x, y: y + 1)
sinh = _unary("sinh", np.sinh, lambda x, y: np.cosh(x))
cosh = _unary("cosh", np.cosh, lambda x, y: np.sinh(x))
arctan = _unary("arctan", np.arctan, lambda x, y: 1 / (1 + x * x))
reciprocal = _unary("reciprocal", np.reciprocal, lambda x, y: -y * y)
log2 = _unary("log2", np.log2, lambda x, y: 1 / (x * np.log(2)))
log10 = _unary("log10", np.log10, lambda x, y: 1 / (x * np.log(10)))
exp2 = _unary("exp2", np.exp2, lambda x, y: y * np.log(2))
positive = _unary("positive", np.positive, lambda x, y: 1)


def _minmax(name, f):
    def op(a, b):
        a, b = _operands(a, b)
        out = f(a.data, b.data)
        pick_a = a.data == out                # ties: the gradient goes to the first operand
        return record(out, (a, b), lambda g: (unbroadcast(g * pick_a, a.shape),
                                              unbroadcast(g * ~pick_a, b.shape)), name)
    return op


maximum = _minmax("maximum", np.maximum)
minimum = _minmax("minimum", np.minimum)


# --- reductions and shape -----------------------------------------------------
def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axis = axis if isinstance(axis, tuple) else (axis,)
    return tuple(ax % ndim for ax in axis) if ndim else ()


def _expand(g, shape, axis, keepdims):
    """Reshape a reduced gradient so that it broadcasts back against ``shape``."""
    if not keepdims:
        for ax in sorted(_axes(axis, len(shape))):
            g = np.expand_dims(g, ax)
    return g


def sum(a, axis=None, keepdims=False):
    """Σ over ``axis`` (all axes if None); dL/da is dL/dout broadcast back to a's shape."""
    out = a.data.sum(axis=axis, keepdims=keepdims)
    return record(out, (a,), lambda g: (np.broadcast_to(_expand(g, a.shape, axis, keepdims), a.shape),),
                  "sum")


def mean(a, axis=None, keepdims=False):
    """The mean over ``axis`` (all axes if None); dL/da is dL/dout / n broadcast back."""
    out = a.data.mean(axis=axis, keepdims=keepdims)
    n = a.data.size // builtins.max(out.size, 1) if a.data.size else 1
    return record(out, (a,), lambda g: (np.broadcast_to(_expand(g, a.shape, axis, keepdims) / n, a.shape),),
                  "mean")


def _extreme(name, f):
    def op(a, axis=None, keepdims=False):
        out = f(a.data, axis=axis, keepdims=keepdims)

        def vjp(g):                                # ties share the gradient equally
            hit = a.data == _expand(out, a.shape, axis, keepdims)
            count = hit.sum(axis=axis, keepdims=True)
            return (hit * (_expand(g, a.shape, axis, keepdims) / count),)
        return record(out, (a,), vjp, name)
    return op


max = _extreme("max", np.max)
min = _extreme("min", np.min)


def reshape(a, *shape):
    """``a`` with a new shape (one may be -1); dL/da is dL/dout reshaped back."""
    shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    return record(a.data.reshape(shape), (a,), lambda g: (g.reshape(a.shape),), "reshape")


def transpose(a, *axes):
    """``a`` with its axes permuted (reversed if none given); dL/da is permuted back."""
    axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
    axes = tuple(axes) or tuple(reversed(range(a.ndim)))
    inverse = tuple(np.argsort(axes))
    return record(a.data.transpose(axes), (a,), lambda g: (g.transpose(inverse),), "transpose")


def _is_basic_index(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items)


def getitem(a, index):
    """``a[index]`` (basic or fancy); dL/da is dL/dout scattered back, repeated indices added."""
    if isinstance(index, Tensor):
        index = index.data
    if isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    out = a.data[index]

    def vjp(g):
        grad = np.zeros_like(a.data)
        if _is_basic_index(index):
            grad[index] += g                       # a view: each entry once
        else:
            np.add.at(grad, index, g)              # repeated indices add up
        return (grad,)
    return record(out, (a,), vjp, "getitem")


def astype(a, dtype):
    """``a`` cast to ``dtype``; recorded for floating dtypes (dL/da cast back), not for others."""
    dtype = np.dtype(dtype)
    return record(a.data.astype(dtype), (a,), lambda g: (g.astype(a.dtype, copy=False),), "astype") \
        if dtype.kind in "fc" else Tensor._wrap(a.data.astype(dtype))


def concatenate(tensors, axis=0):
    ts = [_t(t) for t in tensors]
    out = np.concatenate([t.data for t in ts], axis=axis)
    bounds = np.cumsum([t.shape[axis] for t in ts])[:-1]
    return record(out, tuple(ts), lambda g: tuple(np.split(g, bounds, axis=axis)), "concatenate")


def stack(tensors, axis=0):
    ts = [_t(t) for t in tensors]
    out = np.stack([t.data for t in ts], axis=axis)
    return record(out, tuple(ts),
                  lambda g: tuple(np.squeeze(p, axis) for p in np.split(g, len(ts), axis=axis)), "stack")


def where(cond, a, b):
    cond = cond.data if isinstance(cond, Tensor) else np.asarray(cond)
    a, b = _operands(a, b)
    return record(np.where(cond, a.data, b.data), (a, b),
                  lambda g: (unbroadcast(np.where(cond, g, 0), a.shape),
                             unbroadcast(np.where(cond, 0, g), b.shape)), "where")
