"""Module: the base class of every layer, loss and model.

There are two ways to write one, and they mix freely:

* a **layer with its own backward** overrides ``forward(self, x)`` and
  ``backward(self, grad_output)``, both on numpy arrays, as the lecture derives
  them: backward adds dL/dθ into ``param.grad`` and returns dL/dx;
* a **composite** overrides only ``forward``, on Tensors; its backward is
  reverse mode over the operations it recorded.

How a call becomes a record of the graph is in ``record.py``.
"""
from collections import OrderedDict, namedtuple

import numpy as np

from minitorch.nn import record
from minitorch.nn.parameter import Parameter
from minitorch import autograd

__all__ = ["Module"]

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class _SetByInit:
    """Class-level stand-in for a registry that ``Module.__init__`` puts on the instance.

    Found only when the instance has none (its own attribute comes first), so
    reading it says what went wrong. Module has no ``__getattr__``: attribute
    reads on the training hot path stay plain (and fast) lookups.
    """

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        cls = type(obj).__name__
        raise AttributeError(f"'{cls}' object has no attribute '{self.name}' "
                             f"({cls}.__init__ must call super().__init__() first)")


class Module:
    """Base class for all neural-network modules.

    Parameters and submodules assigned as attributes register themselves, in
    the order of assignment. There are two ways to write one: a *layer* defines
    ``forward(self, x)`` and ``backward(self, grad_output)`` on numpy arrays
    (backward adds dL/dθ into each ``param.grad`` and returns dL/dx); a
    *composite* defines only ``forward``, on Tensors, and its backward is
    reverse mode over what it recorded. Call the module, ``module(x)``, rather
    than ``forward``: the call records it for ``loss.backward()``.

    Example:
        >>> import minitorch as mt
        >>> from minitorch import nn
        >>> class Net(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = nn.Linear(4, 8)
        ...         self.out = nn.Linear(8, 3)
        ...     def forward(self, x):
        ...         return self.out(self.hidden(x).relu())
        >>> [name for name, _ in Net().named_parameters()]
        ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
    """

    #: False for modules that are not complex-analytic (e.g. ReLU); gradcheck
    #: then uses central differences instead of the complex step.
    analytic = True
    #: Whether dL/dx is wanted; set per call while a layer's backward runs.
    needs_input_grad = True
    _is_layer = False
    #: True for a layer whose forward calls no other module (Linear, ReLU, ...): a graph
    #: node runs its backward directly, and a Sequential of such layers is recorded as a
    #: chain (``record._leaves_backward``, ``record._run_chain``). A subclass that defines its
    #: own forward or backward is not one unless it says so.
    _leaf_layer = False
    #: True for Sequential: its forward is ``for m in children: x = m(x)`` and its backward
    #: the same in reverse, so a call of one whose children are all leaf layers is recorded
    #: as that chain, inline (``record._run_chain``).
    _chain = False
    #: True (the default) for a layer whose backward adds into its parameters' ``.grad``
    #: (``self.weight.grad += g``): each parameter whose ``.grad`` is None gets a zero array
    #: before the backward runs. False for one that gives them with ``Parameter.add_grad``,
    #: which starts from None itself (Linear). A subclass that defines its own backward is
    #: True again unless it says otherwise.
    _zero_grads_first = True
    #: In a chain (``record._run_chain``), a child may write its result into the array it
    #: is given, instead of a new one, when that array is *fresh*: made by the child next to
    #: it and held by nothing else. ``_output_is_fresh``: forward returns a new array that it
    #: keeps nowhere (Linear's x Wᵀ + b); ``_grad_is_fresh``: the same for backward's dL/dx;
    #: ``_overwrites``: what the layer writes into when its record says it is fresh, "input"
    #: (``input_is_fresh``) and "grad" (``grad_is_fresh``): ReLU both. A
    #: subclass that defines its own forward or backward has none of these unless it says so.
    _output_is_fresh = _grad_is_fresh = False
    _overwrites = ()
    #: Set per call on the record of a child that overwrites, in a chain: its input, or the
    #: gradient its backward gets, is fresh (it may write its result into it).
    input_is_fresh = grad_is_fresh = False
    _parameters = _SetByInit()
    _modules = _SetByInit()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("backward")
        if own is not None:
            if getattr(own, "_with_record", False):
                own = own.__wrapped__
            cls._own_backward = own         # the backward as written (record.py calls it)
            cls.backward = record.with_record(own)
        cls._is_layer = any("backward" in k.__dict__ for k in cls.__mro__[:-1] if k is not Module)
        if cls.__call__ in (Module.__call__, record.call_layer):    # (not one of the user's own)
            cls.__call__ = record.call_layer if cls._is_layer else Module.__call__
        if "_leaf_layer" not in cls.__dict__ and ("forward" in cls.__dict__ or own is not None):
            cls._leaf_layer = False
        if cls._leaf_layer and not cls._is_layer:
            cls._leaf_layer = False         # only a layer with its own backward can be one
        if "_chain" not in cls.__dict__ and ("forward" in cls.__dict__ or own is not None):
            cls._chain = False
        if "_zero_grads_first" not in cls.__dict__ and own is not None:
            cls._zero_grads_first = True
        forward = "forward" in cls.__dict__
        for flag, redefined, none in (("_output_is_fresh", forward, False),
                                      ("_grad_is_fresh", own is not None, False),
                                      ("_overwrites", forward or own is not None, ())):
            if redefined and flag not in cls.__dict__:
                setattr(cls, flag, none)

    def __init__(self):
        # an attribute dict of its own, made here: a module whose dict the interpreter made on
        # demand reads its attributes about twice as slowly, and so do the copies of it that
        # record.py swaps in for each call (CPython 3.11: ``self.weight`` 12 ns against 23 ns)
        object.__setattr__(self, "__dict__", dict(self.__dict__))
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # --- calling -----------------------------------------------------------------
    def forward(self, *args, **kwargs):
        """Compute the output: on numpy arrays in a layer with its own backward, on Tensors in a composite."""
        raise NotImplementedError(f"{type(self).__name__} is missing the required forward method")

    def __call__(self, *args, **kwargs):
        # a composite's call; a layer class (one with its own backward) has record.call_layer
        # as its __call__ instead (set in __init_subclass__), one Python call less per call
        if self._is_layer and args and not kwargs:
            return record.call_layer(self, *args)
        return record.call_composite(self, args, kwargs)

    def backward(self, grad_output):
        """dL/dx from dL/dh for a composite: reverse mode over what its forward recorded.

        Layers with their own backward override this. It is what a parent
        layer (e.g. ``Sequential``) calls when one of its children is a composite.
        """
        out, x = self._output, self._input
        if not isinstance(out, type(x)) or not out.requires_grad:
            return None
        autograd.backward(out, np.asarray(grad_output, dtype=out.dtype), autograd._retaining)
        grad, x.grad = x.grad, None
        return grad

    def __setstate__(self, state):
        # (copy.deepcopy and pickle: the same plain attribute dict as __init__ makes)
        object.__setattr__(self, "__dict__", dict(state))

    # --- registration ----------------------------------------------------------------
    def __setattr__(self, name, value):
        # Parameters and submodules go into their registries (for parameters(),
        # state_dict(), ...) and into __dict__ as well, so that reading
        # ``self.weight`` on the training hot path is a plain attribute lookup. So a name
        # that is not in __dict__ is registered nowhere: unless the value is to be, it is
        # a plain attribute, set with no more ado.
        d = self.__dict__
        if name not in d and not isinstance(value, _REGISTERED):
            d[name] = value     # a new plain attribute: forward's self.x = x, on its call's record
            return
        params, modules = d.get("_parameters"), d.get("_modules")
        if params is None and isinstance(value, _REGISTERED):
            raise RuntimeError(f"cannot assign {name!r} before {type(self).__name__}.__init__ "
                               f"calls super().__init__()")
        if isinstance(value, Parameter):
            modules.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            modules[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} "
                                f"(expected nn.Parameter or None)")
            params[name] = None
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as submodule {name!r} "
                                f"(expected nn.Module or None)")
            modules[name] = None
        d[name] = value

    def __delattr__(self, name):
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Add ``param`` (an ``nn.Parameter`` or None) under ``name``, as ``self.name = param`` does."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter expects nn.Parameter or None, got {type(param).__name__}")
        self._parameters[name] = param
        self.__dict__[name] = param

    def add_module(self, name, module):
        """Add ``module`` (an ``nn.Module`` or None) as the submodule ``name``, as assignment does."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module expects nn.Module or None, got {type(module).__name__}")
        self._modules[str(name)] = module
        self.__dict__[str(name)] = module

    register_module = add_module

    def _first_param(self):
        """The first parameter in registration order (its dtype is the module's), or None."""
        for p in self._parameters.values():
            if p is not None:
                return p
        for m in self._modules.values():
            if m is not None:
                p = m._first_param()
                if p is not None:
                    return p
        return None

    # --- traversal -----------------------------------------------------------------------
    def named_modules(self, prefix="", memo=None):
        """``(name, module)`` for this module (named ``prefix``) and every submodule, depth first, each once."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self):
        """This module and every submodule, depth first, each once."""
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """``(name, module)`` for each direct submodule, each once."""
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        """Each direct submodule, once."""
        for _, m in self.named_children():
            yield m

    def named_parameters(self, prefix="", recurse=True):
        """(name, Parameter) pairs, each shared parameter once, in registration order."""
        seen = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_prefix, m in mods:
            for name, p in m._parameters.items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mod_prefix}.{name}" if mod_prefix else name), p

    def parameters(self, recurse=True):
        """Every parameter, each shared one once, in registration order: what an optimizer takes."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def num_parameters(self, trainable_only=False):
        """The number of scalar parameters (only those that require grad if asked)."""
        return int(sum(p.data.size for p in self.parameters() if p.requires_grad or not trainable_only))

    # --- modes and gradients ---------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode (or evaluation mode, ``mode=False``) here and in every submodule; returns self.

        Only layers such as ``Dropout`` behave differently; ``self.training`` holds the mode.
        """
        if not isinstance(mode, bool):
            raise TypeError(f"train() expects a bool, got {type(mode).__name__}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        """Set evaluation mode, ``train(False)``; returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Turn gradient tracking of every parameter on or off (to freeze part of a model); returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's ``.grad`` to None (default) or, with ``set_to_none=False``, to zeros."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad[...] = 0

    def apply(self, fn):
        """Call ``fn`` on every submodule (children first) and on self; returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def to(self, dtype):
        """Cast every parameter (and its gradient) to ``dtype`` in place; returns self."""
        dtype = np.dtype(dtype)
        if dtype.kind not in "fc":
            raise TypeError(f"to() expects a floating or complex dtype, got {dtype}")
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            if p.grad is not None:
                p.grad = p.grad.astype(dtype)
        return self

    def float(self):
        """Cast every parameter to float32 in place; returns self."""
        return self.to(np.float32)

    def double(self):
        """Cast every parameter to float64 in place (as ``gradcheck`` needs); returns self."""
        return self.to(np.float64)

    # --- state ------------------------------------------------------------------------------
    def state_dict(self):
        """An ordered dict name → numpy array (a copy), with PyTorch's key names."""
        return OrderedDict((name, p.data.copy()) for name, p in self._all_named_parameters())

    def _all_named_parameters(self, prefix=""):
        """Every parameter under every name it has (shared ones included), as PyTorch saves."""
        for name, p in self._parameters.items():
            if p is not None:
                yield prefix + name, p
        for name, m in self._modules.items():
            if m is not None:
                yield from m._all_named_parameters(f"{prefix}{name}.")

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays into the parameters; on any problem, change nothing and list them all.

        Args:
            state_dict (dict): name → array (numpy arrays, Tensors, or anything
                ``np.asarray`` takes), e.g. from ``state_dict()``, ``mt.load`` or PyTorch.
            strict (bool): refuse missing and unexpected keys. Default: True.
                Shapes must match either way.

        Returns:
            IncompatibleKeys: the named tuple ``(missing_keys, unexpected_keys)``.

        Raises:
            ValueError: listing every missing, unexpected and mis-shaped key; the
                model is left unchanged.
            TypeError: for something that is not a dict of arrays.
        """
        own = OrderedDict(self._all_named_parameters())
        if not hasattr(state_dict, "items"):
            raise TypeError(f"load_state_dict expects a dict of arrays, got {type(state_dict).__name__}")
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems, values = [], {}
        for k, p in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            v = np.asarray(v.data if hasattr(v, "data") and not isinstance(v, np.ndarray) else v)
            if v.shape != p.data.shape:
                problems.append(f"{k}: expected shape {p.data.shape}, got {v.shape}")
            elif v.dtype.kind not in "fciub":
                problems.append(f"{k}: expected a numeric array, got dtype {v.dtype}")
            else:
                values[k] = v
        if problems or (strict and (missing or unexpected)):
            lines = [f"Error(s) in loading state_dict for {type(self).__name__}:"]
            if missing:
                lines.append(f"  missing keys: {', '.join(missing)}")
            if unexpected:
                lines.append(f"  unexpected keys: {', '.join(unexpected)}")
            lines += [f"  size mismatch for {p}" for p in problems]
            lines.append("  (nothing was loaded; the model is unchanged)")
            raise ValueError("\n".join(lines))
        for k, v in values.items():
            np.copyto(own[k].data, v, casting="unsafe")
        return IncompatibleKeys(missing, unexpected)

    # --- printing ----------------------------------------------------------------------------
    def extra_repr(self):
        """Extra text inside this module's ``repr``, e.g. ``in_features=4, out_features=8``; override it."""
        return ""

    def __repr__(self):
        lines = []
        for name, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(([extra] if extra else []) + lines)
        return f"{type(self).__name__}(\n  {body}\n)"



Module._own_backward = Module.backward
Module.backward = record.with_record(Module.backward)


_REGISTERED = (Parameter, Module)     # what assignment registers
