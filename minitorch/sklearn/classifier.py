"""MLPClassifier: scikit-learn's classifier API around a minitorch network."""
import numpy as np
from scipy.special import expit, log_softmax, softmax
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets

from minitorch import nn
from minitorch.sklearn.base import BaseMLP

__all__ = ["MLPClassifier"]


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier trained with minitorch, with scikit-learn's API.

    Minimises the cross entropy of the network's logits: ``CrossEntropyLoss``
    for three or more classes (one logit per class, softmax probabilities),
    ``BCEWithLogitsLoss`` for two (one logit, the probability of ``classes_[1]``
    is σ(logit)), plus scikit-learn's L2 penalty ``alpha/2·Σ‖W‖²/n_batch``.
    Labels may be of any type ``np.unique`` sorts (ints, strings, ...).

    Takes the parameters of [BaseMLP][minitorch.sklearn.BaseMLP] (scikit-learn's
    ``MLPClassifier`` ones plus ``module`` and ``dtype``). For two classes a given
    ``module`` may have one output (binary cross entropy) or two (cross entropy);
    the early-stopping split is stratified.

    Attributes:
        classes_ (numpy.ndarray): the class labels, sorted.
        model_ (nn.Module): the trained network.
        n_features_in_ (int): features seen by ``fit``.
        n_outputs_ (int): logits per sample (1 for two classes with the default network).
        n_iter_ (int): epochs of the last ``fit`` (1 after ``partial_fit``).
        t_ (int): samples seen.
        loss_ (float): the last epoch's loss.
        loss_curve_ (list[float]): the loss of each epoch, penalty included.
        best_loss_ (float): the lowest loss (None with early stopping).
        validation_scores_ (list[float]): accuracy on the held-out split per epoch
            (with early stopping).
        best_validation_score_ (float): the best of them (with early stopping).
        out_activation_ (str): 'softmax', or 'logistic' for one logit.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.preprocessing import StandardScaler
        >>> from minitorch.sklearn import MLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> X = StandardScaler().fit_transform(X)          # unit scale: a fast, sure fit
        >>> clf = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01,
        ...                     max_iter=300, random_state=0).fit(X, y)
        >>> clf.score(X, y) > 0.95, clf.predict_proba(X[:1]).shape
        (True, (1, 3))
    """

    def _encode(self, y, first, incremental, classes=None):
        check_classification_targets(y)
        name = type(self).__name__
        if incremental and not hasattr(self, "classes_") and classes is None:
            raise ValueError(f"{name}: classes must be passed on the first call to "
                             f"partial_fit (e.g. classes=np.unique(y_all))")
        given = None if classes is None else np.unique(classes)
        if given is not None and hasattr(self, "classes_") and not first:
            if not np.array_equal(self.classes_, given):
                raise ValueError(f"{name}: classes={given} is not the same as "
                                 f"on the first call to partial_fit, {self.classes_}")
        labels = np.unique(y)
        if first:
            self.classes_ = labels if given is None else given
            if len(self.classes_) < 2:
                raise ValueError(f"{name}: expected at least 2 classes to learn, got 1 class "
                                 f"({self.classes_[0]!r}) in y")
        elif self.warm_start and not incremental and not np.array_equal(labels, self.classes_):
            raise ValueError(f"{name}: warm_start can only be used where y has the same classes "
                             f"as in the previous call to fit; previously got {self.classes_}, "
                             f"y has {labels}")
        unknown = np.setdiff1d(labels, self.classes_)
        if len(unknown):
            raise ValueError(f"{name}: y has classes {unknown.tolist()} that are not in "
                             f"classes_ {self.classes_.tolist()}")
        n_classes = len(self.classes_)
        return np.searchsorted(self.classes_, y).astype(np.int64), \
            (1 if n_classes == 2 else n_classes)

    def _check_output_width(self, width, n_outputs):
        if n_outputs == 1 and width == 2:            # a given module may use two logits
            return
        super()._check_output_width(width, n_outputs)

    def _loss_target(self, encoded):
        if self.n_outputs_ == 1:                     # 0/1 targets of BCEWithLogitsLoss
            return encoded.astype(self.model_dtype_).reshape(-1, 1)
        return encoded

    def _loss_fns(self):
        if self.n_outputs_ == 1:
            return nn.BCEWithLogitsLoss(), nn.BCEWithLogitsLoss(reduction="none")
        return nn.CrossEntropyLoss(), nn.CrossEntropyLoss(reduction="none")

    @property
    def out_activation_(self):
        return "logistic" if self.n_outputs_ == 1 else "softmax"

    def _indices(self, logits):
        if logits.shape[1] == 1:
            return (logits[:, 0] > 0).astype(np.int64)
        return logits.argmax(axis=1)

    def _validation_score(self, X, encoded):
        return float(np.mean(self._indices(self._forward(X)) == encoded))

    # --- scikit-learn's API -----------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Train on X (n_samples, n_features) and labels y (n_samples,); returns self.

        Starts from new weights unless ``warm_start`` is set and the estimator is
        fitted. ``sample_weight`` (n_samples,) weights each sample's loss.
        """
        return self._fit(X, y, sample_weight=sample_weight)

    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over (X, y), continuing from the current weights and optimizer state.

        ``classes`` (every label that will ever appear) is required on the first
        call and optional afterwards.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True, classes=classes)

    def predict(self, X):
        """The most probable class label of each sample, shape (n_samples,)."""
        logits = self._forward(self._prepare_X(X))
        return self.classes_[self._indices(logits)]

    def predict_proba(self, X):
        """Class probabilities (n_samples, n_classes), columns in the order of ``classes_``."""
        logits = self._forward(self._prepare_X(X)).astype(np.float64)
        if logits.shape[1] == 1:
            p = expit(logits[:, 0])
            return np.column_stack([1.0 - p, p])
        return softmax(logits, axis=1)

    def predict_log_proba(self, X):
        """log of :meth:`predict_proba`, computed stably from the logits."""
        logits = self._forward(self._prepare_X(X)).astype(np.float64)
        if logits.shape[1] == 1:
            z = logits[:, 0]                                 # log σ(z) = −log(1 + e⁻ᶻ)
            return np.column_stack([-np.logaddexp(0.0, z), -np.logaddexp(0.0, -z)])
        return log_softmax(logits, axis=1)
