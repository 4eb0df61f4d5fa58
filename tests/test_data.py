"""Dataset, TensorDataset, Subset, DataLoader and random_split."""
import warnings

import numpy as np
import pytest
import hypothesis.strategies as st
from hypothesis import assume, given, settings

from minitorch.data import DataLoader, Dataset, Subset, TensorDataset, random_split
from minitorch.random import manual_seed
from minitorch.tensor import Tensor


def xy(n=10, d=3):
    x = np.arange(n * d, dtype=np.float32).reshape(n, d)
    return x, np.arange(n) % 3


def sample_ids(batches):
    """Which samples a pass yielded, in order (x[:, 0] / d identifies a row of xy())."""
    return [int(v) // 3 for x, _ in batches for v in np.asarray(x)[:, 0]]


class Squares(Dataset):
    """A plain data set that records the indices it was asked for."""

    def __init__(self, n):
        self.n, self.asked = n, []

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.asked.append(i)
        return np.array([i, i * i], dtype=np.float64), i


# --- TensorDataset ---------------------------------------------------------------
def test_tensor_dataset_indexes_rows_without_copying():
    x, y = xy()
    ds = TensorDataset(x, y)
    assert len(ds) == 10 and ds.tensors[0] is x
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi, x[4])
    assert yi == y[4] and np.shares_memory(xi, x)


def test_tensor_dataset_keeps_tensors_as_tensors():
    x, y = xy()
    ds = TensorDataset(Tensor(x), y)
    xi, yi = ds[2]
    assert isinstance(xi, Tensor) and not isinstance(yi, Tensor)
    np.testing.assert_array_equal(xi.data, x[2])
    for xb, yb in DataLoader(ds, batch_size=4, shuffle=True):
        assert isinstance(xb, Tensor) and isinstance(yb, np.ndarray)
        assert not xb.requires_grad and xb.dtype == np.float32
        np.testing.assert_array_equal(xb.data[:, 0] // 3 % 3, yb)


def test_tensor_dataset_errors_name_what_arrived():
    with pytest.raises(ValueError, match=r"lengths \[5, 4\]"):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="empty"):
        TensorDataset(np.zeros((0, 2)), np.zeros(0))
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()
    with pytest.raises(TypeError, match="got list for array 1"):
        TensorDataset(np.zeros(3), [1, 2, 3])
    with pytest.raises(ValueError, match="0-d array for array 0"):
        TensorDataset(np.array(3.0))


def test_dataset_is_abstract():
    class NoLen(Dataset):
        def __getitem__(self, i):
            return i
    with pytest.raises(TypeError, match="__len__"):
        NoLen()


# --- DataLoader: order, sizes, views ----------------------------------------------
def test_unshuffled_batches_in_order_with_a_short_last_batch():
    x, y = xy(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3 and all(type(b) is tuple for b in batches)
    assert [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    assert sample_ids(batches) == list(range(10))
    np.testing.assert_array_equal(batches[2][1], y[8:])
    assert len(DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)) == 2
    assert [b[0].shape[0] for b in DataLoader(TensorDataset(x), batch_size=4, drop_last=True)] == [4, 4]


def test_unshuffled_batches_are_read_only_views_shuffled_ones_are_copies():
    x, y = xy(10)
    xb, yb = next(iter(DataLoader(TensorDataset(x, y), batch_size=4)))
    assert np.shares_memory(xb, x) and np.shares_memory(yb, y)
    with pytest.raises(ValueError, match="read-only"):
        xb += 1                                   # changing a batch must not change the data
    assert x.flags.writeable and x[0, 0] == 0
    xb, yb = next(iter(DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True)))
    assert not np.shares_memory(xb, x) and xb.flags.writeable


@settings(deadline=None, max_examples=60)
@given(n=st.integers(1, 40), batch_size=st.integers(1, 45), shuffle=st.booleans(),
       drop_last=st.booleans(), plain=st.booleans())
def test_every_sample_exactly_once_per_epoch(n, batch_size, shuffle, drop_last, plain):
    x, y = xy(n)
    ds = Squares(n) if plain else TensorDataset(x, y)
    loader = DataLoader(ds, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last)
    batches = list(loader)
    ids = [int(i) for _, ib in batches for i in ib] if plain else sample_ids(batches)
    full = n // batch_size * batch_size
    assert len(batches) == len(loader) == (n // batch_size if drop_last else -(-n // batch_size))
    assert len(ids) == (full if drop_last else n) and len(set(ids)) == len(ids)
    assert set(ids) <= set(range(n))
    assert all(len(b[1]) == batch_size for b in batches[:full // batch_size])
    if not shuffle:
        assert ids == list(range(len(ids)))
    if plain:
        assert all(type(i) is int for i in ds.asked)   # a user data set gets Python ints


def test_shuffle_is_reproducible_with_manual_seed_and_new_each_epoch():
    x, y = xy(50)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
    manual_seed(0)
    first, second = sample_ids(loader), sample_ids(loader)
    assert first != second and sorted(first) == sorted(second) == list(range(50))
    manual_seed(0)                                # replaces the generator: must be re-read
    assert sample_ids(loader) == first and sample_ids(loader) == second


def test_own_generator_is_independent_of_the_global_one():
    x, y = xy(50)
    a = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True,
                   generator=np.random.default_rng(3))
    b = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True,
                   generator=np.random.default_rng(3))
    manual_seed(1)
    ids_a = sample_ids(a)
    manual_seed(2)
    assert sample_ids(b) == ids_a
    assert ids_a == np.random.default_rng(3).permutation(50).tolist()


def test_the_epoch_order_is_drawn_when_iteration_starts():
    x, y = xy(20)
    loader = DataLoader(TensorDataset(x, y), batch_size=20, shuffle=True)
    manual_seed(5)
    it = iter(loader)
    manual_seed(99)
    assert sample_ids(it) == np.random.default_rng(5).permutation(20).tolist()


# --- DataLoader over plain data sets ----------------------------------------------
def test_plain_dataset_samples_are_stacked_field_by_field():
    ds = Squares(5)
    batches = list(DataLoader(ds, batch_size=2))
    assert all(type(b) is tuple for b in batches)
    (xb, yb), (x2, y2), (x3, y3) = batches
    np.testing.assert_array_equal(xb, [[0, 0], [1, 1]])
    assert yb.dtype.kind == "i" and yb.tolist() == [0, 1]
    assert x3.shape == (1, 2) and y3.tolist() == [4]
    assert ds.asked == [0, 1, 2, 3, 4]


def test_plain_dataset_of_single_arrays_dicts_and_tensors():
    arrays = [np.full(3, i, np.float32) for i in range(4)]
    batches = list(DataLoader(arrays, batch_size=3))
    assert isinstance(batches[0], np.ndarray) and batches[0].shape == (3, 3)
    dicts = [{"x": np.ones(2) * i, "label": i} for i in range(4)]
    b = next(iter(DataLoader(dicts, batch_size=4)))
    assert b["x"].shape == (4, 2) and b["label"].tolist() == [0, 1, 2, 3]
    tensors = [(Tensor(np.ones(2) * i), i) for i in range(3)]
    tb, lb = next(iter(DataLoader(tensors, batch_size=3)))
    assert isinstance(tb, Tensor) and tb.shape == (3, 2) and lb.tolist() == [0, 1, 2]


def test_plain_dataset_with_ragged_samples_names_the_shapes():
    ragged = [np.ones(2), np.ones(3)]
    with pytest.raises(ValueError, match=r"shapes \[\(2,\), \(3,\)\]"):
        list(DataLoader(ragged, batch_size=2))


def test_getitems_is_used_for_whole_batches():
    class Rows(TensorDataset):
        def __getitem__(self, i):
            raise AssertionError("one sample at a time")
    seen = []

    class Batches(Dataset):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            raise AssertionError("one sample at a time")

        def __getitems__(self, idx):
            seen.append(idx)
            return np.asarray(idx) * 10
    x, y = xy(7)
    assert len(list(DataLoader(Rows(x, y), batch_size=3, shuffle=True))) == 3
    out = list(DataLoader(Batches(), batch_size=3))
    assert [b.tolist() for b in out] == [[0, 10, 20], [30, 40, 50], [60]]
    assert all(isinstance(i, np.ndarray) and i.dtype.kind == "i" for i in seen)


def test_loader_argument_errors():
    ds = TensorDataset(*xy())
    for bad in (0, -3):
        with pytest.raises(ValueError, match=f"batch_size >= 1, got {bad}"):
            DataLoader(ds, batch_size=bad)
    for bad in (1.5, "2", True, None):
        with pytest.raises(TypeError, match="int batch_size"):
            DataLoader(ds, batch_size=bad)
    with pytest.raises(TypeError, match="Generator"):
        DataLoader(ds, generator=42)
    with pytest.raises(TypeError, match="__len__ and __getitem__"):
        DataLoader(iter([1, 2]))
    with pytest.raises(ValueError, match="empty"):
        DataLoader(Squares(0))


# --- random_split and Subset -----------------------------------------------------
@pytest.mark.parametrize("n, fractions, expected", [
    (10, [0.8, 0.2], [8, 2]),
    (11, [0.5, 0.5], [6, 5]),                     # floor 5, 5; the 1 left over goes to the first
    (7, [0.33, 0.33, 0.34], [3, 2, 2]),
    (5, [0.1, 0.1, 0.8], [1, 0, 4]),              # floor 0, 0, 4; the 1 left goes to the first
    (3, [1.0, 0.0], [3, 0]),
])
def test_random_split_fraction_rule(n, fractions, expected):
    parts = random_split(Squares(n), fractions)
    assert [len(p) for p in parts] == expected


@settings(deadline=None, max_examples=40)
@given(n=st.integers(1, 60), cuts=st.lists(st.integers(0, 60), max_size=4), seed=st.integers(0, 9))
def test_random_split_is_a_partition(n, cuts, seed):
    bounds = sorted(min(c, n) for c in cuts)
    lengths = np.diff([0, *bounds, n]).tolist()
    x, y = xy(n)
    parts = random_split(TensorDataset(x, y), lengths, generator=np.random.default_rng(seed))
    assert [len(p) for p in parts] == lengths
    ids = [int(p[i][0][0]) // 3 for p in parts for i in range(len(p))]
    assert sorted(ids) == list(range(n))
    assert ids == np.random.default_rng(seed).permutation(n).tolist()


def test_random_split_is_reproducible_with_manual_seed():
    manual_seed(7)
    a = [p.indices.tolist() for p in random_split(Squares(20), [0.5, 0.5])]
    manual_seed(7)
    assert [p.indices.tolist() for p in random_split(Squares(20), [10, 10])] == a


def test_random_split_errors_name_expected_and_got():
    with pytest.raises(ValueError, match=r"summing to the data set size 10, got \[5, 4\] \(sum 9\)"):
        random_split(Squares(10), [5, 4])
    with pytest.raises(ValueError, match=r"fractions in \[0, 1\] summing to 1, got \[0.5, 0.6\]"):
        random_split(Squares(10), [0.5, 0.6])
    with pytest.raises(ValueError, match="non-negative"):
        random_split(Squares(10), [11, -1])
    with pytest.raises(ValueError, match="empty"):
        random_split(Squares(0), [0])
    with pytest.raises(TypeError, match="int or float lengths"):
        random_split(Squares(4), ["2", 2])


def test_subset_batches_through_its_base():
    x, y = xy(10)
    train, val = random_split(TensorDataset(x, y), [7, 3])
    assert hasattr(train, "__getitems__")
    xb, yb = train.__getitems__(np.array([0, 2]))
    np.testing.assert_array_equal(xb, x[train.indices[[0, 2]]])
    assert sorted(sample_ids(DataLoader(val, batch_size=2))) == sorted(val.indices.tolist())
    plain = Subset(Squares(6), [5, 0, 3])
    assert not hasattr(plain, "__getitems__")
    assert plain[0][1] == 5 and [b[1].tolist() for b in DataLoader(plain, batch_size=2)] == [[5, 0], [3]]
    with pytest.raises(ValueError, match=r"indices in \[0, 6\).*got 6"):
        Subset(Squares(6), [0, 6])


# --- the same as PyTorch --------------------------------------------------------
@pytest.mark.torch
@settings(deadline=None, max_examples=40)
@given(n=st.integers(1, 200), weights=st.lists(st.integers(0, 20), min_size=1, max_size=5))
def test_random_split_lengths_match_pytorch(n, weights):
    torch = pytest.importorskip("torch")
    if sum(weights) == 0:
        weights = [1] + weights[1:]
    fractions = [w / sum(weights) for w in weights]
    fractions[-1] = 1.0 - sum(fractions[:-1])
    assume(sum(fractions) <= 1)                   # PyTorch refuses a sum just above 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")           # PyTorch warns about empty splits
        expected = [len(s) for s in torch.utils.data.random_split(range(n), fractions)]
    assert [len(s) for s in random_split(Squares(n), fractions)] == expected


@pytest.mark.torch
def test_unshuffled_batches_match_pytorch():
    torch = pytest.importorskip("torch")
    x, y = xy(23)
    ours = list(DataLoader(TensorDataset(x, y), batch_size=5, drop_last=False))
    theirs = list(torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=5))
    assert len(ours) == len(theirs)
    for (xb, yb), (tx, ty) in zip(ours, theirs):
        np.testing.assert_array_equal(xb, tx.numpy())
        np.testing.assert_array_equal(yb, ty.numpy())
