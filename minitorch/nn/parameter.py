"""Parameter: a tensor that a module owns and an optimizer updates."""
import numpy as np

from minitorch.tensor import Tensor, _as_array

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A Tensor with ``requires_grad=True`` that registers itself on a module.

    Assigning a Parameter as an attribute of a :class:`Module` adds it to
    ``module.parameters()`` in assignment order. A numpy array keeps its
    dtype; Python numbers and lists take the default dtype.

    Example:
        >>> import numpy as np
        >>> from minitorch import nn
        >>> nn.Parameter(np.zeros((2, 3))).shape
        (2, 3)
    """

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        if isinstance(data, Tensor):
            data = data.data
        array = np.asarray(data) if isinstance(data, np.ndarray) else _as_array(data)
        if array.dtype.kind not in "fc":
            raise TypeError(f"Parameter expects floating data, got dtype {array.dtype}")
        self.data, self.grad, self._node = array, None, None
        self.requires_grad = bool(requires_grad)

    def _new_grad(self):
        """A zero gradient, given to a parameter whose ``.grad`` is None before a layer's backward."""
        return np.zeros(self.data.shape, self.data.dtype)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
