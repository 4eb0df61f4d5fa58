"""Dropout: zero each input with probability p while training (inverted dropout)."""
import numpy as np

from minitorch.nn.module import Module
from minitorch.random import get_generator

__all__ = ["Dropout"]


class Dropout(Module):
    """h = x ⊙ m / (1 − p) with m ~ Bernoulli(1 − p) in training; h = x in eval mode.

    Scaling by 1/(1 − p) at training time keeps E[h] = x, so nothing changes
    at evaluation. Backward: dL/dx = dL/dh ⊙ m / (1 − p). Masks come from
    minitorch's seeded generator (``mt.manual_seed``).

    Args:
        p (float): probability of zeroing an element, 0 ≤ p ≤ 1. Default: 0.5.
        inplace (bool): multiply the input array in place instead of making a
            new one. Default: False.

    Shape: any; the output has the input's shape.

    Example:
        >>> import numpy as np
        >>> import minitorch as mt
        >>> from minitorch import nn
        >>> _ = mt.manual_seed(0)
        >>> drop = nn.Dropout(p=0.5)
        >>> h = drop(np.ones((2, 4), np.float32)).numpy()
        >>> sorted(set(h.ravel().tolist()))          # zeroed, or scaled by 1/(1 − p)
        [0.0, 2.0]
        >>> drop.eval()(np.ones((2, 4), np.float32)).numpy().tolist()   # eval: unchanged
        [[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]
    """

    _leaf_layer = True

    analytic = False

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = float(p), bool(inplace)

    def forward(self, x):
        """h = x ⊙ m / (1 − p) in training, with a fresh mask m; h = x in eval mode."""
        if not self.training or self.p == 0.0:
            self.scale = None
            return x
        keep = get_generator().random(x.shape) >= self.p
        scale = keep * (1.0 / (1.0 - self.p)) if self.p < 1.0 else np.zeros(x.shape)
        self.scale = scale = scale.astype(x.dtype if x.dtype.kind in "fc" else np.float64, copy=False)
        return np.multiply(x, scale, out=x) if self.inplace else x * scale

    def backward(self, grad_h):
        """dL/dx = dL/dh ⊙ m / (1 − p), with the mask of this call's forward."""
        return grad_h if self.scale is None else grad_h * self.scale

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
