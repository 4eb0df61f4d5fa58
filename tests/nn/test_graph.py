"""Graph semantics: accumulation, retain_graph, no_grad, shared layers, records, memory."""
import gc
import sys
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch as mt
from minitorch import nn
from registry import Case, check


def _mlp():
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))


# --- accumulation and retain_graph ------------------------------------------------------------
def test_gradients_accumulate_over_two_backward_calls():
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (3 * x).sum().backward()
    np.testing.assert_allclose(x.grad, [2 + 3, 4 + 3])
    m, data = _mlp(), np.ones((2, 3))
    m(data).sum().backward()
    once = [p.grad.copy() for p in m.parameters()]
    m(data).sum().backward()
    for p, g in zip(m.parameters(), once):
        np.testing.assert_allclose(p.grad, 2 * g, rtol=1e-6)


@pytest.mark.parametrize("kind", ["ops", "layers"])
def test_retain_graph_allows_a_second_backward(kind):
    x = mt.tensor([[0.5, -1.0, 2.0]], requires_grad=True)
    m = _mlp()
    loss = (x.tanh() * x).sum() if kind == "ops" else m(x).sum()
    loss.backward(retain_graph=True)
    first = x.grad.copy()
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * first, rtol=1e-6)


@pytest.mark.parametrize("kind", ["ops", "layers", "composite"])
def test_a_second_backward_through_a_freed_graph_raises(kind):
    x = mt.tensor([[0.5, -1.0, 2.0]], requires_grad=True)
    if kind == "ops":
        loss = (x.exp() * 2).sum()
    elif kind == "layers":
        loss = nn.CrossEntropyLoss()(_mlp()(x), np.array([0]))
    else:
        loss = Residual(3)(x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="second time.*freed.*retain_graph=True"):
        loss.backward()


def test_backward_of_a_non_scalar_needs_a_gradient():
    y = mt.tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"scalar outputs.*shape \(2,\).*gradient="):
        y.backward()
    with pytest.raises(ValueError, match=r"expects shape \(2,\).*got \(3,\)"):
        y.backward(gradient=np.ones(3))
    y.backward(gradient=np.array([1.0, 10.0]))


def test_backward_on_a_constant_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mt.tensor([1.0, 2.0]).sum().backward()


def test_layer_backward_before_forward_is_an_error():
    with pytest.raises(RuntimeError, match="before forward"):
        nn.Linear(2, 2).backward(np.ones((1, 2)))
    with pytest.raises(RuntimeError, match="before forward"):
        nn.Sigmoid().backward(np.ones(3))


# --- broadcasting, long chains, no_grad, detach -----------------------------------------------
def test_broadcast_gradients_are_summed_back_to_each_shape():
    a = mt.tensor(np.ones((3, 1)), requires_grad=True)
    b = mt.tensor(np.ones((1, 4)), requires_grad=True)
    c = mt.tensor(2.0, requires_grad=True)
    ((a + b) * c).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (1, 4) and c.grad.shape == ()
    np.testing.assert_allclose(a.grad, 8.0)
    np.testing.assert_allclose(b.grad, 6.0)
    assert c.grad == 24.0


def test_a_chain_of_10000_ops_back_propagates_without_recursion():
    x = mt.tensor(1.0, requires_grad=True, dtype=np.float64)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001 ** 10_000, rel=1e-9)


def test_no_grad_records_nothing():
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    m = _mlp()
    with mt.no_grad():
        y = (x * 2).exp().sum()
        out = m(np.ones((1, 3)))
        assert not mt.is_grad_enabled()
        with mt.enable_grad():
            z = x * 2
    assert mt.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert not out.requires_grad and out.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None

    @mt.no_grad()
    def predict(v):
        return m(v)
    assert predict(np.ones((1, 3))).grad_fn is None


def test_detach_shares_data_and_stops_gradients():
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.data is y.data
    (x * d).sum().backward()
    np.testing.assert_allclose(x.grad, d.data)                    # d is a constant: no 3x term


# --- shared layers and the records of each call -------------------------------------------------
class Square(nn.Module):
    """A user layer in the lecture's style that keeps ``self.x``."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, grad_h):
        return 2 * self.x * grad_h


def test_a_user_layer_called_twice_keeps_each_calls_input():
    sq = Square()
    a = mt.tensor([1.0, 2.0], requires_grad=True)
    b = mt.tensor([3.0, 5.0], requires_grad=True)
    (sq(a).sum() + 10 * sq(b).sum()).backward()
    np.testing.assert_allclose(a.grad, [2.0, 4.0])
    np.testing.assert_allclose(b.grad, [60.0, 100.0])
    c = mt.tensor([1.5], requires_grad=True)
    sq(sq(c)).backward()                                          # (c²)² → 4c³
    np.testing.assert_allclose(c.grad, [4 * 1.5 ** 3])


def _grads(model):
    return [p.grad.copy() for p in model.parameters()]


def test_a_linear_called_twice_at_the_top_level_gets_both_contributions():
    lin = nn.Linear(3, 3).double()
    x1, x2 = np.ones((2, 3)), np.arange(6.0).reshape(2, 3)
    (lin(x1).sum() + (lin(x2) ** 2).sum()).backward()
    both = _grads(lin)
    lin.zero_grad()
    lin(x1).sum().backward()
    first = _grads(lin)
    lin.zero_grad()
    (lin(x2) ** 2).sum().backward()
    second = _grads(lin)
    for g, g1, g2 in zip(both, first, second):
        np.testing.assert_allclose(g, g1 + g2, rtol=1e-12)


def test_a_linear_used_twice_inside_sequential_gets_both_contributions():
    lin = nn.Linear(3, 3).double()
    model = nn.Sequential(lin, nn.Tanh(), lin)
    x = np.linspace(-1, 1, 6).reshape(2, 3)
    model(x).sum().backward()
    both = _grads(lin)
    # the same thing with two copies of the layer: the shared gradient is their sum
    a, b = nn.Linear(3, 3).double(), nn.Linear(3, 3).double()
    a.load_state_dict(lin.state_dict())
    b.load_state_dict(lin.state_dict())
    nn.Sequential(a, nn.Tanh(), b)(x).sum().backward()
    for g, ga, gb in zip(both, _grads(a), _grads(b)):
        np.testing.assert_allclose(g, ga + gb, rtol=1e-12)


class Residual(nn.Module):
    """h = x + Linear(tanh(Linear(x))): a composite with a skip connection."""

    def __init__(self, n):
        super().__init__()
        self.inner, self.outer = nn.Linear(n, n), nn.Linear(n, n)

    def forward(self, x):
        return x + self.outer(self.inner(x).tanh())


def _residual(m, x):
    return x + np.tanh(x @ m.inner.weight.data.T + m.inner.bias.data) @ m.outer.weight.data.T \
        + m.outer.bias.data


def test_residual_composite_gradients():
    m = Residual(3).double()
    x = np.linspace(-1, 1, 6).reshape(2, 3)
    check(Case("Residual", m, [x], lambda x: _residual(m, x), module=m))


def test_composite_inside_sequential_and_sequential_inside_composite():
    class Wrapper(nn.Module):
        def __init__(self):
            super().__init__()
            self.seq = nn.Sequential(nn.Linear(3, 3), Residual(3), nn.Sigmoid())
            self.res = Residual(3)

        def forward(self, x):
            return self.res(self.seq(x)) * 2

    m = Wrapper().double()
    x = np.linspace(-1, 1, 6).reshape(2, 3)

    def reference(x):
        lin = m.seq[0]
        h = 1 / (1 + np.exp(-_residual(m.seq[1], x @ lin.weight.data.T + lin.bias.data)))
        return _residual(m.res, h) * 2
    check(Case("Wrapper", m, [x], reference, module=m))


class TwoTanh(nn.Module):
    """A user layer with sub-layers: calls its Linear twice, and backward calls theirs."""

    def __init__(self, n):
        super().__init__()
        self.lin, self.act = nn.Linear(n, n), nn.Tanh()

    def forward(self, x):
        return self.act(self.lin(self.act(self.lin(x))))

    def backward(self, grad_h):
        for _ in range(2):
            grad_h = self.lin.backward(self.act.backward(grad_h))
        return grad_h


def test_a_user_layer_whose_backward_calls_its_children_twice():
    m = TwoTanh(3).double()
    x = np.linspace(-1, 1, 6).reshape(2, 3)

    def reference(x):
        for _ in range(2):
            x = np.tanh(x @ m.lin.weight.data.T + m.lin.bias.data)
        return x
    check(Case("TwoTanh", m, [x], reference, module=m))


def test_a_parent_whose_backward_skips_a_child_is_an_error():
    class Forgetful(TwoTanh):
        def backward(self, grad_h):
            return self.lin.backward(self.act.backward(grad_h))   # only the last two calls

    out = Forgetful(2)(mt.tensor(np.ones((1, 2)), requires_grad=True))
    with pytest.raises(RuntimeError, match="did not call the backward"):
        out.sum().backward()


PER_CALL = ("x", "h", "mask", "scale", "diff", "saved", "dloss", "y", "sigmoid", "shape", "axis")


def test_no_per_call_state_is_left_on_layers():
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Dropout(0.3), nn.ReLU(),
                          nn.Linear(4, 4), nn.Softmax(dim=1), nn.Flatten(), nn.Tanh())
    sq, loss_fn = Square(), nn.MSELoss()
    before = {id(m): set(vars(m)) for m in list(model.modules()) + [sq, loss_fn]}
    values = {id(m): dict(vars(m)) for m in list(model.modules()) + [sq, loss_fn]}
    loss = loss_fn(sq(model(np.ones((2, 3)))), np.zeros((2, 4)))
    for m in list(model.modules()) + [sq, loss_fn]:
        kept = set(vars(m)) - before[id(m)]
        assert not kept, f"{type(m).__name__} kept {kept}"
        assert all(v is values[id(m)][k] for k, v in vars(m).items()     # the same objects
                   if k != "_fresh")        # (but for what a chain knows of its children)
    loss.backward()
    for m in list(model.modules()) + [sq, loss_fn]:
        kept = set(vars(m)) - before[id(m)]
        assert not kept, f"{type(m).__name__} kept {kept}"
        assert not set(vars(m)) & set(PER_CALL)


# --- memory ------------------------------------------------------------------------------------
def test_backward_releases_what_forward_kept_without_the_garbage_collector():
    gc.disable()
    try:
        model = _mlp()
        x = np.ones((64, 3), dtype=np.float32)
        x_ref = weakref.ref(x)
        hidden = model[0](x)                                   # a Tensor the Tanh read
        hidden_ref = weakref.ref(hidden)
        loss = nn.MSELoss()(model[2](model[1](hidden)), np.zeros((64, 1)))
        del x, hidden
        assert x_ref() is not None and hidden_ref() is not None    # the graph keeps them
        loss.backward()
        assert x_ref() is None and hidden_ref() is None            # freed by refcounting alone
    finally:
        gc.enable()


def test_memory_stays_flat_over_10000_training_steps():
    mt.set_default_dtype(np.float64)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    loss_fn = nn.MSELoss()
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 4)), rng.standard_normal((16, 1))

    def steps(n):
        for _ in range(n):
            model.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            for p in model.parameters():
                p.data -= 0.01 * p.grad
        return loss.item()

    gc.collect()
    gc.disable()                               # refcounting alone must free each step's graph
    try:
        first = steps(3_000)                   # CPython's free lists fill up (≤ 2,000 tuples)
        blocks = sys.getallocatedblocks()
        last = steps(7_000)
        grown = sys.getallocatedblocks() - blocks
        unreachable = gc.collect()
    finally:
        gc.enable()
    assert last < first                                       # it did train
    # one object kept per step would be 7,000 blocks; what remains is allocator noise
    assert grown < 200, f"{grown} more memory blocks after 7,000 more steps"
    assert unreachable == 0, f"{unreachable} objects were left in reference cycles"


# --- leaf layers and chains of them: recorded inline, same records, same numbers -------------
class _GeneralSequential(nn.Sequential):
    """A Sequential that defines its own forward: recorded by the general path."""

    def forward(self, x):
        for m in self:
            x = m(x)
        return x


def _chain_modules():
    lin = nn.Linear(4, 4).double()
    return [nn.Flatten(), nn.Linear(8, 4).double(), nn.Sigmoid(), lin, nn.LeakyReLU(0.1), lin,
            nn.Tanh(), nn.Linear(4, 4).double(), nn.LogSoftmax(dim=1)]   # lin twice


def _run(container, modules, anomaly=False):
    x = mt.tensor(np.linspace(-2, 2, 24).reshape(3, 2, 4), dtype=np.float64, requires_grad=True)
    y = np.array([0, 3, 1])
    model = container(*modules)
    for p in model.parameters():
        p.grad = None
    with (mt.detect_anomaly() if anomaly else mt.enable_grad()):
        out = model(x)
        loss = nn.NLLLoss()(out, y)
        loss.backward()
    return out, [x.grad] + [p.grad.copy() for p in model.parameters()]


def test_a_chain_of_leaf_layers_gives_the_same_numbers_as_the_general_path():
    modules = _chain_modules()
    _, fast = _run(nn.Sequential, modules)
    for container, anomaly in ((_GeneralSequential, False), (nn.Sequential, True)):
        _, general = _run(container, modules, anomaly)
        for a, b in zip(fast, general):
            np.testing.assert_array_equal(a, b)


# --- fresh arrays: in a chain, ReLU writes into what the Linear next to it made ---------------
_POOL = {"lin": lambda: nn.Linear(4, 4).double(), "relu": nn.ReLU, "sigmoid": nn.Sigmoid,
         "tanh": nn.Tanh, "identity": nn.Identity, "leaky": lambda: nn.LeakyReLU(0.1)}


def _fresh_run(container, modules, anomaly=False, backwards=1):
    x0 = np.linspace(-2, 2, 12).reshape(3, 4)
    x = mt.tensor(x0, dtype=np.float64, requires_grad=True)
    model = container(*modules)
    for p in model.parameters():
        p.grad = None
    with (mt.detect_anomaly() if anomaly else mt.enable_grad()):
        out = model(x)
        g0 = np.linspace(-1, 1, out.data.size).reshape(out.shape)
        g = g0.copy()
        for k in range(backwards):
            out.backward(g, retain_graph=k + 1 < backwards)
    np.testing.assert_array_equal(x.data, x0)                   # the caller's input ...
    np.testing.assert_array_equal(g, g0)                        # ... and gradient are untouched
    return [out.data.copy(), x.grad] + [p.grad.copy() for p in model.parameters()]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(sorted(_POOL)), min_size=1, max_size=7),
       st.lists(st.integers(0, 6), max_size=3), st.integers(1, 2))
def test_writing_into_fresh_arrays_gives_the_general_paths_numbers(names, shared, backwards):
    modules = [_POOL[n]() for n in names]
    for i in shared:                                # a module called twice in the chain
        if i < len(modules):
            modules.append(modules[i])
    fast = _fresh_run(nn.Sequential, modules, backwards=backwards)
    for container, anomaly in ((_GeneralSequential, False), (nn.Sequential, True)):
        general = _fresh_run(container, modules, anomaly, backwards)
        for a, b in zip(fast, general):
            np.testing.assert_array_equal(a, b)


def test_relu_writes_into_its_input_and_gradient_only_when_a_linear_made_them():
    lin, relu, sig = nn.Linear(4, 4), nn.ReLU(), nn.Sigmoid()
    model = nn.Sequential(relu, lin, relu, sig, relu, lin, relu, lin)
    out = model(np.ones((2, 4), np.float32))
    records = [saved for _, saved in out._node.vjp.__self__.children]
    told = [(saved.get("input_is_fresh", False), saved.get("grad_is_fresh", False))
            for saved in records]
    # ReLUs: first, the caller's input; after Linear, fresh, and so is Linear's dL/dx coming
    # back (and Sigmoid's); after Sigmoid, which keeps its h, not fresh. The others write
    # into nothing.
    assert told[::2] == [(False, True), (True, True), (False, True), (True, True)]
    assert told[1::2] == [(False, False)] * 4
    assert not any("input_is_fresh" in vars(m) for m in (lin, relu, sig))


def test_a_chain_whose_children_change_works_out_what_is_fresh_again():
    lin, relu = nn.Linear(4, 4).double(), nn.ReLU()
    model = nn.Sequential(lin, relu, nn.Linear(4, 4).double())
    _fresh_run(lambda *m: model, [])
    model[0] = nn.Sigmoid()                          # Sigmoid keeps its output h: not fresh
    model.insert(0, lin)
    fast = _fresh_run(lambda *m: model, [])
    general = _fresh_run(_GeneralSequential, list(model))
    for a, b in zip(fast, general):
        np.testing.assert_array_equal(a, b)


def test_a_subclass_with_its_own_forward_or_backward_writes_into_nothing():
    class Keeps(nn.Linear):                          # keeps its output: not fresh any more
        def forward(self, x):
            self.h = super().forward(x)
            return self.h

    class Copies(nn.ReLU):
        def backward(self, grad_h):
            return super().backward(grad_h).copy()

    assert not Keeps._output_is_fresh and Keeps._grad_is_fresh
    assert not Copies._overwrites and not Copies._grad_is_fresh and Copies._output_is_fresh
    assert not nn.Sigmoid._output_is_fresh and nn.Sigmoid._grad_is_fresh    # (it keeps its h)


def test_a_chain_is_one_record_per_child_call_and_frees_them_after_backward():
    from minitorch.nn import record
    modules = _chain_modules()
    model = nn.Sequential(*modules)
    out = model(np.ones((2, 2, 4)))
    call = out._node.vjp.__self__
    assert call.pending is record._CHAIN
    assert [m for m, _ in call.children] == modules                     # lin twice, in order
    assert all(type(saved) is dict for _, saved in call.children)       # (child, its own dict)
    linear_records = [saved for m, saved in call.children if m is modules[3]]
    assert len(linear_records) == 2 and linear_records[0]["x"] is not linear_records[1]["x"]
    assert "x" not in modules[3].__dict__                               # nothing left on the layer
    refs = [weakref.ref(saved["x"]) for _, saved in call.children if "x" in saved]
    out.sum().backward()
    assert out._node.vjp is None                                        # the node let go ...
    del call, linear_records
    assert refs and all(r() is None for r in refs)                      # ... of what was kept


def test_leaf_and_chain_flags_follow_what_a_subclass_overrides():
    class Scaled(nn.Linear):                # forward calls another module: not a leaf
        def __init__(self):
            super().__init__(2, 2)
            self.act = nn.Tanh()

        def forward(self, x):
            return self.act(super().forward(x))

        def backward(self, grad_h):
            return super().backward(self.act.backward(grad_h))

    class Plain(nn.Linear):                 # changes nothing that runs: still a leaf
        pass

    class Declared(nn.Module):
        _leaf_layer = True

        def forward(self, x):
            self.x = x
            return 2 * x

        def backward(self, grad_h):
            return 2 * grad_h

    class NotALayer(nn.Module):             # a composite cannot be a leaf layer, even if it says so
        _leaf_layer = True

        def forward(self, x):
            return x * 2

    assert nn.Linear._leaf_layer and Plain._leaf_layer and Declared._leaf_layer
    assert not NotALayer._leaf_layer
    x2 = mt.tensor(np.array([[1.0, 2.0]]), requires_grad=True)
    nn.Sequential(nn.Linear(2, 2).double(), NotALayer())(x2).sum().backward()
    assert x2.grad.shape == (1, 2)
    assert not Scaled._leaf_layer and nn.Sequential._chain and not _GeneralSequential._chain
    assert not nn.Sequential._leaf_layer and not nn.Module._leaf_layer
    # the non-leaf child sends the whole Sequential down the general path, with the same result
    model = nn.Sequential(Scaled(), Declared())
    x = mt.tensor(np.array([[0.5, -1.0]]), requires_grad=True)
    model(x).sum().backward()
    assert model[0].act.__dict__.get("h") is None and x.grad.shape == (1, 2)
    assert np.all(np.isfinite(x.grad)) and np.any(x.grad != 0)


def test_an_error_inside_a_chain_names_the_child():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(2, 1))
    with pytest.raises(ValueError) as info:
        model(np.ones((5, 4), np.float32))
    assert "Sequential[2]" in str(info.value)
    assert not any("x" in m.__dict__ for m in model)                    # nothing half-kept
    assert any("in Sequential[2] (Linear)" in note for note in info.value.__notes__)


def test_a_chain_recorded_before_detect_anomaly_is_checked_in_its_backward():
    modules = _chain_modules()
    _, plain = _run(nn.Sequential, modules)
    x = mt.tensor(np.linspace(-2, 2, 24).reshape(3, 2, 4), dtype=np.float64, requires_grad=True)
    model = nn.Sequential(*modules)
    for p in model.parameters():
        p.grad = None
    loss = nn.NLLLoss()(model(x), np.array([0, 3, 1]))                 # recorded as a chain
    with mt.detect_anomaly():
        loss.backward()
    for a, b in zip(plain, [x.grad] + [p.grad for p in model.parameters()]):
        np.testing.assert_array_equal(a, b)

    class Blowup(nn.Identity):                                          # inf in dL/dx only
        _leaf_layer = True

        def backward(self, grad_h):
            return grad_h / 0.0

    model = nn.Sequential(nn.Linear(4, 3), Blowup(), nn.ReLU())
    out = model(mt.tensor(np.ones((2, 4), np.float32), requires_grad=True))
    with mt.detect_anomaly(), pytest.raises(mt.autograd.AnomalyError, match=r"Sequential\[1\] \(Blowup\)"), \
                np.errstate(divide="ignore", invalid="ignore"):
        out.sum().backward()


def test_add_grad_writes_the_first_gradient_and_adds_the_next():
    w = nn.Parameter(np.zeros((2, 3)))
    g, x = np.arange(8.0).reshape(4, 2), np.arange(12.0).reshape(4, 3)
    w.add_grad(np.matmul, g.T, x)
    np.testing.assert_array_equal(w.grad, g.T @ x)
    first = w.grad
    w.add_grad(np.matmul, g.T, x)
    assert w.grad is first                                      # added in place
    np.testing.assert_array_equal(w.grad, 2 * (g.T @ x))
    frozen = nn.Parameter(np.zeros(3), requires_grad=False)
    frozen.add_grad(np.add.reduce, x, axis=0)
    assert frozen.grad is None


def test_a_linear_subclass_whose_backward_adds_into_grad_gets_zeros_first():
    class Doubled(nn.Linear):               # its own backward, written with +=
        def backward(self, grad_h):
            self.weight.grad += 2 * grad_h.T @ self.x
            self.bias.grad += 2 * grad_h.sum(axis=0)
            return grad_h @ self.weight.data

    assert nn.Linear._zero_grads_first is False and Doubled._zero_grads_first is True
    mt.manual_seed(0)
    layer, plain = Doubled(3, 2).double(), nn.Linear(3, 2).double()
    plain.load_state_dict(layer.state_dict())
    x = np.linspace(-1, 1, 12).reshape(4, 3)
    layer(x).sum().backward()
    plain(x).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad, 2 * plain.weight.grad)
    np.testing.assert_array_equal(layer.bias.grad, 2 * plain.bias.grad)
