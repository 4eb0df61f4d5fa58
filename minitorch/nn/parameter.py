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

    __slots__ = ("_grads_from", "_next_grad")

    def __init__(self, data, requires_grad=True):
        if isinstance(data, Tensor):
            data = data.data
        array = np.asarray(data) if isinstance(data, np.ndarray) else _as_array(data)
        if array.dtype.kind not in "fc":
            raise TypeError(f"Parameter expects floating data, got dtype {array.dtype}")
        self.data, self.grad, self._node = array, None, None
        self.requires_grad = bool(requires_grad)
        self._grads_from = None     # an optimizer's flat layout (a weak reference), once laid out
        self._next_grad = None      # a zeroed view of that layout's gradients, ready for .grad

    def _new_grad(self):
        """A zero gradient, given to a parameter whose ``.grad`` is None before a layer's backward.

        A parameter an optimizer has laid out flat gets its view of the flat
        gradient array when no one else holds it (see ``optim/flat.py``): the
        step then needs no copy. The optimizer's ``zero_grad`` zeroes all
        those views in one pass and leaves each parameter its own, ready.
        Any other parameter gets a new zero array.
        """
        ready = self._next_grad
        if ready is not None:
            self._next_grad = None
            if ready.shape == self.data.shape and ready.dtype == self.data.dtype:
                return ready
        source = self._grads_from
        if source is not None:
            flat = source()
            grad = flat.zero_grad_for(self) if flat is not None else None
            if grad is not None:
                return grad
        return np.zeros(self.data.shape, self.data.dtype)

    def _accumulate(self, grad):
        """dL/dθ += grad (from the graph's operations), starting from ``_new_grad`` when None."""
        if self.grad is None and self._grads_from is not None:
            view = self._new_grad()
            np.copyto(view, np.reshape(grad, view.shape), casting="unsafe")
            self.grad = view
            return
        super()._accumulate(grad)

    def __getstate__(self):
        # a copy or a pickle is laid out by no optimizer (and a weak reference cannot be pickled)
        state, slots = super().__getstate__()
        return state, {**slots, "_grads_from": None, "_next_grad": None}

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
