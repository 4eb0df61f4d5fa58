"""minitorch: a small, fast, honest neural-network framework on numpy with PyTorch's API.

Example:
    >>> import minitorch as mt
    >>> from minitorch import nn
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.Sigmoid(), nn.Linear(8, 3))
    >>> model(mt.tensor([[0.1, 0.2, 0.3, 0.4]])).shape
    (1, 3)
"""
__version__ = "0.1.0"

from minitorch.autograd import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from minitorch.random import manual_seed
from minitorch.tensor import Tensor, get_default_dtype, set_default_dtype, tensor
from minitorch.serialization import CheckpointError, load, save
from minitorch import autodiff, data, metrics, nn, optim, train

__all__ = [
    "__version__", "Tensor", "tensor", "get_default_dtype", "set_default_dtype",
    "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly", "manual_seed",
    "save", "load", "CheckpointError",
    "nn", "optim", "data", "autodiff", "train", "metrics",
]
