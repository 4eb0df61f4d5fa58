"""Same weights, same inputs: minitorch's forward values and gradients equal PyTorch's.

Every layer and loss of the registry that has a PyTorch twin, and a few whole
models, in float64 (to 1e-10) and float32 (to ~1e-5). Weights move through
``state_dict`` and numpy, as a user would move them.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch as mt
from minitorch import nn
from gradients import assert_allclose
from registry import LAYERS, LOSSES

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

TOL = {np.float64: (1e-10, 1e-12), np.float32: (1e-5, 2e-6)}


def _numpy(t):
    return t.detach().numpy()


def compare(name, module, ours, twin, theirs, inputs, dtype, u_seed=0):
    """Run ``ours(*tensors)`` and ``theirs(*torch_tensors)``; compare outputs and all grads.

    ``module``/``twin`` are the two models (or None); their parameters must
    already hold the same values, in ``dtype``.
    """
    rtol, atol = TOL[dtype]
    xs = [mt.tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in inputs]
    txs = [torch.tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in inputs]
    out, tout = ours(*xs), theirs(*txs)
    assert out.dtype == dtype and str(tout.dtype) == f"torch.{np.dtype(dtype).name}"
    assert_allclose(out.data, _numpy(tout), rtol, atol, f"{name}: forward vs PyTorch")
    u = np.random.default_rng(u_seed).standard_normal(out.shape).astype(dtype)
    out.backward(gradient=u)
    tout.backward(torch.tensor(u))
    for i, (x, tx) in enumerate(zip(xs, txs)):
        assert_allclose(x.grad, _numpy(tx.grad), rtol, atol, f"{name}: gradient of input {i}")
    if module is not None:
        ours_p, theirs_p = dict(module.named_parameters()), dict(twin.named_parameters())
        assert list(ours_p) == list(theirs_p)
        for k in ours_p:
            assert_allclose(ours_p[k].grad, _numpy(theirs_p[k].grad), rtol, atol,
                            f"{name}: gradient of parameter {k!r}")


def compare_case(case, dtype):
    theirs, twin = case.torch(torch)              # twin holds the module's float64 weights
    if case.module is not None:
        case.module.to(dtype)
        twin.to(torch.float32 if dtype == np.float32 else torch.float64)
    compare(case.name, case.module, case, twin, theirs, case.inputs, dtype)


# Dropout's random masks cannot match PyTorch's; the registry's own composites have no torch
# class (whole models are compared below)
UNTWINNED = ("Dropout-train", "composite-", "Sequential-around-")
TWINNED = {k: b for k, b in {**LAYERS, **LOSSES}.items() if not k.startswith(UNTWINNED)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("build", TWINNED.values(), ids=TWINNED.keys())
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_matches_pytorch(build, dtype, data):
    compare_case(build(data.draw), dtype)


def _has_twin(build):
    seen = []

    @settings(max_examples=1, deadline=None, database=None)
    @given(st.data())
    def probe(data):
        seen.append(build(data.draw).torch is not None)
    probe()
    return seen[0]


def test_every_layer_and_loss_has_a_twin():
    assert [name for name, build in TWINNED.items() if not _has_twin(build)] == []
    assert len(TWINNED) >= len(LAYERS) + len(LOSSES) - 4


# --- whole models --------------------------------------------------------------------------------
def _digits_mlp():
    return nn.Sequential(nn.Linear(64, 128), nn.Sigmoid(), nn.Linear(128, 64), nn.Sigmoid(),
                         nn.Linear(64, 10))


def _torch_digits_mlp():
    tn = torch.nn
    return tn.Sequential(tn.Linear(64, 128), tn.Sigmoid(), tn.Linear(128, 64), tn.Sigmoid(),
                         tn.Linear(64, 10))


def _load(twin, module):
    """``twin`` in ``module``'s dtype, holding its weights (through state_dict and numpy)."""
    state = {k: torch.tensor(v) for k, v in module.state_dict().items()}
    twin.to(next(iter(state.values())).dtype).load_state_dict(state)
    return twin


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_digits_mlp_with_cross_entropy(dtype):
    model = _digits_mlp().to(dtype)
    twin = _load(_torch_digits_mlp(), model)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((32, 64)), rng.integers(0, 10, 32)
    compare("digits MLP + CrossEntropyLoss", model,
            lambda t: nn.CrossEntropyLoss()(model(t), y), twin,
            lambda t: torch.nn.CrossEntropyLoss()(twin(t), torch.tensor(y)), [x], dtype)


def test_state_dict_moves_into_pytorch_and_back():
    model = _digits_mlp()
    twin = _load(_torch_digits_mlp(), model)
    assert list(model.state_dict()) == list(twin.state_dict())
    back = _digits_mlp()
    back.load_state_dict({k: v.numpy() for k, v in twin.state_dict().items()})
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[k], v)


class Residual(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.inner, self.outer = nn.Linear(n, 2 * n), nn.Linear(2 * n, n)

    def forward(self, x):
        return x + self.outer(self.inner(x).relu())


class TorchResidual(torch.nn.Module):
    def __init__(self, n):
        super().__init__()
        self.inner, self.outer = torch.nn.Linear(n, 2 * n), torch.nn.Linear(2 * n, n)

    def forward(self, x):
        return x + self.outer(self.inner(x).relu())


class Net(nn.Module):
    """Residual blocks in a Sequential, a shared head used twice, a learned scale."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), Residual(4), Residual(4))
        self.head = nn.Linear(4, 4)
        self.scale = nn.Parameter(np.array([0.7]))

    def forward(self, x):
        return self.head(self.head(self.body(x)).sigmoid()) * self.scale


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        tn = torch.nn
        self.body = tn.Sequential(tn.Linear(5, 4), tn.Tanh(), TorchResidual(4), TorchResidual(4))
        self.head = tn.Linear(4, 4)
        self.scale = tn.Parameter(torch.tensor([0.7]))

    def forward(self, x):
        return self.head(self.head(self.body(x)).sigmoid()) * self.scale


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_composite_model_with_residuals_and_a_shared_head(dtype):
    model = Net().to(dtype)
    twin = _load(TorchNet(), model)
    x = np.random.default_rng(1).standard_normal((6, 5))
    y = np.random.default_rng(2).integers(0, 4, 6)
    compare("Net + CrossEntropyLoss", model, lambda t: nn.CrossEntropyLoss()(model(t), y), twin,
            lambda t: torch.nn.CrossEntropyLoss()(twin(t), torch.tensor(y)), [x], dtype)


def test_twenty_sgd_steps_follow_pytorch(float64):
    """Hand-written SGD on both sides: the same trajectory to float64 rounding."""
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    twin = _load(torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
                                     torch.nn.Linear(8, 3)).double(), model)
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((16, 4)), rng.integers(0, 3, 16)
    for _ in range(20):
        model.zero_grad()
        twin.zero_grad()
        loss = nn.CrossEntropyLoss()(model(x), y)
        tloss = torch.nn.CrossEntropyLoss()(twin(torch.tensor(x)), torch.tensor(y))
        loss.backward()
        tloss.backward()
        assert loss.item() == pytest.approx(tloss.item(), rel=1e-12)
        for p in model.parameters():
            p.data -= 0.5 * p.grad
        with torch.no_grad():
            for p in twin.parameters():
                p -= 0.5 * p.grad
    for k, v in model.state_dict().items():
        np.testing.assert_allclose(v, twin.state_dict()[k].numpy(), rtol=1e-10, atol=1e-12)
