"""Reverse mode (adjoint mode): vector-Jacobian products on the Tensor engine.

One forward pass records the graph; each backward pass, seeded with ``u`` at
the output, returns ``uᵀJ`` — all inputs at once, in a cost of a small
constant times one evaluation of ``f``:

.. math:: u^T J = \\left(\\left(u^T \\frac{\\partial F_n}{\\partial F_{n-1}}\\right)
          \\cdots\\right) \\frac{\\partial F_1}{\\partial x}

This is the lecture's ``df_rv`` done for any function written with Tensor
operations (``+ - * / ** @``, ``.exp()``, ``.sum()``, ...) or numpy ufuncs
on Tensors (``np.sin(t)``), and for modules.
"""
import numpy as np

from ._tensors import caught_input, is_module
from .numerical import _data, _is_tensor

__all__ = ["vjp", "grad"]


def _start(x):
    """The input as a fresh floating array (integers and Python numbers become float64)."""
    a = _data(x)
    dtype = a.dtype if np.issubdtype(a.dtype, np.inexact) else np.float64
    return np.array(a, dtype=dtype)


def _out(a):
    a = np.asarray(a)
    return a.item() if a.ndim == 0 else a


def _record(f, data):
    """Run ``f`` on a recording Tensor of ``data``; return (output Tensor, pullback).

    The pullback returns the gradient that reaches the input (``None`` when
    the output does not depend on it). Module parameters keep their ``.grad``.
    """
    from minitorch.autograd import enable_grad
    x, catch = caught_input(data)
    with enable_grad():
        y = f(x)
    if not _is_tensor(y):
        raise TypeError(f"vjp: f must return a Tensor computed from its input (a Tensor), "
                        f"got {type(y).__name__}; write f with Tensor operations or "
                        f"numpy ufuncs on Tensors")
    params = list(f.parameters()) if is_module(f) else []

    def pullback(u):
        u = np.asarray(_data(u))
        if u.shape != y.shape:
            raise ValueError(f"vjp: the cotangent u must have the output's shape {y.shape}, "
                             f"got {u.shape}")
        if not y.requires_grad:
            return None
        saved = [None if p.grad is None else p.grad.copy() for p in params]
        catch.grad = None
        try:
            y.backward(gradient=u, retain_graph=True)
        finally:
            for p, g in zip(params, saved):
                p.grad = g
        return catch.grad
    return y, pullback


def vjp(f, x):
    r"""Vector-Jacobian product by reverse mode: ``(f(x), u ↦ uᵀJ)``.

    ``f`` runs once, recording its operations; each call of the returned
    function runs one backward pass through them (the graph is kept, so it
    may be called as often as wanted). With ``u = e_j`` it gives row j of J.

    Args:
        f: a function of one Tensor returning a Tensor: Tensor operations,
            numpy ufuncs on Tensors, or an ``nn.Module``. It receives a Tensor
            even when ``x`` is a numpy array.
        x: the point (number, array or Tensor); computed in its floating dtype
            (Python numbers and integers in float64).

    Returns:
        ``(y, pullback)``: ``f(x)`` as a numpy array (a float for a scalar) and
        a function mapping ``u`` (shaped like ``y``) to ``uᵀJ`` (shaped like
        ``x``). Parameters of a module ``f`` keep their ``.grad``.

    Example:
        >>> y, pullback = vjp(lambda t: (t * t).sum(), np.array([1.0, 2.0]))
        >>> y, pullback(1.0)
        (5.0, array([2., 4.]))
    """
    x0 = _start(x)
    y, pullback = _record(f, x0)

    def u_transpose_j(u):
        g = pullback(u)
        return _out(np.zeros_like(x0) if g is None else np.asarray(g).reshape(x0.shape))
    return _out(y.data), u_transpose_j


def grad(f):
    r"""The gradient function of a scalar ``f``: ``x ↦ ∇f(x)``, by reverse mode.

    .. math:: \nabla f(x) = (1 \cdot J)^T, \quad J = \partial f / \partial x \in \mathbb{R}^{1 \times N}

    Args:
        f: as for :func:`vjp`, returning a one-element Tensor.

    Returns:
        a function of ``x`` returning ``∇f(x)`` shaped like ``x`` (a float for
        a scalar ``x``).

    Example:
        >>> g = grad(lambda t: np.sin(t) * t)
        >>> round(g(0.0), 6)
        0.0
    """
    def gradient(x):
        x0 = _start(x)
        y, pullback = _record(f, x0)
        if y.size != 1:
            raise ValueError(f"grad: f must return a single number, got shape {y.shape}; "
                             f"use vjp or jacobian for vector outputs")
        g = pullback(np.ones(y.shape))
        return _out(np.zeros_like(x0) if g is None else np.asarray(g).reshape(x0.shape))
    gradient.__doc__ = f"Gradient of {getattr(f, '__name__', type(f).__name__)} by reverse mode."
    return gradient
