"""Full Jacobians and Hessians from forward and reverse mode.

For f: Rᴺ → Rᴹ the Jacobian J (M × N) can be built

* a column at a time, ``J e_i`` by forward mode: N forward passes;
* a row at a time, ``e_jᵀ J`` by reverse mode: one recorded forward pass
  and M backward passes through it.

So forward mode wins when N < M and reverse mode when N > M, which is why
training (one loss, millions of parameters) uses reverse mode.
The Hessian is the Jacobian of the gradient: forward over reverse.
"""
import numpy as np

from ._tensors import call_with_dual, is_module, unwrap
from .forward import Dual
from .numerical import _data, _is_tensor, _result
from .reverse import _record, _start

__all__ = ["jacobian", "hessian"]

_MODES = ("forward", "reverse", "auto")


def _output_size(f, x, x0):
    """Evaluate ``f`` once, without recording, for the size of its output."""
    if _is_tensor(x):
        from minitorch.autograd import no_grad
        from minitorch.tensor import Tensor
        with no_grad():
            return np.size(unwrap(f(Tensor._wrap(x0.copy()))))
    return np.size(_data(f(x0.copy())))


def _forward_columns(f, x, x0):
    cols, y_shape = [], ()
    for i in range(x0.size):
        e = np.zeros_like(x0)
        e.flat[i] = 1
        y = call_with_dual(f, x, Dual(x0.copy(), e))
        if not isinstance(y, Dual):              # f does not depend on x
            y = Dual(np.asarray(y))
        y_shape = y.shape
        cols.append(np.ravel(y.tangent))
    if not cols:
        return np.zeros((0, 0)), y_shape
    return np.stack(cols, axis=1), y_shape


def _reverse_rows(f, x0):
    y, pullback = _record(f, x0)
    rows = []
    for j in range(y.size):
        u = np.zeros(y.shape, dtype=y.dtype)
        u.flat[j] = 1
        g = pullback(u)
        rows.append(np.zeros(x0.size) if g is None else np.ravel(g))
    if not rows:
        return np.zeros((0, x0.size)), y.shape
    return np.stack(rows, axis=0), y.shape


def jacobian(f, x, mode="auto"):
    r"""The Jacobian :math:`J_{ij} = \partial f_i / \partial x_j` by automatic differentiation.

    Args:
        f: a function of one array or Tensor (or an ``nn.Module``), as for
            :func:`jvp` (forward) and :func:`vjp` (reverse). With a numpy
            ``x``, forward mode passes ``f`` a :class:`Dual` and reverse mode a
            Tensor; with a Tensor ``x``, ``f`` always receives a Tensor.
        x: the point (number, array or Tensor).
        mode: ``'forward'`` (one JVP per input, a column each),
            ``'reverse'`` (one VJP per output, a row each, on one recorded
            graph) or ``'auto'``: forward when there are fewer inputs than
            outputs, reverse otherwise (one extra evaluation to find out).

    Returns:
        ``(f(x).size, x.size)`` for array input and output; the gradient
        (shaped like ``x``) for a scalar output; dy/dx (shaped like ``f(x)``)
        for a scalar ``x``; a float when both are scalars.

    Example:
        >>> jacobian(lambda v: v * v, np.array([1.0, 2.0]), mode="forward")
        array([[2., 0.],
               [0., 4.]])
    """
    if mode not in _MODES:
        raise ValueError(f"jacobian: mode must be one of {_MODES}, got {mode!r}")
    x0 = _start(x)
    if mode == "auto":
        mode = "forward" if x0.size < _output_size(f, x, x0) else "reverse"
    if mode == "forward":
        J, y_shape = _forward_columns(f, x, x0)
    else:
        J, y_shape = _reverse_rows(f, x0)
    return _result(J, x0.shape, tuple(y_shape))


def hessian(f, x):
    r"""The Hessian :math:`H_{ij} = \partial^2 f / \partial x_i \partial x_j` of a scalar ``f``.

    Forward over reverse: column i is the directional derivative of the
    reverse-mode gradient along ``e_i``, :math:`H e_i = \tfrac{d}{d\epsilon}
    \nabla f(x + \epsilon e_i)`, computed by running the backward pass on
    dual numbers (the recorded graph carries ``Dual`` data). N passes, each
    one forward and one backward; exact to rounding.

    Args:
        f: a function of one Tensor returning a one-element Tensor, written
            with Tensor operations or numpy ufuncs on Tensors, or an
            ``nn.Module`` (its parameters are held fixed meanwhile). A function
            that calls a model with parameters needs ``model.requires_grad_(False)``
            first, so that no layer adds into ``.grad``.
        x: the point (number, array or Tensor).

    Returns:
        ``(x.size, x.size)`` for array ``x`` (a float for a scalar ``x``).

    Example:
        >>> hessian(lambda t: (t ** 3).sum(), np.array([1.0, 2.0]))
        array([[ 6.,  0.],
               [ 0., 12.]])
    """
    x0 = _start(x)
    params = [p for p in f.parameters() if p.requires_grad] if is_module(f) else []
    cols = []
    try:
        for p in params:                # a layer's backward would add duals into p.grad
            p.requires_grad = False
        for i in range(x0.size):
            e = np.zeros_like(x0)
            e.flat[i] = 1
            y, pullback = _record(f, Dual(x0.copy(), e))
            if y.size != 1:
                raise ValueError(f"hessian: f must return a single number, got shape {y.shape}")
            try:
                g = pullback(np.ones(y.shape))
            except TypeError as error:
                if "out=ndarray" not in str(error):
                    raise
                raise TypeError("hessian: a layer's backward tried to add a dual-number gradient "
                                "into a parameter's .grad; for the Hessian with respect to the "
                                "input, freeze the model first (model.requires_grad_(False)) or "
                                "pass the model itself as f") from error
            cols.append(np.zeros(x0.size) if not isinstance(g, Dual) else np.ravel(g.tangent))
    finally:
        for p in params:
            p.requires_grad = True
    H = np.stack(cols, axis=1) if cols else np.zeros((0, 0))
    if x0.ndim == 0:
        return H.reshape(()).item()
    return H
