"""gradcheck: compare a module's hand-written backward with numerical derivatives.

The check goes through the public path, as a user's training loop would:
``out = module(*inputs)``, then ``(out * u).sum().backward()`` with a random
``u`` gives the analytic dφ/dx and dφ/dθ of φ = Σ u ⊙ module(x). The same φ
is then differentiated numerically, entry by entry, and the two must agree
to ``atol + rtol·|numerical|``. All of it runs in float64 (complex128 for the
complex step), whatever dtype the module has; the module's parameters (their
arrays, dtypes and ``.grad``) and minitorch's random generator are restored
afterwards, also when the check fails.
"""
import contextlib
import warnings

import numpy as np

from ._tensors import is_module
from .numerical import _is_tensor, central_difference, complex_step

__all__ = ["gradcheck", "GradcheckError"]

_METHODS = ("auto", "complex", "central")


class GradcheckError(AssertionError):
    """A hand-written gradient disagrees with the numerical one.

    A subclass of ``AssertionError``, so a failed check reads as a failed test.
    The message names the module, the tensor (``input 0`` or ``parameter
    'weight'``), the worst entry's index and both values.
    """


@contextlib.contextmanager
def _restored(module, seed):
    """Params back to their own arrays and grads, the generator back, on any exit.

    Yields ``reseed()``, called before every evaluation so that random layers
    (Dropout in training mode) draw the same mask each time.
    """
    from minitorch import random
    params = list(module.parameters()) if module is not None else []
    saved = [(p, p.data, p.grad) for p in params]
    generator = random._generator

    def reseed():
        random._generator = np.random.default_rng(seed)
    try:
        yield reseed
    finally:
        for p, data, g in saved:
            p.data, p.grad = data, g
        random._generator = generator


def _analytic(f, args, checked, params, u, reseed):
    """The gradients the backward gives: one per checked input, one per parameter."""
    from minitorch.tensor import Tensor
    from minitorch.autograd import enable_grad
    tensors = list(args)
    for i in checked:
        tensors[i] = Tensor(args[i], requires_grad=True)
    for p in params.values():
        p.grad = None
    reseed()
    with enable_grad():
        out = f(*tensors)
        if out.shape != u.shape:
            raise ValueError(f"gradcheck: {_name(f)} returned shape {out.shape}, expected {u.shape}")
        if out.requires_grad:
            (out * u).sum().backward()
    grads = {("input", i): tensors[i].grad for i in checked}
    grads.update({("parameter", n): p.grad for n, p in params.items()})
    return grads


def _as_tensors(args, floating, cast):
    """Floating inputs as Tensors of dtype ``cast`` (so Tensor code runs); others as given."""
    from minitorch.tensor import Tensor
    return [Tensor._wrap(np.asarray(a, dtype=cast)) if i in floating else a
            for i, a in enumerate(args)]


def _numerical(f, args, checked, params, u, reseed, method, eps):
    """The same gradients by complex step or central differences of φ = Σ u ⊙ f."""
    from minitorch.tensor import Tensor
    cast = np.complex128 if method == "complex" else np.float64
    base = _as_tensors(args, checked, cast)
    for p in params.values():
        p.data = p.data.astype(cast)

    def phi(kind, key):
        def value(array):
            a = list(base)
            if kind == "input":
                a[key] = Tensor._wrap(array)
            else:
                params[key].data = array
            reseed()
            return np.sum(u * np.asarray(f(*a).data))
        return value
    diff = (lambda g, x: complex_step(g, x, h=eps or 1e-20)) if method == "complex" else \
        (lambda g, x: central_difference(g, x, h=eps))
    grads = {("input", i): diff(phi("input", i), args[i]) for i in checked}
    for n, p in params.items():
        start = p.data
        grads[("parameter", n)] = diff(phi("parameter", n), np.real(start))
        p.data = start
    return grads


def _accepts_complex(f, args, checked, params, reseed):
    """Whether ``f`` runs on complex128 and keeps the imaginary part."""
    saved = {n: p.data for n, p in params.items()}
    try:
        for p in params.values():
            p.data = p.data.astype(np.complex128)
        a = _as_tensors(args, checked, np.complex128)
        reseed()
        out = f(*a)
        return _is_tensor(out) and np.iscomplexobj(out.data)
    except Exception:           # any refusal of complex numbers: use central differences
        return False
    finally:
        for n, p in params.items():
            p.data = saved[n]


def _name(f):
    return type(f).__name__ if is_module(f) else getattr(f, "__name__", repr(f))


def _compare(f, analytic, numerical, atol, rtol, method):
    """Raise GradcheckError at the worst entry of the first tensor that disagrees."""
    for key, n in numerical.items():
        a = np.asarray(analytic[key], dtype=np.float64).reshape(np.shape(n))
        n = np.asarray(n, dtype=np.float64)
        excess = np.abs(a - n) - (atol + rtol * np.abs(n))
        if excess.size and (np.max(excess) > 0 or not np.all(np.isfinite(a))):
            j = np.unravel_index(int(np.argmax(np.where(np.isfinite(excess), excess, np.inf))),
                                 n.shape)
            what = f"input {key[1]}" if key[0] == "input" else f"parameter '{key[1]}'"
            index, bound = tuple(int(i) for i in j), atol + rtol * abs(n[j])
            raise GradcheckError(
                f"gradcheck failed for {_name(f)}: gradient of {what} at index {index}: "
                f"backward gave {float(a[j])!r}, {method} differences gave {float(n[j])!r} "
                f"(|difference| {abs(a[j] - n[j]):.3g} > atol + rtol·|numerical| = {bound:.3g}); "
                f"{int(np.sum(~(excess <= 0)))} of {n.size} entries disagree")


def gradcheck(module_or_fn, *inputs, eps=None, atol=1e-5, rtol=1e-3, method="auto", seed=0):
    r"""Check a module's backward against numerical derivatives; True or GradcheckError.

    With a random ``u`` shaped like the output, φ = Σ u ⊙ module(\*inputs):

    * analytic: ``(module(*inputs) * u).sum().backward()`` fills dφ/dx for the
      inputs and dφ/dθ for every parameter (the module's own backward);
    * numerical: :func:`complex_step` (``Im φ(θ + ih e_j) / h``, exact to
      rounding, for analytic forwards) or :func:`central_difference`
      (O(h²), for ``analytic = False`` modules: ReLU, Dropout, L1Loss, ...),

    and each entry must satisfy ``|analytic − numerical| ≤ atol + rtol·|numerical|``.

    Args:
        module_or_fn: an ``nn.Module`` (layer or composite) or a function of
            Tensors returning a Tensor.
        *inputs: arrays or Tensors. Floating ones are differentiated (the first
            always; later ones when the backward gives them a gradient);
            others (integer class targets) are passed through unchecked.
        eps: the numerical step (default 1e-20 for the complex step, ∛eps·max(1, |x|)
            for central differences).
        atol, rtol: tolerances.
        method: ``'complex'``, ``'central'`` or ``'auto'``: the complex step
            unless a module in the tree sets ``analytic = False`` or the
            forward rejects complex input; if the complex step disagrees,
            central differences decide (a warning says the forward is
            probably not analytic).
        seed: seed for ``u`` and for the masks of random layers (the same at every call).

    Returns:
        True when every gradient agrees.

    Raises:
        GradcheckError: (an AssertionError) naming the module, the input or
            parameter, the worst index and both values.

    Example:
        >>> from minitorch import nn
        >>> gradcheck(nn.Linear(3, 2), np.random.randn(4, 3))
        True
    """
    if method not in _METHODS:
        raise ValueError(f"gradcheck: method must be one of {_METHODS}, got {method!r}")
    if not inputs:
        raise ValueError("gradcheck: expected at least one input")
    f = module_or_fn
    module = f if is_module(f) else None
    args = [np.asarray(x.data if _is_tensor(x) else x) for x in inputs]
    if args[0].dtype.kind not in "fc":
        raise TypeError(f"gradcheck: the first input must be floating, got {args[0].dtype}")
    floating = [i for i, a in enumerate(args) if a.dtype.kind == "f"]
    args = [a.astype(np.float64) if i in floating else a for i, a in enumerate(args)]
    from minitorch.autograd import no_grad
    with _restored(module, seed) as reseed:
        params = {}
        if module is not None:
            for n, p in module.named_parameters():
                p.data = p.data.astype(np.float64)
                if p.requires_grad:
                    params[n] = p
        reseed()
        with no_grad():
            out = f(*_as_tensors(args, floating, np.float64))
        if not _is_tensor(out):
            raise TypeError(f"gradcheck: {_name(f)} must return a Tensor, got {type(out).__name__}")
        u = np.random.default_rng(seed).standard_normal(out.shape)
        grads = _analytic(f, args, floating, params, u, reseed)
        checked = [i for i in floating if i == 0 or grads[("input", i)] is not None]
        analytic = {k: np.zeros(np.shape(args[k[1]] if k[0] == "input" else params[k[1]].data))
                    if g is None else np.asarray(g)
                    for k, g in grads.items() if k[0] == "parameter" or k[1] in checked}
        declared = all(getattr(m, "analytic", True) for m in
                       (module.modules() if module is not None else [f]))
        with no_grad():
            use = method
            if method == "auto":
                use = "complex" if declared and _accepts_complex(f, args, checked, params, reseed) \
                    else "central"
            num = _numerical(f, args, checked, params, u, reseed, use, eps)
            try:
                _compare(f, analytic, num, atol, rtol, "complex-step" if use == "complex" else "central")
            except GradcheckError as error:
                if method != "auto" or use != "complex":
                    raise
                for p in params.values():
                    p.data = np.real(p.data)
                num = _numerical(f, args, checked, params, u, reseed, "central", None)
                try:
                    _compare(f, analytic, num, atol, rtol, "central")
                except GradcheckError:
                    raise error from None       # both disagree: report the exact one
                warnings.warn(f"gradcheck: {_name(f)} passed with central differences but not with "
                              f"the complex step; its forward is probably not complex-analytic "
                              f"(set `analytic = False` on the class)", stacklevel=2)
    return True
