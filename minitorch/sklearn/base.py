"""What MLPClassifier and MLPRegressor share: parameters, the module, and the fit loop.

The fit loop is the one the examples teach, once per mini-batch::

    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()

with scikit-learn's conventions around it (see ``sklearn/neural_network/
_multilayer_perceptron.py``, whose behaviour it follows):

* the L2 penalty is scikit-learn's: ``alpha/2 · Σ‖W‖² / n_batch`` added to each
  batch's loss, so ``alpha/n_batch · W`` is added to each weight matrix's
  gradient (matrices only, never biases);
* ``loss_curve_[k]`` is the epoch's loss, the mean of the batch losses weighted
  by batch size, in scikit-learn's scale (``0.5·mean squared error`` for
  regression);
* training stops when the loss (or the validation score with
  ``early_stopping``) has not improved by ``tol`` for more than
  ``n_iter_no_change`` epochs, with a ``ConvergenceWarning`` if ``max_iter``
  epochs ran out first.

Every draw of a fit comes from one generator made from ``random_state`` (see
:mod:`minitorch.sklearn.random_state`).
"""
import copy
import math
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

try:                                        # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data
except ImportError:                         # older: the estimator's own method
    def validate_data(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)

from minitorch import nn, optim
from minitorch.autograd import no_grad
from minitorch.sklearn.random_state import drawing_from, generator_for

__all__ = ["BaseMLP", "ACTIVATIONS"]

#: activation name (scikit-learn's) → the minitorch layer after each hidden Linear
ACTIVATIONS = {"identity": nn.Identity, "logistic": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


class BaseMLP(BaseEstimator):
    """Base class of the minitorch multi-layer perceptron estimators (not used directly).

    The parameters of [MLPClassifier][minitorch.sklearn.MLPClassifier] and
    [MLPRegressor][minitorch.sklearn.MLPRegressor]: scikit-learn's
    ``MLPClassifier``/``MLPRegressor`` ones (solvers 'sgd' and 'adam'; 'lbfgs' is
    not offered) plus ``module`` and ``dtype``.

    Args:
        hidden_layer_sizes (tuple[int]): units of each hidden ``Linear`` layer. Default: (100,).
        activation (str): after each hidden layer: 'identity', 'logistic' (Sigmoid), 'tanh'
            or 'relu'. Default: 'relu'.
        solver (str): 'adam' (``optim.Adam``) or 'sgd' (``optim.SGD``). Default: 'adam'.
        alpha (float): L2 penalty: alpha/2·Σ‖W‖²/n_batch on the weight matrices (not the
            biases). Default: 1e-4.
        batch_size (int or str): samples per step; 'auto' is min(200, n_samples).
        learning_rate (str): SGD only: 'constant', 'invscaling' (lr = lr₀/(t + 1)^power_t,
            t = samples seen) or 'adaptive' (lr/5 instead of stopping, down to 1e-6).
        learning_rate_init (float): lr₀. Default: 1e-3.
        power_t (float): exponent of 'invscaling'. Default: 0.5.
        max_iter (int): epochs (each sample seen once per epoch). Default: 200.
        shuffle (bool): reshuffle the samples every epoch. Default: True.
        random_state: None, an int, a ``RandomState`` or a ``Generator``: the initial
            weights, shuffling, dropout and the validation split.
        tol (float): smallest improvement of the loss (or validation score) that
            counts. Default: 1e-4.
        verbose (bool): a progress bar over the epochs with the loss. Default: False.
        warm_start (bool): ``fit`` continues from the fitted network. Default: False.
        momentum (float): SGD momentum. Default: 0.9.
        nesterovs_momentum (bool): SGD with Nesterov momentum. Default: True.
        early_stopping (bool): hold out ``validation_fraction`` of the data (stratified
            for a classifier), stop on its score, keep the best weights. Default: False.
        validation_fraction (float): share held out for early stopping. Default: 0.1.
        beta_1 (float): Adam's β₁. Default: 0.9.
        beta_2 (float): Adam's β₂. Default: 0.999.
        epsilon (float): Adam's ε. Default: 1e-8.
        n_iter_no_change (int): stop after more than this many epochs without an
            improvement of ``tol``. Default: 10.
        module: None for the default MLP (Linear layers of ``hidden_layer_sizes``
            with ``activation`` between them, Glorot-uniform initialised as
            scikit-learn does), an ``nn.Module`` (copied at each fresh fit; its
            weights are the starting point), or a callable
            ``(n_features, n_outputs) -> nn.Module``, called under the seeded
            generator. The module maps (N, n_features) to (N, n_outputs) logits
            or predictions, and is cast to ``dtype``.
        dtype: float dtype of the model and of X during training, np.float32
            (default) or np.float64. Predictions are returned as float64.
    """

    _report_gain = 1.0          # the loss_curve_ value per unit of the loss module's value

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, module=None,
                 dtype=np.float32):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.module = module
        self.dtype = dtype

    # --- what subclasses fill in ------------------------------------------------------
    _y_validation = {}          # keyword arguments of validate_data for y

    def _encode(self, y, first, incremental, classes=None):
        """Validated y → (labels as the estimator keeps them, outputs the model needs).

        A classifier returns class indices (setting ``classes_``); a regressor
        returns float targets of shape (N, n_targets).
        """
        raise NotImplementedError

    def _loss_target(self, encoded):
        """Encoded labels → what the loss module takes, for a model with ``n_outputs_``."""
        return encoded

    def _check_output_width(self, width, n_outputs):
        if width != n_outputs:
            raise ValueError(f"{type(self).__name__}: expected the module to give {n_outputs} "
                             f"outputs per sample, got {width}")

    def _loss_fns(self):
        """(loss with reduction 'mean', the same with reduction 'none') for ``n_outputs_``."""
        raise NotImplementedError

    def _grad_gain(self):
        """Factor on dL/d(output) so the gradients are scikit-learn's (1 unless regression)."""
        return 1.0

    def _validation_score(self, X, encoded):
        """Score on the held-out split (accuracy or R²), from prepared X and encoded labels."""
        raise NotImplementedError

    # --- parameters -------------------------------------------------------------------------
    def _check_params(self):
        name = type(self).__name__

        def bad(param, expected, exc=ValueError):
            return exc(f"{name}: {param} must be {expected}, got {getattr(self, param)!r}")

        sizes = self.hidden_layer_sizes
        sizes = [sizes] if not hasattr(sizes, "__iter__") else list(sizes)
        if not all(_is_int(s) and s > 0 for s in sizes):
            raise bad("hidden_layer_sizes", "a positive int or a sequence of positive ints")
        if self.activation not in ACTIVATIONS:
            raise bad("activation", f"one of {', '.join(map(repr, ACTIVATIONS))}")
        if self.solver not in ("sgd", "adam"):
            raise bad("solver", "'sgd' or 'adam' (minitorch does not offer 'lbfgs')")
        if self.learning_rate not in ("constant", "invscaling", "adaptive"):
            raise bad("learning_rate", "'constant', 'invscaling' or 'adaptive'")
        if not (self.batch_size == "auto" or _is_int(self.batch_size) and self.batch_size >= 1):
            raise bad("batch_size", "'auto' or a positive int")
        for param, low, high, closed in (
                ("alpha", 0, math.inf, "[)"), ("learning_rate_init", 0, math.inf, "()"),
                ("power_t", 0, math.inf, "[)"), ("tol", 0, math.inf, "[)"),
                ("momentum", 0, 1, "[]"), ("validation_fraction", 0, 1, "()"),
                ("beta_1", 0, 1, "[)"), ("beta_2", 0, 1, "[)"), ("epsilon", 0, math.inf, "()")):
            v = getattr(self, param)
            if not isinstance(v, numbers.Real) or isinstance(v, bool):
                raise bad(param, "a real number", TypeError)
            inside = (low <= v if closed[0] == "[" else low < v) and \
                (v <= high if closed[1] == "]" else v < high)
            if not inside:
                raise bad(param, f"in {closed[0]}{low}, {high}{closed[1]}")
        for param in ("max_iter", "n_iter_no_change"):
            v = getattr(self, param)
            if not (_is_int(v) and v >= 1) and not (param == "n_iter_no_change" and v == np.inf):
                raise bad(param, "a positive int")
        if not (self.random_state is None or _is_int(self.random_state)
                or isinstance(self.random_state, (np.random.RandomState, np.random.Generator))):
            raise bad("random_state", "None, an int, a numpy RandomState or Generator", TypeError)
        if self.module is not None and not isinstance(self.module, nn.Module) \
                and not callable(self.module):
            raise bad("module", "None, an nn.Module or a callable (n_features, n_outputs) -> "
                      "nn.Module", TypeError)
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            dtype = None
        if dtype not in (np.float32, np.float64):
            raise bad("dtype", "np.float32 or np.float64")
        return sizes, dtype

    # --- the model ----------------------------------------------------------------------------
    def _build_module(self, sizes, n_features, n_outputs, dtype, rng):
        """The network to train: the default MLP, a copy of ``module``, or the factory's."""
        if self.module is None:
            units = [n_features, *sizes, n_outputs]
            factor = 2.0 if self.activation == "logistic" else 6.0
            layers = []
            for i, (fan_in, fan_out) in enumerate(zip(units, units[1:])):
                layer = nn.Linear(fan_in, fan_out, dtype=dtype)
                bound = math.sqrt(factor / (fan_in + fan_out))        # Glorot, as scikit-learn
                layer.weight.data[...] = rng.uniform(-bound, bound, (fan_out, fan_in))
                layer.bias.data[...] = rng.uniform(-bound, bound, fan_out)
                layers.append(layer)
                if i < len(units) - 2:
                    layers.append(ACTIVATIONS[self.activation]())
            return nn.Sequential(*layers)
        if isinstance(self.module, nn.Module):
            model = copy.deepcopy(self.module)
        else:
            model = self.module(n_features, n_outputs)
            if not isinstance(model, nn.Module):
                raise TypeError(f"{type(self).__name__}: module({n_features}, {n_outputs}) "
                                f"must return an nn.Module, got {type(model).__name__}")
        if next(model.parameters(), None) is None:
            raise ValueError(f"{type(self).__name__}: the module has no parameters to train")
        return model.to(dtype)

    def _output_width(self, model, X):
        """The number of outputs the module gives, checked on the first two samples."""
        x = X[:2]
        model.eval()
        try:
            with no_grad():
                out = np.asarray(model(x).data)
        except Exception as e:
            raise ValueError(f"{type(self).__name__}: the module failed on input of shape "
                             f"{x.shape} (n_features={x.shape[1]}): {e}") from e
        finally:
            model.train()
        if out.ndim != 2 or out.shape[0] != len(x):
            raise ValueError(f"{type(self).__name__}: expected the module to map (N, "
                             f"{x.shape[1]}) to (N, n_outputs), got output {out.shape} for "
                             f"input {x.shape}")
        return out.shape[1]

    def _make_optimizer(self, model):
        params = list(model.parameters())
        if self.solver == "sgd":
            return optim.SGD(params, lr=self.learning_rate_init, momentum=self.momentum,
                             nesterov=bool(self.nesterovs_momentum and self.momentum > 0))
        return optim.Adam(params, lr=self.learning_rate_init, betas=(self.beta_1, self.beta_2),
                          eps=self.epsilon)

    def _forward(self, X):
        """The module's outputs for prepared X (eval mode, no graph), as a numpy array."""
        model = self.model_
        model.eval()
        with no_grad():
            return np.asarray(model(X).data)

    def _prepare_X(self, X):
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return np.ascontiguousarray(X, dtype=self.model_dtype_)

    # --- fitting --------------------------------------------------------------------------------
    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None):
        sizes, dtype = self._check_params()
        if incremental and self.early_stopping:
            raise ValueError(f"{type(self).__name__}: partial_fit does not support "
                             f"early_stopping=True")
        first = not hasattr(self, "model_") or (not self.warm_start and not incremental)
        X, y = validate_data(self, X, y, reset=first, dtype=(np.float64, np.float32),
                             **self._y_validation)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        encoded, n_outputs = self._encode(y, first, incremental, classes)
        X = np.ascontiguousarray(X, dtype=dtype if first else self.model_dtype_)
        rng = generator_for(self.random_state)
        with drawing_from(rng):
            if first:
                self._initialize(sizes, X, n_outputs, dtype, rng)
            elif self.early_stopping and self.validation_scores_ is None:   # turned on since
                self.validation_scores_, self.best_validation_score_ = [], -np.inf
            elif not self.early_stopping and self.best_loss_ is None:       # turned off since
                self.best_loss_ = np.inf
            if not incremental or not hasattr(self, "_optimizer"):
                self._optimizer = self._make_optimizer(self.model_)
            self._run(X, encoded, sample_weight, incremental, rng)
        return self

    def _initialize(self, sizes, X, n_outputs, dtype, rng):
        model = self._build_module(sizes, X.shape[1], n_outputs, dtype, rng)
        width = self._output_width(model, X)
        self._check_output_width(width, n_outputs)
        self.model_, self.model_dtype_, self.n_outputs_ = model, dtype, width
        self.n_iter_, self.t_ = 0, 0
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_, self.best_validation_score_ = [], -np.inf
            self.best_loss_ = None
        else:
            self.validation_scores_ = self.best_validation_score_ = None
            self.best_loss_ = np.inf

    def _split(self, X, y, sample_weight, rng):
        """(train, validation) parts for early stopping, stratified for a classifier."""
        stratify = y if is_classifier(self) else None
        parts = train_test_split(X, y, *([] if sample_weight is None else [sample_weight]),
                                 random_state=int(rng.integers(2**31 - 1)),
                                 test_size=self.validation_fraction, stratify=stratify)
        if len(parts[1]) < 2:
            raise ValueError(f"{type(self).__name__}: expected a validation set of at least 2 "
                             f"samples, got {len(parts[1])}; increase validation_fraction or "
                             f"the size of the data set")
        X, X_val, y, y_val = parts[:4]
        sample_weight = parts[4] if sample_weight is not None else None
        return X, y, sample_weight, X_val, y_val

    def _run(self, X, y, sample_weight, incremental, rng):
        """The epochs of one ``fit`` (up to max_iter) or ``partial_fit`` (one) call."""
        early_stopping = self.early_stopping
        if early_stopping:
            X, y, sample_weight, X_val, y_val = self._split(X, y, sample_weight, rng)
        y = self._loss_target(y)
        n = len(X)
        if self.batch_size == "auto":
            batch_size = min(200, n)
        else:
            if self.batch_size > n:
                warnings.warn(f"{type(self).__name__}: batch_size={self.batch_size} is larger "
                              f"than the {n} training samples; it is clipped to {n}")
            batch_size = min(self.batch_size, n)
        model, optimizer = self.model_, self._optimizer
        loss_mean, loss_none = self._loss_fns()
        gain = self._grad_gain()
        seed_grad = None if gain == 1.0 else np.asarray(gain, dtype=self.model_dtype_)
        weights = [p for p in model.parameters() if p.requires_grad and p.data.ndim >= 2]
        alpha = float(self.alpha)
        report = self._report_gain
        epochs = 1 if incremental else self.max_iter
        bar = None
        if self.verbose:
            from tqdm.auto import tqdm
            bar = tqdm(total=epochs, desc=type(self).__name__, unit="epoch")
        model.train()
        self.n_iter_ = 0
        try:
            for _ in range(epochs):
                order = rng.permutation(n) if self.shuffle else None
                total = 0.0
                for start in range(0, n, batch_size):
                    rows = order[start:start + batch_size] if order is not None \
                        else slice(start, start + batch_size)
                    xb, yb = X[rows], y[rows]
                    nb = len(xb)
                    optimizer.zero_grad()
                    out = model(xb)
                    if sample_weight is None:
                        denom = nb
                        loss = loss_mean(out, yb)
                    else:                                   # Σ wᵢ lᵢ / Σ wᵢ
                        wb = sample_weight[rows]
                        denom = float(wb.sum())
                        if denom == 0.0:                    # nothing to learn from
                            continue
                        per = loss_none(out, yb)
                        w = wb.astype(self.model_dtype_).reshape((nb,) + (1,) * (per.ndim - 1))
                        loss = (per * w).sum() * (1.0 / (denom * (per.data.size // nb)))
                    loss.backward(seed_grad)
                    value = report * float(loss.data)
                    if alpha:
                        c = alpha / denom                   # d/dW of alpha/2·‖W‖²/n_batch
                        for p in weights:
                            p.grad += c * p.data
                            value += 0.5 * c * float(np.vdot(p.data, p.data))
                    optimizer.step()
                    total += value * nb
                self.n_iter_ += 1
                self.t_ += n
                self.loss_ = total / n
                if not math.isfinite(self.loss_):
                    raise ValueError(
                        f"{type(self).__name__}: the training loss is {self.loss_} at epoch "
                        f"{len(self.loss_curve_) + 1}; the input data may contain large values "
                        f"(standardize X, e.g. with StandardScaler) or learning_rate_init="
                        f"{self.learning_rate_init} is too large")
                self.loss_curve_.append(self.loss_)
                if bar is not None:
                    bar.update()
                    bar.set_postfix(loss=f"{self.loss_:.4g}")
                if early_stopping:
                    self._track_validation(X_val, y_val)
                    model.train()
                else:
                    if self.loss_ > self.best_loss_ - self.tol:
                        self._no_improvement_count += 1
                    else:
                        self._no_improvement_count = 0
                    self.best_loss_ = min(self.best_loss_, self.loss_)
                if self.solver == "sgd" and self.learning_rate == "invscaling":
                    optimizer.param_groups[0]["lr"] = \
                        self.learning_rate_init / (self.t_ + 1) ** self.power_t
                if self._no_improvement_count > self.n_iter_no_change:
                    if self._lower_learning_rate():
                        self._no_improvement_count = 0
                    else:
                        break
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(f"{type(self).__name__}: maximum iterations ({self.max_iter}) "
                                  f"reached and the optimization hasn't converged yet.",
                                  ConvergenceWarning)
        finally:
            if bar is not None:
                bar.close()
            model.eval()
        if early_stopping:
            model.load_state_dict(self._best_state)
            del self._best_state

    def _track_validation(self, X_val, y_val):
        score = self._validation_score(X_val, y_val)
        self.validation_scores_.append(score)
        if score < self.best_validation_score_ + self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if score > self.best_validation_score_ or not hasattr(self, "_best_state"):
            self.best_validation_score_ = max(score, self.best_validation_score_)
            self._best_state = self.model_.state_dict()

    def _lower_learning_rate(self):
        """SGD with learning_rate='adaptive': divide it by 5 instead of stopping (down to 1e-6)."""
        if self.solver != "sgd" or self.learning_rate != "adaptive":
            return False
        group = self._optimizer.param_groups[0]
        if group["lr"] <= 1e-6:
            return False
        group["lr"] /= 5.0
        return True
