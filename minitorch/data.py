"""Data sets and the loader that cuts them into mini-batches.

A :class:`Dataset` answers ``len(ds)`` and ``ds[i]`` for an integer ``i``. A data
set may also offer ``ds.__getitems__(indices)``, which returns a whole batch at
once (already stacked) for a 1-d integer array of indices; :class:`TensorDataset`
does, so a :class:`DataLoader` over arrays costs one fancy index per array per
batch instead of a Python loop over samples. ``TensorDataset`` also accepts a
``slice``: an unshuffled loader hands out read-only views, copying nothing.

Shuffling draws one permutation per epoch from ``minitorch.random`` (or from the
``generator`` given), so ``mt.manual_seed(s)`` makes the batch order reproducible.

Example:
    >>> import numpy as np
    >>> from minitorch.data import TensorDataset, DataLoader
    >>> ds = TensorDataset(np.zeros((10, 3)), np.arange(10))
    >>> loader = DataLoader(ds, batch_size=4, shuffle=True)
    >>> [x.shape for x, y in loader]
    [(4, 3), (4, 3), (2, 3)]
"""
import abc
import math
import numbers

import numpy as np

from minitorch import random as _random

__all__ = ["Dataset", "TensorDataset", "Subset", "DataLoader", "random_split"]


def _tensor_type():
    from minitorch.tensor import Tensor  # imported late: tensor.py does not need data.py
    return Tensor


def _check_generator(generator, where):
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"{where}: expected generator=None or a numpy.random.Generator, "
                        f"got {type(generator).__name__}")


class Dataset(abc.ABC):
    """A collection of samples: subclasses define ``__len__`` and ``__getitem__``.

    ``__getitem__`` receives a Python ``int`` in ``[0, len(self))`` and returns one
    sample: an array, a number, or a tuple of them (features, label). A subclass may
    also define ``__getitems__(indices)`` returning a whole, stacked batch for a 1-d
    integer array of indices; the :class:`DataLoader` then uses it.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 5
        ...     def __getitem__(self, i):
        ...         return np.array([float(i)]), i * i
        >>> len(Squares())
        5
    """

    @abc.abstractmethod
    def __len__(self):
        """Number of samples."""

    @abc.abstractmethod
    def __getitem__(self, index):
        """The sample at integer ``index``."""


class TensorDataset(Dataset):
    """Samples are rows of arrays that share their first dimension.

    ``ds[i]`` is ``(arrays[0][i], arrays[1][i], ...)``. The arrays are stored as
    given, not copied. Batches keep the kind of what was given: numpy arrays stay
    numpy arrays, minitorch Tensors come back as Tensors (without gradient).

    Args:
        *arrays: numpy arrays or minitorch Tensors, each with at least one dimension,
            all with the same length ``N``.

    Example:
        >>> ds = TensorDataset(np.ones((3, 2)), np.array([0, 1, 1]))
        >>> x, y = ds[2]
        >>> x.shape, int(y)
        ((2,), 1)
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset: expected at least one array, got none")
        Tensor = _tensor_type()
        data, wrap = [], []
        for k, a in enumerate(arrays):
            if isinstance(a, Tensor):
                data.append(a.data)
                wrap.append(True)
            elif isinstance(a, np.ndarray):
                data.append(a)
                wrap.append(False)
            else:
                raise TypeError(f"TensorDataset: expected numpy arrays or Tensors, got "
                                f"{type(a).__name__} for array {k}; convert it with np.asarray")
            if data[-1].ndim == 0:
                raise ValueError(f"TensorDataset: expected arrays with a first (sample) "
                                 f"dimension, got a 0-d array for array {k}")
        lengths = [len(a) for a in data]
        if len(set(lengths)) > 1:
            raise ValueError("TensorDataset: expected arrays of equal length (first "
                             f"dimension), got lengths {lengths}")
        if lengths[0] == 0:
            raise ValueError("TensorDataset: the data set is empty: expected at least one "
                             f"sample, got arrays of length 0 (shapes "
                             f"{[a.shape for a in data]})")
        self.tensors = arrays
        self._arrays = tuple(data)
        self._read_only = tuple(_read_only_view(a) for a in data)   # what batch slices view
        self._wrap = tuple(wrap) if any(wrap) else None

    def __len__(self):
        return len(self._arrays[0])

    def _as_given(self, parts):
        if self._wrap is None:
            return parts
        Tensor = _tensor_type()
        return tuple([Tensor._wrap(p) if w else p for p, w in zip(parts, self._wrap)])

    def __getitem__(self, index):
        return self._as_given(tuple([a[index] for a in self._arrays]))

    def __getitems__(self, indices):
        """A batch: one index per array; ``indices`` is an integer array or a slice.

        A slice gives views into the stored arrays, read-only so that changing
        a batch in place cannot change the data set; integer indices give copies.
        """
        parts = tuple([a[indices] for a in (self._read_only if type(indices) is slice
                                            else self._arrays)])
        return parts if self._wrap is None else self._as_given(parts)


def _read_only_view(a):
    """A view of ``a`` that cannot be written through (nor can any slice of it)."""
    view = a.view()
    view.flags.writeable = False
    return view


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Offers ``__getitems__`` whenever ``dataset`` does.

    Args:
        dataset: the data set to draw from.
        indices: sequence of integer positions into ``dataset``.

    Example:
        >>> ds = Subset(TensorDataset(np.arange(10) * 10), [7, 2])
        >>> len(ds), int(ds[0][0])
        (2, 70)
    """

    def __init__(self, dataset, indices):
        n = len(dataset)
        idx = np.asarray(indices)
        if idx.size == 0:
            idx = idx.astype(np.intp)
        if idx.ndim != 1 or idx.dtype.kind not in "iu":
            raise TypeError(f"Subset: expected a 1-d sequence of integer indices, got "
                            f"dtype {idx.dtype} with shape {idx.shape}")
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            bad = idx[(idx < 0) | (idx >= n)][0]
            raise ValueError(f"Subset: expected indices in [0, {n}) for a data set of {n} "
                             f"samples, got {int(bad)}")
        self.dataset = dataset
        self.indices = idx
        base = getattr(dataset, "__getitems__", None)
        if base is not None:
            # Set on the instance so that it exists only when the base supports it.
            self.__getitems__ = lambda indices: base(self.indices[indices])

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` at random into non-overlapping :class:`Subset` s.

    ``lengths`` are either sample counts (ints) summing to ``len(dataset)``, or
    fractions (floats) summing to 1. Fractions follow PyTorch's rule: each split
    gets ``floor(frac * N)`` samples, then the remaining samples go one each to the
    splits in order, starting from the first.

    Args:
        dataset: the data set to split.
        lengths: list of ints, or list of fractions in [0, 1].
        generator: optional ``numpy.random.Generator``; default minitorch's.

    Example:
        >>> train, val = random_split(TensorDataset(np.arange(10)), [0.8, 0.2])
        >>> len(train), len(val)
        (8, 2)
    """
    _check_generator(generator, "random_split")
    n = len(dataset)
    if n == 0:
        raise ValueError("random_split: the data set is empty: expected at least one sample")
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: expected at least one length, got none")
    for x in lengths:
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"random_split: expected int or float lengths, got {x!r}")
    if all(isinstance(x, numbers.Integral) for x in lengths):
        counts = [int(x) for x in lengths]
        if any(c < 0 for c in counts):
            raise ValueError(f"random_split: expected non-negative lengths, got {counts}")
    else:
        if any(not 0 <= x <= 1 for x in lengths) or not math.isclose(sum(lengths), 1):
            raise ValueError("random_split: expected fractions in [0, 1] summing to 1, got "
                             f"{lengths} (sum {sum(lengths)})")
        counts = [math.floor(n * x) for x in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    if sum(counts) != n:
        raise ValueError(f"random_split: expected lengths summing to the data set size {n}, "
                         f"got {counts} (sum {sum(counts)})")
    gen = generator if generator is not None else _random.get_generator()
    order = gen.permutation(n)
    ends = np.cumsum(counts)
    return [Subset(dataset, order[e - c:e]) for c, e in zip(counts, ends)]


def _collate(samples):
    """Stack a list of samples field by field (tuples, lists, dicts, arrays, numbers)."""
    first = samples[0]
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise ValueError("DataLoader: expected samples with the same number of fields, "
                             f"got {sorted({len(s) for s in samples})}")
        return tuple([_collate(list(field)) for field in zip(*samples)])
    if isinstance(first, dict):
        return {k: _collate([s[k] for s in samples]) for k in first}
    Tensor = _tensor_type()
    if isinstance(first, Tensor):
        return Tensor._wrap(_stack([s.data for s in samples]))
    return _stack(samples)


def _stack(items):
    arrays = [np.asarray(x) for x in items]
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError("DataLoader: expected samples of one shape to stack into a batch, "
                         f"got shapes {sorted(shapes)}")
    return np.stack(arrays)


class DataLoader:
    """Iterate over a data set in mini-batches, optionally shuffled each epoch.

    Each pass (``for batch in loader``) is one epoch covering every sample exactly
    once (the last, smaller batch is dropped when ``drop_last``). A data set with
    ``__getitems__`` (e.g. :class:`TensorDataset`) gives each batch by one index
    per array; any other data set is read sample by sample with ``dataset[i]``
    and the samples are stacked (a tuple of fields gives a tuple of batches).

    Args:
        dataset: a :class:`Dataset` or anything with ``__len__`` and ``__getitem__``.
        batch_size (int): samples per batch. Default: 1.
        shuffle (bool): draw a new order each epoch. Default: False.
        drop_last (bool): drop the last batch if it is smaller. Default: False.
        generator: optional ``numpy.random.Generator`` for shuffling; default is
            minitorch's global one (seeded by ``mt.manual_seed``).

    Example:
        >>> ds = TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
        >>> loader = DataLoader(ds, batch_size=2)
        >>> len(loader), [y.tolist() for x, y in loader]
        (3, [[0, 1], [2, 3], [4]])
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, generator=None):
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError("DataLoader: expected a data set with __len__ and __getitem__, "
                            f"got {type(dataset).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
            raise TypeError(f"DataLoader: expected an int batch_size, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: expected batch_size >= 1, got {batch_size}")
        _check_generator(generator, "DataLoader")
        if len(dataset) == 0:
            raise ValueError("DataLoader: the data set is empty: expected at least one sample")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator = generator

    def __len__(self):
        n, b = len(self.dataset), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self):
        # The order is drawn here, when the epoch starts, not at the first next().
        ds, n, b = self.dataset, len(self.dataset), self.batch_size
        end = n - n % b if self.drop_last else n
        if self.shuffle:
            gen = self.generator if self.generator is not None else _random.get_generator()
            order = gen.permutation(n)
        elif isinstance(ds, TensorDataset):
            order = None  # slices: views, no copy
        else:
            order = np.arange(n)
        return self._batches(ds, order, end, n, b)

    @staticmethod
    def _batches(ds, order, end, n, b):
        getitems = getattr(ds, "__getitems__", None)
        if order is None:
            for i in range(0, end, b):
                yield getitems(slice(i, i + b))            # (the last may reach past n: numpy stops at n)
        elif getitems is not None:
            for i in range(0, end, b):
                yield getitems(order[i:i + b])
        else:
            for i in range(0, end, b):
                yield _collate([ds[j] for j in order[i:i + b].tolist()])
