"""One call of a module, one record: how layers with their own backward join the graph.

A *layer* (a module that defines ``backward``) computes on numpy arrays and
keeps what its backward needs on ``self`` (``self.x = x``). Calling it:

1. runs ``forward``, then gives the layer a copy of its attribute dict as it
   was before the call; the dict forward ran on becomes the call's
   :class:`LayerCall` record, so everything forward set on ``self`` lands in
   the record and the object is left as it was — no stale cache survives on
   the layer, and two calls of one layer keep two records;
2. at the top level (not inside another layer's forward) wraps the output
   in a Tensor whose graph ``Node`` holds that record;
3. inside another layer's forward (e.g. a child of ``Sequential``) appends
   the record to the parent's record and returns the bare array.

When the walk reaches the node, the layer's ``backward`` runs with its own
record's attribute dict swapped in for just that call; a parent's
backward that calls ``child.backward(g)`` gets the child's matching record
(last call first). A *composite* module (only ``forward``, on Tensors) adds
no record of its own: the operations inside it are recorded one by one.
See docs/design.md.
"""
from operator import attrgetter

import numpy as np

from minitorch import autograd
from minitorch.tensor import Tensor

__all__ = ["LayerCall", "call_layer", "call_composite", "with_record", "location"]

_forwarding = []    # records whose forward is running; None marks a composite boundary
_backwarding = []   # records whose backward is running
_path = []          # every module being called, outermost first (for error messages)
_set_attr = object.__setattr__
_is_leaf = attrgetter("_leaf_layer")
_CHAIN = ()     # a record's ``pending`` when its children ran as a chain of leaf layers


class LayerCall:
    """What one forward call of a layer kept for its backward."""

    __slots__ = ("module", "input", "needs_input_grad", "saved", "children", "pending", "where")

    def __init__(self, module, x, needs_input_grad):
        self.module = module
        self.input = x                  # the array forward received (while it runs)
        self.needs_input_grad = needs_input_grad
        self.saved = None               # the module's attribute dict as this call's forward left it
        self.children = []              # records of the sub-layers it called, in call order
        self.pending = None             # children whose backward has not run yet
        self.where = None               # location string, kept only under detect_anomaly

    def vjp(self, grad_output):
        """The graph node's vector-Jacobian product: run the layer's backward."""
        if self.pending is _CHAIN:
            return (_leaves_backward(self, self.children, grad_output),)
        if not self.children and self.module._leaf_layer and not autograd._anomaly:
            return (_leaves_backward(self, ((self.module, self.saved),), grad_output),)
        _backwarding.append(self)
        try:
            grad_input = self.module.backward(grad_output)
        finally:
            _backwarding.pop()
        return (grad_input,)


def _call_path():
    """The modules being called, outermost first: ``_path`` plus the layers nested below it."""
    chain = []
    for record in reversed(_forwarding):
        if record is None:
            break
        chain.append(record.module)
    chain.reverse()
    if chain and _path and _path[-1] is chain[0]:
        chain = chain[1:]
    return _path + chain


def location(module=None):
    """Where the module being called sits, e.g. ``Sequential[2]`` or ``Net.encoder[0]``."""
    path = _call_path()
    if module is not None and (not path or path[-1] is not module):
        path.append(module)
    if not path:
        return "<top level>"
    where = type(path[0]).__name__
    for parent, child in zip(path, path[1:]):
        name = next((k for k, m in parent._modules.items() if m is child), "?")
        where += f"[{name}]" if name.isdigit() else f".{name}"
    return where


def _noted(e, module):
    """Add 'in Sequential[2] (Linear)' to an exception raised inside a container, once."""
    if len(_call_path()) > 1 and hasattr(e, "add_note") and not getattr(e, "_minitorch_where", False):
        e.add_note(f"in {location()} ({type(module).__name__})")
        e._minitorch_where = True


def _forward_into_record(module, x, args, record):
    """Run ``module.forward``; the attribute dict it ran on becomes ``record.saved``, and the
    module gets a copy of the dict as it was before the call (so it is left as it was).

    (Forward runs on the module's own dict, and the copy is what the module keeps: the
    same as running forward on a copy, with one swap of dicts instead of two.) A leaf layer
    at the top level is run by this alone: it calls no module, so there is no stack of
    records or call path to keep, and nothing to add to an error's message."""
    saved = module.__dict__
    kept = saved.copy()                     # the module's attributes before the call
    saved["needs_input_grad"] = record.needs_input_grad
    try:
        h = module.forward(x, *args)        # what forward sets on self goes into the record
    finally:
        _set_attr(module, "__dict__", kept)     # the object is left as it was
    if type(h) is not np.ndarray:
        h = _check_output(module, h)
    record.saved = saved
    return h


def _run_forward(module, x, args, record):
    """``_forward_into_record`` with the record on the stack of running forwards (the layers
    its forward calls join it), and a note on an error saying where the module sits."""
    _forwarding.append(record)
    try:
        return _forward_into_record(module, x, args, record)
    except Exception as e:
        _noted(e, module)
        raise
    finally:
        _forwarding.pop()
        record.input = None                 # needed only while forward runs


def _run_chain(module, x, record):
    """``Sequential.forward`` when every child is a leaf layer, in one loop: each child's
    forward runs as in ``_forward_into_record`` (written out here: this runs per child per
    step), and the pair ``(child, the dict it ran on)`` is its record (a leaf calls nothing,
    so nothing else need be kept)."""
    children, needs = record.children, record.needs_input_grad
    mods = tuple(module._modules.values())
    known = module._fresh                   # (mods, their flags) from the last call, if any
    flags = known[1] if known is not None and known[0] == mods else _fresh_arrays(module, mods)
    for m, fresh in zip(mods, flags):
        saved = m.__dict__
        kept = saved.copy()                 # the child's attributes before the call
        saved["needs_input_grad"] = needs
        if fresh is not None:               # it may write into its input or its gradient
            saved.update(fresh)
        try:
            h = m.forward(x)                # what forward sets on self goes into the record
        except Exception as e:
            _forwarding.append(LayerCall(m, x, needs))     # (so that the note names the child)
            _noted(e, m)
            _forwarding.pop()
            raise
        finally:
            _set_attr(m, "__dict__", kept)  # the object is left as it was
        x = h if type(h) is np.ndarray else _check_output(m, h)
        children.append((m, saved))
        needs = True
    record.pending = _CHAIN                 # its vjp runs the children's backwards inline
    return x


def _fresh_arrays(module, mods):
    """For each child of a chain, None, or the flags to set on its record when it writes
    into fresh arrays (``_overwrites``): ``input_is_fresh`` when its input is made by the
    child before it, ``grad_is_fresh`` when the gradient its backward gets is made by the
    child after it, which keep them nowhere. Never the chain's input, which is the caller's,
    nor the gradient that comes into the chain.

    Worked out when the chain's children change, and kept on the chain with them
    (``module._fresh``).
    """
    last, flags = len(mods) - 1, []
    for i, m in enumerate(mods):
        fresh = {}
        if "input" in m._overwrites and i > 0 and mods[i - 1]._output_is_fresh:
            fresh["input_is_fresh"] = True
        if "grad" in m._overwrites and i < last and mods[i + 1]._grad_is_fresh:
            fresh["grad_is_fresh"] = True
        flags.append(fresh or None)
    module.__dict__["_fresh"] = (mods, flags)
    return flags


def _give_grads(module):
    """A zero ``.grad`` for each of the module's parameters that has none, so that += works
    (unless its backward gives them itself, with ``Parameter.add_grad``)."""
    if module._zero_grads_first and module._parameters:
        for p in module._parameters.values():
            if p is not None and p.grad is None and p.requires_grad:
                p.grad = p._new_grad()


def _leaves_backward(record, children, grad_output):
    """The backwards of leaf layers' calls, ``(module, saved)`` pairs, last call first: a
    chain's children (``Sequential.backward``), or a leaf's own call. Each runs on its call's
    attribute dict ``saved``, as ``with_record`` runs a backward (a leaf layer calls no
    child's backward, so there is nothing to track)."""
    anomaly = autograd._anomaly                 # (turned on after this forward ran)
    for module, saved in reversed(children):
        if module._zero_grads_first and module._parameters:    # (tested here too: the call
            _give_grads(module)                                 # is skipped on the hot path)
        own = module.__dict__
        _set_attr(module, "__dict__", saved)    # this call's attributes, for this call's backward
        try:
            grad_output = module._own_backward(grad_output)
        finally:
            _set_attr(module, "__dict__", own)
        if anomaly:
            i = next(i for i, child in enumerate(children) if child[1] is saved)
            _check_backward(module, f"{type(record.module).__name__}[{i}] "
                                    f"({type(module).__name__})", grad_output)
    return grad_output


def call_layer(module, *args, **kwargs):
    """``module(x, *args)`` for a layer with its own backward: a layer class's ``__call__``."""
    if kwargs or not args:
        return call_composite(module, args, kwargs)
    parent = _forwarding[-1] if _forwarding else None
    if parent is not None:
        return _call_inside(module, parent, args)
    # top level: a Tensor or an array comes in, a Tensor goes out
    x = args[0]
    if isinstance(x, Tensor):
        x_tensor, x = x, x.data
    else:
        x_tensor, x = None, np.asarray(x)
    first = module._first_param() if module._parameters or module._modules else None
    if first is not None:
        dtype = first.data.dtype
        if x.dtype != dtype and x.dtype.kind == "f" and dtype.kind == "f":
            x = x.astype(dtype)             # e.g. float64 sklearn data into a float32 model
    args = args[1:]
    if len(args) == 1:                      # a loss's target: a constant array
        if isinstance(args[0], Tensor):
            args = (args[0].data,)
    elif args:
        args = tuple([a.data if isinstance(a, Tensor) else a for a in args])
    needs_input = x_tensor is not None and x_tensor.requires_grad and autograd._grad_enabled
    if module._leaf_layer and not autograd._anomaly:
        record = LayerCall(module, None, needs_input)
        h = _forward_into_record(module, x, args, record)
    else:
        record = LayerCall(module, x, needs_input)
        _path.append(module)
        try:
            if (module._chain and not args and not autograd._anomaly
                    and all(map(_is_leaf, module._modules.values()))):
                h = _run_chain(module, x, record)
            else:
                h = _run_forward(module, x, args, record)
        finally:
            _path.pop()
        if autograd._anomaly:
            record.where = f"{location(module)} ({type(module).__name__})"
            autograd.check_finite(h, record.where, "forward")
    if not autograd._grad_enabled or not (needs_input or first is not None):
        return Tensor._wrap(h)
    return Tensor._wrap(h, autograd.Node((x_tensor,) if needs_input else (), record.vjp,
                                         type(module).__name__))


def _call_inside(module, parent, args):
    """``module(x, *args)`` inside a parent layer's forward: arrays in and out, the record
    joins the parent's."""
    x = args[0]
    if type(x) is not np.ndarray and isinstance(x, Tensor):
        x = x.data
    record = LayerCall(module, x, parent.needs_input_grad if x is parent.input else True)
    h = _run_forward(module, x, args[1:], record)
    if autograd._anomaly:
        _forwarding.append(record)
        record.where = f"{location(module)} ({type(module).__name__})"
        _forwarding.pop()
        autograd.check_finite(h, record.where, "forward")
    parent.children.append(record)
    return h


def _check_output(module, h):
    """A forward's output that is not an ndarray: a numpy scalar (a loss) becomes a 0-d
    array, a Tensor is refused, other array-likes (dual numbers) pass."""
    if isinstance(h, np.generic):
        return np.asarray(h)
    if isinstance(h, Tensor):
        raise TypeError(f"{type(module).__name__}.forward returned a Tensor: a layer with its "
                        f"own backward computes on numpy arrays and returns an array")
    return np.asarray(h) if np.isscalar(h) else h   # other array-likes (dual numbers) pass


def call_composite(module, args, kwargs):
    """``module(*args)`` for a composite module: ops inside record themselves."""
    parent = _forwarding[-1] if _forwarding else None
    first = module._first_param()
    dtype = first.data.dtype if first is not None and first.data.dtype.kind == "f" else None
    args = tuple(_as_input(a, dtype) for a in args)
    if parent is not None:                  # a composite inside a layer's forward (e.g. Sequential)
        x = args[0]
        leaf = Tensor._wrap(x.data)
        leaf.requires_grad = autograd._grad_enabled
        record = LayerCall(module, args[0].data, True)
        path = _call_path()
        outer = _path[:]
        _path[:] = path + [module]
        _forwarding.append(None)            # calls inside are top-level again
        try:
            out = module.forward(leaf, *args[1:], **kwargs)
        except Exception as e:
            _noted(e, module)
            raise
        finally:
            _forwarding.pop()
            _path[:] = outer
        saved = module.__dict__.copy()
        saved.update(_input=leaf, _output=out, needs_input_grad=True)
        record.saved = saved
        record.needs_input_grad = parent.needs_input_grad if args[0].data is parent.input else True
        parent.children.append(record)
        return out.data if isinstance(out, Tensor) else out
    _path.append(module)
    try:
        out = module.forward(*args, **kwargs)
    except Exception as e:
        _noted(e, module)
        raise
    finally:
        _path.pop()
    if autograd._anomaly and isinstance(out, Tensor):
        autograd.check_finite(out.data, f"{location(module)} ({type(module).__name__})", "forward")
    return out


def _as_input(a, dtype):
    """Arrays become Tensors; floating inputs take the module's parameter dtype."""
    if isinstance(a, Tensor):
        return a.astype(dtype) if dtype is not None and a.dtype.kind == "f" and a.dtype != dtype else a
    if isinstance(a, np.ndarray):
        if dtype is not None and a.dtype.kind == "f" and a.dtype != dtype:
            a = a.astype(dtype)
        return Tensor._wrap(a)
    return a


def with_record(backward):
    """Wrap a layer's ``backward`` so that it runs with its own call's record.

    The record is found on the stack of running backwards: the top-level
    node's own record, or the parent's last unused record of this module.
    Called outside any graph (``layer.forward(x)`` then ``layer.backward(g)``
    by hand, as in Torch), it runs on whatever is on the object.
    """
    def wrapped(self, grad_output):
        record = None
        if _backwarding:
            top = _backwarding[-1]
            if top.module is self and top.pending is None:
                record = top                    # the graph node's own call
            elif top.pending:
                pending = top.pending           # a parent's backward calling child.backward(g)
                record = pending.pop() if pending[-1].module is self else _take_child(pending, self)
        _give_grads(self)
        if record is None:      # by hand, or a subclass's backward calling super().backward
            try:
                return backward(self, grad_output)
            except AttributeError as e:
                raise RuntimeError(
                    f"{type(self).__name__}.backward was called before forward: expected "
                    f"a forward call to back-propagate through ({e})") from e
        saved = record.saved
        if saved is None:
            raise RuntimeError(f"{type(self).__name__}.backward: this call's forward did not finish")
        record.pending = record.children[:]
        pushed = top is not record
        if pushed:
            _backwarding.append(record)
        own = self.__dict__
        _set_attr(self, "__dict__", saved)      # this call's attributes, for this call's backward
        try:
            grad_input = backward(self, grad_output)
        finally:
            _set_attr(self, "__dict__", own)
            if pushed:
                _backwarding.pop()
            left, record.pending = record.pending, None
        if left:
            _missed(self, left)
        if autograd._anomaly:
            _check_backward(self, record.where or type(self).__name__, grad_input)
        return grad_input
    wrapped.__wrapped__ = backward
    wrapped.__doc__, wrapped.__name__, wrapped.__qualname__ = \
        backward.__doc__, backward.__name__, backward.__qualname__
    wrapped._with_record = True
    return wrapped


def _take_child(pending, module):
    """The last record of ``module`` whose backward has not run (last call first)."""
    for i in range(len(pending) - 1, -1, -1):
        if pending[i].module is module:
            return pending.pop(i)
    return None


def _missed(module, left):
    names = ", ".join(type(r.module).__name__ for r in left)
    raise RuntimeError(f"{type(module).__name__}.backward did not call the backward of "
                       f"{names}, which its forward called: expected one child.backward(g) "
                       f"per call in forward (in reverse order)")


def _check_backward(module, where, grad_input):
    """Under ``detect_anomaly``: the layer's dL/dx and parameter gradients must be finite."""
    autograd.check_finite(grad_input, where, "backward")
    for name, p in module._parameters.items():
        if p is not None and p.grad is not None:
            autograd.check_finite(p.grad, f"{where}.{name}.grad", "backward")
