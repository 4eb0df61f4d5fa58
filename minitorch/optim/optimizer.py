"""The optimizer base class: parameter groups, per-parameter state, save and resume.

An algorithm (SGD, Adam, ...) is a small subclass that fills two methods:
``_validate(group)`` refuses bad hyper-parameters when a group is added, and
``_update_group(group)`` applies one step to the parameters of one group,
changing each ``param.data`` in place (never rebinding it).

A parameter is any object with ``.data`` (a numpy array) and ``.grad`` (a
numpy array of the same shape, or None); ``minitorch.nn.Parameter`` is one.
Parameters whose ``.grad`` is None are skipped by ``step()``.
"""
import copy
import math
import numbers
from collections import defaultdict

import numpy as np

__all__ = ["Optimizer"]


_SET_MESSAGE = ("optimizer parameters must be given in an ordered collection, got a set "
                "(whose order changes between runs); use a list")


def _is_param(obj):
    return isinstance(getattr(obj, "data", None), np.ndarray)


def check_number(value, name, low=0.0, high=math.inf, high_open=False):
    """Refuse a hyper-parameter outside ``[low, high]`` (``[low, high)`` if high_open).

    ``name`` starts the message, as in PyTorch: ``Invalid learning rate: -1``.
    NaN is refused; so are non-numbers (TypeError) and booleans.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {type(value).__name__} {value!r}")
    inside = low <= value < high if high_open else low <= value <= high
    if not inside:
        right = ")" if high_open else "]"
        raise ValueError(f"{name}: {value} (expected a value in [{low}, {high}{right})")


def effective_grad(grad, data, weight_decay, maximize):
    """``±grad + weight_decay * data`` (minus when maximizing), the gradient the rules use.

    Returns ``grad`` itself when there is nothing to add (never changes it),
    otherwise a new array the caller may overwrite.
    """
    if weight_decay:
        out = np.multiply(data, weight_decay)
        if maximize:
            out -= grad
        else:
            out += grad
        return out
    return np.negative(grad) if maximize else grad


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

    Deviation from PyTorch: a single parameter is accepted as ``params``; a
    parameter listed twice in one group is an error (PyTorch warns); every
    group's options are validated when it is added, not only the defaults.
    """

    _complex_ok = False     # True where the rule is also right for complex parameters

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self._validate(self.defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
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
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- what each algorithm fills in ------------------------------------------------
    def _validate(self, group):
        """Raise ValueError/TypeError for an invalid option of ``group`` (a dict)."""
        if "lr" in group:
            check_number(group["lr"], "Invalid learning rate")

    def _update_group(self, group):
        """Update every parameter of ``group`` whose ``.grad`` is not None, in place."""
        raise NotImplementedError

    # -- the loop ---------------------------------------------------------------------
    def _params_with_grad(self, group):
        """Yield ``(data, grad, state)`` for each parameter of ``group`` that has a gradient."""
        state = self.state
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            data = p.data
            if grad.shape != data.shape:
                raise ValueError(f"{type(self).__name__}.step: a parameter of shape {data.shape} "
                                 f"has a gradient of shape {grad.shape}; expected the same shape")
            yield data, grad, state[p]

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
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad.fill(0)

    def add_param_group(self, param_group):
        """Add a group of parameters, with options that override the defaults.

        Example:
            >>> opt.add_param_group({"params": head.parameters(), "lr": 1e-2})  # doctest: +SKIP
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
            if _index(key) not in params_of:
                raise ValueError(f"loaded state is for parameter {key}, but the groups only "
                                 f"have parameters 0..{len(params_of) - 1}")
            p = params_of[_index(key)]
            entry = {}
            for name, value in saved.items():
                if isinstance(value, np.ndarray) and value.ndim > 0:
                    if value.shape != p.data.shape:
                        raise ValueError(f"loaded state '{name}' of parameter {key} has shape "
                                         f"{value.shape}, but the parameter has shape "
                                         f"{p.data.shape}")
                    value = value.astype(p.data.dtype)      # a copy, in the parameter's dtype
                entry[name] = _copy_value(value)
            new_state[p] = entry
        self.param_groups[:] = new_groups
        self.state = new_state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items())
                         if k not in ("params", "param_names"))
        return "\n".join(lines + [")"])
