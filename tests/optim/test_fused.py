"""Fused updates: a group laid out in flat arrays steps exactly as parameter by parameter.

The reference for every test is the same optimizer with ``fused=False``, given
the same gradients and the same interventions (rebinding ``p.data``,
``model.double()``, loading state dicts, missing gradients, ...): parameters
and states must agree to the bit. Against PyTorch, a parameter that has no
gradient on some steps is skipped exactly as ``torch.optim`` skips it.
"""
import copy

import numpy as np
import pytest

from minitorch import nn
from minitorch.optim import SGD, Adagrad, Adam, AdamW, RMSprop
from minitorch.optim.flat import FlatGroup
from test_optimizers import CASE_IDS, CASES, make_params, quadratic_grad, torch_optimizer

SHAPES = [(4, 3), (3,), (), (2, 1, 2)]      # a 0-d parameter among them


def start_values(dtype=np.float64):
    rng = np.random.default_rng(3)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def run(cls, kw, fused, steps=8, events=None, dtype=np.float64, skip=()):
    """Train ``steps`` steps on fixed quadratics; ``events[t](opt, params)`` runs before step t.

    ``skip`` holds (step, index) pairs whose gradient is None.
    """
    params = make_params(start_values(dtype), dtype)
    opt = cls(params, fused=fused, **kw)
    for t in range(steps):
        for k, p in enumerate(params):
            p.grad = None if (t, k) in skip else quadratic_grad(p.data, k).astype(p.data.dtype)
        if events and t in events:
            events[t](opt, params)
        grads = [None if p.grad is None else p.grad.copy() for p in params]
        opt.step()
        for p, g in zip(params, grads):             # the gradients are never changed
            np.testing.assert_array_equal(p.grad, g)
    return params, opt


def assert_same(run_a, run_b):
    (params_a, opt_a), (params_b, opt_b) = run_a, run_b
    for a, b in zip(params_a, params_b):
        assert a.data.dtype == b.data.dtype and a.data.shape == b.data.shape
        np.testing.assert_array_equal(a.data, b.data)
    state_a, state_b = opt_a.state_dict()["state"], opt_b.state_dict()["state"]
    assert state_a.keys() == state_b.keys()
    for i in state_a:
        assert state_a[i].keys() == state_b[i].keys()
        for name in state_a[i]:
            np.testing.assert_array_equal(state_a[i][name], state_b[i][name], err_msg=name)


def flat_of(opt, group=0):
    return opt._flat.get(id(opt.param_groups[group]))


# ---------------------------------------------------------------------------------------------
# The layout
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls, kw", CASES, ids=CASE_IDS)
def test_fused_steps_equal_per_parameter_steps_to_the_bit(cls, kw, dtype):
    fused = run(cls, kw, None, dtype=dtype)
    assert flat_of(fused[1]) is not None            # the fused path was taken
    assert_same(fused, run(cls, kw, False, dtype=dtype))


@pytest.mark.parametrize("cls, kw", CASES, ids=CASE_IDS)
def test_large_parameters_are_updated_apart_in_place(cls, kw, monkeypatch):
    monkeypatch.setattr(FlatGroup, "max_size", 4)   # (4, 3) is then large; (2, 1, 2) is not
    first = {}

    def keep(opt, params):
        first.update(enumerate(p.data for p in params))

    def check(opt, params):
        assert params[0].data is first[0]           # apart: never re-pointed
        assert params[1].data is not first[1]       # laid out

    fused = run(cls, kw, None, events={0: keep, 5: check})
    assert_same(fused, run(cls, kw, False))
    flat = flat_of(fused[1])
    assert flat is not None and [id(p) for p in flat.apart] == [id(fused[0][0])]


def test_parameters_become_views_into_one_flat_array_then_update_in_place():
    params = make_params(start_values(np.float32), np.float32)
    before = [p.data.copy() for p in params]
    opt = Adam(params, lr=0.1)
    for p in params:
        p.grad = np.zeros_like(p.data)
    opt.step()
    flat = flat_of(opt)
    for p, b in zip(params, before):       # same shape, dtype and (a zero gradient) values
        assert p.data.shape == b.shape and p.data.dtype == np.float32
        np.testing.assert_array_equal(p.data, b)
        assert np.shares_memory(p.data, flat.param)
        assert np.shares_memory(opt.state[p]["exp_avg"], flat.state["exp_avg"])
    assert flat.param.size == sum(b.size for b in before)
    arrays = [p.data for p in params]
    for _ in range(2):
        for p in params:
            p.grad = np.ones_like(p.data)
        opt.step()
    assert all(p.data is a for p, a in zip(params, arrays))    # in place from then on
    assert flat_of(opt) is flat
    assert all(opt.state[p]["step"] == 3 for p in params)


def test_in_place_edits_of_data_are_seen_by_the_next_step():
    def edit(opt, params):
        params[0].data[...] = 0.25
        np.copyto(params[1].data, np.arange(3.0))
        params[2].data += 1.0

    fused = run(SGD, dict(lr=0.1, momentum=0.9), None, events={4: edit})
    assert_same(fused, run(SGD, dict(lr=0.1, momentum=0.9), False, events={4: edit}))
    assert flat_of(fused[1]).members == fused[0]   # no need to lay out again


# ---------------------------------------------------------------------------------------------
# Whatever invalidates the layout, the steps stay exact
# ---------------------------------------------------------------------------------------------
def rebind_data(opt, params):
    params[0].data = params[0].data * 0.5      # a new array, not a view
    params[3].data = np.ascontiguousarray(params[3].data[::-1])


def replace_state_arrays(opt, params):
    state = opt.state[params[1]]
    for name, value in list(state.items()):
        if isinstance(value, np.ndarray):
            state[name] = np.full_like(value, 0.5)


def reset_state_of_one_parameter(opt, params):
    opt.state[params[0]] = {}


def copy_one_state(opt, params):
    opt.state[params[2]] = dict(opt.state[params[2]])     # the same values, in another dict


def add_a_state_entry(opt, params):
    opt.state[params[1]]["note"] = np.zeros(1)


def drop_the_last_state_entry(opt, params):
    state = opt.state[params[-1]]           # (the last value the layout holds)
    if state:
        del state[list(state)[-1]]


def change_step_count(opt, params):
    if "step" in opt.state[params[2]]:
        opt.state[params[2]]["step"] = 1


def change_hyper_parameters(opt, params):
    group = opt.param_groups[0]
    group["lr"] *= 0.5
    for key, value in (("amsgrad", True), ("momentum", 0.5), ("centered", True)):
        if key in group:
            group[key] = value


def reload_own_state(opt, params):
    opt.load_state_dict(copy.deepcopy(opt.state_dict()))


EVENTS = {"rebind p.data": rebind_data, "replace state arrays": replace_state_arrays,
          "reset one state": reset_state_of_one_parameter, "copy one state": copy_one_state,
          "add a state entry": add_a_state_entry, "drop a state entry": drop_the_last_state_entry,
          "change a step": change_step_count,
          "change options": change_hyper_parameters, "reload state_dict": reload_own_state}


@pytest.mark.parametrize("event", EVENTS.values(), ids=EVENTS.keys())
@pytest.mark.parametrize("cls, kw", [(SGD, dict(lr=0.1)), (SGD, dict(lr=0.1, momentum=0.9)),
                                     (Adam, dict(lr=0.05, weight_decay=0.1)),
                                     (AdamW, dict(lr=0.05)), (RMSprop, dict(lr=0.01)),
                                     (Adagrad, dict(lr=0.1, lr_decay=0.1))],
                         ids=["SGD", "SGD-momentum", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_an_invalidated_layout_still_steps_exactly(cls, kw, event):
    events = {3: event, 5: event}
    fused = run(cls, kw, None, events=events)
    assert_same(fused, run(cls, kw, False, events=events))
    desynchronized = cls is not SGD and event in (reset_state_of_one_parameter, change_step_count)
    # laid out again and fused at the end, unless step counts now differ within the group
    assert (flat_of(fused[1]) is None) == desynchronized


@pytest.mark.parametrize("skip", [
    {(2, 1)},                                       # once
    {(t, 1) for t in range(1, 8, 2)},               # every other step
    {(t, 0) for t in range(3, 8)} | {(t, 2) for t in range(8)},   # from step 3 on; never
    {(t, k) for t in (2, 3) for k in range(4)},     # no gradient at all
], ids=["once", "alternating", "from-then-on", "none-at-all"])
@pytest.mark.parametrize("cls, kw", CASES, ids=CASE_IDS)
def test_parameters_without_gradient_are_skipped_exactly(cls, kw, skip):
    assert_same(run(cls, kw, None, skip=skip), run(cls, kw, False, skip=skip))


def test_a_stable_pattern_of_missing_gradients_is_laid_out_again():
    skip = {(t, 2) for t in range(3, 12)}           # a frozen parameter from step 3 on
    params, opt = run(Adam, dict(lr=0.1), None, steps=12, skip=skip)
    flat = flat_of(opt)
    assert flat is not None and flat.members == [params[0], params[1], params[3]]
    assert opt.state[params[2]]["step"] == 3 and opt.state[params[0]]["step"] == 12


def test_an_alternating_pattern_does_not_lay_out_the_group_at_every_step():
    params = make_params(start_values())
    opt = SGD(params, lr=0.1, momentum=0.9)
    layouts = []
    for t in range(10):
        for k, p in enumerate(params):
            p.grad = None if (k == 1 and t % 2) else quadratic_grad(p.data, k)
        opt.step()
        layouts.append(flat_of(opt))
    assert len({id(f) for f in layouts[1:]}) == 1      # laid out at step 1, then kept


def test_editing_the_params_list_of_a_group():
    def train(fused):
        params = make_params(start_values())
        extra = make_params([np.linspace(0, 1, 4).reshape(2, 2)])[0]
        opt = SGD(params, lr=0.1, momentum=0.9, fused=fused)
        for t in range(6):
            if t == 3:
                opt.param_groups[0]["params"][1] = extra      # same length, other shape
            for k, p in enumerate(opt.param_groups[0]["params"]):
                p.grad = quadratic_grad(p.data, k)
            opt.step()
        return params + [extra], opt

    fused = train(None)
    assert_same(fused, train(False))
    params, opt = fused
    assert [id(p) for p in flat_of(opt).members] == [id(p) for p in (params[0], params[-1],
                                                                      *params[2:4])]


def test_model_double_and_load_state_dict_mid_run():
    def model_and_data():
        model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
        model.load_state_dict({k: np.linspace(-1, 1, v.size).reshape(v.shape)
                               for k, v in model.state_dict().items()})
        rng = np.random.default_rng(0)
        return model, rng.standard_normal((16, 3)), rng.integers(0, 2, 16)

    def train(fused):
        model, x, y = model_and_data()
        opt = Adam(model.parameters(), lr=0.05, amsgrad=True, fused=fused)
        loss_fn = nn.CrossEntropyLoss()
        saved = None
        for t in range(12):
            if t == 4:
                model.double()                          # every p.data rebound, in float64
            if t == 6:
                saved = (copy.deepcopy(model.state_dict()), copy.deepcopy(opt.state_dict()))
            if t == 9:                                  # back to step 6, in place and by load
                model.load_state_dict(saved[0])
                opt.load_state_dict(saved[1])
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
        return list(model.parameters()), opt

    fused, reference = train(None), train(False)
    assert_same(fused, reference)
    assert all(p.data.dtype == np.float64 for p in fused[0])
    assert all(s["exp_avg"].dtype == np.float64 for s in fused[1].state.values())
    assert flat_of(fused[1]).param.dtype == np.float64


def test_add_param_group_mid_run():
    def train(fused):
        params = make_params(start_values())
        opt = SGD(params[:2], lr=0.1, momentum=0.9, fused=fused)
        for t in range(6):
            if t == 3:
                opt.add_param_group({"params": params[2:], "lr": 0.01})
            for k, p in enumerate(params):
                p.grad = quadratic_grad(p.data, k)
            opt.step()
        return params, opt

    fused = train(None)
    assert_same(fused, train(False))
    assert flat_of(fused[1], 1).members == fused[0][2:]


def test_a_copy_of_the_optimizer_steps_on_its_own():
    params, opt = run(Adam, dict(lr=0.1), None, steps=3)
    params2, opt2 = copy.deepcopy((params, opt))
    for ps in (params, params2):
        for k, p in enumerate(ps):
            p.grad = quadratic_grad(p.data, k)
    opt.step()
    opt2.step()
    assert_same((params, opt), (params2, opt2))
    assert not any(np.shares_memory(p.data, p2.data) for p, p2 in zip(params, params2))


# ---------------------------------------------------------------------------------------------
# Groups that are not laid out
# ---------------------------------------------------------------------------------------------
def test_parameters_sharing_memory_are_updated_one_by_one():
    base = np.arange(6.0)
    a, b = make_params([np.zeros(1), np.zeros(1)])
    a.data, b.data = base[:4], base[2:]        # overlapping views of one array
    opt = SGD([a, b], lr=1.0)
    a.grad, b.grad = np.ones(4), np.full(4, 10.0)
    opt.step()
    assert flat_of(opt) is None and a.data.base is base and b.data.base is base
    np.testing.assert_array_equal(base, [0 - 1, 1 - 1, 2 - 11, 3 - 11, 4 - 10, 5 - 10])


def test_mixed_dtypes_in_a_group():
    def train(fused):
        a, b = make_params([np.ones(3), np.ones(2)], np.float32)
        b.data = b.data.astype(np.float64)
        opt = Adam([a, b], lr=0.1, fused=fused)
        for _ in range(3):
            a.grad, b.grad = quadratic_grad(a.data, 0), quadratic_grad(b.data, 1)
            opt.step()
        return [a, b], opt

    fused = train(None)
    assert flat_of(fused[1]) is None
    assert fused[0][0].data.dtype == np.float32 and fused[0][1].data.dtype == np.float64
    assert_same(fused, train(False))


def test_wrong_gradient_shape_is_refused_in_the_fused_path_too():
    params, opt = run(SGD, dict(lr=0.1, momentum=0.9), None, steps=3)
    before = [p.data.copy() for p in params]
    params[1].grad = np.ones((3, 1))
    with pytest.raises(ValueError, match=r"shape \(3,\) has a gradient of shape \(3, 1\)"):
        opt.step()
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.data, b)


def test_fused_option_is_checked_and_kept_per_group():
    with pytest.raises(TypeError, match="fused: expected None, True or False, got 'yes'"):
        Adam(make_params([np.ones(2)]), fused="yes")
    a, b = make_params([np.ones(2), np.ones(3)])
    opt = SGD([{"params": [a]}, {"params": [b], "fused": False}], lr=0.1)
    a.grad, b.grad = np.ones(2), np.ones(3)
    opt.step()
    assert flat_of(opt, 0) is not None and flat_of(opt, 1) is None
    assert opt.state_dict()["param_groups"][1]["fused"] is False


# ---------------------------------------------------------------------------------------------
# Against PyTorch: gradients missing on some steps
# ---------------------------------------------------------------------------------------------
@pytest.mark.torch
@pytest.mark.parametrize("cls, kw", CASES, ids=CASE_IDS)
def test_missing_gradients_match_torch(cls, kw):
    torch = pytest.importorskip("torch")
    init = start_values()
    params = make_params(init)
    tps = [torch.nn.Parameter(torch.tensor(a)) for a in init]
    opt, topt = cls(params, **kw), torch_optimizer(torch, cls, tps, kw)
    skip = {(t, 1) for t in (2, 3, 7)} | {(t, 3) for t in range(5, 12)}
    for t in range(12):
        for k, (p, tp) in enumerate(zip(params, tps)):
            if (t, k) in skip:
                p.grad = tp.grad = None
            else:
                p.grad = quadratic_grad(p.data, k)
                tp.grad = torch.tensor(quadratic_grad(tp.detach().numpy(), k))
        opt.step()
        topt.step()
    for p, tp in zip(params, tps):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-11, atol=1e-12)
    ours, theirs = opt.state_dict()["state"], topt.state_dict()["state"]
    for i in theirs:
        if "step" in theirs[i]:
            assert ours[i]["step"] == float(theirs[i]["step"])


# ---------------------------------------------------------------------------------------------
# Gradients made by layers' backward
# ---------------------------------------------------------------------------------------------
def _mlp_and_batches(seed=0):
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    model.load_state_dict({k: np.linspace(-1, 1, v.size).reshape(v.shape)
                           for k, v in model.state_dict().items()})
    rng = np.random.default_rng(seed)
    return model, [(rng.standard_normal((8, 3)), rng.integers(0, 2, 8)) for _ in range(6)]


def _steps(model, opt, batches, loss_fn=nn.CrossEntropyLoss()):
    """zero_grad, forward, loss, backward, step, for each batch."""
    for x, y in batches:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()


def test_gradients_accumulated_over_two_backwards_stay_in_one_flat_array():
    model, batches = _mlp_and_batches()
    reference, _ = _mlp_and_batches()
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    ref_opt = SGD(reference.parameters(), lr=0.1, momentum=0.9, fused=False)
    loss_fn = nn.CrossEntropyLoss()
    for (x, y), (x2, y2) in zip(batches[::2], batches[1::2]):
        for m, o in ((model, opt), (reference, ref_opt)):
            o.zero_grad()
            loss_fn(m(x), y).backward()
            loss_fn(m(x2), y2).backward()               # adds into the same .grad arrays
            o.step()
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_a_gradient_set_by_hand_is_copied_not_trusted():
    model, batches = _mlp_and_batches()
    opt, loss_fn = SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss()
    _steps(model, opt, batches[:2])
    opt.zero_grad()
    loss_fn(model(batches[2][0]), batches[2][1]).backward()
    w = model[0].weight
    before = w.data.copy()
    w.grad = np.ones_like(w.data)                       # replaces the view handed out
    opt.step()
    np.testing.assert_allclose(w.data, before - 0.1, rtol=1e-12)


def test_a_pickled_or_copied_model_shares_no_memory_with_the_laid_out_one():
    import pickle
    model, batches = _mlp_and_batches()
    _steps(model, SGD(model.parameters(), lr=0.1), batches[:3])
    for other in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        for p, q in zip(model.parameters(), other.parameters()):
            np.testing.assert_array_equal(p.data, q.data)
            assert not np.shares_memory(p.data, q.data) and not np.shares_memory(p.grad, q.grad)


# ---------------------------------------------------------------------------------------------
# Gradients in the flat array: handed out as views when no one else holds them
# ---------------------------------------------------------------------------------------------
class _Composite(nn.Module):
    """Parameters reached through the graph's operations, not a layer's own backward."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(3, 5), nn.Linear(5, 2)

    def forward(self, x):
        return self.b(self.a(x).tanh() * 2.0)


def _train_keeping(cls, kw, fused, model_fn, keep=()):
    model, batches = model_fn()
    opt, loss_fn = cls(model.parameters(), fused=fused, **kw), nn.CrossEntropyLoss()
    held, grads_seen = {}, []
    for t, (x, y) in enumerate(batches):
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        grads = [p.grad for p in model.parameters()]
        grads_seen.append([g.copy() for g in grads])
        if t in keep:                                   # the user keeps a gradient (or a view)
            held[t] = (grads[0], grads[0].copy(), grads[1][1:], grads[1][1:].copy())
        opt.step()
        for p, g in zip(model.parameters(), grads_seen[-1]):   # the step leaves .grad alone
            np.testing.assert_array_equal(p.grad, g)
        del grads                                       # (holding them would keep them ours)
    for whole, whole_values, part, part_values in held.values():
        np.testing.assert_array_equal(whole, whole_values)     # never overwritten later
        np.testing.assert_array_equal(part, part_values)
    return list(model.parameters()), opt, grads_seen


def _mlp_double():
    model, batches = _mlp_and_batches()
    return model, batches


def _composite_double():
    model = _Composite().double()
    model.load_state_dict({k: np.linspace(-1, 1, v.size).reshape(v.shape)
                           for k, v in model.state_dict().items()})
    return model, _mlp_and_batches()[1]


@pytest.mark.parametrize("model_fn", [_mlp_double, _composite_double], ids=["layers", "composite"])
@pytest.mark.parametrize("cls, kw", [(SGD, dict(lr=0.1, momentum=0.9)), (Adam, dict(lr=0.05)),
                                     (SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
                                     (Adam, dict(lr=0.05, maximize=True))],
                         ids=["sgd", "adam", "sgd-weight-decay", "adam-maximize"])
def test_gradients_live_in_the_flat_array_and_steps_stay_exact(cls, kw, model_fn):
    params, opt, grads = _train_keeping(cls, kw, None, model_fn, keep=(3,))
    ref_params, _, ref_grads = _train_keeping(cls, kw, False, model_fn)
    for a, b in zip(params, ref_params):
        np.testing.assert_array_equal(a.data, b.data)
    for ga, gb in zip(grads, ref_grads):
        for a, b in zip(ga, gb):
            np.testing.assert_array_equal(a, b)
    # without a kept gradient, every .grad ends up as its view of the flat gradient
    params, opt, _ = _train_keeping(cls, kw, None, model_fn)
    assert all(p.grad is v for p, v in zip(params, flat_of(opt).grad_views))


def test_a_kept_gradient_is_not_handed_out_again():
    model, batches = _mlp_and_batches()
    opt, loss_fn = SGD(model.parameters(), lr=0.1, momentum=0.9), nn.CrossEntropyLoss()
    w = model[0].weight
    _steps(model, opt, batches[:3])
    flat = flat_of(opt)
    assert w.grad is flat.grad_views[0]
    kept, values = w.grad, w.grad.copy()
    opt.zero_grad()
    loss_fn(model(batches[3][0]), batches[3][1]).backward()
    assert w.grad is not kept and not np.shares_memory(w.grad, kept)
    opt.step()
    np.testing.assert_array_equal(kept, values)
    part = model[2].bias.grad[:1]                       # a view of a view: the flat array is held
    opt.zero_grad()
    loss_fn(model(batches[4][0]), batches[4][1]).backward()
    assert not any(np.shares_memory(p.grad, part) for p in model.parameters())
    del kept, part
    opt.zero_grad()
    loss_fn(model(batches[5][0]), batches[5][1]).backward()
    assert all(p.grad is v for p, v in zip(model.parameters(), flat.grad_views))   # back in


def test_the_next_gradients_are_written_straight_into_the_flat_array():
    model, batches = _mlp_and_batches()
    reference, _ = _mlp_and_batches()
    opt, loss_fn = SGD(model.parameters(), lr=0.1, momentum=0.9), nn.CrossEntropyLoss()
    _steps(model, opt, batches[:3])
    _steps(reference, SGD(reference.parameters(), lr=0.1, momentum=0.9, fused=False), batches[:3])
    flat = flat_of(opt)
    flat.grad.fill(np.nan)                  # what is left in the flat array is never read
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())              # as PyTorch leaves them
    assert all(p._next_grad[1] is v for p, v in zip(model.parameters(), flat.grad_views))
    x, y = batches[3]
    for q in reference.parameters():
        q.grad = None
    loss_fn(model(x), y).backward()
    loss_fn(reference(x), y).backward()
    assert all(p.grad is v for p, v in zip(model.parameters(), flat.grad_views))
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_array_equal(p.grad, q.grad)
    # a parameter that changed dtype after zero_grad gets a gradient of its new dtype
    assert flat.grad.dtype == np.float32
    opt.zero_grad()
    model.double()
    loss_fn(model(x), y).backward()
    assert all(p.grad.dtype == np.float64 and not np.shares_memory(p.grad, flat.grad)
               for p in model.parameters())


@pytest.mark.parametrize("layer", ["linear", "user"])
def test_a_layer_used_twice_adds_both_gradients_into_the_flat_array(layer):
    class Scale(nn.Module):                 # a user layer: adds into a zero .grad it is given
        _leaf_layer = True

        def __init__(self):
            super().__init__()
            self.a = nn.Parameter(np.array([1.5, -0.5]))

        def forward(self, x):
            self.x = x
            return x * self.a.data

        def backward(self, grad_h):
            self.a.grad += np.add.reduce(grad_h * self.x, axis=0)
            return grad_h * self.a.data

    shared = nn.Linear(2, 2).double() if layer == "linear" else Scale()
    model = nn.Sequential(shared, nn.Tanh(), shared)
    reference = copy.deepcopy(model)
    opt = SGD(model.parameters(), lr=0.1)
    ref_opt = SGD(reference.parameters(), lr=0.1, fused=False)
    rng = np.random.default_rng(1)
    for _ in range(4):
        x = rng.standard_normal((3, 2))
        for m, o in ((model, opt), (reference, ref_opt)):
            o.zero_grad()
            m(x).sum().backward()
            o.step()
        for p, q in zip(model.parameters(), reference.parameters()):
            np.testing.assert_array_equal(p.grad, q.grad)
            np.testing.assert_array_equal(p.data, q.data)
    assert all(p.grad is v for p, v in zip(model.parameters(), flat_of(opt).grad_views))
