"""Tensor: a numpy array that remembers how it was computed.

A ``Tensor`` holds ``.data`` (a numpy array), ``.grad`` (dL/d(this tensor),
filled by ``backward``) and, when it came out of a recorded operation, a
``Node`` of the graph (see ``autograd.py``). The operations themselves — each
forward with its vector-Jacobian product beside it — live in ``ops.py``.
"""
import numpy as np

from minitorch import autograd

__all__ = ["Tensor", "tensor", "get_default_dtype", "set_default_dtype"]

_default_dtype = np.dtype(np.float32)


def get_default_dtype():
    """The dtype given to floating Python data and new parameters (float32 unless changed).

    Example:
        >>> import minitorch as mt
        >>> mt.get_default_dtype()
        dtype('float32')
    """
    return _default_dtype


def set_default_dtype(dtype):
    """Set the dtype of floating Python data and new parameters (float32 or float64).

    Numpy arrays keep their own dtype, and a module casts floating input to
    its parameters' dtype, so this decides the precision of models built
    afterwards.

    Args:
        dtype: a floating numpy dtype, e.g. ``np.float64``.

    Raises:
        TypeError: for a dtype that is not floating.

    Example:
        >>> import numpy as np
        >>> import minitorch as mt
        >>> mt.set_default_dtype(np.float64)
        >>> mt.tensor([1.0]).dtype, mt.nn.Linear(2, 1).weight.dtype
        (dtype('float64'), dtype('float64'))
        >>> mt.set_default_dtype(np.float32)
    """
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype expects a floating dtype (float32, float64), got {dtype}")
    _default_dtype = dtype


def _as_array(data, dtype=None):
    """numpy array for ``data`` with PyTorch's dtype rules for ``tensor()``."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):       # numpy keeps its dtype
        return np.array(data, dtype=dtype, copy=True)
    array = np.array(data, dtype=dtype)
    if dtype is None:
        if array.dtype.kind == "f":
            array = array.astype(_default_dtype)
        elif array.dtype.kind == "c":
            array = array.astype(np.result_type(_default_dtype, np.complex64))
        elif array.dtype.kind not in "biu":
            raise TypeError(f"tensor() expects numbers, lists of numbers or arrays, "
                            f"got data of dtype {array.dtype}")
    return array


class Tensor:
    """A numpy array with an optional gradient and the record of its computation.

    ``.data`` is the numpy array, ``.grad`` is dL/d(this tensor) after a
    ``backward`` (None before), ``.requires_grad`` says whether backward
    computes it. An operation on tensors computes its result on ``.data`` with
    numpy and, when an input requires grad, records a node of the graph whose
    vector-Jacobian product ``backward`` calls (``minitorch/ops.py``).

    Operations, all recorded, with numpy broadcasting (the gradient of a
    broadcast operand is summed back to its shape):

    * arithmetic ``+ - * / ** @`` and unary ``-``: d(ab) = b da + a db,
      d(a/b) = da/b − a db/b², d(A B) = dA B + A dB;
    * ``.exp() .log() .tanh() .sigmoid() .relu() .sqrt() .abs() .sin() .cos()``,
      and numpy ufuncs called on tensors (``np.sin(t)``, ``np.maximum(t, 0)``, ...);
    * ``.sum/.mean/.max/.min(axis=None, keepdims=False)``;
    * ``.reshape(*shape)`` (and ``.view``), ``.T``, ``.transpose(*axes)``,
      ``.flatten()``, indexing ``t[i]`` (basic and fancy), ``.astype(dtype)``
      (``.float()``, ``.double()``), ``.clone()``;
    * not recorded: comparisons (``<``, ``==``, ...), ``.argmax/.argmin``,
      ``.any/.all``, ``.long()``.

    Args:
        data: array-like; see :func:`tensor` for the dtype rules.
        requires_grad (bool): whether ``backward`` should compute dL/d(this tensor).
        dtype: numpy dtype of ``.data`` (default: see :func:`tensor`).

    Example:
        >>> import minitorch as mt
        >>> x = mt.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> loss = (x * x).sum()
        >>> loss.backward()
        >>> x.grad
        array([2., 4., 6.], dtype=float32)
    """

    __slots__ = ("data", "grad", "requires_grad", "_node", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, data, requires_grad=False, dtype=None):
        self.data = _as_array(data, dtype)
        self.grad = None
        self._node = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(data, node=None):
        """A tensor around ``data`` (no copy), recorded by ``node`` if given."""
        t = object.__new__(Tensor)
        t.data, t.grad, t._node, t.requires_grad = data, None, node, node is not None
        return t

    # --- what a Tensor is -----------------------------------------------
    @property
    def shape(self):
        """The shape of ``.data``, a tuple."""
        return self.data.shape

    @property
    def dtype(self):
        """The numpy dtype of ``.data``."""
        return self.data.dtype

    @property
    def ndim(self):
        """The number of dimensions of ``.data``."""
        return self.data.ndim

    @property
    def size(self):
        """The number of elements of ``.data`` (an int, as numpy's ``.size``)."""
        return self.data.size

    @property
    def grad_fn(self):
        """The ``Node`` that produced this tensor (None for a leaf)."""
        return self._node

    @property
    def is_leaf(self):
        """True for a tensor made by the user (or by an unrecorded operation), not by a node."""
        return self._node is None

    def dim(self):
        """The number of dimensions, as PyTorch's ``dim()``."""
        return self.data.ndim

    def numel(self):
        """The number of elements, as PyTorch's ``numel()``."""
        return self.data.size

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def numpy(self):
        """The underlying numpy array (shared, not copied), as PyTorch's ``.numpy()``."""
        return self.data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() expects a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def tolist(self):
        """The values as (nested) Python lists of numbers."""
        return self.data.tolist()

    def detach(self):
        """A new leaf sharing this tensor's data, outside the graph."""
        return Tensor._wrap(self.data)

    def requires_grad_(self, requires_grad=True):
        """Turn gradient tracking on (floating and complex tensors only) or off (leaves only).

        Returns the tensor itself.
        """
        if requires_grad and self.data.dtype.kind not in "fc":
            raise TypeError(f"only floating or complex tensors can require gradients, "
                            f"got dtype {self.data.dtype}")
        if not requires_grad and self._node is not None:
            raise RuntimeError("requires_grad can only be turned off on a leaf tensor; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def zero_(self):
        """Set every value to 0 in place (not recorded); returns the tensor itself."""
        self.data[...] = 0
        return self

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = "" if self.data.dtype == _default_dtype or self.data.dtype.kind in "b" \
            or self.data.dtype == np.int64 else f", dtype={self.data.dtype}"
        if self._node is not None:
            extra += f", grad_fn=<{self._node.name}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor with {self.data.size} elements is "
                             f"ambiguous; use .any() or .all()")
        return bool(self.data)

    __hash__ = object.__hash__      # identity, as in PyTorch (== is elementwise)

    # --- gradients ----------------------------------------------------------
    def _accumulate(self, grad):
        """dL/d(leaf) += grad, keeping the leaf's dtype (PyTorch's ``.grad`` accumulation)."""
        if self.grad is None:
            self.grad = np.array(grad, dtype=self.data.dtype, copy=True).reshape(self.data.shape)
        else:
            np.add(self.grad, grad, out=self.grad, casting="unsafe")

    def backward(self, gradient=None, retain_graph=False):
        """Compute dL/d(leaf) for every leaf this tensor depends on; add it into ``.grad``.

        Args:
            gradient: dL/d(self), same shape as self. May be omitted only for a
                one-element tensor, where it is dL/dL = 1.
            retain_graph: keep the graph so that backward can run through it again.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() called on a tensor that does not require grad: "
                               "expected the result of operations on tensors with "
                               "requires_grad=True (or a model's parameters), got a constant")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs: expected a "
                    f"one-element tensor, got shape {self.shape}; pass gradient= "
                    f"(dL/d(output), an array of shape {self.shape})")
            gradient = np.array(1, self.data.dtype, ndmin=self.data.ndim)    # dL/dL = 1
        else:
            gradient = np.asarray(gradient.data if isinstance(gradient, Tensor) else gradient)
            if gradient.shape != self.shape:
                raise ValueError(f"backward(gradient=...) expects shape {self.shape} "
                                 f"(the tensor's), got {gradient.shape}")
            gradient = gradient.astype(self.data.dtype, copy=False)
        autograd.backward(self, gradient, retain_graph)


def tensor(data, dtype=None, requires_grad=False):
    """Create a tensor, with PyTorch's dtype rules.

    Python floats and lists get the default dtype (float32, see
    :func:`set_default_dtype`); Python ints give int64; a numpy array keeps
    its dtype unless ``dtype`` is given. The data is copied.

    Example:
        >>> import minitorch as mt
        >>> mt.tensor([[1.0, 2.0]]).dtype
        dtype('float32')
        >>> mt.tensor([0, 2, 1]).dtype
        dtype('int64')
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


from minitorch import dispatch as _dispatch  # noqa: E402,F401  (attaches the operators to Tensor)
