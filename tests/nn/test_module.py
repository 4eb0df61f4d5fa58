"""Module: registration, traversal, modes, state, printing, initialisation, dtype and errors."""
import math
import re

import numpy as np
import pytest

import minitorch as mt
from minitorch import nn


class Block(nn.Module):
    """A composite with parameters, a submodule and a Sequential, assigned in a known order."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(3))
        self.enc = nn.Sequential(nn.Linear(4, 3), nn.Tanh())
        self.offset = nn.Parameter(np.zeros(3))
        self.head = nn.Linear(3, 2)

    def forward(self, x):
        return self.head(self.enc(x) * self.scale + self.offset)


class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = Block()
        self.rest = nn.Sequential(nn.ReLU(), Block().enc[0:1], nn.Dropout(0.5))

    def forward(self, x):
        return self.first(x)


def test_parameters_and_submodules_register_in_assignment_order():
    b = Block()
    assert [n for n, _ in b.named_parameters()] == [
        "scale", "offset", "enc.0.weight", "enc.0.bias", "head.weight", "head.bias"]
    assert [n for n, _ in b.named_children()] == ["enc", "head"]
    assert list(b.parameters())[0] is b.scale


def test_nested_names_follow_pytorch():
    o = Outer()
    names = [n for n, _ in o.named_parameters()]
    assert names[:6] == ["first.scale", "first.offset", "first.enc.0.weight", "first.enc.0.bias",
                         "first.head.weight", "first.head.bias"]
    assert names[6:] == ["rest.1.0.weight", "rest.1.0.bias"]
    assert [n for n, _ in o.named_modules()] == [
        "", "first", "first.enc", "first.enc.0", "first.enc.1", "first.head",
        "rest", "rest.0", "rest.1", "rest.1.0", "rest.2"]
    assert list(o.state_dict()) == names


def test_children_and_modules_list_shared_modules_once():
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, nn.Tanh(), shared)
    assert list(seq.children()) == [shared, seq[1]]
    assert list(seq.modules()) == [seq, shared, seq[1]]
    assert len(list(seq.parameters())) == 2


def test_state_dict_saves_a_shared_module_under_every_name_like_pytorch():
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, nn.Tanh(), shared)
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_sequential_is_a_list_of_modules():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    seq.append(nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and seq[2] is seq[-1]
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    assert isinstance(seq[1:], nn.Sequential) and len(seq[1:]) == 2
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    with pytest.raises(TypeError, match="nn.Module"):
        nn.Sequential(nn.Linear(2, 2), np.tanh)


def test_module_list_registers_its_modules():
    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])

        def forward(self, x):
            for b in self.blocks:
                x = b(x).tanh()
            return x

    s = Stack()
    assert [n for n, _ in s.named_parameters()][-2:] == ["blocks.2.weight", "blocks.2.bias"]
    s(np.ones((1, 2))).sum().backward()
    assert all(p.grad is not None for p in s.parameters())


def test_train_and_eval_reach_every_submodule():
    o = Outer()
    assert all(m.training for m in o.modules())
    assert o.eval() is o
    assert not any(m.training for m in o.modules())
    x = np.ones((50, 4))
    np.testing.assert_array_equal(o.rest[2](x).data, x)          # Dropout off in eval
    o.train()
    assert all(m.training for m in o.modules())
    assert np.any(o.rest[2](x).data == 0)
    with pytest.raises(TypeError, match="bool"):
        o.train("no")


def test_zero_grad_sets_none_or_zeros():
    m = nn.Sequential(nn.Linear(3, 2))
    m(np.ones((1, 3))).sum().backward()
    m.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_state_dict_is_a_snapshot_that_training_does_not_change():
    m = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1))
    snapshot = m.state_dict()
    before = {k: v.copy() for k, v in snapshot.items()}
    m(np.ones((4, 3))).sum().backward()
    for p in m.parameters():
        p.data -= 0.1 * p.grad                                   # an in-place SGD step
    for k in before:
        np.testing.assert_array_equal(snapshot[k], before[k])
    assert not np.array_equal(m.state_dict()["0.weight"], before["0.weight"])


def test_load_state_dict_round_trip_and_strict_false():
    a, b = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1)), nn.Sequential(nn.Linear(3, 2),
                                                                        nn.Linear(2, 1))
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = np.ones((2, 3))
    np.testing.assert_array_equal(a(x).data, b(x).data)
    partial = {k: v for k, v in a.state_dict().items() if k != "1.bias"}
    assert b.load_state_dict(partial, strict=False).missing_keys == ["1.bias"]


def test_load_state_dict_lists_every_problem_and_changes_nothing():
    m = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    before = m.state_dict()
    bad = {k: np.full(v.shape, 7.0) for k, v in before.items()}
    del bad["0.bias"]
    bad["3.weight"] = np.zeros((1, 1))
    bad["2.weight"] = np.zeros((2, 2))
    with pytest.raises(ValueError) as info:
        m.load_state_dict(bad)
    message = str(info.value)
    assert "missing keys: 0.bias" in message
    assert "unexpected keys: 3.weight" in message
    assert "2.weight: expected shape (1, 2), got (2, 2)" in message
    for k, v in m.state_dict().items():                          # 0.weight was not loaded either
        np.testing.assert_array_equal(v, before[k])
    with pytest.raises(ValueError, match="2.weight"):          # shapes count with strict=False too
        m.load_state_dict({"2.weight": np.zeros((5,))}, strict=False)


def test_apply_visits_children_first_then_self():
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Tanh(), nn.Linear(2, 1)))
    seen = []
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen == ["Linear", "Tanh", "Linear", "Sequential", "Sequential"]

    def init(mod):
        if isinstance(mod, nn.Linear):
            nn.init.constant_(mod.weight, 0.5)
    m.apply(init)
    assert all(np.all(l.weight.data == 0.5) for l in (m[0], m[1][1]))


def test_num_parameters_counts_scalars():
    m = nn.Sequential(nn.Linear(64, 128), nn.Sigmoid(), nn.Linear(128, 10, bias=False))
    assert m.num_parameters() == 64 * 128 + 128 + 128 * 10
    m[0].requires_grad_(False)
    assert m.num_parameters(trainable_only=True) == 128 * 10


def test_repr_is_nested_like_pytorch():
    m = nn.Sequential(nn.Linear(4, 8), nn.ReLU(),
                      nn.Sequential(nn.Dropout(0.25), nn.Linear(8, 3, bias=False)))
    assert repr(m) == (
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=8, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.25, inplace=False)\n"
        "    (1): Linear(in_features=8, out_features=3, bias=False)\n"
        "  )\n"
        ")")


@pytest.mark.torch
def test_repr_equals_torch_repr():
    torch = pytest.importorskip("torch")
    tn = torch.nn
    ours = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.LeakyReLU(0.2), nn.Tanh(), nn.Sigmoid(),
                         nn.Sequential(nn.Identity(), nn.Softmax()), nn.Softmax(dim=1),
                         nn.LogSoftmax(dim=-1), nn.Flatten(), nn.Linear(8, 3, bias=False))
    theirs = tn.Sequential(tn.Linear(4, 8), tn.ReLU(), tn.LeakyReLU(0.2), tn.Tanh(), tn.Sigmoid(),
                           tn.Sequential(tn.Identity(), tn.Softmax()), tn.Softmax(dim=1),
                           tn.LogSoftmax(dim=-1), tn.Flatten(), tn.Linear(8, 3, bias=False))
    assert repr(ours) == repr(theirs)
    for name in ("MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
                 "BCEWithLogitsLoss"):
        assert repr(getattr(nn, name)()) == repr(getattr(tn, name)())


@pytest.mark.torch
def test_dropout_repr_equals_torch_repr():
    torch = pytest.importorskip("torch")
    assert repr(nn.Dropout(0.25)) == repr(torch.nn.Dropout(0.25))


def test_linear_init_is_uniform_within_one_over_sqrt_fan_in():
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = lin.weight.data, lin.bias.data
    assert w.shape == (300, 400) and b.shape == (300,) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert w.min() < -0.99 * bound and w.max() > 0.99 * bound           # fills the interval
    assert abs(w.mean()) < 0.01 * bound
    assert w.var() == pytest.approx(bound ** 2 / 3, rel=0.02)           # Var U(-a, a) = a²/3


def test_manual_seed_makes_models_reproducible():
    def make():
        return nn.Sequential(nn.Linear(5, 4), nn.Linear(4, 2))
    mt.manual_seed(42)
    a = make().state_dict()
    mt.manual_seed(42)
    b = make().state_dict()
    mt.manual_seed(43)
    c = make().state_dict()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert not np.array_equal(a["0.weight"], c["0.weight"])


def test_float64_input_is_cast_to_a_float32_model():
    m = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    x64 = np.random.default_rng(0).standard_normal((4, 3))
    out = m(x64)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, np.tanh(x64.astype(np.float32) @ m[0].weight.data.T
                                                 + m[0].bias.data), rtol=1e-6)
    xt = mt.tensor(x64, requires_grad=True)
    m(xt).sum().backward()
    assert xt.grad.dtype == np.float64 and m[0].weight.grad.dtype == np.float32


def test_float64_model_with_set_default_dtype(float64):
    m = nn.Linear(3, 2)
    assert m.weight.dtype == np.float64
    assert m([[1.0, 2.0, 3.0]]).dtype == np.float64
    assert nn.Linear(3, 2).float().weight.dtype == np.float32


def test_composite_casts_its_inputs_to_its_dtype():
    b = Block()
    assert b(np.ones((2, 4))).dtype == np.float32


# --- errors ------------------------------------------------------------------------------------
def test_linear_feature_mismatch_names_the_layer_and_position():
    m = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(30, 10))
    with pytest.raises(ValueError) as info:
        m(np.zeros((5, 64)))
    text = str(info.value) + " ".join(getattr(info.value, "__notes__", []))
    assert "Sequential[2]" in text and "(N, 30)" in text and "(5, 32)" in text
    with pytest.raises(ValueError, match=r"Sequential\[0\].*\(N, 64\), got \(5, 63\)"):
        m(np.zeros((5, 63)))
    lin = nn.Linear(3, 2)
    for bad in (np.float32(1.0), np.zeros(4), np.zeros((2, 5, 4))):
        with pytest.raises(ValueError, match=rf"Linear\(in_features=3.*\(N, 3\), got {re.escape(str(np.shape(bad)))}"):
            lin(bad)


def test_linear_feature_mismatch_in_a_composite_names_the_attribute():
    with pytest.raises(ValueError, match=r"Block\.head.*\(N, 3\)|Block\.enc\[0\].*\(N, 4\)"):
        Block()(np.zeros((2, 5)))


def test_module_without_super_init_is_an_error():
    class Broken(nn.Module):
        def __init__(self):
            self.lin = nn.Linear(2, 2)

    with pytest.raises(RuntimeError, match="super"):
        Broken()


def test_assigning_a_non_parameter_to_a_parameter_slot_is_a_type_error():
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="nn.Parameter"):
        lin.weight = np.zeros((2, 2))
    lin.bias = None
    assert [n for n, _ in lin.named_parameters()] == ["weight"]


def test_assignment_registers_by_value_whatever_the_name_held_before():
    m = nn.Module()
    m.a, m.b, m.c = 3, (1, 2), np.zeros(2)              # plain attributes, registered nowhere
    assert list(m._parameters) == list(m._modules) == []
    m.a = nn.Linear(2, 2)                               # a plain name becomes a submodule
    m.b = nn.Parameter(np.ones(2))                      # ... and a parameter
    assert list(m._modules) == ["a"] and list(m._parameters) == ["b"]
    with pytest.raises(TypeError, match="nn.Module"):
        m.a = np.zeros(2)
    with pytest.raises(TypeError, match="nn.Parameter"):
        m.b = (1, 2)
    m.a, m.b = None, None                               # a registered name may hold None
    assert m._modules["a"] is None and m._parameters["b"] is None
    m.c = nn.Linear(1, 1)
    assert list(m._modules) == ["a", "c"] and m.c is m._modules["c"]


@pytest.mark.parametrize("bad", [0, -3, 2.5])
def test_linear_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(bad, 2)


class Log(nn.Module):
    """h = log x: NaN in forward for x < 0."""

    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, grad_h):
        return grad_h / self.x


def test_detect_anomaly_names_the_layer_in_forward():
    with np.errstate(all="ignore"), mt.detect_anomaly():
        with pytest.raises(mt.autograd.AnomalyError, match=r"Log.*nan in forward"):
            Log()(np.array([-1.0, 1.0]))
        with pytest.raises(mt.autograd.AnomalyError, match=r"'log' produced nan in forward"):
            mt.tensor([-1.0, 2.0], requires_grad=True).log()
    with np.errstate(all="ignore"):                 # without detect_anomaly: no error
        assert np.isnan(Log()(np.array([-1.0])).item())


class NaNBackward(nn.Module):
    """Identity forward, NaN gradient: a broken user backward."""

    def forward(self, x):
        return x

    def backward(self, grad_h):
        return grad_h * np.nan


def test_detect_anomaly_names_the_layer_in_backward():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin, self.bad, self.out = nn.Linear(2, 2), NaNBackward(), nn.Linear(2, 1)

        def forward(self, x):
            return self.out(self.bad(self.lin(x)))

    with mt.detect_anomaly():
        loss = Net()(np.ones((1, 2))).sum()
        with pytest.raises(mt.autograd.AnomalyError, match=r"Net\.bad \(NaNBackward\).*backward"):
            loss.backward()
        loss = nn.Sequential(nn.Linear(2, 2), NaNBackward(), nn.Linear(2, 1))(np.ones((1, 2)))
        with pytest.raises(mt.autograd.AnomalyError, match=r"NaNBackward.*backward"):
            loss.sum().backward()
        x = mt.tensor([0.0, 1.0], requires_grad=True)
        y = x.sqrt().sum()                                  # d√x/dx = inf at 0
        with np.errstate(divide="ignore"), pytest.raises(mt.autograd.AnomalyError, match="sqrt"):
            y.backward()


def test_detect_anomaly_names_the_layer_inside_sequential_in_forward():
    m = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), Log(), nn.Linear(2, 1))
    with np.errstate(all="ignore"), mt.detect_anomaly():
        with pytest.raises(mt.autograd.AnomalyError, match=r"Sequential\[2\] \(Log\)"):
            m(np.array([[3.0, -3.0], [-3.0, 3.0]]))
