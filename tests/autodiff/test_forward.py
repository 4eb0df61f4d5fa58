"""Forward mode: the Dual number rules, jvp on numpy code, Tensor code and modules."""
import numpy as np
import pytest

import minitorch as mt
from minitorch import nn
from minitorch.autodiff import Dual, central_difference, complex_step, jacobian, jvp


def z20(x):
    """The lecture's func, unchanged."""
    _z = 0.0
    for _i in range(20):
        _z = np.sin(x * _z) + x
    return _z


def df_fw(x):
    """The lecture's hand-written forward mode."""
    _dz, _dx = 0.0, 1.0
    _z = 0.0
    for _i in range(20):
        _dz = x * np.cos(x * _z) * _dz + (_z * np.cos(x * _z) + 1) * _dx
        _z = np.sin(x * _z) + x
    return _dz


def test_the_lectures_func_is_differentiated_unchanged():
    xx = np.linspace(0.0, 1.5, 201)
    y, dy = jvp(z20, xx, np.ones_like(xx))
    np.testing.assert_array_equal(y, z20(xx))
    np.testing.assert_allclose(dy, df_fw(xx), rtol=1e-13, atol=1e-13)
    y, dy = jvp(z20, 0.7, 1.0)
    assert isinstance(dy, float) and dy == pytest.approx(df_fw(0.7), rel=1e-14)


UNARY = [  # (ufunc, low, high): the domain to sample
    (np.sin, -3, 3), (np.cos, -3, 3), (np.tan, -1.2, 1.2), (np.arcsin, -0.9, 0.9),
    (np.arccos, -0.9, 0.9), (np.arctan, -3, 3), (np.sinh, -2, 2), (np.cosh, -2, 2),
    (np.tanh, -2, 2), (np.arcsinh, -2, 2), (np.arccosh, 1.1, 3), (np.arctanh, -0.9, 0.9),
    (np.exp, -2, 2), (np.exp2, -2, 2), (np.expm1, -2, 2), (np.log, 0.1, 3), (np.log2, 0.1, 3),
    (np.log10, 0.1, 3), (np.log1p, -0.5, 3), (np.sqrt, 0.1, 3), (np.square, -2, 2),
    (np.reciprocal, 0.5, 2), (np.negative, -2, 2), (np.positive, -2, 2),
]


@pytest.mark.parametrize("ufunc, low, high", UNARY, ids=[u.__name__ for u, *_ in UNARY])
def test_unary_rules_match_the_complex_step(ufunc, low, high):
    x = np.random.default_rng(0).uniform(low, high, 7)
    v = np.linspace(-1, 1, 7)
    y, dy = jvp(ufunc, x, v)
    np.testing.assert_allclose(dy, complex_step(ufunc, x, elementwise=True) * v, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("ufunc", [np.abs, np.fabs, np.cbrt, np.deg2rad, np.rad2deg])
def test_unary_rules_without_complex_loops_match_central_differences(ufunc):
    x = np.array([-1.5, -0.3, 0.4, 2.0])
    np.testing.assert_allclose(jvp(ufunc, x, np.ones(4))[1],
                               central_difference(ufunc, x, elementwise=True), rtol=1e-8)


BINARY = [np.add, np.subtract, np.multiply, np.divide, np.power, np.float_power, np.arctan2,
          np.hypot, np.logaddexp, np.logaddexp2, np.maximum, np.minimum, np.fmax, np.fmin,
          np.remainder, np.fmod]


@pytest.mark.parametrize("ufunc", BINARY, ids=[u.__name__ for u in BINARY])
def test_binary_rules_in_each_argument_match_the_jacobian(ufunc):
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0.5, 2.0, 5), rng.uniform(0.5, 2.0, 5)
    f = lambda ab: ufunc(ab[:5], ab[5:])
    ab, v = np.concatenate([a, b]), rng.standard_normal(10)
    J = central_difference(f, ab)
    np.testing.assert_allclose(jvp(f, ab, v)[1], J @ v, rtol=1e-7, atol=1e-8)
    # a Dual against a plain array, both ways round, with broadcasting
    np.testing.assert_allclose(ufunc(Dual(a, v[:5]), b).tangent, J[:, :5] @ v[:5], rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(ufunc(a[:, None], Dual(b, v[5:])).tangent.diagonal(),
                               J[:, 5:] @ v[5:], rtol=1e-7, atol=1e-8)


W = np.random.default_rng(2).standard_normal((4, 3))
FUNCTIONS = {
    "sum/mean": lambda a: a.sum(axis=0) + np.mean(a, axis=1, keepdims=True) + a.mean(),
    "reshape/transpose": lambda a: a.reshape(2, 6) * np.transpose(a).reshape(2, 6),
    ".T and @": lambda a: a.T @ a,
    "matmul/dot/einsum": lambda a: np.dot(a, W) + np.einsum("ij,jk->ik", a * a, W) + a @ W,
    "concatenate/stack": lambda a: np.concatenate([a, a * a, np.ones((1, 4))]).sum(0)
    + np.stack([a, np.sin(a)], axis=1).sum((0, 1)),
    "where": lambda a: np.where(a > 0.5, a * a, np.exp(a)),
    "clip": lambda a: np.clip(a, 0.3, 0.7) * a,
    "max keepdims": lambda a: a.max(axis=1, keepdims=True) - a + np.min(a),
    "indexing": lambda a: a[[0, 2, 2], 1:] * a[1, ::-1][None, 1:],
    "astype": lambda a: a.astype(np.float64) ** 2,
    "var/std": lambda a: np.var(a, axis=0) + a.std(),
    "tensordot/outer": lambda a: np.tensordot(a, a, axes=([1], [1])).sum() + np.outer(a[0], a[1]),
    "sort/cumsum": lambda a: np.sort(a * np.arange(4), axis=1) + np.cumsum(a, axis=1) ** 2,
    "norm": lambda a: np.linalg.norm(a, axis=1),
    "result_type": lambda a: a * np.ones(3, dtype=np.result_type(a, W))[:, None],
    "split/broadcast_to": lambda a: np.split(a, 2, axis=1)[1] + np.broadcast_to(a[0, :2], (3, 2)),
    "flip/roll/squeeze": lambda a: np.flip(a, 0) * np.roll(a, 1) + np.expand_dims(a, 0).squeeze(0),
    "tril/triu/diag/trace": lambda a: np.triu(a[:, :3]) + np.tril(a[:, :3], -1) ** 2
    + np.diag(a[:, :3]) * np.trace(a[:, :3]),
    "take": lambda a: np.take(a, [3, 0, 0], axis=1) + np.take_along_axis(a, np.argsort(a, 1), 1)[:, :3],
}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_array_function_rules_match_the_jacobian(name):
    f = FUNCTIONS[name]
    rng = np.random.default_rng(3)
    x, v = rng.uniform(0.2, 0.8, (3, 4)), rng.standard_normal((3, 4))
    y, jv = jvp(f, x, v)
    np.testing.assert_array_equal(y, f(x))
    ref = (central_difference(f, x) @ v.ravel()).reshape(np.shape(y))
    np.testing.assert_allclose(jv, ref, rtol=1e-7, atol=1e-8)


def test_ties_share_the_tangent_equally_as_pytorch():
    d = Dual(np.array([1.0, 3.0, 3.0]), np.array([10.0, 20.0, 40.0]))
    assert d.max().tangent == 30.0                                      # amax: mean of the tied
    assert np.maximum(d, 3.0).tangent.tolist() == [0.0, 10.0, 20.0]     # maximum: half on a tie


def test_in_place_updates_and_setitem_keep_tangents():
    x = Dual(np.arange(3.0), np.ones(3))
    out = np.zeros_like(x)
    out[1:] = x[:2] * 2
    out += x
    assert out.value.tolist() == [0.0, 1.0, 4.0] and out.tangent.tolist() == [1.0, 3.0, 3.0]
    acc = Dual(np.zeros(3))
    np.add.at(acc, [0, 0, 2], Dual(np.ones(3), np.array([1.0, 2.0, 5.0])))
    assert acc.tangent.tolist() == [3.0, 0.0, 5.0]


def test_dropping_the_tangent_is_refused():
    x = Dual(np.ones(3), np.ones(3))
    with pytest.raises(TypeError, match="drop the tangent"):
        np.asarray(x)
    with pytest.raises(TypeError, match="drop the tangent"):
        float(x[0])
    with pytest.raises(TypeError, match="drop the tangent"):
        np.add(x, 1.0, out=np.zeros(3))
    with pytest.raises(TypeError, match="numpy.cumprod"):
        np.cumprod(x)
    with pytest.raises(TypeError, match="numpy.modf"):
        np.modf(x)


def test_comparisons_and_integer_casts_carry_no_tangent():
    x = Dual(np.array([0.5, 2.0]), np.ones(2))
    assert isinstance(x > 1, np.ndarray) and (x > 1).tolist() == [False, True]
    assert isinstance(x.astype(int), np.ndarray)
    assert np.floor(x).tangent.tolist() == [0.0, 0.0]


def test_nested_duals_give_second_derivatives():
    x = Dual(Dual(0.7, 1.0), Dual(1.0, 0.0))           # hyper-dual: ε₁ε₂ part is f''
    y = np.sin(x * x)
    assert y.tangent.tangent == pytest.approx(2 * np.cos(0.49) - 4 * 0.49 * np.sin(0.49), rel=1e-14)


def test_jvp_on_tensor_code_receives_tensors():
    x = np.array([0.3, -1.2, 0.8])
    v = np.array([1.0, 0.5, -2.0])
    f = lambda t: (t.exp() * t).sum() + np.sin(t).sum() + t.T.reshape(3, 1).max()
    y, jv = jvp(f, mt.tensor(x), v)
    assert y == pytest.approx(float((np.exp(x) * x).sum() + np.sin(x).sum() + x.max()))
    expected = ((np.exp(x) * (1 + x) + np.cos(x)) * v).sum() + v[np.argmax(x)]
    assert jv == pytest.approx(expected, rel=1e-13)


def test_jvp_through_sequential_equals_the_reverse_jacobian_times_v():
    mt.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 5), nn.Sigmoid(),
                          nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 4), nn.LogSoftmax(dim=1)).double()
    rng = np.random.default_rng(4)
    x, v = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    y, jv = jvp(model, x, v)
    with mt.no_grad():
        np.testing.assert_allclose(y, model(x).data, rtol=1e-14)
    J = jacobian(model, x, mode="reverse")
    np.testing.assert_allclose(jv.ravel(), J @ v.ravel(), rtol=1e-12, atol=1e-14)


def test_jvp_through_a_loss_with_tensor_input():
    rng = np.random.default_rng(5)
    x, v = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    target = np.array([0, 2, 1, 1])
    f = lambda t: nn.CrossEntropyLoss()(t, target)
    _, jv = jvp(f, mt.tensor(x), v)
    assert jv == pytest.approx(float(complex_step(f, mt.tensor(x)).ravel() @ v.ravel()), rel=1e-12)


def test_jvp_checks_the_tangent_shape():
    with pytest.raises(ValueError, match=r"shape of x \(3,\)"):
        jvp(np.sin, np.ones(3), np.ones(2))
