"""Reverse mode, Jacobians and Hessians; forward/reverse duality over random functions."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minitorch as mt
from minitorch import nn
from minitorch.autodiff import (Dual, central_difference, complex_step, grad, hessian,
                                jacobian, jvp, vjp)


def z20(x):
    _z = 0.0
    for _i in range(20):
        _z = np.sin(x * _z) + x
    return _z


def df_rv(x):
    """The lecture's hand-written reverse mode."""
    _z = 0.0
    _s = [_z]
    for _i in range(20):
        _z = np.sin(x * _z) + x
        _s.append(_z)
    _dz, _dx = 1.0, 0.0
    for _i in range(-1, -21, -1):
        _z = _s[_i - 1]
        _dx = _dx + (_z * np.cos(_z * x) + 1) * _dz
        _dz = (x * np.cos(_z * x)) * _dz
    return _dx


def test_vjp_and_grad_on_the_lectures_func_match_its_reverse_pass():
    xx = np.linspace(0.0, 1.5, 201)
    y, pullback = vjp(z20, xx)
    np.testing.assert_array_equal(y, z20(xx))
    np.testing.assert_allclose(pullback(np.ones_like(xx)), df_rv(xx), rtol=1e-13, atol=1e-13)
    d = grad(z20)(0.7)
    assert isinstance(d, float) and d == pytest.approx(df_rv(0.7), rel=1e-14)


def test_grad_of_tensor_code_and_its_shape():
    x = np.array([[0.2, -0.4], [1.1, 0.5]])
    g = grad(lambda t: (np.sin(t) * t).sum() + (t ** 2).mean())(x)
    assert g.shape == x.shape
    np.testing.assert_allclose(g, np.cos(x) * x + np.sin(x) + 2 * x / 4, rtol=1e-14)
    g = grad(lambda t: (t.exp() * 3).sum())(mt.tensor(x))              # Tensor input too
    np.testing.assert_allclose(g, 3 * np.exp(x), rtol=1e-14)


def test_vjp_pullback_can_be_called_repeatedly():
    A = np.random.default_rng(0).standard_normal((3, 4))
    _, pullback = vjp(lambda t: np.tanh(A @ t), np.ones(4))
    first = pullback(np.array([1.0, 0.0, 0.0]))
    pullback(np.array([0.0, 1.0, 0.0]))
    np.testing.assert_array_equal(pullback(np.array([1.0, 0.0, 0.0])), first)


def test_vjp_of_a_module_leaves_its_parameter_grads_alone():
    mt.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    model[0].weight.grad = np.full((4, 3), 7.0)
    x = np.random.default_rng(1).standard_normal((5, 3))
    _, pullback = vjp(model, x)
    g = pullback(np.ones((5, 2)))
    assert model[0].weight.grad.tolist() == np.full((4, 3), 7.0).tolist()
    assert model[2].weight.grad is None
    np.testing.assert_allclose(g.ravel(), np.ones(10) @ jacobian(model, x, mode="forward"), rtol=1e-12)


def test_reverse_mode_errors():
    with pytest.raises(TypeError, match="must return a Tensor"):
        vjp(lambda t: 3.0, np.ones(2))
    with pytest.raises(ValueError, match="single number"):
        grad(lambda t: t * 2)(np.ones(2))
    _, pullback = vjp(lambda t: t * 2, np.ones(2))
    with pytest.raises(ValueError, match=r"output's shape \(2,\)"):
        pullback(np.ones(3))
    with pytest.raises(ValueError, match="mode must be one of"):
        jacobian(np.sin, np.ones(2), mode="sideways")


def test_constant_functions_have_zero_derivatives():
    c = np.array([1.0, 2.0])
    _, pullback = vjp(lambda t: mt.tensor(c) * 1.0, np.ones(2))
    assert pullback(np.ones(2)).tolist() == [0.0, 0.0]
    assert jacobian(lambda t: np.ones(3) + 0 * t.sum(), np.ones(2), mode="forward").shape == (3, 2)


# --- random functions: forward and reverse mode are transposes of each other ----------
def _matrix(seed, n):
    return np.random.default_rng(seed).standard_normal((n, n)) / np.sqrt(n)


OPS = [  # each maps an array (numpy, Dual or Tensor) to an array; written once for all three
    lambda t, k: np.sin(t),
    lambda t, k: np.tanh(t) * 2,
    lambda t, k: t * t + 1,
    lambda t, k: np.exp(-t * t),
    lambda t, k: t / (1 + t * t),
    lambda t, k: t @ _matrix(k, t.shape[-1]) if t.ndim else t * 2.0,
    lambda t, k: t.sum(axis=-1, keepdims=True) * t if t.ndim else t,
    lambda t, k: t.T,
    lambda t, k: t.reshape(-1),
    lambda t, k: np.maximum(t, 0.1),
    lambda t, k: t ** 3,
    lambda t, k: np.log(1 + t * t),
    lambda t, k: t.mean(axis=0) if t.ndim else t,
    lambda t, k: t[::-1] if t.ndim else t,
    lambda t, k: t.max(axis=-1, keepdims=True) + t if t.ndim else t,
]


def _compose(ops):
    def f(t):
        for i, k in ops:
            t = OPS[i](t, k)
        return t
    return f


programs = st.lists(st.tuples(st.integers(0, len(OPS) - 1), st.integers(0, 99)), min_size=1, max_size=6)
shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)


@settings(max_examples=60, deadline=None)
@given(programs, shapes, st.integers(0, 2 ** 31))
def test_jvp_and_vjp_are_dual(ops, shape, seed):
    """⟨u, J v⟩ by forward mode equals ⟨uᵀJ, v⟩ by reverse mode."""
    f = _compose(ops)
    rng = np.random.default_rng(seed)
    x, v = rng.standard_normal(shape), rng.standard_normal(shape)
    y, jv = jvp(f, x, v)
    y2, pullback = vjp(f, x)
    np.testing.assert_allclose(y2, y, rtol=1e-13, atol=1e-13)
    u = rng.standard_normal(np.shape(y))
    ujv = np.sum(u * jv)
    ujv_reverse = np.sum(pullback(u) * v)
    assert ujv_reverse == pytest.approx(ujv, rel=1e-10, abs=1e-10)


def _analytic(t):
    """R³ → R⁵, analytic, so the complex step is a reference to rounding."""
    A = np.arange(15.0).reshape(5, 3) / 10
    return np.tanh(A @ t) * np.exp(t.sum() / 4)


def _analytic_wide(t):
    """R⁶ → R²."""
    return np.stack([np.sin(t).sum() * t[0], (t * t).sum() / (1 + t[1] ** 2)])


@pytest.mark.parametrize("f, n", [(_analytic, 3), (_analytic_wide, 6)])
def test_all_jacobian_modes_agree_with_each_other_and_the_complex_step(f, n):
    x = np.random.default_rng(7).standard_normal(n)
    J = complex_step(f, x)
    for mode in ("forward", "reverse", "auto"):
        np.testing.assert_allclose(jacobian(f, x, mode=mode), J, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(jacobian(f, mt.tensor(x), mode="forward"), J, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("n, m, expected", [(2, 5, Dual), (5, 2, mt.Tensor), (3, 3, mt.Tensor)])
def test_auto_mode_picks_forward_for_fewer_inputs_than_outputs(n, m, expected):
    seen = []
    A = np.ones((m, n))
    def f(t):
        seen.append(type(t))
        return A @ t
    jacobian(f, np.ones(n), mode="auto")
    assert seen[0] is np.ndarray                  # one plain evaluation for the output size
    assert set(seen[1:]) == {expected}
    assert len(seen) - 1 == (n if expected is Dual else 1)


def test_jacobian_shapes():
    x = np.ones((2, 3))
    assert jacobian(lambda t: (t * t).sum(), x, mode="forward").shape == (2, 3)  # gradient
    assert jacobian(lambda t: t * t, x, mode="reverse").shape == (6, 6)
    assert jacobian(lambda t: np.stack([t, 2 * t]), 1.5, mode="forward").tolist() == [1.0, 2.0]
    assert jacobian(lambda t: t * t, 1.5, mode="reverse") == 3.0


def test_hessian_forward_over_reverse_is_exact_and_symmetric():
    x = np.array([0.5, -1.0, 2.0])
    f = lambda t: (t ** 3).sum() + t[0] * t[1] + np.sin(t[2] * t[1])
    H = hessian(f, x)
    s = np.sin(x[2] * x[1])
    expected = np.diag(6 * x)
    expected[0, 1] = expected[1, 0] = 1
    expected[1, 1] -= x[2] ** 2 * s
    expected[2, 2] -= x[1] ** 2 * s
    expected[1, 2] = expected[2, 1] = np.cos(x[1] * x[2]) - x[1] * x[2] * s
    np.testing.assert_allclose(H, expected, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(H, central_difference(grad(f), x), atol=1e-7)


def test_hessian_of_the_lectures_func_matches_complex_step_of_its_gradient():
    d2 = hessian(z20, 0.7)
    assert isinstance(d2, float)
    assert d2 == pytest.approx(complex_step(df_rv, 0.7), rel=1e-12)


@pytest.mark.torch
def test_jacobian_and_hessian_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    W1, W2 = rng.standard_normal((6, 4)), rng.standard_normal((3, 6))
    f = lambda t: np.tanh(W2 @ np.tanh(W1 @ t))
    tf = lambda t: torch.tanh(torch.tensor(W2) @ torch.tanh(torch.tensor(W1) @ t))
    x = rng.standard_normal(4)
    ref = torch.autograd.functional.jacobian(tf, torch.tensor(x)).numpy()
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(jacobian(f, x, mode=mode), ref, rtol=1e-12, atol=1e-14)
    g = lambda t: (f(t) ** 2).sum()
    href = torch.autograd.functional.hessian(lambda t: (tf(t) ** 2).sum(), torch.tensor(x)).numpy()
    np.testing.assert_allclose(hessian(g, x), href, rtol=1e-11, atol=1e-13)


def test_hessian_through_layers_with_their_own_backward():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    x = np.random.default_rng(9).standard_normal((1, 3))
    reference = central_difference(grad(model), x)
    np.testing.assert_allclose(hessian(model, x), reference, atol=1e-7)
    assert all(p.requires_grad and p.grad is None for p in model.parameters())
    f = lambda t: model(t).sum()
    with pytest.raises(TypeError, match=r"requires_grad_\(False\)"):
        hessian(f, x)
    model.requires_grad_(False)
    np.testing.assert_allclose(hessian(f, x), reference, atol=1e-7)
