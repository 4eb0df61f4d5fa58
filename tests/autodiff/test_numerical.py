"""Numerical differentiation: values, error orders, default steps and result shapes."""
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


def test_central_difference_error_is_second_order_with_the_predicted_constant():
    # f(x+h) - f(x-h) / 2h = f'(x) + h² f'''(x)/6 + O(h⁴): for exp, error ≈ h² eˣ/6
    x = 0.5
    errors = [central_difference(np.exp, x, h=h) - np.exp(x) for h in (1e-2, 1e-3)]
    assert errors[0] / errors[1] == pytest.approx(100, rel=0.01)
    assert errors[0] == pytest.approx(1e-4 * np.exp(x) / 6, rel=0.01)


def test_complex_step_error_is_second_order_and_has_no_cancellation():
    # Im exp(x + ih)/h = eˣ sin(h)/h = eˣ (1 - h²/6 + ...)
    x = 0.5
    assert complex_step(np.exp, x, h=1e-2) - np.exp(x) == pytest.approx(-1e-4 * np.exp(x) / 6, rel=1e-3)
    for h in (1e-8, 1e-20, 1e-200):
        assert abs(complex_step(np.exp, x, h=h) - np.exp(x)) <= 2 * EPS * np.exp(x)


def test_central_difference_degrades_at_small_steps():
    x = 0.7
    assert abs(central_difference(z20, x, h=1e-12) - dz20(x)) > 1e-6


@pytest.mark.parametrize("x", [0.0, 0.5, -3.0, 1e4])
def test_default_step_is_cube_root_eps_times_max_one_abs_x(x):
    seen = []
    central_difference(lambda v: seen.append(float(v)) or v * 1.0, x)
    h = (seen[0] - seen[1]) / 2
    assert h == pytest.approx(EPS ** (1 / 3) * max(1.0, abs(x)), rel=1e-6)


def test_shapes_follow_outputs_by_inputs():
    x = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    A = np.arange(24.0).reshape(4, 6)
    for diff in (central_difference, complex_step):
        g = diff(lambda v: (v ** 2).sum(), x)                    # gradient: shaped like x
        assert g.shape == x.shape and np.allclose(g, 2 * x, atol=1e-8)
        J = diff(lambda v: A @ v.reshape(-1), x)                 # Jacobian: (outputs, inputs)
        assert J.shape == (4, 6) and np.allclose(J, A, atol=1e-6)
        d = diff(lambda t: np.array([t, t * t, np.sin(t)]), 0.5)  # scalar x: shaped like y
        assert d.shape == (3,) and np.allclose(d, [1.0, 1.0, np.cos(0.5)])
        assert isinstance(diff(np.sin, 0.5), float)


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
    dtypes = []
    central_difference(lambda v: dtypes.append(v.dtype) or v.sum(), x)
    assert set(dtypes) == {np.dtype(np.float64)}
    assert x.tolist() == [np.float32(0.1), np.float32(0.2)]


def test_tensor_input_gives_tensors_to_f():
    x = np.array([0.3, -0.2, 0.9])
    d = complex_step(lambda t: (t.exp() * t).sum(), mt.tensor(x))
    assert isinstance(d, np.ndarray) and np.allclose(d, np.exp(x) * (1 + x), rtol=1e-13)
    assert np.allclose(central_difference(lambda t: t.tanh().sum(), mt.tensor(x)),
                       1 - np.tanh(x) ** 2, atol=1e-9)


def test_complex_step_refuses_a_function_that_drops_the_imaginary_part():
    with pytest.raises(TypeError, match="imaginary part"):
        complex_step(lambda v: np.abs(v), 0.5)
    with pytest.raises(TypeError, match="must be real"):
        complex_step(np.sin, np.array([1j]))


def test_bad_steps_are_refused():
    with pytest.raises(ValueError, match="positive"):
        central_difference(np.sin, 0.5, h=0.0)
    with pytest.raises(ValueError, match="positive"):
        complex_step(np.sin, 0.5, h=-1e-20)
    with pytest.raises(ValueError, match=r"below the spacing of floats at x=1.5 \(index \(1,\)\)"):
        central_difference(np.sin, np.array([0.0, 1.5]), h=1e-17)
