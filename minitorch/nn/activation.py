"""Activation functions: elementwise (or row-wise) maps and their derivatives.

Each derivative is written from what forward kept, usually the output h
(σ' = h(1−h), tanh' = 1−h²), the way the lecture and scikit-learn write them.
"""
import warnings

import numpy as np

from minitorch.nn.module import Module
from minitorch.overflow import quiet_exp

__all__ = ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax", "LogSoftmax"]

def _log_max(dtype):
    """The largest t of ``dtype`` whose e^t is finite."""
    real = np.finfo(dtype).dtype
    t = np.log(np.finfo(real).max).astype(real)
    with np.errstate(over="ignore"):
        while not np.isfinite(np.exp(t)):
            t = np.nextafter(t, real.type(0))
    return t


# e^t overflows for t above this, in the real part, by complex dtype character: the complex
# step of gradcheck runs through Sigmoid, and an inf must not meet the imaginary part there
_LOG_MAX = {np.dtype(t).char: _log_max(t) for t in (np.complex64, np.complex128, np.clongdouble)}


class Sigmoid(Module):
    r"""h = σ(x) = 1 / (1 + e⁻ˣ), elementwise.

    Backward: dL/dx = dL/dh ⊙ h ⊙ (1 − h), since σ'(x) = σ(x)(1 − σ(x)).

    Shape: any; the output has the input's shape.

    Example:
        >>> import minitorch as mt
        >>> from minitorch import nn
        >>> nn.Sigmoid()(mt.tensor([0.0])).item()
        0.5
    """

    _leaf_layer = True
    _grad_is_fresh = True                   # (backward's dL/dx is a new array, kept nowhere)

    def forward(self, x):
        """h = 1 / (1 + e⁻ˣ), elementwise; keeps h for backward.

        Where x < −log(largest float), e⁻ˣ overflows to inf and h is 0, as it
        should be (σ(x) is below the smallest normal float there), with no
        warning (``quiet_exp`` is ``np.exp`` under ``np.errstate(over="ignore")``,
        at a third of its cost). For a complex x (gradcheck's complex step) −x is
        capped there instead, so that no inf meets the imaginary part.
        """
        if type(x) is np.ndarray and x.ndim and x.dtype.kind == "f":
            h = np.negative(x)                           # computed in place, in one new array
            quiet_exp(h, out=h)                          # e⁻ˣ (= inf gives h = 0, as it should)
            h += 1
            np.reciprocal(h, out=h)                      # h = 1 / (1 + e⁻ˣ)
        elif getattr(x, "dtype", None) is not None and x.dtype.char in _LOG_MAX:
            h = 1 / (1 + np.exp(np.minimum(-x, _LOG_MAX[x.dtype.char])))
        else:                                            # integers, 0-d arrays, dual numbers
            h = 1 / (1 + quiet_exp(-x))
        self.h = h
        return h

    def backward(self, grad_h):
        """dL/dx = dL/dh ⊙ h ⊙ (1 − h), from the h that forward kept."""
        h = self.h
        grad_x = 1 - h
        grad_x *= grad_h
        grad_x *= h                                      # dσ/dx = σ(1−σ)
        return grad_x


class Tanh(Module):
    """h = tanh(x), elementwise. Backward: dL/dx = dL/dh ⊙ (1 − h²).

    Shape: any; the output has the input's shape.

    Example:
        >>> import minitorch as mt
        >>> from minitorch import nn
        >>> nn.Tanh()(mt.tensor([0.0, 100.0]))
        tensor([0., 1.])
    """

    _leaf_layer = True
    _grad_is_fresh = True                   # (backward's dL/dx is a new array, kept nowhere)

    def forward(self, x):
        """h = tanh(x), elementwise; keeps h for backward."""
        self.h = h = np.tanh(x)
        return h

    def backward(self, grad_h):
        """dL/dx = dL/dh ⊙ (1 − h²), since tanh′ = 1 − tanh²."""
        h = self.h
        return grad_h * (1 - h * h)                      # d tanh/dx = 1 − tanh²


_zeros = {}


def _zeros_like(x):
    """0, as a read-only array of zeros like x where ``np.maximum(x, ·)`` runs faster with one.

    On float arrays ``np.maximum`` runs its vectorized loop only when both
    operands are arrays of one layout: a scalar 0 takes a loop that is not
    vectorized (numpy 2.4, x86-64), a row of zeros broadcast down the rows
    goes row by row. On the documenting machine, float32:

    ============  ==========  ==========  ============
    x             scalar 0    zero row    zeros like x
    ============  ==========  ==========  ============
    32 × 128      1.8 µs      1.2 µs      0.55 µs
    256 × 128     10.1 µs     4.5 µs      2.3 µs
    256 × 256     18.9 µs     5.9 µs      4.6 µs
    ============  ==========  ==========  ============

    So the zeros are kept, one read-only array per shape (of x's dtype), for
    arrays of up to 2¹⁶ elements (256 KiB in float32) and at most 16 shapes at
    once; a larger x gets a row of zeros.
    """
    if type(x) is np.ndarray:
        zeros = _zeros.get(x.shape)
        if zeros is not None and zeros.dtype is x.dtype:
            return zeros
        if x.ndim and x.dtype.kind == "f" and x.shape[-1] <= 1 << 16:
            if len(_zeros) >= 16:
                _zeros.clear()                  # (shapes come and go: keep only the recent)
            zeros = np.zeros(x.shape if x.size <= 1 << 16 else x.shape[-1:], x.dtype)
            zeros.flags.writeable = False
            _zeros[x.shape] = zeros
            return zeros
    return 0


class ReLU(Module):
    """h = max(x, 0), elementwise. Backward: dL/dx = dL/dh ⊙ [x > 0].

    Shape: any; the output has the input's shape.

    Example:
        >>> import minitorch as mt
        >>> from minitorch import nn
        >>> nn.ReLU()(mt.tensor([-1.0, 2.0])).tolist() == [0.0, 2.0]
        True
    """

    _leaf_layer = True
    # in a chain, after a Linear: h is written into x, and dL/dx into dL/dh, when these are
    # fresh (made by the child next to it, held by nothing else; record._run_chain says so)
    _overwrites, _output_is_fresh, _grad_is_fresh = ("input", "grad"), True, True

    analytic = False

    def forward(self, x):
        """h = max(x, 0); keeps the mask [x > 0] for backward."""
        self.mask = x > 0
        if self.input_is_fresh:                          # x is a chain's own: h goes into it
            return np.maximum(x, _zeros_like(x), out=x)
        return np.maximum(x, _zeros_like(x))            # (zeros like x: faster than 0)

    def backward(self, grad_h):
        """dL/dx = dL/dh ⊙ [x > 0] (the derivative at 0 is taken as 0, as in PyTorch)."""
        if self.grad_is_fresh:                           # dL/dh is a chain's own: dL/dx goes into it
            grad_h *= self.mask
            return grad_h
        return grad_h * self.mask                        # 1 where x > 0, else 0


class LeakyReLU(Module):
    """h = x if x > 0 else negative_slope·x. Backward: dL/dx = dL/dh ⊙ (1 or negative_slope).

    Args:
        negative_slope (float): slope for x ≤ 0. Default: 0.01.

    Example:
        >>> import minitorch as mt
        >>> from minitorch import nn
        >>> nn.LeakyReLU(0.1)(mt.tensor([-1.0, 2.0]))
        tensor([-0.1,  2. ])
    """

    _leaf_layer = True

    analytic = False

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x):
        """h = x where x > 0, negative_slope·x elsewhere."""
        self.mask = mask = x > 0
        return np.where(mask, x, self.negative_slope * x)

    def backward(self, grad_h):
        """dL/dx = dL/dh where x > 0, negative_slope·dL/dh elsewhere."""
        return grad_h * np.where(self.mask, 1.0, self.negative_slope).astype(grad_h.dtype, copy=False)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


def _softmax_dim(dim, ndim, name):
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                      f"Change the call to include dim=X as an argument.", stacklevel=4)
        return 0 if ndim in (0, 1, 3) else 1
    if not -ndim <= dim < max(ndim, 1):
        raise ValueError(f"{name}(dim={dim}): expected dim in [{-ndim}, {ndim - 1}] for an input "
                         f"with {ndim} dimensions")
    return dim


class Softmax(Module):
    """hᵢ = exp(xᵢ) / Σⱼ exp(xⱼ) along ``dim`` (computed with the max subtracted).

    Backward: dL/dx = h ⊙ (dL/dh − Σⱼ dL/dhⱼ hⱼ), the softmax Jacobian
    diag(h) − h hᵀ applied to dL/dh.

    Args:
        dim (int): the dimension that sums to 1. None picks one with PyTorch's
            deprecated rule, and warns.

    Shape: any; the output has the input's shape.

    Example:
        >>> import minitorch as mt
        >>> from minitorch import nn
        >>> nn.Softmax(dim=1)(mt.tensor([[0.0, 0.0]]))
        tensor([[0.5, 0.5]])
    """

    _leaf_layer = True

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        """h = exp(x − max x) / Σ exp(x − max x) along ``dim``; keeps h for backward."""
        dim = _softmax_dim(self.dim, x.ndim, "Softmax")
        e = np.exp(x - x.max(axis=dim, keepdims=True))
        self.h = h = e / e.sum(axis=dim, keepdims=True)
        self.axis = dim
        return h

    def backward(self, grad_h):
        """dL/dx = h ⊙ (dL/dh − Σⱼ dL/dhⱼ hⱼ) along ``dim``."""
        h = self.h
        return h * (grad_h - (grad_h * h).sum(axis=self.axis, keepdims=True))

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """hᵢ = xᵢ − log Σⱼ exp(xⱼ) along ``dim`` (log-sum-exp with the max subtracted).

    Backward: dL/dx = dL/dh − softmax(x) ⊙ Σⱼ dL/dhⱼ, with softmax(x) = exp(h).
    Followed by ``NLLLoss`` it computes what ``CrossEntropyLoss`` computes.

    Args:
        dim (int): the dimension of the classes. None picks one with PyTorch's
            deprecated rule, and warns.

    Shape: any; the output has the input's shape.

    Example:
        >>> import minitorch as mt
        >>> from minitorch import nn
        >>> nn.LogSoftmax(dim=1)(mt.tensor([[0.0, 0.0]])).numpy().round(4)
        array([[-0.6931, -0.6931]], dtype=float32)
    """

    _leaf_layer = True

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        """h = x − max x − log Σ exp(x − max x) along ``dim``; keeps h for backward."""
        dim = _softmax_dim(self.dim, x.ndim, "LogSoftmax")
        z = x - x.max(axis=dim, keepdims=True)
        self.h = h = z - np.log(np.exp(z).sum(axis=dim, keepdims=True))
        self.axis = dim
        return h

    def backward(self, grad_h):
        """dL/dx = dL/dh − exp(h) ⊙ Σⱼ dL/dhⱼ along ``dim``."""
        return grad_h - np.exp(self.h) * grad_h.sum(axis=self.axis, keepdims=True)

    def extra_repr(self):
        return f"dim={self.dim}"
