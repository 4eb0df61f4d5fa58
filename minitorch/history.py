"""History and EarlyStopping: what ``fit`` records per epoch, and when it stops.

``History`` is the dict of per-epoch lists that :func:`minitorch.train.fit`
returns; ``EarlyStopping`` watches one of its entries and restores the best
epoch's weights.
"""
import numbers

from minitorch.metrics import _LARGER_IS_BETTER, _SMALLER_IS_BETTER

__all__ = ["History", "EarlyStopping"]


class History(dict):
    """What :func:`minitorch.train.fit` returns: a dict of per-epoch lists, plus where training stopped.

    Keys, each a list with one float per epoch run:

    * ``"loss"``: the epoch's training loss, the batches' ``loss.item()``
      weighted by batch size (the data-set mean for ``reduction='mean'``);
    * ``"val_loss"``: the loss on ``val_loader`` after the epoch (with a val_loader);
    * ``"<name>"`` and ``"val_<name>"``: each metric on the epoch's training
      predictions (made while the weights moved, as in Keras) and on ``val_loader``;
    * ``"lr"``: the learning rate of the optimizer's first group during the epoch.

    Attributes:
        epochs (int): the number of epochs run.
        best_epoch (int or None): with early stopping, the (1-based) epoch of the
            best monitored value, whose weights the model holds when ``restore_best``.
        stopped_epoch (int or None): the epoch after which early stopping stopped.
    """

    def __init__(self):
        super().__init__()
        self.best_epoch = None
        self.stopped_epoch = None

    @property
    def epochs(self):
        """The number of epochs run (the length of ``history["loss"]``)."""
        return len(self.get("loss", ()))

    def _append(self, row):
        for key, value in row.items():
            self.setdefault(key, []).append(value)

    def __repr__(self):
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.items() if v)
        return f"History(epochs={self.epochs}{', last: ' if last else ''}{last})"


class EarlyStopping:
    """Stop :func:`minitorch.train.fit` when a monitored value stops improving, then restore the best weights.

    An epoch improves on the best so far when its value < best − min_delta
    (mode 'min') or > best + min_delta (mode 'max'). After ``patience`` epochs
    in a row without improvement, training stops. With ``restore_best`` the
    model gets back the weights of the best epoch (kept as ``state_dict()``
    copies) when fit ends, whether it stopped early or ran all its epochs.

    Args:
        patience (int): epochs without improvement tolerated. Default: 5.
        min_delta (float): smallest change that counts as an improvement. Default: 0.
        monitor (str): a key of the :class:`History`: ``"val_loss"`` (default),
            ``"loss"``, ``"val_accuracy"``, ...
        mode (str): 'min', 'max' or 'auto' (max for accuracy and r2, min for
            losses, rmse and mae; other names need 'min' or 'max').
        restore_best (bool): load the best epoch's weights at the end. Default: True.

    Example:
        >>> from minitorch import nn
        >>> model = nn.Linear(2, 1)
        >>> stopper = EarlyStopping(patience=2, monitor="val_loss")
        >>> [stopper.step(epoch, val_loss, model) for epoch, val_loss in enumerate([3, 2, 2.5, 2.1], 1)]
        [False, False, False, True]
        >>> stopper.best_epoch
        2
    """

    def __init__(self, patience=5, min_delta=0.0, monitor="val_loss", mode="auto", restore_best=True):
        if isinstance(patience, bool) or not isinstance(patience, numbers.Integral) or patience < 0:
            raise ValueError(f"EarlyStopping: expected patience as an int >= 0, got {patience!r}")
        if not isinstance(min_delta, numbers.Real) or not min_delta >= 0:
            raise ValueError(f"EarlyStopping: expected min_delta >= 0, got {min_delta!r}")
        if mode not in ("min", "max", "auto"):
            raise ValueError(f"EarlyStopping: mode must be 'min', 'max' or 'auto', got {mode!r}")
        self.patience, self.min_delta, self.monitor = int(patience), float(min_delta), str(monitor)
        self.mode, self.restore_best = mode, bool(restore_best)
        self._mode = None
        self._start()

    def _start(self):
        self.best, self.best_epoch, self.best_state, self.wait = None, None, None, 0

    def _direction(self):
        if self.mode != "auto":
            return self.mode
        base = self.monitor[4:] if self.monitor.startswith("val_") else self.monitor
        if base in _LARGER_IS_BETTER:
            return "max"
        if base in _SMALLER_IS_BETTER or base.endswith("loss"):
            return "min"
        raise ValueError(f"EarlyStopping: cannot tell whether larger or smaller is better for "
                         f"{self.monitor!r}; pass mode='min' or mode='max'")

    def step(self, epoch, value, model):
        """Record one epoch's monitored value; True when training should stop."""
        if self._mode is None:
            self._mode = self._direction()
        sign = 1.0 if self._mode == "min" else -1.0
        if self.best is None or sign * value < sign * self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_state = model.state_dict()
            return False
        self.wait += 1
        return self.wait >= self.patience

    def __repr__(self):
        return (f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, "
                f"monitor={self.monitor!r}, mode={self.mode!r}, restore_best={self.restore_best})")
