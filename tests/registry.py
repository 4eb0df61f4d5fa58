"""One registry of everything differentiable, and the one check every entry goes through.

An entry is a *builder*: given hypothesis' ``draw`` it returns a :class:`Case`
(random shapes and values, a fresh module in float64). :func:`check` then runs
the same three checks on every case, as Chainer's FunctionTestCase and Torch's
Jacobian tester do:

1. forward equals a direct numpy formula written here (float64, 1e-10);
2. the gradient that ``backward`` gives each input and each parameter equals
   the numerical derivative of φ = Σ u ⊙ f(x) for a random u — complex step
   (complex128) when the case is analytic, central differences (float64)
   otherwise;
3. the output keeps the input's dtype.

Ops live in ``OPS``, layers and models in ``LAYERS``, losses in ``LOSSES``
(name → builder). Layer and loss cases also say how to build the same thing
in PyTorch, for ``test_torch_parity.py``.
"""
import math

import numpy as np
from hypothesis import strategies as st

import minitorch as mt
from minitorch import nn
from gradients import CENTRAL_TOL, COMPLEX_STEP_TOL, assert_allclose, numerical_gradient
from strategies import (arrays, broadcastable_shapes, distinct_arrays, floats, labels,
                        nonzero_floats, positive_floats, probabilities, shapes)

__all__ = ["Case", "check", "check_float32", "OPS", "LAYERS", "LOSSES", "REDUCTIONS", "torch_twin"]

REDUCTIONS = ("mean", "sum", "none")
FORWARD_TOL = (1e-10, 1e-12)


class Case:
    """f(*inputs) → Tensor, its numpy reference, and what to check it against.

    Args:
        name: what the failure messages call it.
        fn: minitorch code, ``fn(*tensors) -> Tensor``.
        inputs: float64 arrays, each checked for its gradient.
        reference: ``reference(*arrays) -> array``, the formula in numpy.
        module: the module whose parameters are checked too (float64), or None.
        analytic: use the complex step (default for a module: every submodule's
            ``analytic`` is True).
        seed: if given, minitorch's generator is reseeded before each call (Dropout).
        torch: ``torch(torch_namespace) -> (callable, torch_module_or_None)`` computing
            the same in PyTorch (parameters copied from ``module``).
    """

    def __init__(self, name, fn, inputs, reference, module=None, analytic=None, seed=None,
                 torch=None):
        self.name, self.fn, self.reference, self.module = name, fn, reference, module
        self.inputs = [np.asarray(a, dtype=np.float64) for a in inputs]
        if analytic is None:
            analytic = module is None or all(type(m).analytic for m in module.modules())
        self.analytic, self.seed, self.torch = analytic, seed, torch

    def __call__(self, *tensors):
        if self.seed is not None:
            mt.manual_seed(self.seed)
        return self.fn(*tensors)

    def params(self):
        return dict(self.module.named_parameters()) if self.module is not None else {}


def _phi(case, u, i=None, param=None):
    """φ(v) = Σ u ⊙ f(...), with v in place of input ``i`` or of parameter ``param``."""
    def phi(v):
        args = [v if j == i else a for j, a in enumerate(case.inputs)]
        if param is not None:
            param.data = v
        if v.dtype.kind == "c":                          # complex step: everything complex
            args = [a.astype(np.complex128) for a in args]
        with mt.no_grad():
            out = case(*[mt.Tensor._wrap(a) for a in args])
        return np.sum(u * out.data)
    return phi


def check(case, u_seed=0):
    """Forward against the reference, backward against numerical derivatives (float64)."""
    params = case.params()
    for p in params.values():
        if p.data.dtype != np.float64:
            raise AssertionError(f"{case.name}: the case's module must be float64, got {p.dtype}")
        p.grad = None
    xs = [mt.tensor(a, requires_grad=True) for a in case.inputs]
    out = case(*xs)
    assert isinstance(out, mt.Tensor), f"{case.name}: returned {type(out).__name__}, not a Tensor"
    assert out.dtype == np.float64, f"{case.name}: float64 inputs gave a {out.dtype} output"
    assert_allclose(out.data, case.reference(*case.inputs), *FORWARD_TOL, f"{case.name} forward")

    u = np.random.default_rng(u_seed).standard_normal(out.shape)
    out.backward(gradient=u)
    grads = {f"input {i}": x.grad for i, x in enumerate(xs)}
    grads.update({f"parameter {n!r}": p.grad for n, p in params.items()})

    tol = COMPLEX_STEP_TOL if case.analytic else CENTRAL_TOL
    numerical = {f"input {i}": numerical_gradient(_phi(case, u, i=i), a, case.analytic)
                 for i, a in enumerate(case.inputs)}
    kept = {n: (p, p.data) for n, p in params.items()}
    try:
        if case.analytic:                                # the other parameters complex as well
            for p in params.values():
                p.data = p.data.astype(np.complex128)
        for n, p in params.items():
            start = p.data.copy()
            numerical[f"parameter {n!r}"] = numerical_gradient(_phi(case, u, param=p), start,
                                                               case.analytic)
            p.data = start
    finally:
        for p, data in kept.values():
            p.data = data
    for what, expected in numerical.items():
        got = grads[what]
        if got is None:
            got = np.zeros_like(expected)                # no gradient recorded: it must be zero
        assert_allclose(got, expected, *tol,
                        f"{case.name}: gradient of {what} vs "
                        f"{'complex step' if case.analytic else 'central differences'}")


def check_float32(case, u_seed=0):
    """The same case in float32: output and every gradient stay float32, values close to float64."""
    params = case.params()
    kept = {p: p.data for p in params.values()}
    try:
        for p in params.values():
            p.data, p.grad = p.data.astype(np.float32), None
        xs = [mt.tensor(a.astype(np.float32), requires_grad=True) for a in case.inputs]
        out = case(*xs)
        assert out.dtype == np.float32, f"{case.name}: float32 inputs gave a {out.dtype} output"
        expected = case.reference(*[x.data.astype(np.float64) for x in xs]) if not params else \
            None
        if expected is not None:
            assert_allclose(out.data, expected, 1e-5, 1e-6, f"{case.name} forward in float32")
        out.backward(gradient=np.random.default_rng(u_seed).standard_normal(out.shape))
        for what, t in [(f"input {i}", x) for i, x in enumerate(xs)] + list(params.items()):
            assert t.grad is None or t.grad.dtype == np.float32, \
                f"{case.name}: the gradient of {what} is {t.grad.dtype}, expected float32"
    finally:
        for p, data in kept.items():
            p.data, p.grad = data, None


def torch_twin(torch, module, twin):
    """Copy ``module``'s parameters into the torch module ``twin`` (same names); return it."""
    state = {k: torch.tensor(v) for k, v in module.state_dict().items()}
    twin = twin.to(next(iter(state.values())).dtype) if state else twin.double()
    twin.load_state_dict(state)          # strict: the same keys, shared layers under every name
    return twin


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _log_softmax(x, axis):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


# =============================================================================================
# Ops: f(*tensors) → Tensor, written with Tensor methods, operators or numpy functions.
# =============================================================================================
OPS = {}


def _op(name, fn, reference, *elements, analytic=True):
    """An op over one array, or over arrays of broadcastable shapes, with the given elements."""
    def build(draw):
        if len(elements) == 1:
            ins = [draw(arrays(draw(shapes()), elements[0]))]
        else:
            ins = [draw(arrays(s, e)) for s, e in zip(draw(broadcastable_shapes(len(elements))),
                                                        elements)]
        return Case(name, fn, ins, reference, analytic=analytic)
    OPS[name] = build


R, NZ, POS = floats(), nonzero_floats(), positive_floats()

# arithmetic with broadcasting
_op("add", lambda a, b: a + b, np.add, R, R)
_op("sub", lambda a, b: a - b, np.subtract, R, R)
_op("mul", lambda a, b: a * b, np.multiply, R, R)
_op("div", lambda a, b: a / b, np.divide, R, NZ)
_op("pow", lambda a, b: a ** b, np.power, POS, R)
_op("pow-int-exponent", lambda a: a ** 3, lambda a: a * a * a, R)
_op("pow-float-exponent", lambda a: a ** 0.5, np.sqrt, POS)
_op("rpow", lambda a: 2.0 ** a, lambda a: np.exp(a * math.log(2.0)), R)
_op("neg", lambda a: -a, lambda a: -a, R)
_op("scalars", lambda a: (2.5 - a) * 3 / 4 + 1, lambda a: (2.5 - a) * 0.75 + 1, R)
_op("rtruediv", lambda a: 3 / a, lambda a: 3 / a, NZ)
OPS["array-operand"] = lambda draw: Case(       # numpy arrays as constant operands
    "array-operand", lambda a: a * np.arange(1, 4.0) + np.ones(3), [draw(arrays((2, 3)))],
    lambda a: a * np.array([[1.0, 2.0, 3.0]]) + 1)
_op("used-twice", lambda a, b: a * a + a * b - b, lambda a, b: a * a + a * b - b, R, R)
_op("clone", lambda a: a.clone() * 2, lambda a: 2 * a, R)
# elementwise functions
_op("exp", lambda a: a.exp(), np.exp, R)
_op("log", lambda a: a.log(), np.log, POS)
_op("tanh", lambda a: a.tanh(), np.tanh, R)
_op("sigmoid", lambda a: a.sigmoid(), _sigmoid, R)
_op("relu", lambda a: a.relu(), lambda a: np.where(a > 0, a, 0.0), NZ, analytic=False)
_op("abs", lambda a: abs(a), lambda a: np.where(a > 0, a, -a), NZ, analytic=False)
_op("sqrt", lambda a: a.sqrt(), lambda a: a ** 0.5, POS)
# numpy ufuncs on tensors
_op("np.sin", np.sin, lambda a: np.imag(np.exp(1j * a)), R)
_op("np.cos", np.cos, lambda a: np.real(np.exp(1j * a)), R)
_op("np.tan", np.tan, lambda a: np.sin(a) / np.cos(a), floats(-1.2, 1.2))
_op("np.exp", np.exp, lambda a: math.e ** a, R)
_op("np.log", np.log, lambda a: np.log(a), POS)
_op("np.tanh", np.tanh, lambda a: (np.exp(2 * a) - 1) / (np.exp(2 * a) + 1), R)
_op("np.sqrt", np.sqrt, lambda a: a ** 0.5, POS)
_op("np.abs", np.abs, lambda a: np.where(a > 0, a, -a), NZ, analytic=False)
_op("np.square", np.square, lambda a: a * a, R)
_op("np.negative", np.negative, lambda a: -a, R)
_op("np.reciprocal", np.reciprocal, lambda a: 1 / a, NZ)
_op("np.log1p", np.log1p, lambda a: np.log(1 + a), POS)
_op("np.expm1", np.expm1, lambda a: np.exp(a) - 1, R)
_op("np.arctan", np.arctan, lambda a: np.angle(1 + 1j * a), R)
_op("np.sinh", np.sinh, lambda a: (np.exp(a) - np.exp(-a)) / 2, R)
_op("np.cosh", np.cosh, lambda a: (np.exp(a) + np.exp(-a)) / 2, R)
_op("np.log2", np.log2, lambda a: np.log(a) / math.log(2), POS)
_op("np.add", np.add, lambda a, b: a + b, R, R)
_op("np.subtract", np.subtract, lambda a, b: a - b, R, R)
_op("np.multiply", np.multiply, lambda a, b: a * b, R, R)
_op("np.divide", np.divide, lambda a, b: a / b, R, NZ)
_op("np.power", np.power, lambda a, b: np.exp(b * np.log(a)), POS, R)
_op("np.maximum-scalar", lambda a: np.maximum(a, 0.0), lambda a: np.where(a > 0, a, 0.0), NZ,
    analytic=False)


def _pairwise(name, fn, reference):
    """fn(a, b) on two arrays with all entries different (no tie under a difference step)."""
    def build(draw):
        a, b = draw(distinct_arrays((2,) + draw(shapes(0, 2))))
        return Case(name, fn, [a, b], reference, analytic=False)
    OPS[name] = build


_pairwise("np.maximum", np.maximum, lambda a, b: np.where(a > b, a, b))
_pairwise("np.minimum", np.minimum, lambda a, b: np.where(a < b, a, b))


def _axis_and_keepdims(draw, ndim):
    """None, one axis (maybe negative) or a tuple of axes; and keepdims."""
    axis = draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                          st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                                   unique=True).map(tuple)))
    return axis, draw(st.booleans())


def _reduction(name, method, reference, analytic=True):
    def build(draw):
        a = draw(distinct_arrays(draw(shapes(1, 3))))
        axis, keep = _axis_and_keepdims(draw, a.ndim)
        fn = (lambda t: getattr(t, method)(axis=axis, keepdims=keep)) if isinstance(method, str) \
            else (lambda t: method(t, axis=axis, keepdims=keep))
        return Case(f"{name}(axis={axis}, keepdims={keep})", fn, [a],
                    lambda x: reference(x, axis=axis, keepdims=keep), analytic=analytic)
    OPS[name] = build


def _np_sum(x, axis, keepdims):
    return np.add.reduce(x, axis=axis, keepdims=keepdims)


def _np_mean(x, axis, keepdims):
    axes = range(x.ndim) if axis is None else np.atleast_1d(axis)
    return np.add.reduce(x, axis=axis, keepdims=keepdims) / math.prod(x.shape[a] for a in axes)


def _np_max(x, axis, keepdims):
    return np.maximum.reduce(x, axis=axis, keepdims=keepdims)


_reduction("sum", "sum", _np_sum)
_reduction("mean", "mean", _np_mean)
_reduction("max", "max", _np_max, analytic=False)
_reduction("min", "min", lambda x, axis, keepdims: np.minimum.reduce(x, axis=axis,
                                                                       keepdims=keepdims),
           analytic=False)
_reduction("np.sum", np.sum, _np_sum)
_reduction("np.mean", np.mean, _np_mean)
_reduction("np.max", np.max, _np_max, analytic=False)


def _matmul(name, a_shape, b_shape, fn=lambda a, b: a @ b):
    """Shapes as functions of drawn sizes (b, n, k, m)."""
    def build(draw):
        b, n, k, m = (draw(st.integers(1, 4)) for _ in range(4))
        A = draw(arrays(a_shape(b, n, k, m)))
        B = draw(arrays(b_shape(b, n, k, m)))

        def reference(A, B):                       # Σ_k A[..., i, k] B[..., k, j], by einsum
            A2 = A[None, :] if A.ndim == 1 else A
            B2 = B[:, None] if B.ndim == 1 else B
            out = np.einsum("...ik,...kj->...ij", A2, B2)
            if A.ndim == 1:
                out = out[..., 0, :]
            if B.ndim == 1:
                out = out[..., 0]
            return out
        return Case(name, fn, [A, B], reference)
    OPS[name] = build


_matmul("matmul-1d-1d", lambda b, n, k, m: (k,), lambda b, n, k, m: (k,))
_matmul("matmul-2d-1d", lambda b, n, k, m: (n, k), lambda b, n, k, m: (k,))
_matmul("matmul-1d-2d", lambda b, n, k, m: (k,), lambda b, n, k, m: (k, m))
_matmul("matmul-2d-2d", lambda b, n, k, m: (n, k), lambda b, n, k, m: (k, m))
_matmul("matmul-3d-2d", lambda b, n, k, m: (b, n, k), lambda b, n, k, m: (k, m))
_matmul("matmul-2d-3d", lambda b, n, k, m: (n, k), lambda b, n, k, m: (b, k, m))
_matmul("matmul-3d-3d", lambda b, n, k, m: (b, n, k), lambda b, n, k, m: (b, k, m))
_matmul("matmul-broadcast-batch", lambda b, n, k, m: (1, n, k), lambda b, n, k, m: (b, 1, k, m))
_matmul("matmul-1d-3d", lambda b, n, k, m: (k,), lambda b, n, k, m: (b, k, m))
_matmul("np.matmul", lambda b, n, k, m: (b, n, k), lambda b, n, k, m: (k, m), fn=np.matmul)
_matmul("np.dot", lambda b, n, k, m: (n, k), lambda b, n, k, m: (k, m), fn=np.dot)


def _indexing(name, index_of):
    """a[index] on a (rows, cols) array; ``index_of(draw, rows, cols)`` draws the index."""
    def build(draw):
        rows, cols = draw(st.integers(1, 4)), draw(st.integers(1, 4))
        a = draw(arrays((rows, cols)))
        index = index_of(draw, rows, cols)
        return Case(f"{name}[{index!r}]", lambda t: t[index], [a],
                    lambda x: _take(x, index))
    OPS[name] = build


def _take(x, index):
    """x[index] written out with take/slicing only for the fancy cases (the numpy reference)."""
    if isinstance(index, mt.Tensor):
        index = index.data
    if isinstance(index, list):
        return np.stack([x[i] for i in index])
    if isinstance(index, tuple) and all(isinstance(i, list) for i in index):
        return np.array([x[i, j] for i, j in zip(*index)])
    if isinstance(index, np.ndarray) and index.dtype == bool:
        return np.array([v for v, keep in zip(x.ravel(), index.ravel()) if keep])
    return x[index]


_indexing("getitem-int", lambda d, r, c: d(st.integers(-r, r - 1)))
_indexing("getitem-slices", lambda d, r, c: (slice(d(st.integers(0, r - 1)), None),
                                             slice(None, None, d(st.integers(1, 2)))))
_indexing("getitem-none-ellipsis", lambda d, r, c: (Ellipsis, None, d(st.integers(0, c - 1))))
_indexing("getitem-repeated-rows", lambda d, r, c: d(st.lists(st.integers(0, r - 1), min_size=1,
                                                              max_size=6)))
_indexing("getitem-pairs", lambda d, r, c: tuple(map(list, zip(*d(st.lists(
    st.tuples(st.integers(0, r - 1), st.integers(0, c - 1)), min_size=1, max_size=6))))))
_indexing("getitem-mask", lambda d, r, c: np.array(d(st.lists(st.booleans(), min_size=r * c,
                                                              max_size=r * c))).reshape(r, c))
_indexing("getitem-tensor-index", lambda d, r, c: mt.tensor(d(st.lists(st.integers(0, r - 1),
                                                                      min_size=1, max_size=5))))


def _shape_op(name, fn_of, reference_of):
    def build(draw):
        a = draw(arrays(draw(shapes(1, 3))))
        perm = draw(st.permutations(range(a.ndim)))
        return Case(name, fn_of(a.shape, perm), [a], reference_of(a.shape, perm))
    OPS[name] = build


_shape_op("T", lambda s, p: lambda t: t.T, lambda s, p: lambda x: x.transpose())
_shape_op("transpose", lambda s, p: lambda t: t.transpose(*p),
          lambda s, p: lambda x: np.moveaxis(x, p, range(len(p))))
_shape_op("np.transpose", lambda s, p: lambda t: np.transpose(t, p),
          lambda s, p: lambda x: np.moveaxis(x, p, range(len(p))))
_shape_op("reshape", lambda s, p: lambda t: t.reshape(-1, 1) * 2,
          lambda s, p: lambda x: np.array(x.ravel())[:, None] * 2)
_shape_op("reshape-tuple", lambda s, p: lambda t: t.reshape(tuple(reversed(s))),
          lambda s, p: lambda x: x.ravel().reshape(tuple(reversed(s))))
_shape_op("np.reshape", lambda s, p: lambda t: np.reshape(t, (-1,)), lambda s, p: np.ravel)
_shape_op("view-flatten", lambda s, p: lambda t: t.view(-1) + t.flatten(),
          lambda s, p: lambda x: 2 * x.ravel())
OPS["np.concatenate"] = lambda draw: Case(
    "np.concatenate", lambda a, b: np.concatenate([a, b], axis=1),
    [draw(arrays((2, 3))), draw(arrays((2, draw(st.integers(1, 3)))))],
    lambda a, b: np.hstack([a, b]))
OPS["np.stack"] = lambda draw: Case(
    "np.stack", lambda a, b: np.stack([a, b], axis=-1),
    [draw(arrays((2, 3))), draw(arrays((2, 3)))],
    lambda a, b: np.concatenate([a[..., None], b[..., None]], axis=-1))


def _where(draw):
    cond = np.array(draw(st.lists(st.booleans(), min_size=6, max_size=6))).reshape(3, 2)
    return Case("np.where", lambda x, y: np.where(cond, x, y),
                [draw(arrays((3, 2))), draw(arrays((2,)))], lambda x, y: cond * x + ~cond * y)


OPS["np.where"] = _where
OPS["chain"] = lambda draw: Case(
    "chain", lambda w, x: ((x @ w).tanh().sum(axis=0) ** 2).mean() * w.sum(),
    [draw(arrays((3, 2))), draw(arrays((4, 3)))],
    lambda w, x: np.mean(np.sum(np.tanh(x @ w), axis=0) ** 2) * w.sum())


# =============================================================================================
# Layers and models: a fresh module in float64 per case.
# =============================================================================================
LAYERS = {}


def _layer(name, make, input_shape, reference, elements=R, torch=None, seed=None):
    """``make(draw) -> module``; ``input_shape(draw, module) -> shape``;
    ``reference(module) -> (x -> array)``; ``torch(torch, module) -> torch module``."""
    def build(draw):
        module = make(draw).double()
        x = draw(arrays(input_shape(draw, module), elements))
        twin = None if torch is None else \
            (lambda t: (lambda tm: (tm, tm))(torch_twin(t, module, torch(t, module))))
        return Case(f"{name}: {module!r}", module, [x], reference(module), module=module,
                    seed=seed, torch=twin)
    LAYERS[name] = build


def _rows(draw, m):                           # (N, in_features)
    return (draw(st.integers(1, 4)), m.in_features)


def _linear(bias):
    return lambda draw: nn.Linear(draw(st.integers(1, 4)), draw(st.integers(1, 3)), bias=bias)


def _affine(m):
    return lambda x: x @ m.weight.data.T + (0 if m.bias is None else m.bias.data)


def _torch_linear(t, m):
    return t.nn.Linear(m.in_features, m.out_features, bias=m.bias is not None)


_layer("Linear", _linear(True), _rows, _affine, torch=_torch_linear)
_layer("Linear-no-bias", _linear(False), _rows, _affine, torch=_torch_linear)
_layer("Linear-1d-input", _linear(True), lambda d, m: (m.in_features,), _affine,
       torch=_torch_linear)
_layer("Linear-3d-input", _linear(True), lambda d, m: (2, d(st.integers(1, 3)), m.in_features),
       _affine, torch=_torch_linear)
_layer("Sigmoid", lambda d: nn.Sigmoid(), lambda d, m: d(shapes()), lambda m: _sigmoid,
       torch=lambda t, m: t.nn.Sigmoid())
_layer("Tanh", lambda d: nn.Tanh(), lambda d, m: d(shapes()),
       lambda m: lambda x: 1 - 2 / (np.exp(2 * x) + 1), torch=lambda t, m: t.nn.Tanh())
_layer("ReLU", lambda d: nn.ReLU(), lambda d, m: d(shapes()),
       lambda m: lambda x: np.where(x > 0, x, 0.0), elements=NZ, torch=lambda t, m: t.nn.ReLU())
_layer("LeakyReLU", lambda d: nn.LeakyReLU(d(st.sampled_from([0.01, 0.2, 1.5]))),
       lambda d, m: d(shapes()),
       lambda m: lambda x: np.where(x > 0, x, m.negative_slope * x), elements=NZ,
       torch=lambda t, m: t.nn.LeakyReLU(m.negative_slope))
_layer("LeakyReLU-default", lambda d: nn.LeakyReLU(), lambda d, m: d(shapes()),
       lambda m: lambda x: np.where(x > 0, x, 0.01 * x), elements=NZ,
       torch=lambda t, m: t.nn.LeakyReLU())
for _dim in (0, 1, -1):
    _layer(f"Softmax(dim={_dim})", lambda d, dim=_dim: nn.Softmax(dim=dim),
           lambda d, m: d(shapes(2, 3)),
           lambda m: lambda x: np.exp(x) / np.exp(x).sum(axis=m.dim, keepdims=True),
           torch=lambda t, m: t.nn.Softmax(dim=m.dim))
    _layer(f"LogSoftmax(dim={_dim})", lambda d, dim=_dim: nn.LogSoftmax(dim=dim),
           lambda d, m: d(shapes(2, 3)),
           lambda m: lambda x: x - np.log(np.exp(x).sum(axis=m.dim, keepdims=True)),
           torch=lambda t, m: t.nn.LogSoftmax(dim=m.dim))
_layer("Softmax-large-logits", lambda d: nn.Softmax(dim=1), lambda d, m: (2, 3),
       lambda m: lambda x: np.exp(x - 500) / np.exp(x - 500).sum(axis=1, keepdims=True),
       elements=floats(498, 502), torch=lambda t, m: t.nn.Softmax(dim=1))
_layer("Identity", lambda d: nn.Identity(), lambda d, m: d(shapes()), lambda m: lambda x: x,
       torch=lambda t, m: t.nn.Identity())
_layer("Flatten", lambda d: nn.Flatten(), lambda d, m: d(shapes(2, 4)),
       lambda m: lambda x: x.reshape(len(x), -1), torch=lambda t, m: t.nn.Flatten())
_layer("Flatten(0, 1)", lambda d: nn.Flatten(0, 1), lambda d, m: d(shapes(2, 4)),
       lambda m: lambda x: x.reshape((-1,) + x.shape[2:]), torch=lambda t, m: t.nn.Flatten(0, 1))
_layer("Dropout-eval", lambda d: nn.Dropout(d(st.sampled_from([0.1, 0.5, 0.9]))).eval(),
       lambda d, m: d(shapes()), lambda m: lambda x: x,
       torch=lambda t, m: t.nn.Dropout(m.p).eval())


def _dropout_reference(m, seed=7):
    """x ⊙ mask / (1 − p), where the mask is what the same seed draws for an array of ones."""
    def reference(x):
        mt.manual_seed(seed)
        with mt.no_grad():
            kept = m(np.ones_like(x)).data != 0
        return np.where(kept, x / (1 - m.p), 0.0)
    return reference


_layer("Dropout-train", lambda d: nn.Dropout(d(st.sampled_from([0.2, 0.5]))),
       lambda d, m: d(shapes(1, 2, min_side=2)), _dropout_reference, seed=7)
_layer("Dropout-p0", lambda d: nn.Dropout(0.0), lambda d, m: d(shapes()), lambda m: lambda x: x,
       seed=7, torch=lambda t, m: t.nn.Dropout(0.0))


def _mlp(draw, act):
    i, h, o = (draw(st.integers(1, 4)) for _ in range(3))
    return nn.Sequential(nn.Linear(i, h), act(), nn.Linear(h, o))


def _mlp_reference(act):
    def make(m):
        return lambda x: _affine(m[2])(act(_affine(m[0])(x)))
    return make


def _torch_mlp(act):
    return lambda t, m: t.nn.Sequential(_torch_linear(t, m[0]), act(t), _torch_linear(t, m[2]))


_layer("Sequential-tanh", lambda d: _mlp(d, nn.Tanh), lambda d, m: _rows(d, m[0]),
       _mlp_reference(np.tanh), torch=_torch_mlp(lambda t: t.nn.Tanh()))
_layer("Sequential-sigmoid", lambda d: _mlp(d, nn.Sigmoid), lambda d, m: _rows(d, m[0]),
       _mlp_reference(_sigmoid), torch=_torch_mlp(lambda t: t.nn.Sigmoid()))
_layer("Sequential-relu", lambda d: _mlp(d, nn.ReLU), lambda d, m: _rows(d, m[0]),
       _mlp_reference(lambda z: np.where(z > 0, z, 0.0)),
       torch=_torch_mlp(lambda t: t.nn.ReLU()))


def _shared_sequential(draw):
    n = draw(st.integers(1, 4))
    shared = nn.Linear(n, n)
    return nn.Sequential(shared, nn.Tanh(), shared)


_layer("Sequential-shared-Linear", _shared_sequential, lambda d, m: _rows(d, m[0]),
       lambda m: lambda x: _affine(m[0])(np.tanh(_affine(m[0])(x))),
       torch=lambda t, m: (lambda shared: t.nn.Sequential(shared, t.nn.Tanh(), shared))(
           _torch_linear(t, m[0])))


def _nested(draw):
    i, h = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return nn.Sequential(nn.Sequential(nn.Linear(i, h), nn.Tanh()), nn.Identity(),
                         nn.Sequential(nn.Linear(h, 2), nn.Softmax(dim=1)))


_layer("Sequential-nested", _nested, lambda d, m: _rows(d, m[0][0]),
       lambda m: lambda x: (lambda z: np.exp(z) / np.exp(z).sum(1, keepdims=True))(
           _affine(m[2][0])(np.tanh(_affine(m[0][0])(x)))),
       torch=lambda t, m: t.nn.Sequential(
           t.nn.Sequential(_torch_linear(t, m[0][0]), t.nn.Tanh()), t.nn.Identity(),
           t.nn.Sequential(_torch_linear(t, m[2][0]), t.nn.Softmax(dim=1))))


class Residual(nn.Module):
    """A composite: h = x + W₂ tanh(W₁ x + b₁) + b₂ (one residual block)."""

    def __init__(self, n, hidden):
        super().__init__()
        self.inner = nn.Linear(n, hidden)
        self.outer = nn.Linear(hidden, n)

    def forward(self, x):
        return x + self.outer(self.inner(x).tanh())


class Encoder(nn.Module):
    """A composite around a Sequential: softplus-free MLP whose output is scaled by a Parameter."""

    def __init__(self, n):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n, 3), nn.Sigmoid(), nn.Linear(3, n))
        self.scale = nn.Parameter(np.array([1.5]))

    def forward(self, x):
        return self.body(x) * self.scale + x.sum(axis=1, keepdims=True)


def _residual_reference(m):
    return lambda x: x + _affine(m.outer)(np.tanh(_affine(m.inner)(x)))


def _encoder_reference(m):
    body = m.body
    return lambda x: _affine(body[2])(_sigmoid(_affine(body[0])(x))) * m.scale.data \
        + x.sum(axis=1, keepdims=True)


_layer("composite-residual", lambda d: Residual(d(st.integers(1, 3)), d(st.integers(1, 3))),
       lambda d, m: _rows(d, m.inner), _residual_reference)
_layer("composite-around-Sequential", lambda d: Encoder(d(st.integers(1, 3))),
       lambda d, m: _rows(d, m.body[0]), _encoder_reference)
_layer("Sequential-around-composites",
       lambda d: (lambda n: nn.Sequential(nn.Linear(n, n), Residual(n, 2), nn.Tanh(),
                                          Residual(n, 3)))(d(st.integers(1, 3))),
       lambda d, m: _rows(d, m[0]),
       lambda m: lambda x: _residual_reference(m[3])(
           np.tanh(_residual_reference(m[1])(_affine(m[0])(x)))))


# =============================================================================================
# Losses: x is the checked input, the target a constant drawn with it.
# =============================================================================================
LOSSES = {}


def _reduce(loss, reduction, count=None):
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.sum() / (loss.size if count is None
                                                               else count)


def _torch_loss(make, target_dtype=None):
    """(torch, x) → loss, with the loss's constants converted to x's dtype."""
    def twin(t):
        def call(x):
            def conv(a):
                if a is None:
                    return None
                a = np.asarray(a)
                return t.tensor(a, dtype=x.dtype if a.dtype.kind == "f" else t.int64)
            return make(t, conv)(x)
        return call, None
    return twin


def _loss(name, build_fn):
    for r in REDUCTIONS:
        LOSSES[f"{name}-{r}"] = (lambda r: lambda draw: build_fn(draw, r))(r)


def _regression(cls, elementwise, kink):
    def build(draw, r):
        x = draw(arrays(draw(shapes(1, 3))))
        gap = draw(arrays(x.shape, NZ if kink else R))
        y = x - gap                                    # |x − y| ≥ 0.1 keeps L1 off its kink
        loss = cls(reduction=r)
        return Case(f"{cls.__name__}({r})", lambda t: loss(t, y), [x],
                    lambda x: _reduce(elementwise(x - y), r),
                    analytic=cls.analytic,
                    torch=_torch_loss(lambda t, c: lambda x: getattr(t.nn, cls.__name__)(
                        reduction=r)(x, c(y))))
    return build


_loss("MSELoss", _regression(nn.MSELoss, lambda d: d * d, kink=False))
_loss("L1Loss", _regression(nn.L1Loss, lambda d: np.where(d > 0, d, -d), kink=True))


def _classes(draw, min_n=1):
    return draw(st.integers(min_n, 5)), draw(st.integers(2, 4))


def _cross_entropy(weighted=False, ignore=False, smoothing=False, probs=False):
    def build(draw, r):
        n, c = _classes(draw)
        x = draw(arrays((n, c), floats(-3, 3)))
        w = draw(arrays((c,), floats(0.2, 2.0))) if weighted else None
        eps = draw(st.sampled_from([0.1, 0.3])) if smoothing else 0.0
        if probs:
            raw = draw(arrays((n, c), floats(0.05, 1.0)))
            y = raw / raw.sum(axis=1, keepdims=True)
        else:
            y = draw(labels(n, c))
            if ignore:                              # some targets ignored, at least one kept
                drop = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
                drop[draw(st.integers(0, n - 1))] = False
                y = np.where(drop, -1, y)
        kwargs = dict(reduction=r, label_smoothing=eps)
        if weighted:
            kwargs["weight"] = w
        if ignore:
            kwargs["ignore_index"] = -1
        loss = nn.CrossEntropyLoss(**kwargs)

        def reference(x):
            logp = _log_softmax(x, axis=1)
            wc = np.ones(c) if w is None else w
            if probs:                               # −Σ_c w_c q_c log p_c, mean over N
                q = y * (1 - eps) + eps / c
                return _reduce(-(wc * q * logp).sum(axis=1), r, n)
            valid = y != -1
            yy = np.where(valid, y, 0)
            wy = wc[yy] * valid
            nll = -wy * logp[np.arange(n), yy]
            smooth = -(wc * logp).sum(axis=1) * valid
            if r == "none":
                return (1 - eps) * nll + eps / c * smooth
            denominator = wy.sum() if r == "mean" else 1
            return ((1 - eps) * nll.sum() + eps / c * smooth.sum()) / denominator

        name = "CrossEntropyLoss" + "".join(f"-{k}" for k, on in [
            ("weight", weighted), ("ignore_index", ignore), ("label_smoothing", smoothing),
            ("probabilities", probs)] if on)
        return Case(f"{name}({r})", lambda t: loss(t, y), [x], reference, analytic=loss.analytic,
                    torch=_torch_loss(lambda t, conv: lambda x: t.nn.CrossEntropyLoss(
                        weight=conv(w), reduction=r, label_smoothing=eps,
                        ignore_index=-1 if ignore else -100)(x, conv(y))))
    return build


_loss("CrossEntropyLoss", _cross_entropy())
_loss("CrossEntropyLoss-weight", _cross_entropy(weighted=True))
_loss("CrossEntropyLoss-ignore_index", _cross_entropy(ignore=True))
_loss("CrossEntropyLoss-weight-ignore_index", _cross_entropy(weighted=True, ignore=True))
_loss("CrossEntropyLoss-label_smoothing", _cross_entropy(smoothing=True))
_loss("CrossEntropyLoss-weight-ignore-smoothing",
      _cross_entropy(weighted=True, ignore=True, smoothing=True))
_loss("CrossEntropyLoss-probabilities", _cross_entropy(probs=True))
_loss("CrossEntropyLoss-probabilities-weight-smoothing",
      _cross_entropy(probs=True, weighted=True, smoothing=True))


def _cross_entropy_unbatched(draw, r):
    c = draw(st.integers(2, 5))
    x = draw(arrays((c,)))
    y = draw(st.integers(0, c - 1))
    loss = nn.CrossEntropyLoss(reduction=r)
    return Case(f"CrossEntropyLoss-unbatched({r})", lambda t: loss(t, np.array(y)), [x],
                lambda x: -_log_softmax(x, axis=0)[y], analytic=loss.analytic,
                torch=_torch_loss(lambda t, conv: lambda x: t.nn.CrossEntropyLoss(reduction=r)(
                    x, t.tensor(y))))


_loss("CrossEntropyLoss-unbatched", _cross_entropy_unbatched)


def _nll(weighted=False, ignore=False):
    def build(draw, r):
        n, c = _classes(draw, min_n=2 if ignore else 1)      # row 0 ignored, others kept
        x = draw(arrays((n, c), floats(-4, 0)))
        w = draw(arrays((c,), floats(0.2, 2.0))) if weighted else None
        y = draw(labels(n, c))
        if ignore:
            y[0] = 7                                # ignored, whatever c is
        kwargs = dict(reduction=r, weight=w)
        if ignore:
            kwargs["ignore_index"] = 7
        loss = nn.NLLLoss(**kwargs)

        def reference(x):
            wc = np.ones(c) if w is None else w
            valid = y != 7
            yy = np.where(valid, y, 0)
            wy = wc[yy] * valid
            return _reduce(-wy * x[np.arange(n), yy], r, wy.sum())
        name = "NLLLoss" + ("-weight" if weighted else "") + ("-ignore_index" if ignore else "")
        return Case(f"{name}({r})", lambda t: loss(t, y), [x], reference, analytic=loss.analytic,
                    torch=_torch_loss(lambda t, conv: lambda x: t.nn.NLLLoss(
                        weight=conv(w), reduction=r, ignore_index=7 if ignore else -100)(
                        x, conv(y))))
    return build


_loss("NLLLoss", _nll())
_loss("NLLLoss-weight", _nll(weighted=True))


_loss("NLLLoss-weight-ignore_index", _nll(weighted=True, ignore=True))


def _bce(weighted=False):
    def build(draw, r):
        n, c = _classes(draw)
        x = draw(probabilities((n, c)))
        y = draw(arrays((n, c), floats(0, 1)))
        w = draw(arrays((c,), floats(0.2, 2.0))) if weighted else None
        loss = nn.BCELoss(weight=w, reduction=r)
        wc = 1.0 if w is None else w
        return Case(f"BCELoss{'-weight' if weighted else ''}({r})", lambda t: loss(t, y), [x],
                    lambda x: _reduce(-wc * (y * np.log(x) + (1 - y) * np.log(1 - x)), r),
                    analytic=nn.BCELoss.analytic,
                    torch=_torch_loss(lambda t, conv: lambda x: t.nn.BCELoss(
                        weight=conv(w), reduction=r)(x, conv(y))))
    return build


_loss("BCELoss", _bce())
_loss("BCELoss-weight", _bce(weighted=True))


def _bce_logits(weighted=False, pos=False):
    def build(draw, r):
        n, c = _classes(draw)
        x = draw(arrays((n, c), floats(-5, 5)))
        y = draw(arrays((n, c), floats(0, 1)))
        w = draw(arrays((c,), floats(0.2, 2.0))) if weighted else None
        pw = draw(arrays((c,), floats(0.2, 3.0))) if pos else None
        loss = nn.BCEWithLogitsLoss(weight=w, reduction=r, pos_weight=pw)
        wc, pwc = (1.0 if w is None else w), (1.0 if pw is None else pw)

        def reference(x):                # −w [pw·y·log σ(x) + (1 − y)·log(1 − σ(x))]
            s = _sigmoid(x)
            return _reduce(-wc * (pwc * y * np.log(s) + (1 - y) * np.log(1 - s)), r)
        name = "BCEWithLogitsLoss" + ("-weight" if weighted else "") \
            + ("-pos_weight" if pos else "")
        return Case(f"{name}({r})", lambda t: loss(t, y), [x], reference,
                    analytic=nn.BCEWithLogitsLoss.analytic,
                    torch=_torch_loss(lambda t, conv: lambda x: t.nn.BCEWithLogitsLoss(
                        weight=conv(w), reduction=r, pos_weight=conv(pw))(x, conv(y))))
    return build


_loss("BCEWithLogitsLoss", _bce_logits())
_loss("BCEWithLogitsLoss-weight", _bce_logits(weighted=True))
_loss("BCEWithLogitsLoss-pos_weight", _bce_logits(pos=True))
_loss("BCEWithLogitsLoss-weight-pos_weight", _bce_logits(weighted=True, pos=True))
