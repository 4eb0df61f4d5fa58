"""Every Tensor operation through the registry check, plus dtype and broadcasting rules."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch as mt
from registry import OPS, Case, check, check_float32
from strategies import SETTINGS


@pytest.mark.parametrize("build", OPS.values(), ids=OPS.keys())
@settings(**SETTINGS)
@given(data=st.data())
def test_op_forward_and_gradients(build, data):
    check(build(data.draw))


# a float64 numpy operand promotes float32 to float64 (numpy's and PyTorch's rule): tested below
KEEPS_DTYPE = {name: build for name, build in OPS.items() if name != "array-operand"}


@pytest.mark.parametrize("build", KEEPS_DTYPE.values(), ids=KEEPS_DTYPE.keys())
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_op_keeps_float32(build, data):
    check_float32(build(data.draw))


# --- the check catches a wrong derivative ----------------------------------------------------
def test_check_catches_an_op_with_a_wrong_vjp():
    def cube_missing_factor(a):                      # d(a³) = 3a² da; this says a² da
        return mt.ops.record(a.data ** 3, (a,), lambda g: (g * a.data ** 2,), "cube")

    case = Case("cube", cube_missing_factor, [np.array([0.5, -1.0, 2.0])], lambda a: a ** 3)
    with pytest.raises(AssertionError, match="gradient of input 0 vs complex step"):
        check(case)


def test_check_catches_a_broadcast_gradient_not_summed_back():
    def add_no_unbroadcast(a, b):
        return mt.ops.record(a.data + b.data, (a, b), lambda g: (g.sum(0, keepdims=True)[:, :1]
                                                                 * 0 + g[:1, :1], g), "add")

    case = Case("add", add_no_unbroadcast, [np.ones((1, 1)), np.ones((3, 2))], np.add)
    with pytest.raises(AssertionError, match="input 0"):
        check(case)


# --- dtypes of mixed operands ---------------------------------------------------------------------
@pytest.mark.parametrize("f", [
    lambda x: x * 2, lambda x: 2 * x, lambda x: x + 1, lambda x: 1 - x, lambda x: x / 3,
    lambda x: 3 / x, lambda x: x ** 2, lambda x: 2 ** x, lambda x: x * 0.5,
    lambda x: np.maximum(x, 0), lambda x: np.minimum(0.5, x), lambda x: np.where(x > 1, x, 0.0),
    lambda x: np.exp(x) + 1e-3, lambda x: x * np.float64(2.0),
], ids=["x*2", "2*x", "x+1", "1-x", "x/3", "3/x", "x**2", "2**x", "x*0.5", "maximum(x,0)",
        "minimum(0.5,x)", "where(.,x,0.)", "exp(x)+1e-3", "x*np.float64"])
def test_python_numbers_keep_the_tensor_dtype(f):
    """Python numbers are weak, as in PyTorch: float32 stays float32."""
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    y = f(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_integer_tensors_with_python_numbers():
    t = mt.tensor([1, 2])
    assert (t * 2).dtype == np.int64 and (t + 1).tolist() == [2, 3]
    assert (t * 2.5).dtype.kind == "f"


def test_a_float64_array_operand_promotes_like_numpy():
    x = mt.tensor([1.0, 2.0])
    assert (x * np.ones(2)).dtype == np.float64
    assert (x * np.ones(2, np.float32)).dtype == np.float32


# --- numpy interoperability -------------------------------------------------------------
def test_numpy_function_without_a_gradient_rule_is_an_error_only_when_grad_is_needed():
    x = mt.tensor([1.5, -2.5], requires_grad=True)
    with pytest.raises(TypeError, match="np.floor.*no gradient rule"):
        np.floor(x)
    with pytest.raises(TypeError, match="no gradient rule"):
        np.cumsum(x)
    y = np.floor(x.detach())
    assert isinstance(y, mt.Tensor) and y.tolist() == [1.0, -3.0]
    with mt.no_grad():
        assert np.cumsum(x).tolist() == [1.5, -1.0]


def test_numpy_functions_on_tensors_record_gradients():
    x = mt.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    y = np.sum(np.exp(x), axis=0)
    assert isinstance(y, mt.Tensor) and y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.exp(x.data))


def test_unbroadcast_sums_added_and_stretched_axes():
    g = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(mt.ops.unbroadcast(g, (3, 1)), g.sum(0).sum(1, keepdims=True))
    np.testing.assert_array_equal(mt.ops.unbroadcast(g, ()), g.sum())
    assert mt.ops.unbroadcast(g, (2, 3, 4)) is g


def test_max_splits_the_gradient_between_ties():
    x = mt.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0, 0.5, 0.5])


def test_getitem_repeated_indices_add_up():
    x = mt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad, [3, 0, 1])


def test_matmul_rejects_scalars():
    with pytest.raises(ValueError, match="at least 1 dimension"):
        mt.tensor(2.0) @ mt.tensor([1.0])
