"""Numerical differentiation: values, error orders, default steps and result shapes."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minitorch as mt
from minitorch.autodiff import central_difference, complex_step

EPS = np.finfo(np.float64).eps


def z20(x):
    """The lecture's z_20(x): z_{n+1} = sin(z_n x) + x, z_0 = 0."""
    z = 0.0
    for _ in range(20):
        z = np.sin(x * z) + x
    return z


def dz20(x):
    """Its derivative by the lecture's recurrence dz_{n+1} = x cos(z_n x) dz_n + z_n cos(z_n x) + 1."""
    z, dz = 0.0, 0.0
    for _ in range(20):
        dz = x * np.cos(x * z) * dz + z * np.cos(x * z) + 1
        z = np.sin(x * z) + x
    return dz


ANALYTIC = [  # (f, f')
    (np.exp, np.exp),
    (np.sin, np.cos),
    (lambda x: x ** 3 / (1 + x * x), lambda x: (3 * x ** 2 + x ** 4) / (1 + x * x) ** 2),
    (lambda x: np.tanh(2 * x) * np.exp(-x),
     lambda x: np.exp(-x) * (2 / np.cosh(2 * x) ** 2 - np.tanh(2 * x))),
    (z20, dz20),
]

# order p of the central stencil: its error is C hᵖ f⁽ᵖ⁺¹⁾(x) + O(hᵖ⁺²)
TRUNCATION = {2: 1 / 6, 4: -1 / 30, 6: 1 / 140}


@settings(max_examples=30, deadline=None)
@given(st.floats(-1.5, 1.5), st.sampled_from(range(len(ANALYTIC))))
def test_complex_step_is_exact_to_rounding_at_h_1e_20(x, k):
    f, df = ANALYTIC[k]
    d = complex_step(f, x)
    assert isinstance(d, float)
    assert abs(d - df(x)) <= 1e-12 * max(1.0, abs(df(x)))


@pytest.mark.parametrize("f, df", ANALYTIC)
def test_central_difference_default_step_gives_about_ten_digits(f, df):
    for x in (0.3, 1.1):
        d = central_difference(f, x)
        assert isinstance(d, float)
        assert abs(d - df(x)) <= 1e-8 * max(1.0, abs(df(x)))


@pytest.mark.parametrize("order", [4, 6])
@pytest.mark.parametrize("f, df", ANALYTIC[:4])
def test_higher_orders_at_their_default_steps_give_about_twelve_digits(f, df, order):
    for x in (-0.7, 0.3, 1.1):
        d = central_difference(f, x, order=order)
        assert isinstance(d, float)
        assert abs(d - df(x)) <= 1e-11 * max(1.0, abs(df(x)))


def test_central_difference_error_is_second_order_with_the_predicted_constant():
    # f(x+h) - f(x-h) / 2h = f'(x) + h² f‴(x)/6 + O(h⁴): for exp, error ≈ h² eˣ/6
    x = 0.5
    errors = [central_difference(np.exp, x, h=h) - np.exp(x) for h in (1e-2, 1e-3)]
    assert errors[0] / errors[1] == pytest.approx(100, rel=0.01)
    assert errors[0] == pytest.approx(1e-4 * np.exp(x) / 6, rel=0.01)


@pytest.mark.parametrize("order, h", [(2, 1e-2), (4, 2e-2), (6, 1e-1)])
@pytest.mark.parametrize("x", [-0.7, 0.3, 1.1])
def test_error_falls_by_two_to_the_order_per_halving_with_the_predicted_constant(order, h, x):
    # steps where C hᵖ f⁽ᵖ⁺¹⁾ dominates both the rounding error (≈ ε|f|/h) and the
    # next term of the series; exp⁽ⁿ⁾ = exp and sin⁽ᵖ⁺¹⁾ = (-1)^(p/2) cos for even p
    for f, df, dp1 in ((np.exp, np.exp, np.exp),
                       (np.sin, np.cos, lambda t: (-1) ** (order // 2) * np.cos(t))):
        e1, e2 = (central_difference(f, x, h=s, order=order) - df(x) for s in (h, h / 2))
        assert e1 / e2 == pytest.approx(2.0 ** order, rel=0.01)
        assert e1 == pytest.approx(TRUNCATION[order] * h ** order * dp1(x), rel=0.01)


@pytest.mark.parametrize("order, h", [(2, 3e-2), (4, 2e-2), (6, 5e-2)])
@pytest.mark.parametrize("f, df", ANALYTIC[:4])
def test_error_falls_as_h_to_the_order_on_analytic_functions(f, df, order, h):
    # e(h)/e(h/2) = 2ᵖ up to the next term of the series; the rational and tanh
    # functions' high derivatives grow fast, so order 6 needs the 15 % tolerance
    # (still far from 2⁴ or 2⁸)
    for x in (-1.3, -0.7, 0.0, 0.3, 1.1, 1.4):
        e1, e2 = (central_difference(f, x, h=s, order=order) - df(x) for s in (h, h / 2))
        assert e1 / e2 == pytest.approx(2.0 ** order, rel=0.15)


@pytest.mark.parametrize("order", [2, 4, 6])
@settings(max_examples=25, deadline=None)
@given(coef=st.lists(st.floats(-2, 2), min_size=8, max_size=8),
       x=st.floats(-1, 1), h=st.floats(0.1, 1.0))
def test_stencil_is_exact_on_polynomials_up_to_degree_order(order, coef, x, h):
    a = coef[order + 1] if abs(coef[order + 1]) > 0.5 else 1.0    # a leading coefficient
    # rounding: ε times the size of the terms, Σ|c| (|x| + 3h)ⁿ, over h
    rounding = 20 * EPS * (sum(map(abs, coef)) + 1) * (abs(x) + 1 + 3 * h) ** (order + 1) / h
    p = np.polynomial.Polynomial(coef[:order + 1])             # degree ≤ order
    assert abs(central_difference(p, x, h=h, order=order) - p.deriv()(x)) <= rounding
    # one degree more: the error is exactly C hᵖ (p+1)! times the leading coefficient
    q = np.polynomial.Polynomial(coef[:order + 1] + [a])
    error = central_difference(q, x, h=h, order=order) - q.deriv()(x)
    predicted = TRUNCATION[order] * h ** order * math.factorial(order + 1) * a
    assert abs(error - predicted) <= rounding
    assert abs(predicted) > 100 * rounding                     # so the line above can fail


def test_higher_orders_reach_1e_10_on_the_lectures_function_where_order_2_cannot():
    # z20 bends sharply near x = 1.29: on the lecture's 201-point grid the best
    # order-2 step leaves ~7e-10, while orders 4 and 6 get well below 1e-10
    xx = np.linspace(0.0, 1.5, 201)
    def error(order, h):
        d = central_difference(z20, xx, h=h, order=order, elementwise=True)
        return np.max(np.abs(d - dz20(xx)))
    assert error(6, 5e-4) < 2e-11
    assert error(4, 1e-4) < 1e-10
    assert min(error(2, h) for h in np.geomspace(1e-4, 1e-8, 21)) > 3e-10


def test_complex_step_error_is_second_order_and_has_no_cancellation():
    # Im exp(x + ih)/h = eˣ sin(h)/h = eˣ (1 - h²/6 + ...)
    x = 0.5
    assert complex_step(np.exp, x, h=1e-2) - np.exp(x) == pytest.approx(-1e-4 * np.exp(x) / 6, rel=1e-3)
    for h in (1e-8, 1e-20, 1e-200):
        assert abs(complex_step(np.exp, x, h=h) - np.exp(x)) <= 2 * EPS * np.exp(x)


@pytest.mark.parametrize("order", [2, 4, 6])
def test_central_difference_degrades_at_small_steps(order):
    x = 0.7
    assert abs(central_difference(z20, x, h=1e-12, order=order) - dz20(x)) > 1e-6


@pytest.mark.parametrize("order", [2, 4, 6])
@pytest.mark.parametrize("x", [0.0, 0.5, -3.0, 1e4])
def test_default_step_is_eps_to_one_over_order_plus_one_times_max_one_abs_x(x, order):
    seen = []
    central_difference(lambda v: seen.append(float(v)) or v * 1.0, x, order=order)
    assert len(seen) == order                              # x ± kh, k = 1 … order/2
    h = (seen[0] - seen[1]) / 2
    assert h == pytest.approx(EPS ** (1 / (order + 1)) * max(1.0, abs(x)), rel=1e-6)
    k = np.arange(1, order // 2 + 1)
    np.testing.assert_allclose(seen[0::2], x + k * h, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(seen[1::2], x - k * h, rtol=1e-12, atol=1e-15)


def test_default_steps_are_the_documented_values():
    for order, h in ((2, 6.1e-6), (4, 7.4e-4), (6, 5.8e-3)):   # ε^(1/3), ε^(1/5), ε^(1/7)
        seen = []
        central_difference(lambda v: seen.append(float(v)) or v * 1.0, 0.0, order=order)
        assert seen[0] == pytest.approx(h, rel=0.01)


DIFFS = [pytest.param(lambda f, x, p=p: central_difference(f, x, order=p), id=f"central-{p}")
         for p in (2, 4, 6)] + [pytest.param(complex_step, id="complex")]


@pytest.mark.parametrize("diff", DIFFS)
def test_shapes_follow_outputs_by_inputs(diff):
    x = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    A = np.arange(24.0).reshape(4, 6)
    g = diff(lambda v: (v ** 2).sum(), x)                    # gradient: shaped like x
    assert g.shape == x.shape and np.allclose(g, 2 * x, atol=1e-8)
    J = diff(lambda v: A @ v.reshape(-1), x)                 # Jacobian: (outputs, inputs)
    assert J.shape == (4, 6) and np.allclose(J, A, atol=1e-6)
    J = diff(lambda v: np.sin(v[:2]) * v[1:], np.array([0.3, 0.8, -0.5]))
    assert J.shape == (2, 3)
    np.testing.assert_allclose(J, [[np.cos(0.3) * 0.8, np.sin(0.3), 0.0],
                                   [0.0, np.cos(0.8) * -0.5, np.sin(0.8)]], atol=1e-9)
    d = diff(lambda t: np.array([t, t * t, np.sin(t)]), 0.5)  # scalar x: shaped like y
    assert d.shape == (3,) and np.allclose(d, [1.0, 1.0, np.cos(0.5)])
    assert isinstance(diff(np.sin, 0.5), float)


@pytest.mark.parametrize("order", [2, 4, 6])
def test_every_order_costs_order_evaluations_per_entry_or_in_all_when_elementwise(order):
    calls = []
    def f(v):
        calls.append(1)
        return np.sin(v)
    x = np.array([0.2, -0.4, 1.0])
    J = central_difference(f, x, order=order)
    assert len(calls) == order * x.size
    np.testing.assert_allclose(J, np.diag(np.cos(x)), atol=1e-10)
    calls.clear()
    d = central_difference(f, x, order=order, elementwise=True)
    assert len(calls) == order and d.shape == x.shape
    np.testing.assert_allclose(d, np.cos(x), atol=1e-10)
    assert isinstance(central_difference(f, 0.2, order=order, elementwise=True), float)
    with pytest.raises(ValueError, match="shaped like x"):
        central_difference(lambda v: v.sum(), x, order=order, elementwise=True)


@pytest.mark.parametrize("order", [0, 1, 3, 8, 2.5, True, "4", None])
def test_invalid_order_is_refused_naming_the_allowed_values(order):
    with pytest.raises(ValueError, match=r"order must be 2, 4 or 6, got "):
        central_difference(np.sin, 0.5, order=order)


def test_complex_step_jacobian_of_a_linear_map_is_exact_to_an_ulp():
    A = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_allclose(complex_step(lambda v: A @ v, np.ones(3)), A, rtol=2 * EPS, atol=0)


def test_elementwise_mode_differentiates_a_vectorised_function_in_one_call():
    calls = []
    def f(v):
        calls.append(1)
        return z20(v)
    xx = np.linspace(0.0, 1.5, 201)
    d = complex_step(f, xx, elementwise=True)
    assert len(calls) == 1 and d.shape == xx.shape
    assert np.allclose(d, dz20(xx), rtol=1e-13, atol=1e-13)
    assert np.allclose(central_difference(z20, xx, elementwise=True), dz20(xx), atol=1e-6)
    with pytest.raises(ValueError, match="shaped like x"):
        complex_step(lambda v: v.sum(), xx, elementwise=True)


def test_input_is_not_modified_and_float32_is_evaluated_in_float64():
    x = np.array([0.1, 0.2], dtype=np.float32)
    for order in (2, 4, 6):
        dtypes = []
        central_difference(lambda v: dtypes.append(v.dtype) or v.sum(), x, order=order)
        assert set(dtypes) == {np.dtype(np.float64)}
    assert x.tolist() == [np.float32(0.1), np.float32(0.2)]


def test_tensor_input_gives_tensors_to_f():
    x = np.array([0.3, -0.2, 0.9])
    d = complex_step(lambda t: (t.exp() * t).sum(), mt.tensor(x))
    assert isinstance(d, np.ndarray) and np.allclose(d, np.exp(x) * (1 + x), rtol=1e-13)
    for order in (2, 4, 6):
        g = central_difference(lambda t: t.tanh().sum(), mt.tensor(x), order=order)
        assert np.allclose(g, 1 - np.tanh(x) ** 2, atol=1e-9)


def test_complex_step_refuses_a_function_that_drops_the_imaginary_part():
    with pytest.raises(TypeError, match="imaginary part"):
        complex_step(lambda v: np.abs(v), 0.5)
    with pytest.raises(TypeError, match="must be real"):
        complex_step(np.sin, np.array([1j]))


@pytest.mark.parametrize("order", [2, 4, 6])
def test_bad_steps_are_refused(order):
    with pytest.raises(ValueError, match="positive"):
        central_difference(np.sin, 0.5, h=0.0, order=order)
    with pytest.raises(ValueError, match="positive"):
        complex_step(np.sin, 0.5, h=-1e-20)
    with pytest.raises(ValueError, match=r"below the spacing of floats at x=1.5 \(index \(1,\)\)"):
        central_difference(np.sin, np.array([0.0, 1.5]), h=1e-17, order=order)
