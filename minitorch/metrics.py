"""Metrics for classification and regression: fn(y_pred, y_true) -> float on whole arrays.

``fit`` and ``evaluate`` compute each metric once per epoch on the joined
predictions of all batches (so R² is exact, not an average of batch values).
Predictions are the model's raw outputs: logits for classification.
"""
import numpy as np

__all__ = ["accuracy", "r2", "rmse", "mae", "METRICS"]


def accuracy(y_pred, y_true):
    """Fraction of correct predictions, from logits.

    * (N, C) logits, C > 1: the predicted class is the argmax of each row;
      ``y_true`` holds class indices (N,) or one-hot rows / probabilities (N, C).
    * (N,) or (N, 1) logits of a binary classifier: the predicted class is 1
      where the logit is > 0 (σ(logit) > 0.5); ``y_true`` holds 0/1 labels.

    Example:
        >>> import numpy as np
        >>> accuracy(np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]]), np.array([0, 1, 1]))
        0.6666666666666666
        >>> accuracy(np.array([1.5, -0.3]), np.array([1, 0]))     # binary logits
        1.0
    """
    p, t = np.asarray(y_pred), np.asarray(y_true)
    if p.ndim == 2 and p.shape[1] > 1:
        pred = p.argmax(axis=1)
        t = t.argmax(axis=1) if t.shape == p.shape else t.reshape(-1)
    elif p.ndim == 1 or (p.ndim == 2 and p.shape[1] == 1):
        pred, t = p.reshape(-1) > 0, t.reshape(-1) > 0.5
    else:
        raise ValueError(f"accuracy: expected logits of shape (N, C), (N,) or (N, 1), got {p.shape}")
    if t.shape != pred.shape:
        raise ValueError(f"accuracy: expected {len(pred)} labels for predictions of shape "
                         f"{p.shape}, got labels of shape {np.shape(y_true)}")
    return float(np.mean(pred == t))


def _regression_pair(name, y_pred, y_true):
    """(N, k) float64 views of prediction and target; a target of equal size is reshaped."""
    p, t = np.asarray(y_pred, dtype=np.float64), np.asarray(y_true, dtype=np.float64)
    if t.shape != p.shape:
        if t.size != p.size:
            raise ValueError(f"{name}: expected targets of the prediction's shape {p.shape}, "
                             f"got {t.shape}")
        t = t.reshape(p.shape)
    return p.reshape(len(p), -1), t.reshape(len(p), -1)


def r2(y_pred, y_true):
    """Coefficient of determination R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)², averaged over outputs.

    As ``sklearn.metrics.r2_score``: a constant target scores 1.0 when predicted
    exactly, else 0.0.

    Example:
        >>> import numpy as np
        >>> r2(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]))   # 1 − 1 / (14/3)
        0.7857142857142857
    """
    p, t = _regression_pair("r2", y_pred, y_true)
    ss_res = ((t - p) ** 2).sum(axis=0)
    ss_tot = ((t - t.mean(axis=0)) ** 2).sum(axis=0)
    safe = np.where(ss_tot > 0, ss_tot, 1.0)
    score = np.where(ss_tot > 0, 1 - ss_res / safe, np.where(ss_res == 0, 1.0, 0.0))
    return float(score.mean())


def rmse(y_pred, y_true):
    """Root mean squared error √(mean (y − ŷ)²), per output, averaged over outputs.

    Example:
        >>> import numpy as np
        >>> rmse(np.array([0.0, 0.0]), np.array([3.0, 4.0]))     # √((9 + 16) / 2)
        3.5355339059327378
    """
    p, t = _regression_pair("rmse", y_pred, y_true)
    return float(np.sqrt(((t - p) ** 2).mean(axis=0)).mean())


def mae(y_pred, y_true):
    """Mean absolute error mean |y − ŷ|, per output, averaged over outputs.

    Example:
        >>> import numpy as np
        >>> mae(np.array([0.0, 0.0]), np.array([3.0, -4.0]))
        3.5
    """
    p, t = _regression_pair("mae", y_pred, y_true)
    return float(np.abs(t - p).mean(axis=0).mean())


#: Metrics known by name: ``metrics=["accuracy"]`` or ``{"acc": "accuracy"}``.
METRICS = {"accuracy": accuracy, "acc": accuracy, "r2": r2, "rmse": rmse, "mae": mae}
_LARGER_IS_BETTER = {"accuracy", "acc", "r2"}
_SMALLER_IS_BETTER = {"loss", "rmse", "mae", "mse"}


def _metric_fns(metrics, where):
    """``metrics`` (None, a name, a list of names/functions, or a dict) as a dict name → fn."""
    if metrics is None:
        return {}
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    if not isinstance(metrics, dict):
        if not isinstance(metrics, (list, tuple)):
            raise TypeError(f"{where}: expected metrics as a dict name -> function, a list of "
                            f"names or functions, or one name; got {type(metrics).__name__}")
        metrics = {m if isinstance(m, str) else getattr(m, "__name__", repr(m)): m for m in metrics}
    fns = {}
    for name, fn in metrics.items():
        if isinstance(fn, str):
            if fn not in METRICS:
                raise ValueError(f"{where}: unknown metric {fn!r}; expected one of "
                                 f"{sorted(METRICS)} or a function fn(y_pred, y_true)")
            fn = METRICS[fn]
        if not callable(fn):
            raise TypeError(f"{where}: metric {name!r} must be a name or a function "
                            f"fn(y_pred, y_true), got {type(fn).__name__}")
        fns[str(name)] = fn
    return fns


def _compute_metrics(fns, preds, targets):
    """Each metric once, on the predictions and targets of all batches joined."""
    if not fns:
        return {}
    p = np.concatenate(preds)
    t = np.concatenate([np.asarray(y) for y in targets])
    return {name: float(fn(p, t)) for name, fn in fns.items()}
