"""Optimizers: update rules by hand and against PyTorch, state save/resume, groups, errors."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minitorch.nn import Parameter
from minitorch.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop


class Duck:
    """The least an optimizer needs: ``.data`` and ``.grad``."""

    def __init__(self, data):
        self.data, self.grad = data, None


def make_params(arrays, dtype=np.float64):
    return [Parameter(np.array(a, dtype=dtype)) for a in arrays]


# ---------------------------------------------------------------------------------------------
# Reference rules, written straight from the published formulas (no in-place tricks).
# Each takes the parameter x, its gradient g, a dict of state, the step number t and options,
# and returns the new x.
# ---------------------------------------------------------------------------------------------
def ref_sgd(x, g, s, t, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
            maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * x
    if momentum:
        s["b"] = g if t == 1 else momentum * s["b"] + (1 - dampening) * g
        g = g + momentum * s["b"] if nesterov else s["b"]
    return x - lr * g


def ref_adam(x, g, s, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
             maximize=False, decoupled=False):
    b1, b2 = betas
    g = -g if maximize else g
    if decoupled:
        x = x * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * x
    s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
    v = s["v"]
    if amsgrad:
        s["vmax"] = v = np.maximum(s.get("vmax", 0), v)
    m_hat = s["m"] / (1 - b1 ** t)
    return x - lr * m_hat / (np.sqrt(v) / np.sqrt(1 - b2 ** t) + eps)


def ref_adamw(x, g, s, t, weight_decay=1e-2, **kw):
    return ref_adam(x, g, s, t, weight_decay=weight_decay, decoupled=True, **kw)


def ref_rmsprop(x, g, s, t, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                centered=False, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * x
    s["sq"] = alpha * s.get("sq", 0) + (1 - alpha) * g ** 2
    if centered:
        s["ga"] = alpha * s.get("ga", 0) + (1 - alpha) * g
        d = np.sqrt(s["sq"] - s["ga"] ** 2) + eps
    else:
        d = np.sqrt(s["sq"]) + eps
    if momentum > 0:
        s["b"] = momentum * s.get("b", 0) + g / d
        return x - lr * s["b"]
    return x - lr * g / d


def ref_adagrad(x, g, s, t, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                eps=1e-10, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * x
    s["sum"] = s.get("sum", initial_accumulator_value) + g * g
    return x - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s["sum"]) + eps)


REFERENCES = {SGD: ref_sgd, Adam: ref_adam, AdamW: ref_adamw, RMSprop: ref_rmsprop,
              Adagrad: ref_adagrad}

CASES = [
    (SGD, dict(lr=0.1)),
    (SGD, dict(lr=0.1, momentum=0.9)),
    (SGD, dict(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.1)),
    (SGD, dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01)),
    (SGD, dict(lr=0.1, momentum=0.5, maximize=True)),
    (SGD, dict(lr=0.1, weight_decay=0.2, maximize=True)),
    (Adam, dict()),
    (Adam, dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6)),
    (Adam, dict(lr=0.05, weight_decay=0.1)),
    (Adam, dict(lr=0.05, amsgrad=True)),
    (Adam, dict(lr=0.05, amsgrad=True, weight_decay=0.1, maximize=True)),
    (AdamW, dict(lr=0.05)),
    (AdamW, dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
    (AdamW, dict(lr=0.05, betas=(0.5, 0.9), maximize=True)),
    (RMSprop, dict()),
    (RMSprop, dict(lr=0.01, alpha=0.9, weight_decay=0.1)),
    (RMSprop, dict(lr=0.01, momentum=0.9)),
    (RMSprop, dict(lr=0.01, centered=True)),
    (RMSprop, dict(lr=0.01, centered=True, momentum=0.5, maximize=True)),
    (Adagrad, dict()),
    (Adagrad, dict(lr=0.1, lr_decay=0.5)),
    (Adagrad, dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.3, eps=1e-6)),
    (Adagrad, dict(lr=0.1, lr_decay=0.1, maximize=True)),
]
CASE_IDS = [f"{cls.__name__}-{kw}" for cls, kw in CASES]


def quadratic_grad(x, k=0):
    """Gradient of a fixed quadratic bowl, different for each parameter index k."""
    rng = np.random.default_rng(100 + k)
    a = rng.standard_normal(x.shape)
    return 2.0 * (x - a) * (1.0 + np.arange(x.size).reshape(x.shape) % 3)


@pytest.mark.parametrize("cls, kw", CASES, ids=CASE_IDS)
def test_first_three_steps_follow_the_formula(cls, kw):
    start = [np.array([[0.5, -1.0, 2.0], [0.1, 0.0, -0.3]]), np.array([1.5, -0.25])]
    params = make_params(start)
    opt = cls(params, **kw)
    xs = [a.copy() for a in start]
    states = [{} for _ in start]
    for t in (1, 2, 3):
        for k, (p, x) in enumerate(zip(params, xs)):
            p.grad = quadratic_grad(p.data, k)
            xs[k] = REFERENCES[cls](x, quadratic_grad(x, k), states[k], t, **kw)
        opt.step()
        for p, x in zip(params, xs):
            np.testing.assert_allclose(p.data, x, rtol=1e-12, atol=1e-14)


@settings(max_examples=25, deadline=None)
@given(case=st.sampled_from(CASES),
       x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=5),
                    elements=st.floats(-10, 10)),
       seed=st.integers(0, 2**16))
def test_formula_on_random_shapes_and_values(case, x, seed):
    cls, kw = case
    rng = np.random.default_rng(seed)
    (p,) = params = make_params([x])
    opt = cls(params, **kw)
    ref, state = x.copy(), {}
    for t in (1, 2, 3):
        g = rng.standard_normal(x.shape) * 3
        p.grad = g.copy()
        ref = REFERENCES[cls](ref, g, state, t, **kw)
        opt.step()
        np.testing.assert_allclose(p.data, ref, rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(p.grad, g)   # the gradient is never changed


def test_sgd_momentum_worked_by_hand():
    # f(x) = x², grad 2x, x0 = 1, lr 0.1, momentum 0.9:
    # b1 = 2            x1 = 1 - 0.2 = 0.8
    # b2 = 1.8 + 1.6    x2 = 0.8 - 0.34 = 0.46
    # b3 = 3.06 + 0.92  x3 = 0.46 - 0.398 = 0.062
    (p,) = params = make_params([[1.0]])
    opt = SGD(params, lr=0.1, momentum=0.9)
    for expected in (0.8, 0.46, 0.062):
        p.grad = 2 * p.data
        opt.step()
        assert p.data[0] == pytest.approx(expected, abs=1e-15)
    assert opt.state[p]["momentum_buffer"][0] == pytest.approx(3.98)


def test_adam_first_step_moves_by_lr_times_sign():
    # m̂1 = g, v̂1 = g²: the first step is lr·g/(|g| + eps) whatever the scale of g.
    g = np.array([1e-3, -5.0, 300.0, 0.0])
    (p,) = params = make_params([np.zeros(4)])
    p.grad = g
    Adam(params, lr=0.01, eps=1e-8).step()
    np.testing.assert_allclose(p.data, -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_adagrad_worked_by_hand():
    # s starts at 1; g = 3, then 4; lr 1, lr_decay 1: clr = 1, then 1/2.
    (p,) = params = make_params([[0.0]])
    opt = Adagrad(params, lr=1.0, lr_decay=1.0, initial_accumulator_value=1.0, eps=0.0)
    p.grad = np.array([3.0])
    opt.step()                      # s = 10, x = -3/√10
    assert p.data[0] == pytest.approx(-3 / math.sqrt(10))
    p.grad = np.array([4.0])
    opt.step()                      # s = 26, x -= ½·4/√26
    assert p.data[0] == pytest.approx(-3 / math.sqrt(10) - 2 / math.sqrt(26))


# ---------------------------------------------------------------------------------------------
# Against PyTorch
# ---------------------------------------------------------------------------------------------
def torch_optimizer(torch, cls, tparams, kw):
    kw = dict(kw)
    if cls is Adam and kw.pop("decoupled_weight_decay", False):
        return torch.optim.AdamW(tparams, **kw)
    return getattr(torch.optim, cls.__name__)(tparams, **kw)


def run_both(torch, cls, kw, steps, dtype, start=0, opt=None, params=None, topt=None, tps=None):
    """Train both on the same least-squares problem; the gradient comes from each one's x."""
    rng = np.random.default_rng(7)
    shapes = [(4, 3), (3,), (2,)]
    init = [rng.standard_normal(s) for s in shapes]
    if params is None:
        params = make_params(init, dtype)
        tps = [torch.nn.Parameter(torch.tensor(np.array(a, dtype=dtype))) for a in init]
        opt, topt = cls(params, **kw), torch_optimizer(torch, cls, tps, kw)
    for _ in range(steps):
        for k, (p, tp) in enumerate(zip(params, tps)):
            if k == 2:          # the third parameter never gets a gradient
                continue
            p.grad = quadratic_grad(p.data, k).astype(dtype)
            tp.grad = torch.tensor(quadratic_grad(tp.detach().numpy().astype(np.float64), k)
                                   .astype(dtype))
        opt.step()
        topt.step()
    return opt, params, topt, tps


@pytest.mark.torch
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-11), (np.float32, 2e-5)])
@pytest.mark.parametrize("cls, kw", CASES, ids=CASE_IDS)
def test_twenty_steps_match_torch(cls, kw, dtype, rtol):
    torch = pytest.importorskip("torch")
    opt, params, topt, tps = run_both(torch, cls, kw, 20, dtype)
    for p, tp in zip(params, tps):
        assert p.data.dtype == dtype
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=rtol, atol=rtol)
    # the state has PyTorch's names and values
    ours, theirs = opt.state_dict()["state"], topt.state_dict()["state"]
    expected = [0, 1]
    if cls is Adagrad:              # state from construction, for the gradient-less one too
        expected = [0, 1, 2]
    elif cls is SGD and not kw.get("momentum"):
        expected = []
    assert sorted(ours) == sorted(theirs) == expected
    for i in ours:
        assert set(ours[i]) == set(theirs[i])
        for name, value in theirs[i].items():
            value = value.numpy() if hasattr(value, "numpy") else value
            np.testing.assert_allclose(ours[i][name], value, rtol=10 * rtol, atol=rtol)


@pytest.mark.torch
@pytest.mark.parametrize("cls, kw", CASES, ids=CASE_IDS)
def test_resume_from_torch_state_dict(cls, kw):
    torch = pytest.importorskip("torch")
    opt, params, topt, tps = run_both(torch, cls, kw, 5, np.float64)
    sd = topt.state_dict()
    converted = {"state": {i: {k: (v.numpy() if hasattr(v, "numpy") else v) for k, v in s.items()}
                           for i, s in sd["state"].items()},
                 "param_groups": sd["param_groups"]}
    fresh = cls(params, **kw)
    for p, tp in zip(params, tps):          # same start: torch's parameters after 5 steps
        p.data[...] = tp.detach().numpy()
    fresh.load_state_dict(converted)
    run_both(torch, cls, kw, 5, np.float64, opt=fresh, params=params, topt=topt, tps=tps)
    for p, tp in zip(params, tps):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-11, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# State: save and resume, copies, layout
# ---------------------------------------------------------------------------------------------
def train(opt, params, steps):
    for _ in range(steps):
        for k, p in enumerate(params):
            p.grad = quadratic_grad(p.data, k)
        opt.step()


@pytest.mark.parametrize("cls, kw", CASES, ids=CASE_IDS)
def test_state_dict_resume_continues_identically(cls, kw):
    start = [np.linspace(-1, 1, 6).reshape(2, 3), np.array([0.3, -0.7])]
    params = make_params(start)
    opt = cls(params, **kw)
    train(opt, params, 5)
    saved_state = opt.state_dict()
    saved_params = [p.data.copy() for p in params]
    train(opt, params, 5)

    params2 = make_params(saved_params)
    opt2 = cls(params2, lr=123.0)   # options come from the state dict
    opt2.load_state_dict(saved_state)
    assert opt2.param_groups[0]["lr"] == kw.get("lr", opt.defaults["lr"])
    train(opt2, params2, 5)
    for p, p2 in zip(params, params2):
        np.testing.assert_array_equal(p.data, p2.data)
    assert opt2.state_dict()["state"].keys() == opt.state_dict()["state"].keys()


@pytest.mark.parametrize("cls, kw", [(Adam, dict(lr=0.05, amsgrad=True)),
                                     (SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
                                     (Adagrad, dict(lr=0.1, lr_decay=0.1))])
def test_state_dict_survives_a_file(tmp_path, cls, kw):
    serialization = pytest.importorskip("minitorch.serialization")
    params = make_params([np.linspace(-1, 1, 6).reshape(2, 3), np.array([0.3, -0.7])],
                         np.float32)
    opt = cls(params, **kw)
    train(opt, params, 3)
    serialization.save(opt.state_dict(), tmp_path / "opt.npz")
    saved_params = [p.data.copy() for p in params]
    train(opt, params, 4)
    params2 = make_params(saved_params, np.float32)
    opt2 = cls(params2)
    opt2.load_state_dict(serialization.load(tmp_path / "opt.npz"))
    train(opt2, params2, 4)
    for p, p2 in zip(params, params2):
        np.testing.assert_array_equal(p.data, p2.data)


def test_state_dict_layout_and_copies():
    params = make_params([np.ones((2, 2)), np.ones(3), np.ones(1)])
    opt = Adam([{"params": params[:2]}, {"params": params[2:], "lr": 0.5}], amsgrad=True)
    for p in params[:2]:
        p.grad = np.ones_like(p.data)
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["lr"] == 1e-3
    assert sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert list(sd["state"]) == [0, 1]          # parameter 2 had no gradient, so no state
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert sd["state"][0]["step"] == 1
    snapshot = sd["state"][0]["exp_avg"].copy()
    opt.step()                                   # training on does not touch the snapshot
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], snapshot)
    sd["state"][0]["exp_avg"][...] = 99          # nor does changing the snapshot touch training
    assert not np.any(opt.state[params[0]]["exp_avg"] == 99)


def test_load_state_dict_casts_and_copies():
    params = make_params([np.ones(3)], np.float32)
    opt = SGD(params, lr=0.1, momentum=0.9)
    buf = np.arange(3, dtype=np.float64)
    opt.load_state_dict({"state": {"0": {"momentum_buffer": buf}},
                         "param_groups": [{"lr": np.float64(0.2), "momentum": 0.9,
                                           "params": np.array([0])}]})
    loaded = opt.state[params[0]]["momentum_buffer"]
    assert loaded.dtype == np.float32 and loaded is not buf
    assert type(opt.param_groups[0]["lr"]) is float
    buf[...] = 7
    assert loaded[0] == 0


@pytest.mark.parametrize("bad, message", [
    ({"state": {}, "param_groups": []}, "has 0 parameter groups, but the optimizer has 1"),
    ({"state": {}, "param_groups": [{"lr": 0.1, "params": [0]}]},
     "group 0 has 1 parameters, but the optimizer's group 0 has 2"),
    ({"state": {5: {"momentum_buffer": np.zeros(3)}},
      "param_groups": [{"lr": 0.1, "params": [0, 1]}]}, "parameter 5"),
    ({"state": {1: {"momentum_buffer": np.zeros(4)}},
      "param_groups": [{"lr": 0.1, "params": [0, 1]}]}, r"shape \(4,\).*shape \(2,\)"),
    ({"state": {}, "param_groups": [{"lr": -0.1, "params": [0, 1]}]}, "Invalid learning rate"),
    ({"param_groups": []}, "expected a dict with keys 'state' and 'param_groups'"),
])
def test_failed_load_leaves_the_optimizer_unchanged(bad, message):
    params = make_params([np.ones(3), np.ones(2)])
    opt = SGD(params, lr=0.1, momentum=0.9)
    train(opt, params, 2)
    before = opt.state_dict()
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(bad)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for i in before["state"]:
        np.testing.assert_array_equal(after["state"][i]["momentum_buffer"],
                                      before["state"][i]["momentum_buffer"])


def test_adagrad_has_state_from_construction():
    params = make_params([np.ones(2)])
    opt = Adagrad(params, initial_accumulator_value=0.5)
    extra = make_params([np.ones(3)])
    opt.add_param_group({"params": extra, "initial_accumulator_value": 2.0})
    sd = opt.state_dict()["state"]
    assert sd[0]["step"] == 0 and np.all(sd[0]["sum"] == 0.5)
    assert np.all(sd[1]["sum"] == 2.0)


# ---------------------------------------------------------------------------------------------
# Groups, zero_grad, step
# ---------------------------------------------------------------------------------------------
def test_param_groups_with_different_lr():
    a, b, c = make_params([np.ones(2), np.ones(3), np.ones(1)])
    opt = SGD([{"params": [a, b]}, {"params": [c], "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert opt.param_groups[0]["momentum"] == 0 and opt.param_groups[1]["momentum"] == 0.9
    for p in (a, b, c):
        p.grad = np.full_like(p.data, 2.0)
    opt.step()
    np.testing.assert_allclose(a.data, 1 - 0.1 * 2)
    np.testing.assert_allclose(b.data, 1 - 0.1 * 2)
    np.testing.assert_allclose(c.data, 1 - 0.5 * 2)
    opt.param_groups[0]["lr"] = 0.0             # a change of lr takes effect at the next step
    opt.step()
    np.testing.assert_allclose(a.data, 0.8)
    np.testing.assert_allclose(c.data, 0.0 - 0.5 * (0.9 * 2 + 2))


def test_add_param_group_fills_defaults_and_refuses_duplicates():
    a, b = make_params([np.ones(2), np.ones(2)])
    opt = Adam([a], lr=0.01, betas=(0.8, 0.9))
    opt.add_param_group({"params": b, "eps": 1e-3})     # a single parameter is wrapped
    group = opt.param_groups[1]
    assert group["params"] == [b] and group["lr"] == 0.01 and group["eps"] == 1e-3
    assert group["betas"] == (0.8, 0.9)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        opt.add_param_group({"params": make_params([np.ones(1)]), "lr": -1})
    assert len(opt.param_groups) == 2


def test_zero_grad_both_modes():
    a, b, c = make_params([np.ones(2), np.ones(3), np.ones(1)])
    opt = SGD([a, b, c], lr=0.1)
    a.grad, b.grad = np.ones(2), np.ones(3)
    kept = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is kept and np.all(a.grad == 0) and np.all(b.grad == 0) and c.grad is None
    opt.zero_grad()
    assert a.grad is None and b.grad is None and c.grad is None


@pytest.mark.parametrize("fused", [None, False])
def test_step_skips_params_without_grad_and_updates_in_place(fused):
    a, b = make_params([np.ones(2), np.ones(3)], np.float32)
    data_b = b.data
    opt = Adam([a, b], lr=0.1, fused=fused)
    a.grad = np.ones(2, dtype=np.float32)
    opt.step()
    data_a = a.data                 # (fused: a view into the group's flat array from now on)
    assert a.data.dtype == np.float32 and opt.state[a]["exp_avg"].dtype == np.float32
    np.testing.assert_allclose(a.data, 0.9, rtol=1e-6)
    opt.step()
    assert a.data is data_a and b.data is data_b
    np.testing.assert_array_equal(b.data, 1.0)
    assert b not in opt.state or not opt.state[b]


def test_step_calls_closure_once_and_returns_its_loss():
    (p,) = params = make_params([np.array([3.0])])
    opt = SGD(params, lr=0.25)
    calls = []

    def closure():
        calls.append(1)
        p.grad = 2 * p.data
        return float(p.data[0] ** 2)

    assert opt.step(closure) == 9.0
    assert calls == [1] and p.data[0] == 1.5
    assert opt.step() is None


@pytest.mark.parametrize("cls", [SGD, Adam, AdamW, RMSprop, Adagrad])
def test_zero_lr_leaves_parameters_unchanged(cls):
    params = make_params([np.linspace(-1, 1, 5)])
    opt = cls(params, lr=0, **({"momentum": 0.9} if cls in (SGD, RMSprop) else {}))
    train(opt, params, 3)
    np.testing.assert_array_equal(params[0].data, np.linspace(-1, 1, 5))


@settings(max_examples=20, deadline=None)
@given(case=st.sampled_from([c for c in CASES if not c[1].get("maximize")]),
       x=hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-5, 5)))
def test_maximize_f_is_minimize_minus_f(case, x):
    cls, kw = case
    p1, p2 = make_params([x, x])
    o1, o2 = cls([p1], **kw), cls([p2], maximize=True, **kw)
    for _ in range(3):
        g = quadratic_grad(p1.data)
        p1.grad, p2.grad = g, -g
        o1.step()
        o2.step()
    np.testing.assert_allclose(p1.data, p2.data, rtol=1e-12, atol=1e-14)


def test_accepts_duck_typed_named_and_single_parameters():
    d = Duck(np.ones(2))
    opt = SGD(d, lr=0.5)                   # a single parameter
    d.grad = np.ones(2)
    opt.step()
    np.testing.assert_array_equal(d.data, 0.5)
    a, b = make_params([np.ones(1), np.ones(1)])
    opt = SGD(iter([("w", a), ("b", b)]), lr=0.1)   # named_parameters() style, a generator
    assert opt.param_groups[0]["params"] == [a, b]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]


def test_grad_of_wrong_shape_is_refused():
    (p,) = params = make_params([np.ones((3, 2))])
    opt = SGD(params, lr=0.1)
    p.grad = np.ones(2)
    with pytest.raises(ValueError, match=r"shape \(3, 2\) has a gradient of shape \(2,\)"):
        opt.step()
    np.testing.assert_array_equal(p.data, 1.0)


def test_base_class_needs_an_update_rule():
    params = make_params([np.ones(1)])
    opt = Optimizer(params, {"lr": 0.1})
    params[0].grad = np.ones(1)
    with pytest.raises(NotImplementedError):
        opt.step()


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls, kw, message", [
    (SGD, dict(lr=-1), r"Invalid learning rate: -1"),
    (SGD, dict(lr=float("nan")), r"Invalid learning rate: nan"),
    (SGD, dict(momentum=-0.1), r"Invalid momentum value: -0.1"),
    (SGD, dict(momentum=0.9, dampening=1.5), r"Invalid dampening value: 1.5"),
    (SGD, dict(weight_decay=-1e-4), r"Invalid weight_decay value: -0.0001"),
    (SGD, dict(nesterov=True), r"Nesterov momentum requires a momentum and zero.*momentum=0"),
    (SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), r"zero dampening.*dampening=0.1"),
    (Adam, dict(lr=-0.5), r"Invalid learning rate: -0.5"),
    (Adam, dict(betas=(1.0, 0.999)), r"Invalid beta parameter at index 0: 1.0"),
    (Adam, dict(betas=(0.9, -0.1)), r"Invalid beta parameter at index 1: -0.1"),
    (Adam, dict(betas=(0.9,)), r"Invalid betas: expected a pair"),
    (Adam, dict(betas=0.9), r"Invalid betas: expected a pair"),
    (Adam, dict(eps=-1e-8), r"Invalid epsilon value: -1e-08"),
    (Adam, dict(weight_decay=-1), r"Invalid weight_decay value: -1"),
    (AdamW, dict(weight_decay=-0.01), r"Invalid weight_decay value: -0.01"),
    (RMSprop, dict(alpha=-0.1), r"Invalid alpha value: -0.1"),
    (RMSprop, dict(alpha=1.5), r"Invalid alpha value: 1.5"),
    (RMSprop, dict(eps=-1), r"Invalid epsilon value: -1"),
    (RMSprop, dict(momentum=-1), r"Invalid momentum value: -1"),
    (RMSprop, dict(weight_decay=-1), r"Invalid weight_decay value: -1"),
    (Adagrad, dict(lr_decay=-1), r"Invalid lr_decay value: -1"),
    (Adagrad, dict(initial_accumulator_value=-1), r"Invalid initial_accumulator_value value: -1"),
    (Adagrad, dict(eps=-1), r"Invalid epsilon value: -1"),
    (Adagrad, dict(weight_decay=-1), r"Invalid weight_decay value: -1"),
])
def test_invalid_hyper_parameters_are_refused(cls, kw, message):
    with pytest.raises(ValueError, match=message):
        cls(make_params([np.ones(1)]), **kw)


@pytest.mark.parametrize("cls", [SGD, Adam, AdamW, RMSprop, Adagrad])
def test_zero_lr_allowed_and_errors_common_to_all(cls):
    cls(make_params([np.ones(1)]), lr=0)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        cls([])
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        cls(make_params([np.ones(1)]), lr=-1)
    with pytest.raises(TypeError, match=r"Invalid learning rate: expected a real number, got str"):
        cls(make_params([np.ones(1)]), lr="0.1")


@pytest.mark.parametrize("params, message", [
    ([np.ones(3)], r"params\[0\] of parameter group 0 is ndarray"),
    ([Duck(np.ones(1)), 3.0], r"params\[1\] of parameter group 0 is float"),
    (5, "params must be a parameter or an iterable"),
    ({Duck(np.ones(1))}, "ordered collection"),
    ([{"lr": 0.1}], "must have a 'params' entry"),
])
def test_non_parameters_are_type_errors(params, message):
    with pytest.raises((TypeError, ValueError), match=message) as info:
        SGD(params)
    expected = ValueError if "'params' entry" in message else TypeError
    assert info.type is expected


def test_non_float_parameters_are_refused():
    with pytest.raises(TypeError, match=r"Adam updates real floating-point parameters, but "
                                        r"params\[1\] of parameter group 0 has dtype complex128"):
        Adam([Duck(np.ones(2)), Duck(np.ones(2, dtype=complex))])
    with pytest.raises(TypeError, match="SGD updates floating-point parameters.*dtype int64"):
        SGD([Duck(np.ones(2, dtype=np.int64))])
    # SGD's rule is linear in the gradient, so it is right for complex parameters too
    z = Duck(np.array([1 + 1j]))
    z.grad = np.array([2 - 1j])
    SGD([z], lr=0.5).step()
    assert z.data[0] == 1 + 1j - 0.5 * (2 - 1j)


@pytest.mark.parametrize("cls, key, value", [(Adam, "amsgrad", True), (RMSprop, "centered", True),
                                            (RMSprop, "momentum", 0.5)])
def test_options_switched_on_mid_run_start_from_zero(cls, key, value):
    (p,) = params = make_params([np.array([1.0, -2.0, 0.5])])
    opt = cls(params, lr=0.1)
    kw = {k: v for k, v in opt.param_groups[0].items()
          if k not in ("params", "decoupled_weight_decay", "fused")}
    ref, state = p.data.copy(), {}
    for t in (1, 2, 3, 4):
        if t == 3:
            opt.param_groups[0][key] = kw[key] = value
        p.grad = quadratic_grad(p.data)
        ref = REFERENCES[cls](ref, quadratic_grad(ref), state, t, **kw)
        opt.step()
        np.testing.assert_allclose(p.data, ref, rtol=1e-12)


def test_same_parameter_twice_is_refused():
    a, b = make_params([np.ones(1), np.ones(1)])
    with pytest.raises(ValueError, match="same parameter more than once"):
        SGD([a, b, a])
    with pytest.raises(ValueError, match="more than one parameter group"):
        SGD([{"params": [a]}, {"params": [b, a]}])


@pytest.mark.torch
@pytest.mark.parametrize("cls, kw", [(SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
                                     (Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.01)),
                                     (AdamW, dict(lr=0.01)),
                                     (RMSprop, dict(lr=0.01, centered=True, momentum=0.5)),
                                     (Adagrad, dict(lr=0.1, lr_decay=0.01))])
def test_training_an_mlp_matches_torch(cls, kw):
    torch = pytest.importorskip("torch")
    from minitorch import nn

    torch.manual_seed(0)
    tmodel = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    model.load_state_dict({k: v.detach().numpy().copy() for k, v in tmodel.state_dict().items()})
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((32, 4)).astype(np.float32), rng.integers(0, 3, 32)
    opt, topt = cls(model.parameters(), **kw), torch_optimizer(torch, cls, tmodel.parameters(), kw)
    loss_fn, tloss_fn = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    for _ in range(10):
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
        topt.zero_grad()
        tloss_fn(tmodel(torch.tensor(x)), torch.tensor(y)).backward()
        topt.step()
    for p, tp in zip(model.parameters(), tmodel.parameters()):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-4, atol=1e-5)
