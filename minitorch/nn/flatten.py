"""Flatten: reshape dimensions start_dim..end_dim into one."""
from minitorch.nn.module import Module

__all__ = ["Flatten"]


class Flatten(Module):
    """Flattens dims ``start_dim`` to ``end_dim`` (default: all but the batch dim).

    Shape: (N, d₁, …, dₖ) → (N, d₁·…·dₖ). Backward reshapes dL/dh back to x's shape.

    Args:
        start_dim (int): first dimension to flatten. Default: 1.
        end_dim (int): last dimension to flatten (negative counts from the end). Default: -1.

    Example:
        >>> import numpy as np
        >>> from minitorch import nn
        >>> nn.Flatten()(np.zeros((2, 8, 8))).shape
        (2, 64)
    """

    _leaf_layer = True

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        """x reshaped with dims start_dim..end_dim merged into one."""
        self.shape = x.shape
        if x.ndim == 0:
            return x.reshape(1)
        start, end = self.start_dim % x.ndim, self.end_dim % x.ndim
        if start > end:
            raise ValueError(f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}): start "
                             f"must not come after end for an input of shape {x.shape}")
        return x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1:])

    def backward(self, grad_h):
        """dL/dx = dL/dh reshaped to x's shape."""
        return grad_h.reshape(self.shape)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
