"""Learning-rate schedulers: sequences against closed forms and PyTorch, state, plateau logic."""
import bisect
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minitorch.optim import SGD, Adam
from minitorch.optim.lr_scheduler import (CosineAnnealingLR, ExponentialLR, LinearLR,
                                          LRScheduler, MultiStepLR, ReduceLROnPlateau, StepLR)


class Duck:
    def __init__(self, data):
        self.data, self.grad = data, None


LRS = (0.1, 0.03)


def make_optimizer(lrs=LRS, cls=SGD):
    return cls([{"params": [Duck(np.ones(2))], "lr": lr} for lr in lrs])


def sequence(scheduler, steps=30):
    """get_last_lr() at construction, then after each of ``steps`` steps."""
    out = [scheduler.get_last_lr()]
    for _ in range(steps):
        scheduler.optimizer.step()
        scheduler.step()
        out.append(scheduler.get_last_lr())
    return np.array(out)


CLOSED_FORMS = [
    (StepLR, dict(step_size=7, gamma=0.5), lambda b, t: b * 0.5 ** (t // 7)),
    (StepLR, dict(step_size=1), lambda b, t: b * 0.1 ** t),
    (MultiStepLR, dict(milestones=[3, 10, 10, 25], gamma=0.3),
     lambda b, t: b * 0.3 ** bisect.bisect_right([3, 10, 10, 25], t)),
    (ExponentialLR, dict(gamma=0.9), lambda b, t: b * 0.9 ** t),
    (CosineAnnealingLR, dict(T_max=10),
     lambda b, t: 0.5 * b * (1 + math.cos(math.pi * t / 10))),
    (CosineAnnealingLR, dict(T_max=12, eta_min=0.01),
     lambda b, t: 0.01 + 0.5 * (b - 0.01) * (1 + math.cos(math.pi * t / 12))),
    (LinearLR, dict(), lambda b, t: b * (1 / 3 + (2 / 3) * min(t, 5) / 5)),
    (LinearLR, dict(start_factor=1.0, end_factor=0.2, total_iters=8),
     lambda b, t: b * (1.0 - 0.8 * min(t, 8) / 8)),
]
CLOSED_IDS = [f"{cls.__name__}-{kw}" for cls, kw, _ in CLOSED_FORMS]


@pytest.mark.parametrize("cls, kw, closed", CLOSED_FORMS, ids=CLOSED_IDS)
def test_thirty_steps_follow_the_closed_form(cls, kw, closed):
    scheduler = cls(make_optimizer(), **kw)
    got = sequence(scheduler)
    expected = np.array([[closed(b, t) for b in LRS] for t in range(31)])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    assert scheduler.last_epoch == 30
    assert [g["lr"] for g in scheduler.optimizer.param_groups] == scheduler.get_last_lr()


@pytest.mark.torch
@pytest.mark.parametrize("cls, kw, closed", CLOSED_FORMS, ids=CLOSED_IDS)
def test_thirty_steps_match_torch(cls, kw, closed):
    torch = pytest.importorskip("torch")
    tparams = [torch.nn.Parameter(torch.ones(2)) for _ in LRS]
    topt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(tparams, LRS)])
    tsched = getattr(torch.optim.lr_scheduler, cls.__name__)(topt, **kw)
    expected = [tsched.get_last_lr()]
    for _ in range(30):
        topt.step()
        tsched.step()
        expected.append(tsched.get_last_lr())
    np.testing.assert_allclose(sequence(cls(make_optimizer(), **kw)), np.array(expected),
                               rtol=1e-13, atol=1e-16)


@pytest.mark.torch
def test_chained_schedulers_match_torch():
    torch = pytest.importorskip("torch")
    tparam = torch.nn.Parameter(torch.ones(2))
    topt = torch.optim.SGD([tparam], lr=0.5)
    tscheds = [torch.optim.lr_scheduler.LinearLR(topt, start_factor=0.25, total_iters=4),
               torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=15, eta_min=1e-3)]
    opt = make_optimizer((0.5,))
    scheds = [LinearLR(opt, start_factor=0.25, total_iters=4),
              CosineAnnealingLR(opt, T_max=15, eta_min=1e-3)]
    for _ in range(30):
        topt.step()
        opt.step()
        for s, ts in zip(scheds, tscheds):
            s.step()
            ts.step()
        assert opt.param_groups[0]["lr"] == pytest.approx(topt.param_groups[0]["lr"], rel=1e-12)


def test_construction_sets_initial_lr_and_base_lrs():
    opt = make_optimizer()
    sched = ExponentialLR(opt, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == list(LRS)
    assert sched.base_lrs == list(LRS) and sched.last_epoch == 0
    assert sched.get_last_lr() == list(LRS)
    sched.get_last_lr()[0] = 99.0                  # a copy
    assert sched.get_last_lr()[0] == 0.1
    opt.param_groups[0]["lr"] = 0.2                # a second scheduler keeps initial_lr
    assert StepLR(opt, step_size=2).base_lrs == list(LRS)


def test_resuming_without_initial_lr_is_refused():
    with pytest.raises(ValueError, match=r"param_groups\[0\] has no 'initial_lr'.*last_epoch=4"):
        StepLR(make_optimizer(), step_size=3, last_epoch=4)


@pytest.mark.parametrize("cls, kw", [(c, k) for c, k, _ in CLOSED_FORMS], ids=CLOSED_IDS)
def test_state_dict_round_trip_continues_identically(cls, kw):
    opt = make_optimizer()
    sched = cls(opt, **kw)
    sequence(sched, 7)
    saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
    rest = sequence(sched, 10)[1:]

    opt2 = make_optimizer((1.0, 1.0))
    sched2 = cls(opt2, **kw)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    assert sched2.last_epoch == 7
    np.testing.assert_array_equal(sequence(sched2, 10)[1:], rest)
    assert "optimizer" not in saved_sched


def test_load_state_dict_refuses_other_group_count():
    sched = StepLR(make_optimizer(), step_size=2)
    other = StepLR(make_optimizer((0.1,)), step_size=2)
    with pytest.raises(ValueError, match="'base_lrs' has 1 entries, but the optimizer has 2"):
        sched.load_state_dict(other.state_dict())
    assert sched.base_lrs == list(LRS)


@pytest.mark.parametrize("make, message", [
    (lambda o: StepLR(o, step_size=0), "step_size must be a positive int, got 0"),
    (lambda o: CosineAnnealingLR(o, T_max=0), "T_max must be a positive int, got 0"),
    (lambda o: StepLR(o, step_size=True), "step_size must be a positive int, got True"),
    (lambda o: LinearLR(o, total_iters=2.0), "total_iters must be a positive int, got 2.0"),
    (lambda o: LinearLR(o, start_factor=0), r"start_factor must be in \(0, 1\], got 0"),
    (lambda o: LinearLR(o, end_factor=1.5), r"end_factor must be in \[0, 1\], got 1.5"),
    (lambda o: ReduceLROnPlateau(o, factor=1.0), r"factor must be in \[0, 1\), got 1.0"),
    (lambda o: ReduceLROnPlateau(o, mode="up"), "mode must be 'min' or 'max', got 'up'"),
    (lambda o: ReduceLROnPlateau(o, threshold_mode="x"), "threshold_mode must be 'rel' or 'abs'"),
    (lambda o: ReduceLROnPlateau(o, min_lr=[0.1]), "expected 2 min_lrs, got 1"),
])
def test_invalid_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make(make_optimizer())


def test_numpy_ints_are_ints():
    sched = StepLR(make_optimizer(), step_size=np.int64(2), gamma=0.5)
    for _ in range(2):
        sched.optimizer.step()
        sched.step()
    assert sched.get_last_lr() == [lr * 0.5 for lr in LRS]


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="expected an Optimizer, got list"):
        StepLR([], step_size=1)
    with pytest.raises(TypeError, match="expected an Optimizer, got dict"):
        ReduceLROnPlateau({})
    with pytest.raises(NotImplementedError):
        LRScheduler(make_optimizer())


# ---------------------------------------------------------------------------------------------
# ReduceLROnPlateau
# ---------------------------------------------------------------------------------------------
def test_plateau_on_a_scripted_metric():
    opt = make_optimizer((1.0, 0.05))
    sched = ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=[0.0, 0.03])
    assert "initial_lr" not in opt.param_groups[0]
    metrics = [10, 9, 9, 9, 9, 8, 8.5, 8.5, 8.5, 8.5, 8.5, 8.5]
    # epoch:    1  2  3  4  5  6  7    8    9    10   11   12
    # best 10, 9 (bad 0); 9,9 bad 1,2; epoch 5 bad 3 > 2: reduce, cooldown 1 -> bad 0;
    # epoch 6: 8 is better (cooldown ends, bad 0); 7,8,9 bad 1,2,3: reduce at 9;
    # 10 in cooldown; 11, 12, bad 1, 2.
    expected_first = [1, 1, 1, 1, .5, .5, .5, .5, .25, .25, .25, .25]
    expected_second = [.05, .05, .05, .05, .03, .03, .03, .03, .03, .03, .03, .03]
    seen = []
    for m in metrics:
        sched.step(m)
        seen.append(sched.get_last_lr())
    np.testing.assert_allclose(np.array(seen), np.array([expected_first, expected_second]).T)
    assert sched.best == 8 and sched.last_epoch == 12 and sched.num_bad_epochs == 2


def test_plateau_max_mode_abs_threshold_and_eps():
    opt = make_optimizer((1.0,))
    sched = ReduceLROnPlateau(opt, mode="max", patience=0, threshold=0.5, threshold_mode="abs",
                              eps=0.2, factor=0.5)
    sched.step(1.0)                 # best 1
    sched.step(1.4)                 # not better than 1 + 0.5: reduce to 0.5
    assert sched.get_last_lr() == [0.5]
    sched.step(np.float32(2.0))     # better
    assert sched.get_last_lr() == [0.5] and sched.best == 2.0
    sched.step(2.0)                 # 0.5 -> 0.25
    sched.step(2.0)                 # 0.25 -> 0.125 is a change of 0.125 <= eps: skipped
    assert sched.get_last_lr() == [0.25]


def test_plateau_state_dict_round_trip():
    opt = make_optimizer()
    sched = ReduceLROnPlateau(opt, patience=1)
    for m in (3, 2, 2):
        sched.step(m)
    state = sched.state_dict()
    sched2 = ReduceLROnPlateau(make_optimizer())
    sched2.load_state_dict(state)
    assert (sched2.best, sched2.num_bad_epochs, sched2.last_epoch) == (2, 1, 3)


PLATEAU_OPTIONS = [
    dict(),
    dict(mode="max", factor=0.5, patience=1),
    dict(patience=0, threshold=0.1, threshold_mode="abs", cooldown=2),
    dict(patience=2, cooldown=1, min_lr=0.004, eps=1e-4),
    dict(mode="max", threshold=0.05, min_lr=[0.02, 0.001], factor=0.3, patience=1),
]


@pytest.mark.torch
@settings(max_examples=30, deadline=None)
@given(kw=st.sampled_from(PLATEAU_OPTIONS),
       metrics=st.lists(st.sampled_from([1.0, 0.99, 0.95, 0.9, 1.1, 0.5, 2.0]), min_size=1,
                        max_size=40))
def test_plateau_matches_torch(kw, metrics):
    torch = pytest.importorskip("torch")
    topt = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.ones(1))], "lr": lr}
                            for lr in LRS])
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kw)
    sched = ReduceLROnPlateau(make_optimizer(), **kw)
    for m in metrics:
        tsched.step(m)
        sched.step(m)
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-15)
    assert sched.num_bad_epochs == tsched.num_bad_epochs
    assert sched.cooldown_counter == tsched.cooldown_counter


def test_plateau_extends_a_scalar_min_lr_to_new_groups():
    opt = make_optimizer((1.0,))
    sched = ReduceLROnPlateau(opt, patience=0, min_lr=0.5)
    opt.add_param_group({"params": [Duck(np.ones(1))], "lr": 2.0})
    sched.step(1.0)
    sched.step(1.0)
    assert sched.get_last_lr() == [0.5, 0.5]
    listed = ReduceLROnPlateau(opt, patience=0, min_lr=[0.0, 0.0])
    opt.add_param_group({"params": [Duck(np.ones(1))]})
    listed.step(1.0)
    with pytest.raises(ValueError, match="3 parameter groups but min_lr lists 2"):
        listed.step(1.0)


def test_schedulers_drive_the_optimizer():
    # An lr set by the scheduler is the one the next step uses.
    p = Duck(np.zeros(1))
    opt = SGD([p], lr=1.0)
    sched = StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad = np.ones(1)
        opt.step()
        sched.step()
    np.testing.assert_allclose(p.data, -(1 + 0.5 + 0.25))
    adam = make_optimizer(cls=Adam)
    CosineAnnealingLR(adam, T_max=4).step()
    assert adam.param_groups[0]["lr"] == pytest.approx(0.1 * (1 + math.cos(math.pi / 4)) / 2)
