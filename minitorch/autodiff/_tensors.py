"""How dual numbers and the reverse-mode recorder meet minitorch Tensors.

Tensor operations compute on ``.data`` with numpy (see ``ops.py``), so a
Tensor whose ``.data`` is a :class:`Dual` carries the tangent through them,
and through modules, whose layers run plain numpy on the arrays they get.

For reverse mode the input is a Tensor whose graph node only *catches* the
gradient that arrives at it (``_Catch``), instead of a leaf accumulating into
``.grad``. That leaves the caller's tensors and ``.grad`` untouched, and also
works when ``.data`` is a Dual (forward-over-reverse, used by ``hessian``).
"""
from .numerical import _is_tensor

__all__ = ["call_with_dual", "caught_input", "is_module", "unwrap"]


def is_module(f):
    try:
        from minitorch.nn.module import Module
    except ImportError:  # pragma: no cover - only before the core exists
        return False
    return isinstance(f, Module)


def _wrap(data, node=None):
    from minitorch.tensor import Tensor
    return Tensor._wrap(data, node)


def unwrap(y):
    """The data of a Tensor result; anything else as it is."""
    return y.data if _is_tensor(y) else y


def call_with_dual(f, x, d):
    """``f`` at the dual point ``d``: as a Tensor if ``x`` was one or ``f`` is a module."""
    if not (_is_tensor(x) or is_module(f)):
        return f(d)
    from minitorch.autograd import no_grad
    with no_grad():                       # forward mode needs no graph
        return unwrap(f(_wrap(d)))


class _Catch:
    """The graph node's vjp of the input: keep the gradient, pass nothing on."""

    def __init__(self):
        self.grad = None

    def __call__(self, grad):
        self.grad = grad if self.grad is None else self.grad + grad
        return (None,)


def caught_input(data):
    """A Tensor of ``data`` that records operations, and the catcher of its gradient."""
    from minitorch.autograd import Node
    catch = _Catch()
    return _wrap(data, Node((), catch, "input")), catch
