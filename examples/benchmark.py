"""Benchmark: small MLPs in minitorch against bare numpy, PyTorch and scikit-learn.

Every contender trains the same architecture from the same initial weights, on
the same data, with the same optimizer and the same batch order (the training
rows in a fixed, already shuffled order, one pass per epoch, the last batch
smaller), and is then scored on a held-out split:

* ``numpy (by hand)``: the reference, the step written out in numpy with the
  kernels minitorch uses: forward, dL/dz, backward into preallocated gradients,
  and one in-place update over all parameters, laid out in one flat array;
* ``minitorch loop``: ``zero_grad / model(x) / loss / backward / step`` over a
  minitorch ``DataLoader``;
* ``minitorch fit``: ``minitorch.train.fit(..., progress=False)``;
* ``PyTorch`` (when installed): ``torch.nn`` and ``torch.optim``, default settings;
* ``scikit-learn``: ``MLPClassifier.fit`` (warm-started from the same weights,
  ``shuffle=False``, ``alpha=0``); its time includes fit's input checks.

Contenders run alternately (the order rotates each repetition) and the table
reports medians, so a busy machine slows all of them alike. BLAS and PyTorch
run on ``--threads`` threads (one by default), set in-process with
threadpoolctl and ``torch.set_num_threads``; every contender runs in the same
process and environment (OPENBLAS_* variables and all), which is what makes
the comparison fair.

    python examples/benchmark.py                          # all cases, 2-3 min
    python examples/benchmark.py --cases digits --repeats 9 --json out.json
    python examples/benchmark.py --cases digits --phases --profile
    python examples/benchmark.py --quick                  # seconds: smoke test
"""
import argparse
import cProfile
import gc
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import minitorch as mt
from minitorch import nn, optim
from minitorch.data import DataLoader, TensorDataset

REFERENCE, TORCH = "numpy (by hand)", "PyTorch"


# --- the cases --------------------------------------------------------------------------------
@dataclass
class Case:
    """One benchmark case: data set, hidden sizes, activation, optimizer, batch and epochs."""

    name: str
    data: str               # "iris", "digits" or "classification"
    hidden: tuple
    activation: str         # "sigmoid" or "relu"
    optimizer: str          # "sgd" (momentum 0.9) or "adam"
    lr: float
    batch_size: int
    epochs: int
    quick_epochs: int = 1

    def title(self, sizes):
        opt = f"SGD(lr={self.lr}, momentum=0.9)" if self.optimizer == "sgd" else f"Adam(lr={self.lr})"
        return f"{'-'.join(map(str, sizes))} {self.activation}, {opt}, batch {self.batch_size}"


#: The parts of one training step that --phases times separately.
PHASES = ("zero_grad", "forward", "loss", "backward", "optimizer step", "bookkeeping")

CASES = {c.name: c for c in [
    Case("tiny", "iris", (16,), "relu", "sgd", 0.05, 8, epochs=100, quick_epochs=3),
    Case("digits", "digits", (128, 64), "sigmoid", "sgd", 0.1, 32, epochs=20, quick_epochs=3),
    Case("digits-adam", "digits", (128, 64), "relu", "adam", 1e-3, 32, epochs=20),
    Case("large", "classification", (256, 128), "relu", "sgd", 0.05, 256, epochs=1, quick_epochs=3),
]}


def load_data(case, quick, seed):
    """Standardised float32 features and int64 labels: X_train, y_train, X_test, y_test."""
    from sklearn import datasets
    from sklearn.model_selection import train_test_split
    if case.data == "classification":
        n_train = 4_000 if quick else 200_000
        X, y = datasets.make_classification(n_train + n_train // 10, n_features=100,
                                            n_informative=20, n_classes=10, random_state=seed)
        X_train, X_test, y_train, y_test = X[:n_train], X[n_train:], y[:n_train], y[n_train:]
    else:
        X, y = (datasets.load_iris if case.data == "iris" else datasets.load_digits)(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                            random_state=seed)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0) + 1e-8
    f = lambda a: np.ascontiguousarray((a - mean) / std, dtype=np.float32)    # noqa: E731
    return f(X_train), y_train.astype(np.int64), f(X_test), y_test.astype(np.int64)


def initial_weights(sizes, case, seed):
    """The one set of initial weights every contender starts from (PyTorch's layout and names)."""
    return minitorch_model(sizes, case.activation, seed).state_dict()


# --- (a) the reference: the step written out in numpy ---------------------------------------
_ZEROS = {}


def zeros_like(a):
    """Zeros of a's shape and dtype, kept: np.maximum(a, zeros) runs numpy's vectorized loop,
    np.maximum(a, 0) does not (numpy 2.4, x86-64; nn.ReLU keeps them the same way)."""
    key = (a.shape, a.dtype)
    zeros = _ZEROS.get(key)
    if zeros is None:
        zeros = _ZEROS[key] = np.zeros(a.shape, a.dtype)
    return zeros


def numpy_forward(params, x, activation):
    """Layer outputs [x, h1, h2, ...] and the logits z; activations computed in place."""
    hs = [x]
    for W, b in zip(params[0:-2:2], params[1:-2:2]):
        a = x @ W.T
        a += b
        if activation == "relu":                         # max(a, 0), against zeros like a
            np.maximum(a, zeros_like(a), out=a)          # (faster than 0, as in nn.ReLU)
        else:                                            # σ(a) = 1 / (1 + e⁻ᵃ)
            np.negative(a, out=a)
            np.exp(a, out=a)
            a += 1
            np.reciprocal(a, out=a)
        hs.append(a)
        x = a
    z = x @ params[-2].T
    z += params[-1]
    return hs, z


def numpy_cross_entropy(z, y):
    """Mean cross entropy of logits z for labels y, and what its gradient needs (e, Σe)."""
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    loss = (np.log(s[:, 0]) - z[rows, y]).mean()
    return loss, (e, s, rows)


def numpy_backward(params, hs, saved, y, grads, activation):
    """dL/dz = (softmax − onehot)/N, then each layer's backward, into the preallocated grads."""
    e, s, rows = saved
    g = e / s
    g[rows, y] -= 1
    g /= len(y)
    for layer in range(len(hs) - 1, -1, -1):
        W, h = params[2 * layer], hs[layer]
        np.matmul(g.T, h, out=grads[2 * layer])          # dL/dW = gᵀ h
        np.sum(g, axis=0, out=grads[2 * layer + 1])      # dL/db = Σ g
        if layer == 0:
            break                                        # nothing needs dL/dx
        g = g @ W                                        # dL/dh = g W
        if activation == "relu":
            g *= h > 0
        else:
            g *= h
            g *= 1 - h                                   # σ' = σ(1 − σ)


def numpy_sgd(theta, grad, state, lr, momentum=0.9):
    """b ← μb + g; θ ← θ − γb (PyTorch's rule; b starts at 0, so the first b is g)."""
    buf, tmp = state["buf"], state["tmp"]
    buf *= momentum
    buf += grad
    np.multiply(buf, lr, out=tmp)
    theta -= tmp


def numpy_adam(theta, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam as PyTorch computes it: θ ← θ − γ/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)."""
    state["t"] = t = state["t"] + 1
    step_size, bc2_sqrt = lr / (1 - beta1 ** t), math.sqrt(1 - beta2 ** t)
    m, v, tmp = state["m"], state["v"], state["tmp"]
    np.multiply(grad, 1 - beta1, out=tmp)
    m *= beta1
    m += tmp
    np.multiply(grad, grad, out=tmp)
    tmp *= 1 - beta2
    v *= beta2
    v += tmp
    np.sqrt(v, out=tmp)
    tmp /= bc2_sqrt
    tmp += eps
    np.divide(m, tmp, out=tmp)
    tmp *= step_size
    theta -= tmp


def flat_views(flat, shapes):
    """Consecutive pieces of a flat array, reshaped: the parameters (or gradients) live in it."""
    views, i = [], 0
    for shape in shapes:
        n = math.prod(shape)
        views.append(flat[i:i + n].reshape(shape))
        i += n
    return views


class NumpyMLP:
    """The reference. Parameters, gradients and optimizer state each live in one flat array
    (a parameter is a view of it), so the update is one pass over all parameters at once."""

    name = REFERENCE

    def __init__(self, case, init):
        self.case, self.init = case, [np.asarray(v) for v in init.values()]

    def reset(self):
        self.theta = np.concatenate([v.ravel() for v in self.init])
        self.grad = np.empty_like(self.theta)
        shapes = [v.shape for v in self.init]
        self.params, self.grads = flat_views(self.theta, shapes), flat_views(self.grad, shapes)
        zeros = lambda: np.zeros_like(self.theta)        # noqa: E731
        self.state = ({"buf": zeros(), "tmp": zeros()} if self.case.optimizer == "sgd"
                      else {"t": 0, "m": zeros(), "v": zeros(), "tmp": zeros()})

    def train(self, X, y, epochs):
        params, grads, state, act = self.params, self.grads, self.state, self.case.activation
        update = numpy_sgd if self.case.optimizer == "sgd" else numpy_adam
        lr, b = self.case.lr, self.case.batch_size
        with np.errstate(over="ignore"):                 # e⁻ᵃ = inf gives σ = 0, as it should
            for _ in range(epochs):
                for i in range(0, len(X), b):
                    x, t = X[i:i + b], y[i:i + b]
                    hs, z = numpy_forward(params, x, act)
                    loss, saved = numpy_cross_entropy(z, t)
                    numpy_backward(params, hs, saved, t, grads, act)
                    update(self.theta, self.grad, state, lr)

    def train_phases(self, X, y, epochs, clock=time.perf_counter):
        """train() with a clock around each phase: seconds per phase, one entry per step."""
        params, grads, state, act = self.params, self.grads, self.state, self.case.activation
        update = numpy_sgd if self.case.optimizer == "sgd" else numpy_adam
        lr, b = self.case.lr, self.case.batch_size
        spent = {k: [] for k in ("forward", "loss", "backward", "optimizer step", "bookkeeping")}
        with np.errstate(over="ignore"):
            last = clock()
            for _ in range(epochs):
                for i in range(0, len(X), b):
                    x, t = X[i:i + b], y[i:i + b]
                    t0 = clock()
                    hs, z = numpy_forward(params, x, act)
                    t1 = clock()
                    loss, saved = numpy_cross_entropy(z, t)
                    t2 = clock()
                    numpy_backward(params, hs, saved, t, grads, act)
                    t3 = clock()
                    update(self.theta, self.grad, state, lr)
                    t4 = clock()
                    for k, dt in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t0 - last)):
                        spent[k].append(dt)
                    last = t4
        return spent

    def predict(self, X):
        with np.errstate(over="ignore"):
            return numpy_forward(self.params, X, self.case.activation)[1]


# --- (b), (c) minitorch -------------------------------------------------------------------------
def minitorch_model(sizes, activation, seed):
    """Linear, activation, Linear, ..., Linear (no activation after the last layer)."""
    mt.manual_seed(seed)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU() if activation == "relu" else nn.Sigmoid()]
    return nn.Sequential(*layers[:-1])


class MinitorchLoop:
    """The explicit loop the examples teach: zero_grad, forward, loss, backward, step."""

    name = "minitorch loop"

    def __init__(self, case, init):
        sizes = [init["0.weight"].shape[1]] + [v.shape[0] for k, v in init.items() if k.endswith("bias")]
        self.case, self.init = case, init
        self.model = minitorch_model(sizes, case.activation, 0)
        self.loss_fn = nn.CrossEntropyLoss()

    def reset(self):
        self.model.load_state_dict(self.init)
        params = self.model.parameters()
        self.opt = (optim.SGD(params, lr=self.case.lr, momentum=0.9) if self.case.optimizer == "sgd"
                    else optim.Adam(params, lr=self.case.lr))

    def loader(self, X, y):
        return DataLoader(TensorDataset(X, y), batch_size=self.case.batch_size, shuffle=False)

    def train(self, X, y, epochs):
        model, loss_fn, opt, loader = self.model, self.loss_fn, self.opt, self.loader(X, y)
        for _ in range(epochs):
            for x, t in loader:
                opt.zero_grad()
                loss = loss_fn(model(x), t)
                loss.backward()
                opt.step()

    def train_phases(self, X, y, epochs, clock=time.perf_counter):
        model, loss_fn, opt = self.model, self.loss_fn, self.opt
        spent = {k: [] for k in PHASES}
        last = clock()
        loader = self.loader(X, y)
        for _ in range(epochs):
            for x, t in loader:
                t0 = clock()
                opt.zero_grad()
                t1 = clock()
                out = model(x)
                t2 = clock()
                loss = loss_fn(out, t)
                t3 = clock()
                loss.backward()
                t4 = clock()
                opt.step()
                t5 = clock()
                for k, dt in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t0 - last)):
                    spent[k].append(dt)
                last = t5
        return spent

    def predict(self, X):
        with mt.no_grad():
            return self.model(X).data


class MinitorchByHand(MinitorchLoop):
    """minitorch's own layers called by hand, Torch7-style, outside any graph (``--phases``):
    the layers' arithmetic without the per-call records, as in examples/manual_backprop.py."""

    name = "minitorch by hand"

    def train_phases(self, X, y, epochs, clock=time.perf_counter):
        layers, loss_fn, opt = list(self.model), self.loss_fn, self.opt
        params = list(self.model.parameters())
        for i, layer in enumerate(layers):
            layer.needs_input_grad = i > 0              # the data needs no gradient
        one = np.ones((), X.dtype)
        spent = {k: [] for k in PHASES}
        last = clock()
        loader = self.loader(X, y)
        for _ in range(epochs):
            for x, t in loader:
                t0 = clock()
                for p in params:                        # zero gradients to add into
                    p.grad = np.zeros(p.data.shape, p.data.dtype)
                t1 = clock()
                h = x
                for layer in layers:
                    h = layer.forward(h)
                t2 = clock()
                loss_fn.forward(h, t)
                t3 = clock()
                g = loss_fn.backward(one)
                for layer in reversed(layers):
                    g = layer.backward(g)
                t4 = clock()
                opt.step()
                t5 = clock()
                for k, dt in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t0 - last)):
                    spent[k].append(dt)
                last = t5
        return spent


class MinitorchFit(MinitorchLoop):
    """The same model, optimizer and loader trained by ``minitorch.train.fit``."""

    name = "minitorch fit"

    def train(self, X, y, epochs):
        from minitorch.train import fit
        fit(self.model, self.loader(X, y), self.loss_fn, self.opt, epochs, progress=False)


# --- (d) PyTorch, (e) scikit-learn -------------------------------------------------------------
class TorchMLP:
    """torch.nn.Sequential, torch.optim (default settings), batches sliced from shared tensors."""

    name = TORCH

    def __init__(self, case, init):
        import torch
        self.torch, self.case, self.init = torch, case, init
        linears = [k[:-len(".weight")] for k in init if k.endswith(".weight")]
        layers = []
        for key in linears:
            n_out, n_in = init[key + ".weight"].shape
            layers += [torch.nn.Linear(n_in, n_out),
                       torch.nn.ReLU() if case.activation == "relu" else torch.nn.Sigmoid()]
        self.model = torch.nn.Sequential(*layers[:-1])
        self.loss_fn = torch.nn.CrossEntropyLoss()

    def reset(self):
        torch = self.torch
        self.model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in self.init.items()})
        params = self.model.parameters()
        self.opt = (torch.optim.SGD(params, lr=self.case.lr, momentum=0.9)
                    if self.case.optimizer == "sgd" else torch.optim.Adam(params, lr=self.case.lr))

    def train(self, X, y, epochs):
        model, loss_fn, opt, b = self.model, self.loss_fn, self.opt, self.case.batch_size
        X, y = self.torch.from_numpy(X), self.torch.from_numpy(y)
        for _ in range(epochs):
            for i in range(0, len(X), b):
                opt.zero_grad()
                loss = loss_fn(model(X[i:i + b]), y[i:i + b])
                loss.backward()
                opt.step()

    def predict(self, X):
        with self.torch.no_grad():
            return self.model(self.torch.from_numpy(X)).numpy()


class SklearnMLP:
    """MLPClassifier with the matching solver, warm-started from the shared initial weights."""

    name = "scikit-learn"

    def __init__(self, case, init):
        self.case, self.init = case, list(init.values())
        self.n_classes = len(self.init[-1])

    def reset(self):
        from sklearn.neural_network import MLPClassifier
        c = self.case
        self.clf = clf = MLPClassifier(
            hidden_layer_sizes=c.hidden, activation="relu" if c.activation == "relu" else "logistic",
            solver=c.optimizer, alpha=0.0, batch_size=c.batch_size, learning_rate_init=c.lr,
            momentum=0.9, nesterovs_momentum=False, shuffle=False, tol=0.0,
            n_iter_no_change=10**9, warm_start=True, random_state=0)
        # One partial_fit sets up classes and layers; then our weights replace sklearn's
        # (coefs_ are (in, out), the transpose of PyTorch's weight). fit() warm-starts from them
        # with a fresh optimizer.
        clf.partial_fit(np.zeros((c.batch_size, self.init[0].shape[1]), np.float32),
                        np.arange(c.batch_size) % self.n_classes, classes=np.arange(self.n_classes))
        clf.coefs_ = [w.T.copy() for w in self.init[0::2]]
        clf.intercepts_ = [b.copy() for b in self.init[1::2]]

    def train(self, X, y, epochs):
        from sklearn.exceptions import ConvergenceWarning
        self.clf.max_iter = epochs
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.clf.fit(X, y)

    def predict(self, X):
        return self.clf.predict_proba(X)


def contender_classes():
    """The contenders available here, the reference first (PyTorch only when installed)."""
    found = [NumpyMLP, MinitorchLoop, MinitorchFit]
    try:
        has_torch = importlib.util.find_spec("torch") is not None     # imported only when it runs
    except (ImportError, ValueError):
        has_torch = False
    if has_torch:
        found.append(TorchMLP)
    return {c.name: c for c in found + [SklearnMLP]}


# --- measuring ----------------------------------------------------------------------------------
def steps_per_epoch(n, batch_size):
    return -(-n // batch_size)


def time_contenders(runners, X, y, epochs, repeats, batch_size):
    """Seconds per epoch for each contender, repetitions interleaved (the order rotates).

    After the warm-up, everything alive is moved out of the garbage collector's
    reach (gc.freeze): a collection during a run then scans what the run
    created, not the hundreds of thousands of objects PyTorch and scikit-learn
    import, which a program using only one of them would not have.
    """
    for r in runners:                   # warm-up: first calls, lazy imports, caches
        r.reset()
        r.train(X[:20 * batch_size], y[:20 * batch_size], 1)
    gc.freeze()
    times = {r.name: [] for r in runners}
    for rep in range(repeats):
        k = rep % len(runners)
        for r in runners[k:] + runners[:k]:
            r.reset()
            gc.collect()
            start = time.perf_counter()
            r.train(X, y, epochs)
            times[r.name].append((time.perf_counter() - start) / epochs)
    return times


def _rss_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"{field} not in /proc/self/status")


def probe_memory(runner, X, y, epochs):
    """Peak resident-memory growth of one training run in this (fresh) process, in MiB.

    The baseline is the resident set after imports, data and model are in memory.
    Linux: the peak (VmHWM) is reset to the current RSS by writing 5 to
    /proc/self/clear_refs, then read after training. Elsewhere: ru_maxrss growth,
    which misses growth below the high-water mark set during set-up.
    """
    import resource
    runner.reset()
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        base = _rss_kib("VmRSS")
        runner.train(X, y, epochs)
        peak, how = _rss_kib("VmHWM"), "VmHWM"
    except OSError:
        unit = 1 if sys.platform != "darwin" else 1024          # KiB on Linux, bytes on macOS
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // unit
        runner.train(X, y, epochs)
        peak, how = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // unit, "ru_maxrss"
    return {"growth_mib": (peak - base) / 1024, "peak_mib": peak / 1024, "method": how}


def memory_in_subprocesses(names, data, init, args, case):
    """Run probe_memory for each contender in a fresh Python process (same environment)."""
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "data.npz")
        np.savez(path, *data, **{"init:" + k: v for k, v in init.items()})
        for name in names:
            cmd = [sys.executable, os.path.abspath(__file__), "--memory-probe", name,
                   "--probe-data", path, "--cases", case.name, "--threads", str(args.threads),
                   "--epochs", str(args.epochs or (case.quick_epochs if args.quick else case.epochs))]
            done = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
            if done.returncode != 0:
                raise RuntimeError(f"memory probe of {name!r} on {case.name!r} failed:\n{done.stderr}")
            results[name] = json.loads(done.stdout.strip().splitlines()[-1])
    return results


def run_probe(args):
    """Child side of memory_in_subprocesses: print one JSON line."""
    case = CASES[args.cases.split(",")[0]]
    with np.load(args.probe_data) as f:
        X, y = f["arr_0"], f["arr_1"]
        init = {k[5:]: f[k] for k in f.files if k.startswith("init:")}
    runner = contender_classes()[args.memory_probe](case, init)
    print(json.dumps(probe_memory(runner, X, y, args.epochs)))


def phases(runners, X, y, epochs, repeats):
    """µs per step of each phase: the median over every step of every repetition (runners
    alternating), so that a step slowed by another process does not count. 'bookkeeping'
    is the time between steps: the loop and cutting the batch; 'total' the median step."""
    steps = {r.name: [] for r in runners}
    for _ in range(repeats):
        for r in runners:
            r.reset()
            gc.collect()
            steps[r.name].append(r.train_phases(X, y, epochs))
    out = {}
    for name, runs in steps.items():
        joined = {k: [dt for run in runs for dt in run[k]] for k in runs[0]}
        totals = [sum(parts) for parts in zip(*joined.values())]
        out[name] = {k: statistics.median(v) * 1e6 for k, v in joined.items()}
        out[name]["total"] = statistics.median(totals) * 1e6
    return out


def profile(runner, X, y, epochs, top=20):
    """cProfile of the minitorch loop: the functions with the most own time, in µs per step."""
    steps = steps_per_epoch(len(X), runner.case.batch_size) * epochs
    runner.reset()
    prof = cProfile.Profile()
    prof.runcall(runner.train, X, y, epochs)
    stats = pstats.Stats(prof).stats
    rows = [(tt / steps * 1e6, ct / steps * 1e6, nc / steps, f"{os.path.basename(fn)}:{line}({func})")
            for (fn, line, func), (cc, nc, tt, ct, _) in stats.items()]
    rows.sort(reverse=True)
    print(f"\ncProfile of '{runner.name}', {runner.case.name} (µs per step; cProfile adds "
          f"its own cost to every Python call)")
    print(f"{'own µs':>8}{'cum µs':>9}{'calls':>7}  function")
    for own, cum, calls, where in rows[:top]:
        print(f"{own:>8.1f}{cum:>9.1f}{calls:>7.1f}  {where}")
    return [{"own_us": o, "cum_us": c, "calls_per_step": n, "function": w} for o, c, n, w in rows[:top]]


# --- reporting ----------------------------------------------------------------------------------
def machine_facts(threads):
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            info = dict(line.split(":", 1) for line in f.read().split("\n\n")[0].splitlines()
                        if ":" in line)
        info = {k.strip(): v.strip() for k, v in info.items()}
        cpu = (f"{info['model name']} (family {info.get('cpu family')}, model {info.get('model')}, "
               f"{float(info.get('cpu MHz', 0)):.0f} MHz)")
    except (OSError, KeyError, ValueError):
        pass
    # Every BLAS loaded, named by the package that ships it (numpy's is the one used here).
    blas = [f"{os.path.basename(os.path.dirname(i['filepath'])).removesuffix('.libs')}: "
            f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture', '?')}, "
            f"{i.get('threading_layer', '?')})" for i in threadpool_info() if i["user_api"] == "blas"]
    blas.sort(key=lambda b: not b.startswith("numpy"))
    facts = {"cpu": cpu, "logical_cpus": os.cpu_count(), "python": platform.python_version(),
             "numpy": np.__version__, "blas": blas, "minitorch": mt.__version__, "threads": threads,
             "env": {k: v for k, v in os.environ.items()
                     if k.startswith(("OPENBLAS_", "OMP_", "MKL_"))},
             "load_average": _load_average()}
    facts["minitorch_revision"] = _revision()
    for package in ("scikit-learn", "torch"):
        try:
            facts[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            facts[package] = None
    return facts


def _load_average():
    """1, 5 and 15-minute load averages: how busy the machine was (None where unknown)."""
    return [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None


def _revision():
    """The git commit of the minitorch being measured, '+modified' if its files differ from it."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(mt.__file__)))
    try:
        git = lambda *a: subprocess.run(["git", "-C", root, *a], capture_output=True,  # noqa: E731
                                        text=True, timeout=10).stdout.strip()
        head = git("rev-parse", "--short", "HEAD")
        return head + ("+modified" if git("status", "--porcelain", "--", "minitorch") else "") or None
    except (OSError, subprocess.SubprocessError):
        return None


def summarise(times, steps, accuracy, memory):
    ref = statistics.median(times[REFERENCE])
    tref = statistics.median(times[TORCH]) if TORCH in times else None
    out = {}
    for name, ts in times.items():
        med = statistics.median(ts)
        out[name] = {
            "epoch_s": ts, "median_epoch_s": med, "median_step_us": med / steps * 1e6,
            "min_step_us": min(ts) / steps * 1e6, "max_step_us": max(ts) / steps * 1e6,
            "ratio_numpy": med / ref, "ratio_torch": med / tref if tref else None,
            "accuracy": accuracy[name], "memory": memory.get(name)}
    return out


def print_table(title, rows):
    print(f"\n{title}")
    print(f"{'contender':<17}{'ms/epoch':>10}{'µs/step':>10}{'min–max µs/step':>18}{'×numpy':>8}"
          f"{'×torch':>8}{'mem Δ MiB':>11}{'test acc':>10}")
    for name, r in rows.items():
        torch_ratio = f"{r['ratio_torch']:.2f}" if r["ratio_torch"] else "—"
        mem = f"{r['memory']['growth_mib']:.1f}" if r["memory"] else "—"
        spread = f"{r['min_step_us']:.1f}–{r['max_step_us']:.1f}"
        print(f"{name:<17}{r['median_epoch_s'] * 1e3:>10.1f}{r['median_step_us']:>10.1f}{spread:>18}"
              f"{r['ratio_numpy']:>8.2f}{torch_ratio:>8}{mem:>11}{r['accuracy']:>10.4f}")


def run_case(case, args, names):
    data = load_data(case, args.quick, args.seed)
    X, y, X_test, y_test = data
    sizes = (X.shape[1], *case.hidden, int(y.max()) + 1)
    init = initial_weights(sizes, case, args.seed)
    epochs = args.epochs or (case.quick_epochs if args.quick else case.epochs)
    steps = steps_per_epoch(len(X), case.batch_size)
    classes = contender_classes()
    runners = [classes[n](case, init) for n in names]
    times = time_contenders(runners, X, y, epochs, args.repeats, case.batch_size)
    accuracy = {r.name: float(np.mean(r.predict(X_test).argmax(axis=1) == y_test)) for r in runners}
    mem_cases = args.memory.split(",") if args.memory else ([] if args.quick else ["large"])
    mem_cases = list(CASES) if "all" in mem_cases else mem_cases
    memory = memory_in_subprocesses(names, data, init, args, case) if case.name in mem_cases else {}
    result = {"title": f"{case.name}: {case.title(sizes)}", "sizes": sizes, "n_train": len(X),
              "n_test": len(X_test), "batch_size": case.batch_size, "epochs": epochs,
              "steps_per_epoch": steps,
              "contenders": summarise(times, steps, accuracy, memory)}
    print_table(f"{result['title']} — {len(X)} training rows, {steps} steps/epoch × {epochs} "
                f"epochs, {args.repeats} repeats, {args.threads} thread(s)", result["contenders"])
    loop = next((r for r in runners if type(r) is MinitorchLoop), None) or MinitorchLoop(case, init)
    if args.phases:
        result["phases"] = phases([runners[0], MinitorchByHand(case, init), loop], X, y, epochs,
                                  args.repeats)
        print_phases(result["phases"])
    if args.profile:
        result["profile"] = profile(loop, X, y, epochs)
    return result


def print_phases(ph):
    keys = [*PHASES, "total"]
    names = list(ph)
    print(f"\n{'µs per step':<16}" + "".join(f"{n:>19}" for n in names))
    for k in keys:
        print(f"{k:<16}" + "".join(f"{ph[n][k]:>19.1f}" if k in ph[n] else f"{'—':>19}"
                                   for n in names))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default=",".join(CASES),
                        help=f"comma-separated, from {', '.join(CASES)} (default: all)")
    parser.add_argument("--contenders", default=None,
                        help="comma-separated, from 'minitorch loop', 'minitorch fit', PyTorch, "
                             "scikit-learn (default: all available); the numpy reference "
                             "always runs")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per contender "
                        "(default 7, 2 with --quick)")
    parser.add_argument("--epochs", type=int, default=None, help="override each case's epochs")
    parser.add_argument("--threads", type=int, default=1, help="BLAS and PyTorch threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    parser.add_argument("--memory", default=None, help="cases whose peak memory is measured, one "
                        "fresh subprocess per contender; 'all' or 'none' (default: large; none "
                        "with --quick)")
    parser.add_argument("--phases", action="store_true", help="also time each phase of a step: "
                        "numpy reference, minitorch's layers called by hand, minitorch loop")
    parser.add_argument("--profile", action="store_true", help="also cProfile the minitorch loop")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--memory-probe", help=argparse.SUPPRESS)
    parser.add_argument("--probe-data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 2 if args.quick else 7
    unknown = [c for c in args.cases.split(",") if c not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; expected some of {list(CASES)}")
    unknown = [c for c in (args.memory or "").split(",") if c and c not in (*CASES, "all", "none")]
    if unknown:
        parser.error(f"--memory: unknown case(s) {unknown}; expected cases, 'all' or 'none'")
    if args.repeats < 1 or args.threads < 1:
        parser.error("--repeats and --threads must be >= 1")
    available = list(contender_classes())
    names = available if args.contenders is None else \
        [REFERENCE] + [n for n in args.contenders.split(",") if n != REFERENCE]
    bad = [n for n in names if n not in available]
    if bad:
        parser.error(f"unknown or unavailable contender(s) {bad}; expected some of {available}")

    # Import what the contenders load before limiting threads: threadpoolctl limits the
    # BLAS libraries loaded when the limit is set (scikit-learn brings scipy's own OpenBLAS).
    running = names if args.memory_probe is None else [args.memory_probe]
    if args.memory_probe is None or args.memory_probe == "scikit-learn":   # (data sets: sklearn)
        import sklearn.neural_network  # noqa: F401
    torch_threads = None
    if TORCH in running:
        import torch
        torch_threads = torch.get_num_threads()
        torch.set_num_threads(args.threads)
    try:
        with threadpool_limits(limits=args.threads):
            if args.memory_probe:
                return run_probe(args)
            results = {"machine": machine_facts(args.threads),
                       "settings": {k: v for k, v in vars(args).items() if "probe" not in k},
                       "cases": {}}
            m = results["machine"]
            print(f"{m['cpu']}, {m['logical_cpus']} logical CPUs; Python {m['python']}, numpy "
                  f"{m['numpy']}; BLAS {'; '.join(m['blas'])}; PyTorch {m['torch']}, scikit-learn "
                  f"{m['scikit-learn']}; {args.threads} thread(s); load average {m['load_average']}")
            for name in args.cases.split(","):
                results["cases"][name] = run_case(CASES[name], args, names)
            m["load_average_end"] = _load_average()
    finally:
        gc.unfreeze()
        if torch_threads is not None:
            torch.set_num_threads(torch_threads)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == "__main__":
    main()
