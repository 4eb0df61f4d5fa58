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
        self._next_grad = None      # (its data, its view of that layout's gradients), ready

    def add_grad(self, f, *args, **kwargs):
        r"""dL/dθ += f(\*args, \*\*kwargs): a layer's backward adding its gradient for θ.

        ``f`` is a numpy function that takes ``out=`` (``np.matmul``,
        ``np.add.reduce``, ``np.multiply``, ...). The first gradient of a
        backward (``.grad`` is None) is written by ``f`` straight into the
        new ``.grad`` — the optimizer's flat gradient array when it is free
        (see ``optim/flat.py``) — so there is no zero fill and no extra pass;
        later ones are added. Nothing happens if θ does not require grad.

        A layer whose backward gives its gradients this way says so with
        ``_zero_grads_first = False``; the others get a zero ``.grad`` before
        their backward runs, so ``self.weight.grad += g`` always works.

        Example:
            >>> import numpy as np
            >>> from minitorch import nn
            >>> w = nn.Parameter(np.zeros((2, 3)))
            >>> g, x = np.ones((4, 2)), np.ones((4, 3))
            >>> w.add_grad(np.matmul, g.T, x)       # dL/dW = dL/dh · xᵀ, summed over 4 rows
            >>> w.add_grad(np.matmul, g.T, x)       # a second call adds
            >>> w.grad
            array([[8., 8., 8.],
                   [8., 8., 8.]])
        """
        if not self.requires_grad:
            return
        grad = self.grad
        if grad is not None:
            grad += f(*args, **kwargs)
            return
        ready = self._next_grad
        if ready is not None and ready[0] is self.data:     # (_flat_grad_view's first case,
            grad, self._next_grad = ready[1], None          # here: one call less per gradient)
        else:
            grad = self._flat_grad_view()
            if grad is None:
                grad = np.empty(self.data.shape, self.data.dtype)
        f(*args, out=grad, **kwargs)
        self.grad = grad

    def _new_grad(self):
        """A zero gradient, given to a parameter whose ``.grad`` is None before a layer's backward
        (one that adds into ``.grad``, ``self.weight.grad += g``)."""
        view = self._flat_grad_view()
        if view is None:
            return np.zeros(self.data.shape, self.data.dtype)
        view.fill(0)
        return view

    def _flat_grad_view(self):
        """This parameter's view of its optimizer's flat gradient array, to become its ``.grad``
        (the values in it are left from before: the caller overwrites them), or None.

        A laid-out parameter gets it when no one else holds it (see
        ``optim/flat.py``): the step then reads the gradient where it is. The
        optimizer's ``zero_grad`` leaves each parameter its view, ready; else
        the layout is asked.
        """
        ready = self._next_grad
        if ready is not None:
            self._next_grad = None
            if ready[0] is self.data:               # still laid out as it was
                return ready[1]
        source = self._grads_from
        if source is None:
            return None
        flat = source()
        return flat.grad_view_for(self) if flat is not None else None

    def _accumulate(self, grad):
        """dL/dθ += grad (from the graph's operations); the first one is copied into the flat view."""
        if self.grad is None and self._grads_from is not None:
            view = self._flat_grad_view()
            if view is not None:
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
