"""The graph: one :class:`Node` per recorded call, and the reverse walk over it.

Reverse mode, as in the lecture: every operation (and every call of a layer
with its own backward) leaves a ``Node`` on its output tensor that knows the
tensors it read and a function that turns dL/d(output) into dL/d(input) — a
vector-Jacobian product. ``backward`` seeds dL/dL = 1 at the loss and visits
the nodes in reverse topological order, summing the gradients that meet at a
tensor used more than once, and adding into ``.grad`` at the leaves.
"""
import contextlib

import numpy as np

__all__ = ["Node", "backward", "no_grad", "enable_grad", "is_grad_enabled",
           "detect_anomaly", "is_anomaly_enabled", "AnomalyError"]

_grad_enabled = True
_anomaly = False
_retaining = False      # retain_graph of the backward walk in progress (nested walks inherit it)


class no_grad(contextlib.ContextDecorator):
    """Context manager (and decorator) under which no operation is recorded.

    Example:
        >>> import minitorch as mt
        >>> w = mt.tensor([1.0, 2.0], requires_grad=True)
        >>> with mt.no_grad():
        ...     y = w * 2
        >>> y.requires_grad
        False
    """

    def __enter__(self):
        global _grad_enabled
        self._prev, _grad_enabled = _grad_enabled, False

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._prev


class enable_grad(contextlib.ContextDecorator):
    """Context manager (and decorator) that turns recording back on inside a ``no_grad`` block.

    Example:
        >>> import minitorch as mt
        >>> w = mt.tensor([1.0, 2.0], requires_grad=True)
        >>> with mt.no_grad():
        ...     with mt.enable_grad():
        ...         y = w * 2
        >>> y.requires_grad
        True
    """

    def __enter__(self):
        global _grad_enabled
        self._prev, _grad_enabled = _grad_enabled, True

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._prev


def is_grad_enabled():
    """True when operations are being recorded for ``backward`` (False inside ``no_grad``).

    Example:
        >>> import minitorch as mt
        >>> with mt.no_grad():
        ...     mt.is_grad_enabled()
        False
    """
    return _grad_enabled


class AnomalyError(RuntimeError):
    """A NaN or inf appeared under ``detect_anomaly``; the message names where.

    Where is the first module or operation that produced it, e.g.
    ``Sequential[1] (Log) produced nan in forward`` or ``operation 'log'
    produced inf in forward``, with the phase (forward or backward), the
    shape and the number of non-finite entries. See :class:`detect_anomaly`.
    """


class detect_anomaly(contextlib.ContextDecorator):
    """Raise at the first NaN or inf, in forward or backward, naming its source.

    Every operation and every layer checks its output (forward) and the
    gradients it produces (backward) while this is active, so the error names
    the first module or operation that produced a non-finite value.

    Example:
        >>> import numpy as np
        >>> import minitorch as mt
        >>> with mt.detect_anomaly(), np.errstate(invalid="ignore"):   # no RuntimeWarning
        ...     mt.tensor([-1.0]).log()
        Traceback (most recent call last):
        ...
        minitorch.autograd.AnomalyError: operation 'log' produced nan in forward ...
    """

    def __enter__(self):
        global _anomaly
        self._prev, _anomaly = _anomaly, True

    def __exit__(self, *exc):
        global _anomaly
        _anomaly = self._prev


def is_anomaly_enabled():
    """True inside ``detect_anomaly``: every operation and layer checks its results for NaN/inf."""
    return _anomaly


def check_finite(array, where, phase):
    """Under ``detect_anomaly``: raise if ``array`` holds NaN or inf."""
    if array is None:
        return
    array = np.asarray(array)
    if array.dtype.kind in "fc" and not np.all(np.isfinite(array)):
        what = "nan" if np.any(np.isnan(array)) else "inf"
        raise AnomalyError(
            f"{where} produced {what} in {phase} (expected finite values; "
            f"shape {array.shape}, {int(np.sum(~np.isfinite(array)))} non-finite entries)")


class Node:
    """One recorded call: the tensors it read and its vector-Jacobian product.

    ``vjp(grad_output)`` returns one gradient per entry of ``inputs`` (or None
    where that input needs none). After a backward without ``retain_graph``
    the node is freed: ``vjp`` becomes None and what it kept is released.
    """

    __slots__ = ("inputs", "vjp", "name")

    def __init__(self, inputs, vjp, name):
        self.inputs = inputs
        self.vjp = vjp
        self.name = name

    def __repr__(self):
        return f"<Node {self.name}{' (freed)' if self.vjp is None else ''}>"


def _topological_order(root):
    """Tensors reachable from ``root`` through nodes, inputs before outputs.

    Iterative depth-first search: a 10,000-step chain needs no recursion.
    """
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
            continue
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        stack.append((tensor, True))
        for parent in tensor._node.inputs:
            if parent._node is not None and id(parent) not in seen:
                stack.append((parent, False))
    return order


def backward(root, grad, retain_graph=False):
    """Back-propagate ``grad`` = dL/d(root) to every leaf that requires grad."""
    global _retaining
    if root._node is None:                       # a leaf: dL/dleaf is the seed
        root._accumulate(grad)
        return
    outer, _retaining = _retaining, retain_graph or _retaining
    try:
        _walk(root, grad, _retaining)
    finally:
        _retaining = outer


def _walk(root, grad, retain_graph):
    """Down a chain (each tensor on the way read one recorded tensor, as a Sequential and its
    loss do) node by node, with no sort; from the first tensor that read two, in topological
    order. Every path to what lies below a tensor of the chain goes through it."""
    tensor = root
    while True:
        node, below = tensor._node, None
        for t in node.inputs:
            if t._node is not None:
                if below is not None:           # two ways down (or one tensor read twice)
                    return _walk_sorted(tensor, grad, retain_graph)
                below = t
        inputs, vjp = node.inputs, node.vjp
        if vjp is None or retain_graph:
            grad_inputs = _vjp(node, grad, retain_graph)    # (says why, if freed)
        else:                                   # _vjp, inline: this runs per node per step
            grad_inputs = vjp(grad)
            node.vjp, node.inputs = None, ()    # free what the call kept
        grad_below = None
        for parent, g in zip(inputs, grad_inputs):
            if g is None or not parent.requires_grad:
                continue
            if _anomaly:
                check_finite(g, f"backward of '{node.name}'", "backward")
            if parent is below:
                grad_below = g
            else:
                parent._accumulate(g)
        if grad_below is None:
            return
        tensor, grad = below, grad_below


def _vjp(node, grad_out, retain_graph):
    """``node.vjp(grad_out)``, freeing what the node kept unless the graph is retained."""
    vjp = node.vjp
    if vjp is None:
        raise RuntimeError(
            f"Trying to backward through the graph a second time (through "
            f"'{node.name}'): its saved values were freed after the first "
            f"backward. Expected backward(retain_graph=True) on the first call "
            f"if you need to back-propagate twice.")
    grad_inputs = vjp(grad_out)
    if not retain_graph:
        node.vjp, node.inputs = None, ()        # free what the call kept
    return grad_inputs


def _walk_sorted(root, grad, retain_graph):
    grads = {id(root): grad}
    for tensor in reversed(_topological_order(root)):
        grad_out = grads.pop(id(tensor), None)
        if grad_out is None:
            continue
        node = tensor._node
        inputs = node.inputs
        for parent, g in zip(inputs, _vjp(node, grad_out, retain_graph)):
            if g is None or not parent.requires_grad:
                continue
            if _anomaly:
                check_finite(g, f"backward of '{node.name}'", "backward")
            if parent._node is None:
                parent._accumulate(g)
            else:
                prev = grads.get(id(parent))
                grads[id(parent)] = g if prev is None else prev + g
