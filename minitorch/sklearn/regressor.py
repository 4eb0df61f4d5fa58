"""MLPRegressor: scikit-learn's regressor API around a minitorch network."""
import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.validation import column_or_1d

from minitorch import nn
from minitorch.sklearn.base import BaseMLP

__all__ = ["MLPRegressor"]


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor trained with minitorch, with scikit-learn's API.

    Minimises scikit-learn's squared loss, ½·Σₖ(ŷₖ − yₖ)² averaged over the
    batch (``MSELoss`` scaled by ½·n_outputs, so the gradients are exactly
    scikit-learn's), plus the L2 penalty ``alpha/2·Σ‖W‖²/n_batch``. As in
    scikit-learn, ``loss_curve_`` reports ½·(mean squared error over all
    outputs) + penalty. The output layer is linear (identity).

    Takes the parameters of [BaseMLP][minitorch.sklearn.BaseMLP] (scikit-learn's
    ``MLPRegressor`` ones plus ``module`` and ``dtype``).

    Attributes:
        model_ (nn.Module): the trained network.
        n_features_in_ (int): features seen by ``fit``.
        n_outputs_ (int): targets per sample.
        n_iter_ (int): epochs of the last ``fit`` (1 after ``partial_fit``).
        t_ (int): samples seen.
        loss_ (float): the last epoch's loss.
        loss_curve_ (list[float]): the loss of each epoch, penalty included.
        best_loss_ (float): the lowest loss (None with early stopping).
        validation_scores_ (list[float]): R² on the held-out split per epoch
            (with early stopping).
        best_validation_score_ (float): the best of them (with early stopping).

    Example:
        >>> import numpy as np
        >>> from minitorch.sklearn import MLPRegressor
        >>> X = np.linspace(-1, 1, 200).reshape(-1, 1); y = X[:, 0] ** 2
        >>> reg = MLPRegressor(hidden_layer_sizes=(32,), activation="tanh", max_iter=500,
        ...                    learning_rate_init=0.03, random_state=0).fit(X, y)
        >>> reg.score(X, y) > 0.95
        True
    """

    _report_gain = 0.5
    _y_validation = {"multi_output": True, "y_numeric": True}
    out_activation_ = "identity"

    def _encode(self, y, first, incremental, classes=None):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)            # scikit-learn warns, then uses (N,)
        y = np.asarray(y, dtype=np.float64)
        y = y.reshape(-1, 1) if y.ndim == 1 else y
        if not first and y.shape[1] != self.n_outputs_:
            raise ValueError(f"{type(self).__name__}: expected y with {self.n_outputs_} "
                             f"target(s) per sample, as in the previous fit, got {y.shape[1]}")
        return y, y.shape[1]

    def _loss_target(self, encoded):
        return encoded.astype(self.model_dtype_)

    def _loss_fns(self):
        return nn.MSELoss(), nn.MSELoss(reduction="none")

    def _grad_gain(self):
        return 0.5 * self.n_outputs_       # ½Σₖ(ŷₖ − yₖ)²/N = ½k · MSELoss's mean over N·k

    def _validation_score(self, X, encoded):
        return float(r2_score(encoded, self._forward(X)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _more_tags(self):                   # the same, for scikit-learn < 1.6
        return {"multioutput": True}

    # --- scikit-learn's API -----------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Train on X (n_samples, n_features) and targets y (n_samples,) or (n_samples,
        n_targets); returns self. ``sample_weight`` weights each sample's loss."""
        return self._fit(X, y, sample_weight=sample_weight)

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over (X, y), continuing from the current weights and optimizer state."""
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predictions (n_samples,) for one target, (n_samples, n_targets) for several."""
        out = self._forward(self._prepare_X(X)).astype(np.float64)
        return out.ravel() if out.shape[1] == 1 else out
