"""Linear: h = W x + b, back-propagated as the lecture derives it."""
import math

import numpy as np

from minitorch.nn import init
from minitorch.nn.module import Module
from minitorch.nn.parameter import Parameter
from minitorch.nn.record import location

__all__ = ["Linear", "Identity"]


class Linear(Module):
    r"""Applies an affine map to the last dimension: h = x Wᵀ + b.

    For one sample this is the lecture's h = W x + b, i.e.
    hᵢ = Σⱼ wᵢⱼ xⱼ + bᵢ. Its backward, for a batch of rows x:

    * dL/dW = (dL/dh)ᵀ · x     (one sample: dL/dW = dL/dh · xᵀ)
    * dL/db = Σ_batch dL/dh
    * dL/dx = dL/dh · W        (one sample: dL/dx = Wᵀ · dL/dh)

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: if False, no additive bias b.
        dtype: parameter dtype (default: ``mt.get_default_dtype()``).

    Shape:
        input (\*, in_features) → output (\*, out_features).

    Weight (out_features, in_features) and bias (out_features,) are drawn from
    U(-1/√in_features, 1/√in_features), as in PyTorch.

    Example:
        >>> import minitorch as mt
        >>> from minitorch import nn
        >>> layer = nn.Linear(3, 2)
        >>> layer(mt.tensor([[1.0, 2.0, 3.0]])).shape
        (1, 2)
    """

    _leaf_layer = True
    _zero_grads_first = False       # backward gives its gradients with Parameter.add_grad
    _output_is_fresh = _grad_is_fresh = True    # h and dL/dx are new arrays, kept nowhere

    def __init__(self, in_features, out_features, bias=True, dtype=None):
        super().__init__()
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
                raise ValueError(f"Linear: {name} must be a positive int, got {n!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        bound = 1 / math.sqrt(in_features)
        self.weight = Parameter(init.uniform((out_features, in_features), -bound, bound, dtype))
        self.bias = Parameter(init.uniform((out_features,), -bound, bound, dtype)) if bias else None

    def forward(self, x):
        r"""h = x Wᵀ + b for a batch of rows x (numpy arrays in and out).

        Args:
            x (numpy.ndarray): input of shape (\*, in_features).

        Returns:
            numpy.ndarray: h of shape (\*, out_features).

        Raises:
            ValueError: when the last dimension of x is not ``in_features``; the
                message names the layer and where it sits (``Sequential[2]``).
        """
        self.x = x
        try:
            h = x @ self.weight.data.T                   # h = W x + b, a row per sample
        except ValueError:                               # x's last dimension is not in_features
            raise ValueError(f"{self!r} at {location(self)}: expected input (N, {self.in_features}), "
                             f"got {np.shape(x)}") from None
        if self.bias is not None:
            h += self.bias.data
        return h

    def backward(self, grad_h):
        r"""Adds dL/dW = (dL/dh)ᵀ·x and dL/db = Σ dL/dh into ``.grad``; returns dL/dx = dL/dh·W.

        These are the lecture's dL/dW = dL/dh · xᵀ, dL/db = dL/dh and
        dL/dx = Wᵀ · dL/dh, written for a batch of rows (the outer product
        summed over the batch). ``p.add_grad(f, *args)`` is ``p.grad +=
        f(*args)``, with the first gradient of a backward computed straight
        into ``.grad`` (see :meth:`Parameter.add_grad`). dL/dx is None when
        nothing needs it.

        Args:
            grad_h (numpy.ndarray): dL/dh, shape (\*, out_features).

        Returns:
            numpy.ndarray or None: dL/dx, shape (\*, in_features).
        """
        x, w, b = self.x, self.weight, self.bias
        if x.ndim != 2:                                  # (*, in) -> (N, in)
            x, grad_h2 = x.reshape(-1, self.in_features), grad_h.reshape(-1, self.out_features)
        else:
            grad_h2 = grad_h
        w.add_grad(np.matmul, grad_h2.T, x)              # dL/dW += dL/dh · xᵀ
        if b is not None:
            b.add_grad(np.add.reduce, grad_h2, axis=0)   # dL/db += Σ dL/dh (a sum over rows)
        if not self.needs_input_grad:
            return None
        return grad_h @ w.data                           # dL/dx = Wᵀ · dL/dh

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, " \
               f"bias={self.bias is not None}"


class Identity(Module):
    """Returns its input unchanged: h = x, dL/dx = dL/dh.

    Example:
        >>> import minitorch as mt
        >>> from minitorch import nn
        >>> nn.Identity()(mt.tensor([1.0, 2.0]))
        tensor([1., 2.])
    """

    _leaf_layer = True

    def forward(self, x):
        """h = x."""
        return x

    def backward(self, grad_h):
        """dL/dx = dL/dh."""
        return grad_h
