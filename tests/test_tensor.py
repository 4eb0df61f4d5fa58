"""Tensor: creation and dtype rules, conversions, the small API, comparisons, printing."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp

import minitorch as mt
from strategies import shapes


# --- dtype rules -----------------------------------------------------------------------------
@pytest.mark.parametrize("data, dtype", [
    (1.5, np.float32), ([1.0, 2.0], np.float32), ([[1, 2.5]], np.float32), (3, np.int64),
    ([1, 2, 3], np.int64), ([True, False], np.bool_), (np.array([1.0, 2.0]), np.float64),
    (np.array([1, 2], dtype=np.int32), np.int32), (np.zeros(2, dtype=np.float16), np.float16),
    (np.float64(2.0), np.float64), (1 + 2j, np.complex64),
])
def test_tensor_dtype_rules_follow_pytorch(data, dtype):
    assert mt.tensor(data).dtype == dtype


def test_set_default_dtype_changes_python_floats_only():
    assert mt.get_default_dtype() == np.float32
    mt.set_default_dtype(np.float64)
    assert mt.get_default_dtype() == np.float64
    assert mt.tensor([1.0]).dtype == np.float64
    assert mt.tensor([1]).dtype == np.int64
    assert mt.tensor(np.zeros(1, np.float32)).dtype == np.float32
    assert mt.tensor(1 + 1j).dtype == np.complex128
    with pytest.raises(TypeError, match="floating dtype"):
        mt.set_default_dtype(np.int32)


def test_dtype_argument_overrides_and_data_is_copied():
    source = np.array([1.0, 2.0])
    t = mt.tensor(source, dtype=np.float32)
    assert t.dtype == np.float32
    u = mt.tensor(source)
    source[0] = 100
    assert u.data[0] == 1.0 and t.data[0] == 1.0


def test_tensor_rejects_non_numbers():
    with pytest.raises(TypeError, match="numbers"):
        mt.tensor(["a", "b"])


def test_requires_grad_needs_a_floating_dtype():
    with pytest.raises(TypeError, match="floating.*int64"):
        mt.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="int32"):
        mt.tensor(np.array([1], np.int32)).requires_grad_()
    t = mt.tensor([1.0], requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad is None and t.grad_fn is None


def test_requires_grad_cannot_be_turned_off_on_a_non_leaf():
    y = mt.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad_(False)


# --- conversions -------------------------------------------------------------------------------
def test_item():
    assert mt.tensor(3.5).item() == 3.5 and isinstance(mt.tensor(3.5).item(), float)
    assert mt.tensor([[7]]).item() == 7 and isinstance(mt.tensor([[7]]).item(), int)
    with pytest.raises(ValueError, match=r"one element.*\(2,\)"):
        mt.tensor([1.0, 2.0]).item()


def test_numpy_and_asarray_share_memory():
    t = mt.tensor([1.0, 2.0])
    assert t.numpy() is t.data
    a = np.asarray(t)
    a[0] = 5
    assert t.data[0] == 5
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    b = np.array(t)
    b[1] = -1
    assert t.data[1] == 2.0
    assert t.tolist() == [5.0, 2.0]


@settings(max_examples=25, deadline=None)
@given(a=hnp.arrays(np.float64, shapes(min_dims=0), elements=hnp.from_dtype(np.dtype(np.float64),
                                                                            allow_nan=False)))
def test_round_trip_through_numpy(a):
    t = mt.tensor(a)
    np.testing.assert_array_equal(np.asarray(t), a)
    assert t.shape == a.shape and t.ndim == a.ndim and t.size == a.size and t.dtype == a.dtype
    assert t.dim() == a.ndim and t.numel() == a.size
    if a.ndim:
        assert len(t) == len(a)
        np.testing.assert_array_equal(t.T.data, a.T)
    else:
        with pytest.raises(TypeError, match="0-d"):
            len(t)


def test_detach_is_a_leaf_sharing_data():
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.data is y.data and d.is_leaf and not d.requires_grad and d.grad_fn is None
    assert y.grad_fn is not None and not y.is_leaf


# --- comparisons, truth, indexing with masks ---------------------------------------------
def test_comparisons_return_bool_tensors_without_gradient():
    x = mt.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    y = mt.tensor([0.0, 0.0, 3.0])
    for result, expected in [(x > 0, [False, False, True]), (x >= 0, [False, True, True]),
                             (x < y, [True, False, True]), (x <= 0, [True, True, False]),
                             (x == y, [False, True, False]), (x != 0, [True, False, True])]:
        assert isinstance(result, mt.Tensor) and result.dtype == np.bool_
        assert not result.requires_grad
        assert result.tolist() == expected


def test_a_mask_tensor_indexes_and_carries_the_gradient():
    x = mt.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    x[x > 0].sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 1, 1])


def test_truth_value_of_many_elements_is_ambiguous():
    assert bool(mt.tensor([1.0]))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(mt.tensor([1.0, 2.0]))


def test_argmax_gives_int_indices():
    t = mt.tensor([[1.0, 3.0, 2.0], [9.0, 0.0, 1.0]])
    assert t.argmax(axis=1).tolist() == [1, 0]
    assert t.argmax(axis=1).dtype.kind == "i"


def test_astype_keeps_the_gradient_in_the_leaf_dtype():
    x = mt.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x.float()
    assert y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


# --- printing ----------------------------------------------------------------------------------
def test_repr_like_pytorch():
    assert repr(mt.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(mt.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(mt.tensor(np.array([1.0]))) == "tensor([1.], dtype=float64)"
    assert repr(mt.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    assert repr(mt.tensor([[1.0, 2.0], [3.0, 4.0]])) == "tensor([[1., 2.],\n        [3., 4.]])"
    assert repr(mt.tensor([1.0], requires_grad=True) * 2).startswith("tensor([2.], grad_fn=<")


def test_parameter_repr_and_dtype():
    p = mt.nn.Parameter([1.0, 2.0])
    assert p.requires_grad and p.dtype == np.float32
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert mt.nn.Parameter(np.zeros(2)).dtype == np.float64
    with pytest.raises(TypeError, match="floating"):
        mt.nn.Parameter(np.array([1, 2]))
