"""fit, evaluate, predict: the training loop for the common case, with a progress bar.

``fit`` runs exactly the loop the examples teach first, once per batch::

    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()

and around it keeps what a user would otherwise write by hand: the running
loss on a tqdm bar, an evaluation on ``val_loader`` after each epoch, metrics,
a learning-rate schedule, early stopping with the best weights restored, and a
stop with ``FloatingPointError`` when the loss is no longer finite. The
explicit loop stays the reference: ``fit`` adds a few microseconds per batch
(one ``loss.item()``, two list appends when metrics are asked for, one clock
read), and metrics are computed once per epoch on the collected predictions.

Example:
    >>> import numpy as np
    >>> import minitorch as mt
    >>> from minitorch import nn, optim
    >>> from minitorch.data import DataLoader, TensorDataset
    >>> from minitorch.train import fit
    >>> _ = mt.manual_seed(0)
    >>> X = np.random.default_rng(0).normal(size=(64, 2)); y = (X[:, 0] > 0).astype(int)
    >>> model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> history = fit(model, DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True),
    ...               nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), epochs=20,
    ...               metrics=["accuracy"], progress=False)
    >>> len(history["loss"]), history["accuracy"][-1] > 0.9
    (20, True)
"""
import math
import numbers
import time

import numpy as np
from tqdm import tqdm

from minitorch.autograd import no_grad
from minitorch.history import EarlyStopping, History
from minitorch.metrics import METRICS, _compute_metrics, _metric_fns, accuracy, mae, r2, rmse
from minitorch.optim.lr_scheduler import ReduceLROnPlateau
from minitorch.tensor import Tensor

__all__ = ["fit", "evaluate", "predict", "History", "EarlyStopping",
           "accuracy", "r2", "rmse", "mae", "METRICS"]


# --- the loop ------------------------------------------------------------------------------
def _unpack(batch, where):
    try:
        x, y = batch
    except (TypeError, ValueError):
        raise ValueError(f"{where}: expected batches (inputs, targets), got "
                         f"{type(batch).__name__}" + (f" of {len(batch)} items"
                                                      if hasattr(batch, "__len__") else "")) from None
    return x, y


def _item(loss, where):
    try:
        return loss.item()
    except (AttributeError, ValueError):
        raise ValueError(f"{where}: expected loss_fn to return a one-element Tensor (reduction "
                         f"'mean' or 'sum'), got {type(loss).__name__} of shape "
                         f"{getattr(loss, 'shape', None)}") from None


def _modes(model):
    """Each module's train/eval flag, to put back afterwards."""
    return [(m, m.training) for m in model.modules()] if hasattr(model, "modules") else []


def _restore(modes):
    for m, training in modes:
        m.training = training


def fit(model, train_loader, loss_fn, optimizer, epochs, val_loader=None, metrics=None,
        scheduler=None, early_stopping=None, progress=True):
    """Train ``model`` for ``epochs`` passes over ``train_loader``; returns a :class:`History`.

    Each batch ``(x, y)`` takes one step: zero_grad, forward, loss, backward,
    step. After each epoch, ``val_loader`` is evaluated (under ``no_grad``, in
    eval mode), the scheduler steps and early stopping decides. The model is
    in train mode while it trains; each module's train/eval mode is put back
    as it was when fit returns.

    Args:
        model (nn.Module): takes a batch of inputs (numpy arrays or Tensors).
        train_loader: iterable of ``(inputs, targets)`` batches, e.g. a ``DataLoader``.
        loss_fn: ``loss_fn(output, targets)`` returning a one-element Tensor.
        optimizer: an ``optim.Optimizer`` over the model's parameters.
        epochs (int): number of passes over ``train_loader``.
        val_loader: optional iterable of ``(inputs, targets)`` to evaluate after each epoch.
        metrics: names (``"accuracy"``, ``"r2"``, ``"rmse"``, ``"mae"``), functions
            ``fn(y_pred, y_true) -> float`` on numpy arrays, or a dict name → either.
        scheduler: an ``optim.lr_scheduler`` scheduler (or a list of them), stepped
            once per epoch; ``ReduceLROnPlateau`` gets the epoch's val loss (the
            train loss without a val_loader).
        early_stopping: an :class:`EarlyStopping`, or an int patience meaning
            ``EarlyStopping(patience, monitor="val_loss")`` (``"loss"`` without a val_loader).
        progress (bool): show a tqdm bar per epoch with the running loss and,
            at the epoch's end, its metrics. False prints nothing.

    Returns:
        History: ``history["loss"]``, ``history["val_loss"]``, ``history[name]``,
        ``history["val_" + name]``, ``history["lr"]``, one entry per epoch.

    Raises:
        FloatingPointError: when a batch's loss (or an epoch's val loss) is NaN or
            inf; the message names the epoch and batch. That batch's step is not
            taken, so the model holds the weights from before it.
        ValueError: for batches that are not ``(inputs, targets)``, a loss that is
            not one element, or an early-stopping monitor that fit does not record.

    Example:
        >>> import numpy as np
        >>> import minitorch as mt
        >>> from minitorch import nn, optim
        >>> from minitorch.data import DataLoader, TensorDataset
        >>> _ = mt.manual_seed(0)
        >>> X = np.random.default_rng(0).normal(size=(200, 3))
        >>> y = X @ np.array([[1.0], [-2.0], [0.5]])                 # a linear target
        >>> train, val = TensorDataset(X[:160], y[:160]), TensorDataset(X[160:], y[160:])
        >>> model = nn.Linear(3, 1)
        >>> history = fit(model, DataLoader(train, batch_size=16, shuffle=True), nn.MSELoss(),
        ...               optim.SGD(model.parameters(), lr=0.1), epochs=30,
        ...               val_loader=DataLoader(val, batch_size=40), metrics=["r2"],
        ...               early_stopping=EarlyStopping(patience=3), progress=False)
        >>> history["val_r2"][-1] > 0.999, history.epochs <= 30
        (True, True)
    """
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 0:
        raise ValueError(f"fit: expected epochs as an int >= 0, got {epochs!r}")
    fns = _metric_fns(metrics, "fit")
    stopper = early_stopping
    if isinstance(stopper, numbers.Integral) and not isinstance(stopper, bool):
        stopper = EarlyStopping(stopper, monitor="val_loss" if val_loader is not None else "loss")
    if stopper is not None:
        if not isinstance(stopper, EarlyStopping):
            raise TypeError(f"fit: expected early_stopping as an EarlyStopping or an int patience, "
                            f"got {type(stopper).__name__}")
        keys = ["loss", *fns] + (["val_loss", *("val_" + k for k in fns)] if val_loader is not None else [])
        if stopper.monitor not in keys:
            raise ValueError(f"fit: EarlyStopping monitors {stopper.monitor!r}, which fit does not "
                             f"record here; expected one of {keys}"
                             + ("" if val_loader is not None else " (pass val_loader= for 'val_' keys)"))
        stopper._mode = stopper._direction()
        stopper._start()
    schedulers = [] if scheduler is None else list(scheduler) if isinstance(scheduler, (list, tuple)) \
        else [scheduler]
    history = History()
    modes = _modes(model)
    try:
        for epoch in range(1, epochs + 1):
            row, bar = _train_epoch(model, train_loader, loss_fn, optimizer, fns, epoch, epochs, progress)
            try:
                if val_loader is not None:
                    val = evaluate(model, val_loader, loss_fn, fns)
                    if not math.isfinite(val["loss"]):
                        raise FloatingPointError(
                            f"fit: the validation loss is {val['loss']} after epoch {epoch} "
                            f"(expected a finite number); check val_loader's data for NaN/inf")
                    row.update(("val_" + k, v) for k, v in val.items())
                if bar is not None:
                    bar.set_postfix_str(", ".join(f"{k}={v:.4g}" for k, v in row.items()), refresh=False)
            finally:
                if bar is not None:
                    bar.close()
            groups = getattr(optimizer, "param_groups", None)
            if groups:
                row["lr"] = float(groups[0]["lr"])
            history._append(row)
            for s in schedulers:
                if isinstance(s, ReduceLROnPlateau):
                    s.step(row.get("val_loss", row["loss"]))
                else:
                    s.step()
            if stopper is not None and stopper.step(epoch, row[stopper.monitor], model):
                history.stopped_epoch = epoch
                break
    finally:
        _restore(modes)
    if stopper is not None:
        history.best_epoch = stopper.best_epoch
        if stopper.restore_best and stopper.best_state is not None:
            model.load_state_dict(stopper.best_state)
    return history


def _train_epoch(model, loader, loss_fn, optimizer, fns, epoch, epochs, progress):
    """One pass: the explicit loop plus the running loss. Returns (row, open bar or None)."""
    model.train()
    bar = None
    if progress:
        # Advanced by hand (not ``tqdm(loader)``, which closes the bar when the loader
        # is exhausted, so the epoch's metrics could not be written on it), and only
        # when the postfix is refreshed: per batch, the bar costs one clock read.
        bar = tqdm(total=len(loader) if hasattr(loader, "__len__") else None,
                   desc=f"epoch {epoch}/{epochs}", unit="batch", leave=True, dynamic_ncols=True)
        interval, shown = bar.mininterval, time.monotonic()
    b, total, count, preds, targets = 0, 0.0, 0, [], []
    try:
        for b, batch in enumerate(loader, 1):
            x, y = _unpack(batch, "fit")
            optimizer.zero_grad()
            out = model(x)
            loss = loss_fn(out, y)
            value = _item(loss, "fit")
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"fit: the training loss is {value} at epoch {epoch}, batch {b} (expected a "
                    f"finite number). This batch's step was not taken: the model holds the "
                    f"weights from before it. Lower the learning rate, check the data for "
                    f"NaN/inf, or run under mt.detect_anomaly() to find the module that produced it.")
            loss.backward()
            optimizer.step()
            n = len(y)
            total += value * n
            count += n
            if fns:
                preds.append(out.data)
                targets.append(y)
            if bar is not None:
                now = time.monotonic()
                if now - shown >= interval:            # at most once per mininterval
                    bar.set_postfix_str(f"loss={total / count:.4g}", refresh=False)
                    bar.update(b - bar.n)
                    shown = now
        if bar is not None:
            bar.update(b - bar.n)
        if count == 0:
            raise ValueError(f"fit: train_loader gave no batches in epoch {epoch}; expected at least one")
        row = {"loss": total / count}
        row.update(_compute_metrics(fns, preds, targets))
    except BaseException:
        if bar is not None:
            bar.close()
        raise
    return row, bar


def evaluate(model, loader, loss_fn=None, metrics=None):
    """The loss and metrics of ``model`` over ``loader``, under ``no_grad`` in eval mode.

    The loss is the batches' ``loss.item()`` weighted by batch size (the
    data-set mean for ``reduction='mean'``); metrics are computed once on all
    predictions. Each module's train/eval mode is put back afterwards.

    Args:
        model (nn.Module): the model.
        loader: iterable of ``(inputs, targets)`` batches.
        loss_fn: optional ``loss_fn(output, targets)``.
        metrics: as for :func:`fit`.

    Returns:
        dict: ``{"loss": float, name: float, ...}`` (``"loss"`` only with a loss_fn).

    Example:
        >>> import numpy as np
        >>> from minitorch import nn
        >>> from minitorch.data import DataLoader, TensorDataset
        >>> model = nn.Linear(2, 2)
        >>> for p in model.parameters():
        ...     p.data[...] = 0                                # logits 0: log 2 per sample
        >>> loader = DataLoader(TensorDataset(np.ones((4, 2)), np.array([0, 1, 1, 0])), batch_size=3)
        >>> result = evaluate(model, loader, nn.CrossEntropyLoss(), ["accuracy"])
        >>> round(result["loss"], 4), result["accuracy"]      # argmax of equal logits is class 0
        (0.6931, 0.5)
    """
    fns = _metric_fns(metrics, "evaluate")
    if loss_fn is None and not fns:
        raise ValueError("evaluate: expected a loss_fn or metrics to compute, got neither")
    modes = _modes(model)
    total, count, preds, targets = 0.0, 0, [], []
    try:
        model.eval()
        with no_grad():
            for batch in loader:
                x, y = _unpack(batch, "evaluate")
                out = model(x)
                n = len(y)
                if loss_fn is not None:
                    total += _item(loss_fn(out, y), "evaluate") * n
                count += n
                if fns:
                    preds.append(out.data)
                    targets.append(y)
    finally:
        _restore(modes)
    if count == 0:
        raise ValueError("evaluate: the loader gave no batches; expected at least one")
    result = {"loss": total / count} if loss_fn is not None else {}
    result.update(_compute_metrics(fns, preds, targets))
    return result


def predict(model, X, batch_size=256):
    """The model's outputs for ``X``, batch by batch, under ``no_grad`` in eval mode.

    Each module's train/eval mode is put back afterwards.

    Args:
        model (nn.Module): the model.
        X: inputs as a numpy array, Tensor or nested list (cut into batches of
            ``batch_size`` rows), or an iterable of batches such as a
            ``DataLoader`` (of inputs, or of ``(inputs, targets)`` tuples).
        batch_size (int): rows per forward pass for array input. Default: 256.

    Returns:
        numpy.ndarray: the outputs of all batches, joined along the first axis.

    Example:
        >>> import numpy as np
        >>> from minitorch import nn
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        >>> logits = predict(model, np.ones((1000, 4)), batch_size=256)   # 4 forward passes
        >>> logits.shape, logits.argmax(axis=1).shape
        ((1000, 3), (1000,))
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(f"predict: expected batch_size as an int >= 1, got {batch_size!r}")
    if isinstance(X, Tensor):
        X = X.data
    elif isinstance(X, (list, tuple)):
        X = np.asarray(X)
    if isinstance(X, np.ndarray):
        if X.ndim == 0:
            raise ValueError("predict: expected inputs with a first (sample) dimension, got a 0-d array")
        batches = (X[i:i + batch_size] for i in range(0, max(len(X), 1), batch_size))
    else:
        batches = (b[0] if isinstance(b, (tuple, list)) else b for b in X)
    modes = _modes(model)
    outputs = []
    try:
        model.eval()
        with no_grad():
            for x in batches:
                out = model(x)
                outputs.append(out.data if isinstance(out, Tensor) else np.asarray(out))
    finally:
        _restore(modes)
    if not outputs:
        raise ValueError("predict: got no batches; expected at least one")
    return np.concatenate(outputs) if len(outputs) > 1 else outputs[0]
