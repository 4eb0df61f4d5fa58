"""The optimizer base class: parameter groups, per-parameter state, save and resume.

An algorithm (SGD, Adam, ...) is a small subclass that fills four methods:
``_validate(group)`` refuses bad hyper-parameters when a group is added,
``_state_keys(group)`` names the state arrays its rule keeps,
``_init_state(state, theta, group)`` makes the ones that start at a fixed
value, and ``_update(theta, g, state, group, tmp)`` is the update rule itself,
written once on arrays: it changes ``theta`` in place and works the same on
one parameter or on a whole group laid out in flat arrays (``flat.py``).
The pieces the rules share (``check_number``, ``effective_grad``,
``state_array``) are in ``_rules.py``.

A parameter is any object with ``.data`` (a numpy array) and ``.grad`` (a
numpy array of the same shape, or None); ``minitorch.nn.Parameter`` is one.
Parameters whose ``.grad`` is None are skipped by ``step()``.
"""
import copy
from collections import defaultdict

import numpy as np

from ._rules import check_number
from .flat import FlatGroup

__all__ = ["Optimizer"]


_SET_MESSAGE = ("optimizer parameters must be given in an ordered collection, got a set "
                "(whose order changes between runs); use a list")


def _is_param(obj):
    return isinstance(getattr(obj, "data", None), np.ndarray)


def _copy_value(value):
    """A snapshot of a state or option value: arrays copied, numpy scalars made Python numbers."""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return value.copy()
    if isinstance(value, (np.ndarray, np.generic)):
        return value.item()
    return copy.deepcopy(value)


def _index(key):
    """A parameter index of a state dict (an int, or a str or numpy int from a file)."""
    try:
        return int(key)
    except (TypeError, ValueError):
        raise ValueError(f"expected an integer parameter index in the state dict, "
                         f"got {key!r}") from None


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of parameters, an iterable of ``(name, parameter)``
            pairs (as ``model.named_parameters()`` yields), an iterable of dicts
            (parameter groups, each with a ``"params"`` entry and any options
            that override ``defaults``), or a single parameter.
        defaults (dict): default options of every group (``lr``, ...).

    Attributes:
        param_groups (list[dict]): the groups; each holds ``"params"`` and
            every option. Changing ``group["lr"]`` takes effect at the next step.
        state (dict): per-parameter state (moment estimates, step counts),
            keyed by the parameter object.

    Fused updates: unless a group has ``fused=False``, its parameters that
    have a gradient are laid out at the first ``step()`` in one flat array of
    their dtype, each ``p.data`` becoming a view into it (same shape, dtype and
    values), and the state arrays likewise; each step then runs the rule once
    on the flat arrays (``flat.py``), with the same results to the bit as
    parameter by parameter. Editing ``p.data`` in place, rebinding it, casting
    the model, loading state dicts, changing options: all keep working (the
    group is laid out again when needed). One difference: an array taken from
    ``p.data`` before a layout is no longer the parameter's storage after it;
    read ``p.data`` again. A step in which the set of parameters with a
    gradient changes, or in which step counts differ within the group, goes
    parameter by parameter; a parameter of more than ``FlatGroup.max_size``
    (65,536) elements is always updated on its own, in place.

    Deviation from PyTorch: a single parameter is accepted as ``params``; a
    parameter listed twice in one group is an error (PyTorch warns); every
    group's options are validated when it is added, not only the defaults;
    ``fused`` (a group option, default None: fused) is available for every
    algorithm and means the flat layout above.
    """

    _complex_ok = False     # True where the rule is also right for complex parameters

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self._validate(self.defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        self._flat = {}         # id(group) -> its FlatGroup, or None if it cannot be laid out
        self._scratch_arrays = {}   # dtype -> scratch for parameters updated one by one
        if _is_param(params) or isinstance(params, dict):
            params = [params]
        if isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE)
        try:
            groups = list(params)
        except TypeError:
            raise TypeError("params must be a parameter or an iterable of parameters or of "
                            f"dicts (parameter groups), got {type(params).__name__}") from None
        if not groups:
            raise ValueError("optimizer got an empty parameter list: expected at least one "
                             "parameter, e.g. model.parameters() of a model that has some")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- what each algorithm fills in ------------------------------------------------
    def _validate(self, group):
        """Raise ValueError/TypeError for an invalid option of ``group`` (a dict)."""
        if "lr" in group:
            check_number(group["lr"], "Invalid learning rate")
        fused = group.get("fused")
        if fused is not None and not isinstance(fused, bool):
            raise TypeError(f"fused: expected None, True or False, got {fused!r}")

    def _state_keys(self, group):
        """The names of the state arrays the rule keeps with ``group``'s options (a tuple)."""
        return ()

    def _init_state(self, state, theta, group):
        """Before a step: make the missing entries of ``state`` that start at a fixed value."""

    def _update(self, theta, g, state, group, tmp):
        """Apply the rule once, in place: ``theta`` the values (one parameter's, or a group's
        laid out flat), ``g`` their gradient in their dtype (the rule may change it in place
        only where ``_writes_grad(group)`` says so), ``state`` a dict of arrays like ``theta``
        (and ``"step"``), ``tmp`` scratch like ``theta``.
        """
        raise NotImplementedError

    # -- the loop ---------------------------------------------------------------------
    def _update_group(self, group):
        """Update every parameter of ``group`` whose ``.grad`` is not None, in place.

        Fused (one pass of the rule over the group's flat arrays) when the group
        can be laid out, parameter by parameter otherwise: see ``flat.py``.
        """
        if group.get("fused") is False:
            return self._update_each(group)
        flat = self._flat.get(id(group))
        grads = flat.gather(self, group) if flat is not None else None
        if grads is None:
            with_grad = [p.grad is not None for p in group["params"]]
            if flat is not None and with_grad != flat.with_grad and with_grad != flat.pending:
                # which parameters have a gradient just changed: wait a step to lay out again
                flat.pending = with_grad
                return self._update_each(group)
            flat = self._flat[id(group)] = FlatGroup.build(self, group)
            grads = flat.gather(self, group) if flat is not None else None
            if grads is None:
                return self._update_each(group)
        if flat.apart:
            self._check_shapes(flat.apart)      # before anything changes
        flat.step(self, group, grads)
        if flat.apart:
            self._update_params(group, flat.apart)

    def _update_each(self, group):
        """Update the parameters of ``group`` that have a gradient one by one."""
        todo = [p for p in group["params"] if p.grad is not None]
        self._check_shapes(todo)
        self._update_params(group, todo)

    def _update_params(self, group, params):
        """Update ``params`` of ``group`` one by one (each has a gradient of its own shape)."""
        copy_grad = self._writes_grad(group)
        for p in params:
            theta, grad, state = p.data, p.grad, self.state[p]
            self._init_state(state, theta, group)
            if copy_grad or grad.dtype != theta.dtype:
                grad = np.array(grad, dtype=theta.dtype)    # ours, for the rule to change
            self._update(theta, grad, state, group, self._scratch(theta))

    def _check_shapes(self, params):
        for p in params:
            if p.grad.shape != p.data.shape:
                raise ValueError(f"{type(self).__name__}.step: a parameter of shape "
                                 f"{p.data.shape} has a gradient of shape {p.grad.shape}; "
                                 "expected the same shape")

    def _writes_grad(self, group):
        """Whether the rule changes ``g`` in place with ``group``'s options (then a parameter
        updated on its own gets a copy of its gradient): ``effective_grad`` does when
        maximizing or decaying weights.
        """
        return bool(group.get("maximize") or group.get("weight_decay"))

    def _scratch(self, theta):
        """A scratch array like ``theta``, reused from step to step (one per dtype)."""
        buf = self._scratch_arrays.get(theta.dtype)
        if buf is None or buf.size < theta.size:
            buf = self._scratch_arrays[theta.dtype] = np.empty(theta.size, theta.dtype)
        return buf[:theta.size].reshape(theta.shape)

    def step(self, closure=None):
        """Perform one optimization step; returns ``closure()`` (re-evaluating the loss) if given."""
        loss = None
        if closure is not None:
            loss = closure()
        for group in self.param_groups:
            self._update_group(group)
        return loss

    def zero_grad(self, set_to_none=True):
        """Reset gradients to None (default) or, with ``set_to_none=False``, to zeros in place."""
        for group in self.param_groups:
            if not set_to_none:
                for p in group["params"]:
                    if p.grad is not None:
                        p.grad.fill(0)
                continue
            for p in group["params"]:
                p.grad = None
            flat = self._flat.get(id(group))
            if flat is not None:
                flat.ready_grads()          # each parameter's next .grad, ready (flat.py)

    def add_param_group(self, param_group):
        """Add a group of parameters, with options that override the defaults.

        Example:
            >>> from minitorch import nn, optim
            >>> body, head = nn.Linear(4, 8), nn.Linear(8, 2)
            >>> opt = optim.SGD(body.parameters(), lr=0.1)
            >>> opt.add_param_group({"params": head.parameters(), "lr": 1e-2})
            >>> [group["lr"] for group in opt.param_groups]
            [0.1, 0.01]
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry, "
                             f"got keys {sorted(param_group)}")
        params = param_group["params"]
        if isinstance(params, (set, frozenset)):
            raise TypeError(_SET_MESSAGE)
        params = [params] if _is_param(params) else list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with or without names; "
                                 "some names are missing")
            params = [p[1] for p in params]
        where = f"parameter group {len(self.param_groups)}"
        kinds = "fc" if self._complex_ok else "f"
        kind_name = "floating-point" if self._complex_ok else "real floating-point"
        for i, p in enumerate(params):
            if not _is_param(p):
                raise TypeError("optimizer can only optimize parameters (objects with a numpy "
                                f"array in .data), but params[{i}] of {where} is "
                                f"{type(p).__name__}")
            if p.data.dtype.kind not in kinds:
                raise TypeError(f"{type(self).__name__} updates {kind_name} parameters, "
                                f"but params[{i}] of {where} has dtype {p.data.dtype}")
        group = {"params": params}
        if names:
            group["param_names"] = names
        group.update((k, v) for k, v in param_group.items() if k not in ("params", "param_names"))
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._validate(group)
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{where} lists the same parameter more than once")
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if not taken.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        named = "param_names" in group
        if self.param_groups and named != ("param_names" in self.param_groups[0]):
            raise ValueError("all optimizer param groups should be with or without names")
        self.param_groups.append(group)

    # -- save and resume -------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state as a dict, in PyTorch's layout, holding copies.

        ``{"state": {0: {"step": 3, "exp_avg": array, ...}, ...},
        "param_groups": [{"lr": 0.001, ..., "params": [0, 1, ...]}, ...]}``:
        parameters are numbered in the order of the groups.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: _copy_value(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        by_index = {index[id(p)]: s for p, s in self.state.items() if id(p) in index and s}
        state = {i: {k: _copy_value(v) for k, v in by_index[i].items()} for i in sorted(by_index)}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a ``state_dict()``; the run then continues exactly as the saved one would.

        Checked before anything changes (a failed load leaves the optimizer as it
        was): the number of groups, the number of parameters in each, every
        state index, and the shape of every state array. Arrays are copied and
        cast to their parameter's dtype.
        """
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError("expected a dict with keys 'state' and 'param_groups' "
                             f"(from Optimizer.state_dict()), got {type(state_dict).__name__}")
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, "
                             f"but the optimizer has {len(self.param_groups)}")
        params_of = {}
        new_groups = []
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if "params" not in saved:
                raise ValueError(f"loaded parameter group {i} has no 'params' entry")
            indices = [_index(k) for k in saved["params"]]
            if len(indices) != len(group["params"]):
                raise ValueError(f"loaded parameter group {i} has {len(indices)} parameters, "
                                 f"but the optimizer's group {i} has {len(group['params'])}")
            params_of.update(zip(indices, group["params"]))
            new = dict(group)
            new.update((k, _copy_value(v)) for k, v in saved.items() if k != "params")
            new["params"] = group["params"]
            self._validate(new)
            new_groups.append(new)
        new_state = defaultdict(dict)
        for key, saved in state_dict["state"].items():
            p = params_of.get(_index(key))
            if p is None:
                raise ValueError(f"loaded state is for parameter {key}, but the groups only "
                                 f"have parameters 0..{len(params_of) - 1}")
            entry = {}
            for name, value in saved.items():
                if isinstance(value, np.ndarray) and value.ndim > 0:
                    if value.shape != p.data.shape:
                        raise ValueError(f"loaded state '{name}' of parameter {key} has shape "
                                         f"{value.shape}, but the parameter has shape "
                                         f"{p.data.shape}")
                    entry[name] = value.astype(p.data.dtype)    # a copy, in the parameter's dtype
                else:
                    entry[name] = _copy_value(value)
            new_state[p] = entry
        self.param_groups[:] = new_groups
        self.state = new_state
        self._flat.clear()          # the groups are new: lay them out again at the next step

    def __getstate__(self):
        # a copy (copy.deepcopy, pickle) lays its groups out afresh: copied views
        # would no longer share memory with the copied flat arrays
        state = dict(self.__dict__)
        state["_flat"], state["_scratch_arrays"] = {}, {}
        return state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items())
                         if k not in ("params", "param_names"))
        return "\n".join(lines + [")"])
