"""Containers: Sequential (a layer whose backward runs its children's in reverse) and ModuleList."""
from collections import OrderedDict

from minitorch.nn.module import Module

__all__ = ["Sequential", "ModuleList"]


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: an ordered list of submodules named 0, 1, 2, …"""

    def _add(self, name, module):
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__} expects nn.Module instances, got "
                            f"{type(module).__name__} at position {name}")
        self.add_module(name, module)

    def _index(self, index):
        if not isinstance(index, int):
            raise TypeError(f"{type(self).__name__} indices must be integers or slices, "
                            f"got {type(index).__name__}")
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} is out of range for {type(self).__name__} of "
                             f"length {len(self)}")
        return index % len(self)

    def __setitem__(self, index, module):
        self._add(list(self._modules)[self._index(index)], module)

    def __delitem__(self, index):
        keys = list(self._modules)
        for key in (keys[index] if isinstance(index, slice) else [keys[self._index(index)]]):
            del self._modules[key]
            self.__dict__.pop(key, None)
        self._renumber(list(self._modules.values()))

    def _renumber(self, modules):
        for key in self._modules:
            self.__dict__.pop(key, None)
        self._modules.clear()
        for i, m in enumerate(modules):
            self._add(str(i), m)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self._add(str(len(self)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)


class Sequential(_ModuleSequence):
    """Chains modules: h = fₙ(… f₂(f₁(x))); backward runs their backwards from top to bottom.

    This is the lecture's back-propagation algorithm: given dL/dy from the
    loss, each layer, from the last to the first, turns dL/dh into dL/dx
    (adding its parameter gradients on the way) and hands it down.

    Args:
        *modules: modules in order (named 0, 1, 2, ...), or one OrderedDict
            name → module.

    Indexing (``model[0]``, ``model[1:]``), ``len``, iteration, ``append``,
    ``extend``, ``insert`` and ``del model[i]`` work as on a list.

    Example:
        >>> from minitorch import nn
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        >>> len(model), type(model[1]).__name__
        (3, 'ReLU')
    """

    _chain = True
    _fresh = None       # (children, which may write into fresh arrays): record._fresh_arrays

    def __init__(self, *modules):
        super().__init__()
        self._fresh = None
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self._add(name, m)
        else:
            for i, m in enumerate(modules):
                self._add(str(i), m)

    def forward(self, x):
        """h = fₙ(… f₂(f₁(x))): each module's output is the next one's input."""
        for m in self._modules.values():
            x = m(x)
        return x

    def backward(self, grad_h):
        """dL/dx from dL/dh: each module's backward, from the last to the first."""
        for m in reversed(self._modules.values()):
            grad_h = m.backward(grad_h)
        return grad_h

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[self._index(index)]


class ModuleList(_ModuleSequence):
    """Holds submodules in a list; they register (``parameters()``, ``state_dict()``) like attributes.

    Example:
        >>> from minitorch import nn
        >>> blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
        >>> len(list(blocks.parameters()))
        6
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def forward(self, *args):
        raise NotImplementedError("ModuleList is a container, not a model: iterate over it in the "
                                  "forward of the module that holds it")

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return list(self._modules.values())[self._index(index)]
