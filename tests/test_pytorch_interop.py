"""Weights and optimizer state move between minitorch and PyTorch through numpy, both ways."""
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import minitorch as mt
from minitorch import nn, optim

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "pytorch_interop.py"


def _example():
    spec = importlib.util.spec_from_file_location("pytorch_interop", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the same architecture in both libraries ----------------------------------------------
def mlp_pair(torch, dtype):
    t = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8),
                            torch.nn.ReLU(), torch.nn.Linear(8, 3)).to(_torch_dtype(torch, dtype))
    m = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 3))
    return t, m.to(dtype)


class Block(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fc = nn.Linear(n, n)
        self.gate = nn.Linear(n, n, bias=False)

    def forward(self, x):
        return x + self.fc(x).tanh() * self.gate(x).sigmoid()


class Net(nn.Module):
    """A composite with named submodules, a ModuleList and a nested Sequential."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(5, 6), nn.ReLU())
        self.blocks = nn.ModuleList([Block(6), Block(6)])
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        h = self.encoder(x)
        for block in self.blocks:
            h = block(h)
        return self.head(h)


def net_pair(torch, dtype):
    class TBlock(torch.nn.Module):
        def __init__(self, n):
            super().__init__()
            self.fc = torch.nn.Linear(n, n)
            self.gate = torch.nn.Linear(n, n, bias=False)

        def forward(self, x):
            return x + torch.tanh(self.fc(x)) * torch.sigmoid(self.gate(x))

    class TNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.Sequential(torch.nn.Linear(5, 6), torch.nn.ReLU())
            self.blocks = torch.nn.ModuleList([TBlock(6), TBlock(6)])
            self.head = torch.nn.Linear(6, 3)

        def forward(self, x):
            h = self.encoder(x)
            for block in self.blocks:
                h = block(h)
            return self.head(h)

    return TNet().to(_torch_dtype(torch, dtype)), Net().to(dtype)


def _torch_dtype(torch, dtype):
    return torch.float64 if dtype == np.float64 else torch.float32


PAIRS = {"sequential": mlp_pair, "composite": net_pair}
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("arch", list(PAIRS))
def test_weights_move_both_ways_with_equal_outputs(arch, dtype):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    t, m = PAIRS[arch](torch, dtype)
    t_sd = t.state_dict()
    assert list(m.state_dict()) == list(t_sd)                        # same keys, same order
    assert all(m.state_dict()[k].shape == tuple(v.shape) for k, v in t_sd.items())
    x = np.random.default_rng(0).normal(size=(7, 5)).astype(dtype)

    m.load_state_dict({k: v.numpy() for k, v in t_sd.items()})      # PyTorch → minitorch
    with torch.no_grad():
        expected = t(torch.from_numpy(x)).numpy()
    out = m(x).numpy()
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, **TOL[dtype])

    mt.manual_seed(1)
    _, fresh = PAIRS[arch](torch, dtype)                              # minitorch → PyTorch
    t.load_state_dict({k: torch.from_numpy(v) for k, v in fresh.state_dict().items()})
    with torch.no_grad():
        np.testing.assert_allclose(t(torch.from_numpy(x)).numpy(), fresh(x).numpy(), **TOL[dtype])
    assert not np.allclose(fresh(x).numpy(), out)                     # it really changed


@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_save_load_then_torch(tmp_path, dtype):
    torch = pytest.importorskip("torch")
    _, m = net_pair(torch, dtype)
    mt.save(m.state_dict(), tmp_path / "net.npz")
    loaded = mt.load(tmp_path / "net.npz")
    t, _ = net_pair(torch, dtype)
    t.load_state_dict({k: torch.from_numpy(v) for k, v in loaded.items()})
    x = np.random.default_rng(1).normal(size=(4, 5)).astype(dtype)
    with torch.no_grad():
        np.testing.assert_allclose(t(torch.from_numpy(x)).numpy(), m(x).numpy(), **TOL[dtype])


# --- optimizer state: PyTorch's layout, step kept as a number instead of a tensor ------------
OPTIMIZERS = {
    "adam": (lambda p: optim.Adam(p, lr=0.01, weight_decay=0.01),
             lambda torch, p: torch.optim.Adam(p, lr=0.01, weight_decay=0.01)),
    "sgd-nesterov": (lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
                     lambda torch, p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
}


def _steps(torch, t, t_opt, m, m_opt, x, y, n):
    for _ in range(n):
        if t is not None:
            t_opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(t(torch.from_numpy(x)), torch.from_numpy(y))
            loss.backward()
            t_opt.step()
        if m is not None:
            m_opt.zero_grad()
            nn.CrossEntropyLoss()(m(x), y).backward()
            m_opt.step()


@pytest.mark.torch
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_state_moves_both_ways_and_training_continues_identically(name, float64):
    torch = pytest.importorskip("torch")
    to_numpy, to_torch = _example().to_numpy, _example().to_torch
    make_m, make_t = OPTIMIZERS[name]
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 5)), rng.integers(0, 3, 16)
    t, m = mlp_pair(torch, np.float64)
    t_opt = make_t(torch, t.parameters())
    _steps(torch, t, t_opt, None, None, x, y, 3)                       # PyTorch trains a bit
    t_state = t_opt.state_dict()

    m.load_state_dict(to_numpy(t.state_dict()))                       # → minitorch
    m_opt = make_m(m.parameters())
    m_opt.load_state_dict(to_numpy(t_state))
    m_state = m_opt.state_dict()
    assert set(m_state) == set(t_state) == {"state", "param_groups"}
    assert m_state["param_groups"][0]["params"] == t_state["param_groups"][0]["params"]
    for i, entry in t_state["state"].items():
        assert set(m_state["state"][i]) == set(entry)                  # same names per parameter
    _steps(torch, t, t_opt, m, m_opt, x, y, 4)                        # both go on
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(m.state_dict()[k], v.numpy(), rtol=1e-10, atol=1e-12)

    t2, _ = mlp_pair(torch, np.float64)                               # → back to PyTorch
    t2.load_state_dict(to_torch(m.state_dict(), torch))
    t2_opt = make_t(torch, t2.parameters())
    t2_opt.load_state_dict(to_torch(m_opt.state_dict(), torch))
    _steps(torch, t2, t2_opt, m, m_opt, x, y, 4)
    for k, v in t2.state_dict().items():
        np.testing.assert_allclose(m.state_dict()[k], v.numpy(), rtol=1e-10, atol=1e-12)


# --- the example --------------------------------------------------------------------------------
@pytest.mark.torch
def test_example_runs_with_torch(capsys):
    pytest.importorskip("torch")
    result = _example().main(["--steps", "5"])
    assert result["to_minitorch"] < 1e-4 and result["to_torch"] < 1e-4 and result["drift"] < 1e-4
    assert "PyTorch → minitorch" in capsys.readouterr().out


class _NoTorch:
    """A meta-path finder under which ``import torch`` fails, as when it is not installed."""

    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None


def test_example_without_torch_says_so_and_exits_zero(monkeypatch, capsys):
    for name in [m for m in sys.modules if m == "torch" or m.startswith("torch.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_NoTorch(), *sys.meta_path])
    assert _example().main([]) == 0
    assert "PyTorch is not installed" in capsys.readouterr().out


@pytest.mark.torch
@pytest.mark.parametrize("name, kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(amsgrad=True)), ("AdamW", {}),
    ("RMSprop", dict(momentum=0.9, centered=True)), ("Adagrad", {}),
])
def test_optimizer_state_dict_names_are_pytorchs(name, kwargs):
    """Per-parameter state names and values equal PyTorch's; group options differ only
    in PyTorch's implementation switches (foreach, capturable, differentiable, fused)."""
    torch = pytest.importorskip("torch")
    m, t = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    m_opt = getattr(optim, name)(m.parameters(), **kwargs)
    t_opt = getattr(torch.optim, name)(t.parameters(), **kwargs)
    m(np.ones((2, 3))).sum().backward()
    t(torch.ones(2, 3)).sum().backward()
    m_opt.step()
    t_opt.step()
    ours, theirs = m_opt.state_dict(), t_opt.state_dict()
    assert list(ours["state"]) == list(theirs["state"]) == [0, 1]
    for i in (0, 1):
        assert sorted(ours["state"][i]) == sorted(theirs["state"][i])
        for key, value in theirs["state"][i].items():
            np.testing.assert_allclose(np.asarray(ours["state"][i][key]), value.numpy(),
                                       rtol=1e-5, atol=1e-7)
    ours_keys, theirs_keys = set(ours["param_groups"][0]), set(theirs["param_groups"][0])
    assert ours_keys ^ theirs_keys <= {"foreach", "capturable", "differentiable", "fused"}
    for key in ours_keys & theirs_keys - {"params"}:
        assert ours["param_groups"][0][key] == theirs["param_groups"][0][key], key
