"""Fused updates: a parameter group laid out in flat arrays, so a step is one pass per operation.

An update rule written on arrays (``Optimizer._update``) runs as well on a
whole group as on one parameter, if the group's parameters sit side by side in
one array. So at its first step a group is *laid out*: one flat array receives
the values of every parameter that has a gradient, and each ``p.data`` becomes
a view into it — same shape, dtype and values, so nothing changes for the
user, and in-place edits (``p.data[...] = x``, ``model.load_state_dict``) land
in the flat array. Each state array (``exp_avg``, ``momentum_buffer``, ...)
likewise becomes a view into a flat state array. A step then runs the rule
once on the flat arrays: a dozen numpy calls per group, instead of a dozen
per parameter.

Gradients live there too, when they can. A layer's backward gives a
parameter whose ``.grad`` is None its first gradient, either written
straight into the new ``.grad`` (``Parameter.add_grad``, as ``Linear``
does) or as a zero array to add into (``Parameter._new_grad``); a laid-out
parameter gets its view of the group's flat gradient array for it, if
nothing but the group holds that view or the array (reference counts tell:
a ``.grad`` kept from an earlier step, or any view of it, makes the
parameter get a new array instead, so what the user holds never changes).
The optimizer's ``zero_grad`` counts for the whole group at once and leaves
each parameter its view, ready. When every member's ``.grad`` is its view
at the step, the rule reads the flat array as it is; otherwise the
gradients are copied into a separate flat array first (so is a rule that
changes ``g`` in place given a copy).

A parameter of more than ``FlatGroup.max_size`` elements is left apart and
updated on its own, in place: its update is dominated by passes over its own
memory, so fusing saves nothing, and copying its gradient would cost a pass.

Before each step the layout is checked, by identity only (no arithmetic):
the group's parameters are the ones laid out, each ``p.data`` and each state
array is still the view it was given, the parameters with a gradient are the
ones laid out, every step count agrees. If not — ``p.data = new_array``,
``model.double()``, ``optimizer.load_state_dict``, an option that needs a new
state array, a parameter without a gradient this time — the group is laid out
again from the current values, or updated parameter by parameter for this
step. See docs/design.md, "Fused updates".
"""
import sys
import weakref
from itertools import chain, compress
from operator import attrgetter, is_

import numpy as np

__all__ = ["FlatGroup"]

_data, _grad, _shape = attrgetter("data"), attrgetter("grad"), attrgetter("shape")
_END = object()         # ends the sequence FlatGroup.gather checks (_ENDS: the same, alone)
_ENDS = (_END,)


def _overlap(arrays):
    """Whether any two of ``arrays`` may share memory (e.g. tied weights), by their byte bounds."""
    bounds = sorted(np.lib.array_utils.byte_bounds(a) for a in arrays if a.size)
    return any(low < high for (_, high), (low, _) in zip(bounds, bounds[1:]))


def _layable(p, dtype):
    """Whether ``p.data`` may be replaced by a view of a flat array of ``dtype``."""
    data = p.data
    return type(data) is np.ndarray and data.dtype == dtype and data.flags.writeable


class FlatGroup:
    """The flat layout of one parameter group's parameters that have a gradient (and are small).

    Made by :meth:`build` (None when the group cannot be laid out now).
    :meth:`gather` returns a step's gradients, or None when the layout no
    longer fits; :meth:`step` copies them in and runs the rule once.

    Attributes:
        group (dict): the parameter group it was built for.
        params (list): the group's parameters when it was built.
        with_grad (list[bool]): which of them had a gradient.
        members (list): the parameters laid out: those with a gradient and at
            most ``max_size`` elements, in group order.
        apart (list): those with a gradient and more elements, updated one by one.
        states (list[dict]): each member's state dict.
        keys (tuple[str]): the names of the state arrays.
        param, grad, tmp: flat arrays of the values, the gradients (whose views
            ``grad_views`` are handed out as ``.grad``), scratch.
        staging: the flat array a step copies gradients into when they are not
            the views, or when the rule changes ``g`` in place.
        state (dict): the flat state the rule sees: each key → flat array,
            and ``"step"`` (shared) if the rule counts steps.
        pending (list[bool] | None): a new pattern of gradients seen once.
    """

    max_size = 1 << 16      # elements; a larger parameter is updated apart, in place

    def __init__(self, group, with_grad, laid_out, states, keys, dtype):
        self.group, self.params = group, list(group["params"])
        self.with_grad, self.laid_out = with_grad, laid_out
        members = self.members = list(compress(self.params, laid_out))
        self.apart = [p for p, w, lay in zip(self.params, with_grad, laid_out) if w and not lay]
        self.states, self.keys = states, keys
        self.shapes = [p.data.shape for p in members]
        n = sum(p.data.size for p in members)
        self.param, self.grad, self.tmp, self.staging = (np.empty(n, dtype) for _ in range(4))
        self.state = {k: np.empty(n, dtype) for k in keys}
        self.views, self.grad_views, self.staging_views, self.state_views = [], [], [], []
        start = 0
        for p, s, shape in zip(members, states, self.shapes):
            stop = start + p.data.size
            view = self.param[start:stop].reshape(shape)
            view[...] = p.data
            self.views.append(view)
            self.grad_views.append(self.grad[start:stop].reshape(shape))
            self.staging_views.append(self.staging[start:stop].reshape(shape))
            own = [(k, self.state[k][start:stop].reshape(shape)) for k in keys]
            for k, v in own:
                v[...] = s[k]
            self.state_views.append(own)
            start = stop
        # every value is copied in: now hand out the views
        for p, s, view, own in zip(members, states, self.views, self.state_views):
            p.data = view
            s.update(own)
        if "step" in states[0]:
            t = self.state["step"] = states[0]["step"]
            for s in states:
                s["step"] = t               # one object, so that gather can test identity
        # each parameter's .grad when all is as handed out: its view, or None without a gradient
        # (a parameter updated apart has no such slot: object() is nothing's gradient)
        views = iter(self.grad_views)
        self.grad_slots = [next(views) if lay else None if not w else object()
                           for w, lay in zip(with_grad, laid_out)]
        del views
        # what gather tests by identity, in one pass: the group's parameters, their .grad,
        # each member's data, each member's state dict, and every value in those (the step
        # count is one object in all); then _END, so that a shorter or longer pass fails
        held = [(k, v) for s in states for k, v in s.items()]
        self.expected = (self.params + self.grad_slots + self.views + states
                         + [v for _, v in held] + [_END])
        self.state_values = [s.values() for s in states]    # (live views of the dicts)
        first = 2 * len(self.params) + 2 * len(members)
        self.step_at = [first + i for i, (k, _) in enumerate(held) if k == "step"]
        self.pending = None
        self.position = {id(p): i for i, p in enumerate(members)}
        # the members that take zero gradients from here: Parameters (a plain Tensor has no slot);
        # what ready_grads leaves each: (its data as laid out, its gradient view), the view to
        # be taken only while p.data is still that array (then shape and dtype are its own)
        takes = [hasattr(type(p), "_grads_from") for p in members]
        self.takers = list(compress(members, takes))
        self.taker_ready = list(compress(zip(self.views, self.grad_views), takes))
        ref = weakref.ref(self)
        for p in self.takers:
            p._grads_from = ref                     # where its zero gradients come from
        # what reference counts read when nothing else holds them (measured here, the same way
        # _all_free and grad_view_for measure, so that the interpreter's own counting cancels
        # out; no local variable may hold a gradient view here)
        self.grad_refs = sys.getrefcount(self.grad)
        self.view_refs = self._view_refs()

    @classmethod
    def build(cls, optimizer, group):
        """Lay out ``group``'s parameters that have a gradient; None if they cannot be.

        They cannot be when none has a gradient, when they differ in dtype or
        share memory, when a state is incomplete (SGD's momentum buffer before
        its first step) or when step counts differ (a parameter skipped on
        some steps): those steps go parameter by parameter.
        """
        params = group["params"]
        with_grad = [p.grad is not None for p in params]
        laid_out = [w and p.data.size <= cls.max_size for p, w in zip(params, with_grad)]
        members = list(compress(params, laid_out))
        if not members:
            return None
        dtype = members[0].data.dtype
        if not all(_layable(p, dtype) for p in members):
            return None
        keys = tuple(optimizer._state_keys(group))
        states = [optimizer.state[p] for p in members]
        for p, s in zip(members, states):
            optimizer._init_state(s, p.data, group)
        if not all(k in s for s in states for k in keys):
            return None
        steps = [s.get("step") for s in states]
        if any(t is None for t in steps) and any(t is not None for t in steps):
            return None
        if any(t != steps[0] for t in steps):
            return None
        if _overlap([p.data for p, w in zip(params, with_grad) if w]):
            return None
        return cls(group, with_grad, laid_out, states, keys, dtype)

    def gather(self, optimizer, group):
        """The gradients of the members, or None if the layout no longer fits ``group``.

        Raises ValueError for a gradient whose shape differs from its parameter's.
        (Every check is an identity test run by ``map`` in C: a step costs no
        Python loop over the parameters.)
        """
        params = group["params"]
        if len(params) != len(self.params) or group is not self.group:
            return None
        keys = optimizer._state_keys(group)
        if self._as_laid_out(optimizer, params, map(_grad, params)):
            return self.grad_views if keys == self.keys else None   # (as handed out)
        # something differs: gradients that are not the views (those are copied), or else
        # the layout no longer fits (then None)
        grads = list(map(_grad, params))
        if [g is not None for g in grads] != self.with_grad:
            return None                             # not the same parameters with a gradient
        result = grads if len(grads) == len(self.members) else list(compress(grads, self.laid_out))
        if not self._as_laid_out(optimizer, params, self.grad_slots):
            return None                             # rebound, replaced
        if keys != self.keys:
            return None                             # a new option
        if list(map(_shape, result)) != self.shapes:
            shape, grad_shape = next((s, g.shape) for s, g in zip(self.shapes, result)
                                     if g.shape != s)
            raise ValueError(f"{type(optimizer).__name__}.step: a parameter of shape {shape} "
                             f"has a gradient of shape {grad_shape}; expected the same shape")
        return result

    def _as_laid_out(self, optimizer, params, grads):
        """Whether ``params``, their gradients ``grads``, the members' data, state dicts and
        state values are, object for object, the ones laid out: one pass of identity tests."""
        members = self.members
        return all(map(is_, chain(params, grads, map(_data, members),
                                  map(optimizer.state.get, members),
                                  chain.from_iterable(self.state_values), _ENDS), self.expected))

    def grad_view_for(self, p):
        """Member ``p``'s view of the flat gradient (not zeroed), or None if someone else may hold it.

        ``p.grad`` is None here (the caller is about to give it a gradient),
        so the view is held only by this group, and the flat array only by
        this group and its views, unless a reference was kept elsewhere: then
        the view may still be read, and None sends ``p`` to a new array.
        """
        i = self.position.get(id(p))
        if i is None or p.data is not self.views[i]:
            return None                             # not (or no longer) laid out here
        if (self._view_refs()[i] != self.view_refs[i]
                or sys.getrefcount(self.grad) != self.grad_refs):
            return None                             # held elsewhere: it may still be read
        return self.grad_views[i]

    def ready_grads(self):
        """After ``zero_grad``: leave each member its view, ready to be its next ``.grad``
        (``Parameter._flat_grad_view``), if no one else holds any of them or the array
        (else each member asks on its own, ``grad_view_for``)."""
        if not self._all_free():
            for p in self.takers:
                p._next_grad = None
            return                                  # held elsewhere: it may still be read
        for p, ready in zip(self.takers, self.taker_ready):
            p._next_grad = ready

    def _all_free(self):
        """Whether nothing but this group holds any gradient view or the flat gradient."""
        return self._view_refs() == self.view_refs and sys.getrefcount(self.grad) == self.grad_refs

    def _view_refs(self):
        """The reference count of each gradient view."""
        return list(map(sys.getrefcount, self.grad_views))

    def step(self, optimizer, group, grads):
        """Apply the rule once to the flat arrays: to the flat gradient itself when ``grads`` are
        its views and the rule leaves ``g`` alone, else to a copy of ``grads``."""
        if grads is self.grad_views and not optimizer._writes_grad(group):
            grad = self.grad
        else:
            grad = self.staging
            for view, g in zip(self.staging_views, grads):
                view[...] = g
        optimizer._update(self.param, grad, self.state, group, self.tmp)
        if self.step_at:
            t = self.state["step"]
            for s in self.states:
                s["step"] = t
            for i in self.step_at:
                self.expected[i] = t
        self.pending = None
