"""Loss functions (criteria): forward gives L, backward gives dL/d(prediction).

A loss is a layer with its own backward that takes ``(input, target)``; its
backward starts the lecture's algorithm: "compute dL/dy directly from the
loss function". Targets are constants (no gradient flows into them).
``reduction`` is 'mean' (default), 'sum' or 'none', as in PyTorch.
"""
import numpy as np

from minitorch.nn.module import Module

__all__ = ["MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss"]


class _Loss(Module):
    _leaf_layer = True

    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', "
                             f"got {reduction!r}")
        self.reduction = reduction

    def _same_shape(self, x, target):
        """The target as an array of the input's shape and float dtype."""
        target = np.asarray(target)
        if target.shape != x.shape:
            raise ValueError(f"{type(self).__name__}: expected target of the input's shape {x.shape}, "
                             f"got {target.shape} (no silent broadcasting: reshape one of them, "
                             f"e.g. target.reshape({x.shape}))")
        if target.dtype != x.dtype:
            target = target.astype(x.dtype)
        return target

    def _reduce(self, loss, count=None):
        if self.reduction == "none":
            return loss
        total = np.add.reduce(loss, axis=None)      # Σ loss, as loss.sum() without its wrapper
        return total if self.reduction == "sum" else total / (loss.size if count is None else count)

    def _scale(self, grad_output, count):
        """dL/d(loss_i) for each element: g/count for 'mean', g for 'sum', g_i for 'none'."""
        return grad_output / count if self.reduction == "mean" else grad_output

    def extra_repr(self):
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class MSELoss(_Loss):
    r"""L = mean((x − y)²). Backward: dL/dx = 2(x − y)/n ('mean'; n = number of elements).

    Args:
        reduction (str): 'mean' (default), 'sum', or 'none' (the elementwise losses).

    Shape:
        input (\*) and target of the same shape (no broadcasting); output a
        scalar, or the input's shape for 'none'.

    Example:
        >>> import numpy as np
        >>> from minitorch import nn
        >>> nn.MSELoss()(np.array([1.0, 2.0]), np.array([0.0, 0.0])).item()   # (1 + 4) / 2
        2.5
    """

    _leaf_layer = True

    def forward(self, x, target):
        """L from the input x and the target y; keeps x − y for backward."""
        self.diff = d = x - self._same_shape(x, target)
        return self._reduce(d * d)

    def backward(self, grad_output):
        """dL/dx = 2(x − y) · g / n for 'mean' (g = ``grad_output``, 1 from ``loss.backward()``)."""
        d = self.diff
        return self._scale(grad_output, d.size) * 2 * d


class L1Loss(_Loss):
    r"""L = mean(|x − y|). Backward: dL/dx = sign(x − y)/n ('mean').

    Args:
        reduction (str): 'mean' (default), 'sum', or 'none' (the elementwise losses).

    Shape:
        input (\*) and target of the same shape; output a scalar, or the
        input's shape for 'none'.

    Example:
        >>> import numpy as np
        >>> from minitorch import nn
        >>> nn.L1Loss()(np.array([1.0, -2.0]), np.array([0.0, 0.0])).item()   # (1 + 2) / 2
        1.5
    """

    _leaf_layer = True

    analytic = False

    def forward(self, x, target):
        """L from the input x and the target y; keeps x − y for backward."""
        self.diff = d = x - self._same_shape(x, target)
        return self._reduce(np.abs(d))

    def backward(self, grad_output):
        """dL/dx = sign(x − y) · g / n for 'mean' (g = ``grad_output``)."""
        d = self.diff
        return self._scale(grad_output, d.size) * np.sign(d)


def _class_targets(name, x, target, ignore_index):
    """Check integer class targets of shape (N,) with values in [0, C) (or ignore_index)."""
    target = np.asarray(target)
    n, c = x.shape
    if target.dtype.kind == "f":
        raise ValueError(f"{name}: expected integer class indices of shape ({n},) or class "
                         f"probabilities of shape {x.shape}; got float targets of shape "
                         f"{target.shape} (convert class labels with .astype(int))")
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer class indices, got dtype {target.dtype}")
    if target.shape != (n,):
        raise ValueError(f"{name}: expected class-index target of shape ({n},) for input {x.shape}, "
                         f"got {target.shape}")
    bad = (target != ignore_index) & ((target < 0) | (target >= c))
    if bad.any():
        raise ValueError(f"{name}: class labels must be in [0, {c - 1}] for {c} classes; got "
                         f"{sorted(set(target[bad].tolist()))[:5]} at positions "
                         f"{np.flatnonzero(bad)[:5].tolist()}")
    return target


def _row_max(x):
    """Each row's maximum of a 2-D x, as a column: the numbers of ``x.max(axis=1, keepdims=True)``.

    numpy reduces each row in an inner loop of its own, slow for many short
    rows (a batch of 10-class logits: 2 µs for 32 rows, 11 µs for 256 on the
    documenting machine); over the transposed copy it is a few vectorized
    passes along the batch instead (1.3 µs and 2 µs). The maximum is exact
    whichever way it is taken.
    """
    n, c = x.shape
    if n >= 16 and c <= 32 and type(x) is np.ndarray:
        return np.maximum.reduce(x.T.copy(), axis=0)[:, None]
    return np.maximum.reduce(x, axis=1, keepdims=True)


def _batched(name, x, target):
    """(C,) input with a scalar target → (1, C) and (1,); checks the input is (N, C)."""
    if x.ndim == 1:
        return x[None, :], np.reshape(target, (1,) + np.shape(target)), True
    if x.ndim != 2:
        raise ValueError(f"{name}: expected input of shape (N, C) (or (C,)), got {x.shape}")
    return x, target, False


class CrossEntropyLoss(_Loss):
    r"""Cross entropy of logits: Lᵢ = −wᵧ log softmax(xᵢ)ᵧ, with stable log-sum-exp.

    Targets are class indices (N,) or class probabilities (N, C). With
    ``label_smoothing`` ε the target mixes (1 − ε)·onehot + ε/C.
    Backward: dLᵢ/dxᵢ = wᵧ (softmax(xᵢ) − onehot(y)) for index targets.
    'mean' divides by Σᵢ w_{yᵢ} over non-ignored samples (by N for probabilities).

    Args:
        weight: per-class weights (C,), or None.
        ignore_index: target value that contributes nothing (default -100).
        reduction: 'mean' | 'sum' | 'none'.
        label_smoothing: ε in [0, 1].

    Shape:
        input (N, C) logits, or (C,) for one sample; target (N,) integer class
        indices in [0, C), or (N, C) class probabilities; output a scalar, or
        (N,) for 'none'.

    Example:
        >>> import numpy as np
        >>> from minitorch import nn
        >>> loss = nn.CrossEntropyLoss()(np.zeros((2, 4), np.float32), np.array([1, 3]))
        >>> round(loss.item(), 4)   # log 4
        1.3863
    """

    _leaf_layer = True

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing}")
        self.weight = None if weight is None else np.asarray(getattr(weight, "data", weight))
        self.ignore_index, self.label_smoothing = ignore_index, float(label_smoothing)

    def forward(self, x, target):
        """L from logits x and targets; keeps softmax(x) (or dL/dx) for backward."""
        x, target, self.unbatched = _batched("CrossEntropyLoss", x, target)
        target = np.asarray(target)
        n, c = x.shape
        z = x - _row_max(x)                                         # each row's max: a stable softmax
        e = np.exp(z)
        s = np.add.reduce(e, axis=1, keepdims=True)                 # Σⱼ e^zⱼ per row
        at = None
        if (self.weight is None and not self.label_smoothing and target.dtype.kind in "iu"
                and target.shape == (n,) and n and not 0 <= self.ignore_index < c):
            # the common case: integer labels, no weights, nothing ignored. ``at`` is where
            # each row's label sits in z.ravel(); a label outside [0, C) raises ValueError
            # (one ignored, or wrong: the general path below sorts out which)
            try:
                at = np.ravel_multi_index((np.arange(n), target), (n, c))
            except ValueError:
                pass
        if at is not None:
            loss = np.log(s[:, 0]) - z.ravel()[at]                  # −log softmax(x)_y
            self.saved = (e, s, at)                                 # what backward needs
            count = n
        else:
            loss = self._general(x, target, z - np.log(s))
            count = self.count
        out = self._reduce(loss, count)
        return out[0] if self.unbatched and self.reduction == "none" else out

    def _general(self, x, target, logp):
        """Class weights, ignore_index, label smoothing or probability targets."""
        name = "CrossEntropyLoss"
        self.saved = None
        n, c = x.shape
        if self.weight is not None and self.weight.shape != (c,):
            raise ValueError(f"{name}: expected weight of shape ({c},), got {self.weight.shape}")
        w = np.ones(c, dtype=x.dtype) if self.weight is None else self.weight.astype(x.dtype)
        eps, p = self.label_smoothing, np.exp(logp)
        if target.dtype.kind in "fc" and target.shape == x.shape:     # class probabilities
            q = target.astype(x.dtype) * (1 - eps) + eps / c
            self.dloss = p * (q * w).sum(axis=1, keepdims=True) - q * w
            self.count = n
            return -(logp * q * w).sum(axis=1)
        target = _class_targets(name, x, target, self.ignore_index)
        valid = target != self.ignore_index
        y = np.where(valid, target, 0)
        rows = np.arange(n)
        wy = w[y] * valid
        loss = -(1 - eps) * wy * logp[rows, y]
        dloss = p * ((1 - eps) * wy)[:, None]
        dloss[rows, y] -= (1 - eps) * wy
        if eps:
            loss = loss - (eps / c) * (logp * w).sum(axis=1) * valid
            dloss += (eps / c) * (p * w.sum() - w) * valid[:, None]
        self.dloss = dloss
        self.count = wy.sum()
        return loss

    def backward(self, grad_output):
        """dL/dx = wᵧ (softmax(x) − onehot(y)) · g, divided by Σ wᵧ for 'mean'."""
        g = np.reshape(grad_output, (-1, 1)) if self.reduction == "none" else grad_output
        if self.saved is not None:
            e, s, at = self.saved
            dloss = e / s                                            # softmax(x) − onehot(y)
            dloss.ravel()[at] -= 1                                   # (dloss is new: a view)
            count = len(at)
            dloss *= self._scale(g, count)                           # (dloss is new: in place)
        else:
            dloss = self._scale(g, self.count) * self.dloss
        return dloss[0] if self.unbatched else dloss


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities: Lᵢ = −wᵧ xᵢᵧ.

    Use after ``LogSoftmax(dim=1)``. Backward: dLᵢ/dxᵢᵧ = −wᵧ, zero elsewhere.

    Args:
        weight: per-class weights (C,), or None.
        ignore_index: target value that contributes nothing (default -100).
        reduction: 'mean' (divides by Σ w_{yᵢ}) | 'sum' | 'none'.

    Shape:
        input (N, C) log-probabilities, or (C,); target (N,) integer class
        indices; output a scalar, or (N,) for 'none'.

    Example:
        >>> import numpy as np
        >>> from minitorch import nn
        >>> logp = nn.LogSoftmax(dim=1)(np.zeros((2, 4), np.float32))
        >>> round(nn.NLLLoss()(logp, np.array([1, 3])).item(), 4)   # log 4, as CrossEntropyLoss
        1.3863
    """

    _leaf_layer = True

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self.weight = None if weight is None else np.asarray(getattr(weight, "data", weight))
        self.ignore_index = ignore_index

    def forward(self, x, target):
        """L = −mean of x at each sample's class (weighted)."""
        x, target, self.unbatched = _batched("NLLLoss", x, target)
        n, c = x.shape
        target = _class_targets("NLLLoss", x, target, self.ignore_index)
        valid = target != self.ignore_index
        self.y = y = np.where(valid, target, 0)
        w = np.ones(c, dtype=x.dtype) if self.weight is None else self.weight.astype(x.dtype)
        self.wy = wy = w[y] * valid
        self.shape, self.dtype = x.shape, x.dtype
        self.count = wy.sum()
        out = self._reduce(-wy * x[np.arange(n), y], self.count)
        return out[0] if self.unbatched and self.reduction == "none" else out

    def backward(self, grad_output):
        """dL/dx = −wᵧ · g at each sample's class, 0 elsewhere (divided by Σ wᵧ for 'mean')."""
        g = np.reshape(grad_output, -1) if self.reduction == "none" else grad_output
        grad = np.zeros(self.shape, dtype=np.result_type(self.dtype, np.asarray(grad_output).dtype))
        grad[np.arange(self.shape[0]), self.y] = -self._scale(g, self.count) * self.wy
        return grad[0] if self.unbatched else grad


class BCELoss(_Loss):
    r"""Binary cross entropy of probabilities: L = −w[y log x + (1 − y) log(1 − x)].

    Each log is clamped at −100, as in PyTorch. Backward:
    dL/dx = w (x − y) / max(x(1 − x), 1e-12).

    Args:
        weight: weights w broadcast against the input, or None.
        reduction (str): 'mean' (default), 'sum' or 'none'.

    Shape:
        input (\*) probabilities in [0, 1] and target of the same shape;
        output a scalar, or the input's shape for 'none'.

    Example:
        >>> import numpy as np
        >>> from minitorch import nn
        >>> round(nn.BCELoss()(np.array([0.5, 0.5]), np.array([1.0, 0.0])).item(), 4)   # log 2
        0.6931
    """

    _leaf_layer = True

    analytic = False

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = None if weight is None else np.asarray(getattr(weight, "data", weight))

    def forward(self, x, target):
        """L from probabilities x and targets y; refuses x outside [0, 1]."""
        y = self._same_shape(x, target)
        if x.size and (np.min(x.real) < 0 or np.max(x.real) > 1):
            raise ValueError(f"BCELoss: expected input probabilities in [0, 1], got values in "
                             f"[{np.min(x.real):.4g}, {np.max(x.real):.4g}] (use BCEWithLogitsLoss "
                             f"for logits)")
        with np.errstate(divide="ignore"):
            loss = -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log(1 - x), -100))
        w = None if self.weight is None else self.weight.astype(x.dtype, copy=False)
        if w is not None:
            loss = loss * w
        self.x, self.y, self.w = x, y, w
        return self._reduce(loss)

    def backward(self, grad_output):
        """dL/dx = w (x − y) / max(x(1 − x), 1e-12) · g / n for 'mean'."""
        x, y = self.x, self.y
        grad = (x - y) / np.maximum(x * (1 - x), 1e-12)
        if self.w is not None:
            grad = grad * self.w
        return self._scale(grad_output, x.size) * grad


class BCEWithLogitsLoss(_Loss):
    r"""Sigmoid and binary cross entropy in one stable formula, for logits x.

    L = w [(1 − y) x + l (log(1 + e^{−|x|}) + max(−x, 0))], l = 1 + (pos_weight − 1) y.
    Backward: dL/dx = w [(1 − y) − l (1 − σ(x))]  (= w (σ(x) − y) without pos_weight).

    Args:
        weight: weights w broadcast against the input, or None.
        reduction (str): 'mean' (default), 'sum' or 'none'.
        pos_weight: weight of the positive class, broadcast against the
            input (e.g. one per output column), or None.

    Shape:
        input (\*) logits and target of the same shape (0/1 or probabilities);
        output a scalar, or the input's shape for 'none'.

    Example:
        >>> import numpy as np
        >>> from minitorch import nn
        >>> round(nn.BCEWithLogitsLoss()(np.zeros(2), np.array([1.0, 0.0])).item(), 4)   # log 2
        0.6931
    """

    _leaf_layer = True

    analytic = False

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.weight = None if weight is None else np.asarray(getattr(weight, "data", weight))
        self.pos_weight = None if pos_weight is None else np.asarray(getattr(pos_weight, "data", pos_weight))

    def forward(self, x, target):
        """L from logits x and targets y, without computing log σ(x) directly."""
        y = self._same_shape(x, target)
        e = np.exp(-np.abs(x))
        softplus_neg = np.log1p(e) + np.maximum(-x, 0)                 # −log σ(x), stable
        pw = None if self.pos_weight is None else self.pos_weight.astype(x.dtype, copy=False)
        w = None if self.weight is None else self.weight.astype(x.dtype, copy=False)
        lw = 1 if pw is None else 1 + (pw - 1) * y
        loss = (1 - y) * x + lw * softplus_neg
        if w is not None:
            loss = loss * w
        self.sigmoid = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        self.y, self.lw, self.w = y, lw, w
        return self._reduce(loss)

    def backward(self, grad_output):
        """dL/dx = w [(1 − y) − l (1 − σ(x))] · g / n for 'mean'."""
        grad = (1 - self.y) - self.lw * (1 - self.sigmoid)
        if self.w is not None:
            grad = grad * self.w
        return self._scale(grad_output, grad.size) * grad
