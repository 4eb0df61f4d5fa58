"""Every layer and model through the registry check; layer-specific behaviour beside it."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch as mt
from minitorch import nn
from registry import LAYERS, Case, check, check_float32
from strategies import SETTINGS, arrays, shapes


@pytest.mark.parametrize("build", LAYERS.values(), ids=LAYERS.keys())
@settings(**SETTINGS)
@given(data=st.data())
def test_layer_forward_and_gradients(build, data):
    check(build(data.draw))


@pytest.mark.parametrize("build", LAYERS.values(), ids=LAYERS.keys())
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_layer_keeps_float32(build, data):
    check_float32(build(data.draw))


# --- the check catches wrong layers ---------------------------------------------------------
class SigmoidMissingFactor(nn.Module):
    """A user's sigmoid whose backward forgot the (1 − h) factor."""

    def forward(self, x):
        self.h = 1 / (1 + np.exp(-x))
        return self.h

    def backward(self, grad_h):
        return grad_h * self.h                          # wrong: σ' = σ(1 − σ)


class LinearForgetsBatchSum(nn.Linear):
    """A user's Linear whose bias gradient takes only the first sample."""

    def backward(self, grad_h):
        w = self.weight
        w.grad += grad_h.T @ self.x
        self.bias.grad += grad_h[0]                     # wrong: Σ over the batch
        return grad_h @ w.data


class LinearTransposedInputGrad(nn.Linear):
    """A square Linear whose input gradient uses W instead of Wᵀ."""

    def backward(self, grad_h):
        self.weight.grad += grad_h.T @ self.x
        self.bias.grad += grad_h.sum(axis=0)
        return grad_h @ self.weight.data.T              # wrong: dL/dx = dL/dh · W


class SquareWrongForward(nn.Module):
    def forward(self, x):
        self.x = x
        return x * x + 1e-6                             # wrong by a little

    def backward(self, grad_h):
        return 2 * self.x * grad_h


def _case(module, x, reference):
    module.double()
    return Case(type(module).__name__, module, [x], reference, module=module)


def test_check_catches_a_missing_factor_in_backward():
    x = np.linspace(-2, 2, 6).reshape(2, 3)
    case = _case(SigmoidMissingFactor(), x, lambda x: 1 / (1 + np.exp(-x)))
    with pytest.raises(AssertionError, match="gradient of input 0 vs complex step"):
        check(case)


def test_check_catches_a_wrong_parameter_gradient():
    m = LinearForgetsBatchSum(3, 2)
    x = np.arange(12.0).reshape(4, 3) / 10
    with pytest.raises(AssertionError, match="parameter 'bias'"):
        check(_case(m, x, lambda x: x @ m.weight.data.T + m.bias.data))


def test_check_catches_a_transposed_input_gradient():
    m = LinearTransposedInputGrad(3, 3)
    x = np.arange(6.0).reshape(2, 3) / 10
    with pytest.raises(AssertionError, match="input 0"):
        check(_case(m, x, lambda x: x @ m.weight.data.T + m.bias.data))


def test_check_catches_a_wrong_forward():
    with pytest.raises(AssertionError, match="forward"):
        check(_case(SquareWrongForward(), np.ones((2, 2)), lambda x: x * x))


def test_check_catches_a_wrong_backward_through_central_differences():
    """The central-difference path fails a wrong backward too (ReLU with the mask inverted)."""
    class InvertedReLU(nn.ReLU):
        def backward(self, grad_h):
            return grad_h * ~self.mask

    x = np.array([[-1.0, 0.5], [2.0, -0.3]])
    with pytest.raises(AssertionError, match="central differences"):
        check(_case(InvertedReLU(), x, lambda x: np.maximum(x, 0)))


class UserAffine(nn.Module):
    """A correct user layer in the lecture's style: keeps ``self.x``, fills ``.grad`` with +=."""

    def __init__(self, n):
        super().__init__()
        self.w = nn.Parameter(np.linspace(-1, 1, n))
        self.b = nn.Parameter(np.array(0.5))

    def forward(self, x):
        self.x = x
        return x * self.w.data + self.b.data

    def backward(self, grad_h):
        self.w.grad += (grad_h * self.x).sum(axis=0)
        self.b.grad += grad_h.sum()
        return grad_h * self.w.data


@settings(**SETTINGS)
@given(x=arrays(st.tuples(st.integers(1, 4), st.just(3))))
def test_a_correct_user_layer_passes_the_same_check(x):
    m = UserAffine(3)
    check(_case(m, x, lambda x: x * m.w.data + m.b.data))


# --- Dropout ------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_zeroes_a_fraction_p_and_keeps_the_mean(p):
    x = np.ones((400, 250))
    h = nn.Dropout(p)(x).data
    kept = h != 0
    assert abs(1 - kept.mean() - p) < 0.01              # 100,000 Bernoulli draws: sd ≤ 0.0016
    np.testing.assert_allclose(h[kept], 1 / (1 - p))
    assert abs(h.mean() - 1) < 0.03


def test_dropout_is_the_identity_in_eval_mode_and_draws_nothing():
    d = nn.Dropout(0.5).eval()
    x = np.random.default_rng(1).standard_normal((5, 4))
    state = mt.random.get_generator().bit_generator.state
    np.testing.assert_array_equal(d(x).data, x)
    assert mt.random.get_generator().bit_generator.state == state


def test_dropout_mask_is_reproducible_with_manual_seed_and_differs_between_calls():
    d, x = nn.Dropout(0.5), np.ones((8, 8))
    mt.manual_seed(3)
    a, b = d(x).data, d(x).data
    mt.manual_seed(3)
    np.testing.assert_array_equal(d(x).data, a)
    assert not np.array_equal(a, b)


def test_dropout_backward_uses_the_mask_of_its_own_call():
    d = nn.Dropout(0.5)
    x1, x2 = mt.tensor(np.ones((6, 6)), requires_grad=True), mt.tensor(np.ones((6, 6)),
                                                                      requires_grad=True)
    h1, h2 = d(x1), d(x2)
    (h1.sum() + 10 * h2.sum()).backward()
    np.testing.assert_array_equal(x1.grad, h1.data)       # dh/dx = mask / (1 − p) = h for x = 1
    np.testing.assert_array_equal(x2.grad, 10 * h2.data)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_p_outside_0_1(p):
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(p)


def test_dropout_p1_zeroes_everything():
    x = mt.tensor(np.ones((3, 3)), requires_grad=True)
    h = nn.Dropout(1.0)(x)
    h.sum().backward()
    assert not h.data.any() and not x.grad.any()


# --- activations -------------------------------------------------------------------------------
@settings(**SETTINGS)
@given(x=arrays(shapes(2, 3), elements=st.floats(-50, 50)))
def test_softmax_rows_are_probabilities_and_logsoftmax_is_their_log(x):
    p = nn.Softmax(dim=1)(x).data
    assert np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_allclose(np.exp(nn.LogSoftmax(dim=1)(x).data), p, rtol=1e-5, atol=1e-30)


def test_softmax_of_huge_logits_is_finite():
    x = mt.tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = nn.Softmax(dim=1)(x)
        lh = nn.LogSoftmax(dim=1)(x)
        (h.sum() + lh.sum()).backward()
    np.testing.assert_allclose(h.data, [[1, 0, 0]], atol=1e-30)
    np.testing.assert_allclose(lh.data, [[0, -1000, -2000]])
    assert np.all(np.isfinite(x.grad))


def test_softmax_without_dim_warns_like_pytorch():
    with pytest.warns(UserWarning, match="Implicit dimension"):
        h = nn.Softmax()(np.zeros((2, 3)))
    np.testing.assert_allclose(h.data, 1 / 3)


@pytest.mark.parametrize("dim", [2, -3])
def test_softmax_rejects_a_dim_the_input_does_not_have(dim):
    with pytest.raises(ValueError, match="dim"):
        nn.Softmax(dim=dim)(np.zeros((2, 3)))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.complex128])
def test_sigmoid_saturates_without_overflow_warnings(dtype):
    x = np.array([-1e4, -1000.0, -100.0, 0.0, 1000.0]).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = nn.Sigmoid()(x).data
    tiny = np.finfo(dtype).tiny         # the smallest normal float: σ is below it, or 0
    assert h.dtype == dtype and np.all((h.real[:2] >= 0) & (h.real[:2] < tiny))
    np.testing.assert_array_equal(h[3:], [0.5, 1.0])
    if np.finfo(dtype).bits == 64:      # σ(-100) = 3.7e-44 is a normal float64: exact
        np.testing.assert_allclose(h.real[2], 1 / (1 + np.exp(100.0)), rtol=1e-12)


def test_leaky_relu_default_slope_and_repr():
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    np.testing.assert_allclose(nn.LeakyReLU()(np.array([-2.0, 3.0])).data, [-0.02, 3.0])


def test_flatten_rejects_start_after_end():
    with pytest.raises(ValueError, match="start"):
        nn.Flatten(2, 1)(np.zeros((2, 3, 4)))


def test_linear_by_hand():
    """h = x Wᵀ + b and the lecture's three gradients, worked out for one batch of 2."""
    lin = nn.Linear(2, 1).double()
    lin.weight.data[...] = [[2.0, -1.0]]
    lin.bias.data[...] = [0.5]
    x = mt.tensor(np.array([[1.0, 3.0], [2.0, 0.0]]), requires_grad=True)
    h = lin(x)
    np.testing.assert_array_equal(h.data, [[-0.5], [4.5]])
    h.backward(gradient=np.array([[1.0], [10.0]]))
    np.testing.assert_array_equal(lin.weight.grad, [[21.0, 3.0]])   # dL/dh · x
    np.testing.assert_array_equal(lin.bias.grad, [11.0])              # Σ dL/dh
    np.testing.assert_array_equal(x.grad, [[2.0, -1.0], [20.0, -10.0]])  # dL/dh · W


def test_linear_on_an_input_that_needs_no_grad_still_fills_parameter_grads():
    lin = nn.Linear(3, 2)
    x = mt.tensor(np.ones((4, 3)))
    lin(x).sum().backward()
    assert x.grad is None
    np.testing.assert_allclose(lin.weight.grad, np.full((2, 3), 4.0))
    np.testing.assert_allclose(lin.bias.grad, [4.0, 4.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 5), (70, 70), (2, 40, 60), (300, 300), (2, 70000)])
def test_relu_on_small_and_large_batches_is_max_x_0(dtype, shape):
    # max(x, 0) is taken against zeros like x (up to 2**16 elements), a row of zeros (above),
    # or 0 (rows of over 2**16): faster than a scalar 0, and the same numbers every way
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    x.flat[:5] = [-np.inf, np.inf, np.nan, 0.0, -0.0]
    layer = nn.ReLU()
    xt = mt.tensor(x, requires_grad=True)
    h = layer(xt)
    assert h.dtype == dtype
    np.testing.assert_array_equal(h.data, np.maximum(x, 0))
    assert np.signbit(h.data).tolist() == np.signbit(np.maximum(x, 0)).tolist()
    g = rng.standard_normal(shape).astype(dtype)
    h.backward(g)
    np.testing.assert_array_equal(xt.grad, np.where(x > 0, g, 0))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([np.float16, np.float32, np.float64, np.int64]),
       st.lists(st.integers(1, 40), min_size=0, max_size=3))
def test_relu_equals_max_x_0_on_any_shape_and_dtype(dtype, shape):
    from minitorch.nn import activation
    x = np.random.default_rng(len(shape)).standard_normal(shape).astype(dtype)
    h = nn.ReLU()(x).data
    assert h.dtype == np.maximum(x, 0).dtype and h.shape == x.shape
    np.testing.assert_array_equal(h, np.maximum(x, 0))
    assert len(activation._zeros) <= 16                 # (the zeros kept, per shape: a bounded few)
    assert not any(z.flags.writeable for z in activation._zeros.values())
