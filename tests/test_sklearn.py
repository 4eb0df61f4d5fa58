"""minitorch.sklearn: scikit-learn's own estimator checks, its MLP's numbers, and the API in use."""
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier as SkClassifier, MLPRegressor as SkRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import minitorch as mt
from minitorch import nn
from minitorch.sklearn import MLPClassifier, MLPRegressor

# most fits here are short on purpose; the tests about the warning catch it with pytest.warns
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FLOAT32_REASON = ("float32 rounding: fitting with weights and with repeated samples agree to "
                  "about 1e-7 relative, the check asks rtol=1e-7 (it passes with "
                  "dtype=np.float64, also checked here)")


def _expected_failures(estimator):
    if np.dtype(estimator.dtype) == np.float32:
        return {"check_sample_weight_equivalence_on_dense_data": FLOAT32_REASON}
    return {}


@parametrize_with_checks([MLPClassifier(max_iter=30, random_state=0),
                          MLPRegressor(max_iter=30, random_state=0),
                          MLPClassifier(max_iter=30, random_state=0, dtype=np.float64),
                          MLPRegressor(max_iter=30, random_state=0, dtype=np.float64)],
                         expected_failed_checks=_expected_failures)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# --- the same numbers as scikit-learn's MLP, from the same start ----------------------------
def _blobs(n=60, features=4, classes=3, seed=0):
    X, y = make_classification(n_samples=n, n_features=features, n_informative=3,
                               n_redundant=0, n_classes=classes, n_clusters_per_class=1,
                               random_state=seed)
    return StandardScaler().fit_transform(X), y


def _twin(sk_cls, net, X, y, epochs, **params):
    """scikit-learn's estimator trained for ``epochs`` from the weights of ``net``."""
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    sk = sk_cls(hidden_layer_sizes=[m.out_features for m in linears[:-1]], max_iter=1,
                warm_start=True, **params)
    sk.fit(X, y)                                    # creates coefs_ of the right shapes
    sk.coefs_ = [m.weight.data.T.copy() for m in linears]
    sk.intercepts_ = [m.bias.data.copy() for m in linears]
    sk.loss_curve_, sk.t_, sk.max_iter = [], 0, epochs
    sk.fit(X, y)
    return sk


def _ours(cls, net, epochs, **params):
    return cls(module=net, max_iter=epochs, dtype=np.float64, **params)


SOLVERS = [
    dict(solver="sgd", learning_rate_init=0.1, momentum=0.9, nesterovs_momentum=True),
    dict(solver="sgd", learning_rate_init=0.05, momentum=0.5, nesterovs_momentum=False),
    dict(solver="sgd", learning_rate_init=0.2, momentum=0.0, learning_rate="invscaling"),
    dict(solver="adam", learning_rate_init=0.01),
]


@pytest.mark.parametrize("solver", SOLVERS, ids=lambda s: f"{s['solver']}-{s.get('momentum')}")
@pytest.mark.parametrize("task", ["multiclass", "binary", "regression-2-targets"])
def test_same_start_same_trajectory_as_sklearn(task, solver, float64):
    """Loss curve and final weights equal scikit-learn's: loss scale, L2 penalty and updates."""
    epochs = 6
    params = dict(solver, alpha=0.05, batch_size=16, shuffle=False, n_iter_no_change=100,
                  activation="tanh")
    if task == "regression-2-targets":
        X, y = make_regression(n_samples=50, n_features=4, n_targets=2, random_state=1)
        X, y = StandardScaler().fit_transform(X), y / y.std()
        net = nn.Sequential(nn.Linear(4, 7), nn.Tanh(), nn.Linear(7, 2))
        ours = _ours(MLPRegressor, net, epochs, **params)
        sk_cls = SkRegressor
    else:
        X, y = _blobs(classes=3 if task == "multiclass" else 2)
        n_out = 3 if task == "multiclass" else 1
        net = nn.Sequential(nn.Linear(4, 7), nn.Tanh(), nn.Linear(7, n_out))
        ours = _ours(MLPClassifier, net, epochs, **params)
        sk_cls = SkClassifier
    sk = _twin(sk_cls, net, X, y, epochs, **params)
    ours.fit(X, y)
    # Adam: PyTorch's rule divides by √v̂ + ε, scikit-learn's by √v + ε
    # (v̂ = v/(1 − β₂ᵗ)), which differ where √v is near ε; SGD is the same rule
    rtol, atol = (1e-4, 1e-6) if solver["solver"] == "adam" else (1e-10, 1e-12)
    np.testing.assert_allclose(ours.loss_curve_, sk.loss_curve_, rtol=rtol)
    linears = [m for m in ours.model_.modules() if isinstance(m, nn.Linear)]
    for m, coef, intercept in zip(linears, sk.coefs_, sk.intercepts_):
        np.testing.assert_allclose(m.weight.data, coef.T, rtol=rtol, atol=atol)
        np.testing.assert_allclose(m.bias.data, intercept, rtol=rtol, atol=atol)
    assert net[0].weight.data is not linears[0].weight.data       # the given module is not trained
    np.testing.assert_allclose(ours.predict(X), sk.predict(X), rtol=1e-4, atol=1e-6)


def test_loss_curve_is_sklearn_scale_worked_by_hand(float64):
    """One full batch, lr≈0: loss = ½·mean((ŷ−y)²) + α/2·Σ‖W‖²/n; biases not penalised."""
    X = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 1.0]])
    y = np.array([[1.0, 0.0], [2.0, 1.0], [0.0, -1.0]])
    net = nn.Linear(2, 2)
    net.weight.data[...] = [[0.5, -1.0], [2.0, 0.25]]
    net.bias.data[...] = [3.0, -2.0]                     # large bias: would show if penalised
    reg = MLPRegressor(module=net, solver="sgd", learning_rate_init=1e-300, alpha=0.3,
                       max_iter=1, shuffle=False, dtype=np.float64)
    with pytest.warns(ConvergenceWarning):
        reg.fit(X, y)
    pred = X @ net.weight.data.T + net.bias.data
    expected = 0.5 * np.mean((pred - y) ** 2) + 0.3 / 2 * np.sum(net.weight.data ** 2) / 3
    assert reg.loss_curve_ == [pytest.approx(expected, rel=1e-12)]


# --- scikit-learn's tools ---------------------------------------------------------------------
def test_pipeline_grid_search_cross_val_score_clone():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), MLPClassifier((8,), learning_rate_init=0.01,
                                                         max_iter=60, random_state=0))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8
    grid = GridSearchCV(pipe, {"mlpclassifier__hidden_layer_sizes": [(4,), (16,)],
                               "mlpclassifier__alpha": [1e-4, 1.0]}, cv=3).fit(X, y)
    assert set(grid.best_params_) == {"mlpclassifier__hidden_layer_sizes", "mlpclassifier__alpha"}
    assert grid.best_estimator_[-1].model_[0].out_features == \
        grid.best_params_["mlpclassifier__hidden_layer_sizes"][0]
    assert grid.score(X, y) > 0.9
    est = MLPClassifier((5, 3), activation="tanh", module=None, dtype=np.float64, alpha=0.5)
    twin = clone(est)
    assert twin.get_params() == est.get_params() and not hasattr(twin, "model_")


def test_pickle_round_trip_keeps_predictions_and_training_state():
    X, y = _blobs(n=90)
    clf = MLPClassifier((10,), max_iter=5, random_state=0).fit(X, y)
    back = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert back.loss_curve_ == clf.loss_curve_
    clf.partial_fit(X, y)                               # both continue identically
    back.partial_fit(X, y)
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))


# --- classification details ----------------------------------------------------------------------
def test_string_labels_and_predict_proba():
    X, y = _blobs(n=90)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = MLPClassifier((16,), learning_rate_init=0.02, max_iter=200, random_state=0).fit(X, names)
    assert list(clf.classes_) == ["setosa", "versicolor", "virginica"]
    pred = clf.predict(X)
    assert pred.dtype.kind == "U" and set(pred) <= set(names)
    proba = clf.predict_proba(X)
    assert proba.shape == (90, 3) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], pred)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-12)
    assert clf.score(X, names) > 0.9
    assert clf.n_outputs_ == 3 and clf.out_activation_ == "softmax"


def test_binary_uses_one_logit_and_two_probability_columns():
    X, y = _blobs(n=80, classes=2)
    labels = np.where(y == 1, "yes", "no")
    clf = MLPClassifier((8,), learning_rate_init=0.02, max_iter=100, random_state=0).fit(X, labels)
    assert clf.n_outputs_ == 1 and clf.out_activation_ == "logistic"
    assert clf.model_[-1].out_features == 1
    with mt.no_grad():
        logit = clf.model_(X).data[:, 0].astype(np.float64)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-logit)), rtol=1e-12)
    np.testing.assert_allclose(proba[:, 0], 1 - proba[:, 1], rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), np.where(logit > 0, "yes", "no"))
    assert clf.score(X, labels) > 0.9


def test_one_class_is_refused():
    with pytest.raises(ValueError, match="at least 2 classes"):
        MLPClassifier(max_iter=2).fit(np.zeros((5, 2)), np.ones(5))


def test_partial_fit_trains_incrementally():
    X, y = _blobs(n=200, features=6, seed=1)
    clf = MLPClassifier((16,), random_state=0, learning_rate_init=0.02)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X[:50], y[:50])
    clf.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    first = clf.score(X, y)
    for _ in range(30):
        for part in range(0, 200, 50):                  # a stream of chunks
            clf.partial_fit(X[part:part + 50], y[part:part + 50])
    assert first < 0.5 and clf.score(X, y) > 0.95
    assert clf.n_iter_ == 1 and len(clf.loss_curve_) == 121 and clf.t_ == 121 * 50
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    with pytest.raises(ValueError, match="not in classes_"):
        clf.partial_fit(X[:3], np.array([0, 1, 7]))


def test_partial_fit_classes_may_be_absent_from_the_first_chunk():
    X, y = _blobs(n=60)
    clf = MLPClassifier((4,), random_state=0).partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert clf.n_outputs_ == 3 and clf.predict_proba(X).shape == (60, 3)


# --- regression ----------------------------------------------------------------------------------
def test_multi_output_regression():
    X, y = make_regression(n_samples=150, n_features=5, n_targets=3, noise=1.0, random_state=0)
    X, y = StandardScaler().fit_transform(X), y / y.std(axis=0)
    reg = MLPRegressor((32,), learning_rate_init=0.01, max_iter=300, random_state=0).fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == (150, 3) and pred.dtype == np.float64
    assert reg.n_outputs_ == 3 and reg.score(X, y) > 0.95
    single = MLPRegressor((8,), max_iter=5, random_state=0)
    single.fit(X, y[:, 0])
    assert single.predict(X).shape == (150,)


# --- the module ----------------------------------------------------------------------------------
class Residual(nn.Module):
    """A composite module: x ↦ out(x + tanh(inner(x)))."""

    def __init__(self, n_features, n_outputs):
        super().__init__()
        self.inner = nn.Linear(n_features, n_features)
        self.out = nn.Linear(n_features, n_outputs)

    def forward(self, x):
        return self.out(x + self.inner(x).tanh())


def test_module_factory_gets_sizes_and_its_module_is_trained():
    calls = []

    def factory(n_features, n_outputs):
        calls.append((n_features, n_outputs))
        return Residual(n_features, n_outputs)

    X, y = _blobs(n=120, features=5)
    clf = MLPClassifier(module=factory, learning_rate_init=0.03, max_iter=150, random_state=0)
    clf.fit(X, y)
    assert calls == [(5, 3)]
    assert isinstance(clf.model_, Residual) and clf.model_.inner.weight.dtype == np.float32
    assert clf.score(X, y) > 0.85
    assert [k for k in clf.model_.state_dict()] == ["inner.weight", "inner.bias", "out.weight",
                                                    "out.bias"]


def test_module_instance_is_copied_and_cast():
    X, y = _blobs(n=60, classes=2)
    net = nn.Sequential(nn.Linear(4, 6, dtype=np.float64), nn.ReLU(),
                        nn.Linear(6, 2, dtype=np.float64))
    before = net.state_dict()
    clf = MLPClassifier(module=net, max_iter=5, random_state=0).fit(X, y)
    assert clf.n_outputs_ == 2 and clf.predict_proba(X).shape == (60, 2)   # two logits: CE
    assert clf.model_[0].weight.dtype == np.float32 and clf.model_ is not net
    for k, v in net.state_dict().items():                 # the parameter itself is untouched
        np.testing.assert_array_equal(v, before[k])


def test_module_with_wrong_output_width_is_refused():
    X, y = _blobs(n=30)
    with pytest.raises(ValueError, match="expected the module to give 3 outputs per sample, got 2"):
        MLPClassifier(module=nn.Linear(4, 2)).fit(X, y)
    with pytest.raises(TypeError, match="must return an nn.Module"):
        MLPRegressor(module=lambda n_in, n_out: "a net").fit(X, y.astype(float))
    with pytest.raises(ValueError, match="the module failed on input of shape"):
        MLPRegressor(module=nn.Linear(7, 1)).fit(X, y.astype(float))


# --- randomness ----------------------------------------------------------------------------------
def test_random_state_makes_fits_reproducible_and_leaves_global_state_alone():
    X, y = _blobs(n=90)
    params = dict(hidden_layer_sizes=(8,), max_iter=8, random_state=42)
    mt.manual_seed(1)
    a = MLPClassifier(**params).fit(X, y)
    after = mt.random.get_generator().bit_generator.state
    mt.manual_seed(2)
    b = MLPClassifier(**params).fit(X, y)
    c = MLPClassifier(**dict(params, random_state=43)).fit(X, y)
    assert mt.manual_seed(1).bit_generator.state == after      # fitting drew nothing globally
    assert a.loss_curve_ == b.loss_curve_
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.loss_curve_ != c.loss_curve_
    refit = clone(a).set_params(random_state=42)
    refit.fit(X, y)
    np.testing.assert_array_equal(refit.predict_proba(X), a.predict_proba(X))


def test_random_state_none_follows_manual_seed():
    X, y = _blobs(n=60)
    curves = []
    for seed in (5, 5, 6):
        mt.manual_seed(seed)
        curves.append(MLPClassifier((8,), max_iter=3).fit(X, y).loss_curve_)
    assert curves[0] == curves[1] != curves[2]


def test_random_state_seeds_dropout_in_a_factory_module():
    X, y = _blobs(n=60)

    def factory(n_in, n_out):
        return nn.Sequential(nn.Linear(n_in, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, n_out))

    fits = [MLPClassifier(module=factory, max_iter=4, random_state=s).fit(X, y).loss_curve_
            for s in (3, 3, 4)]
    assert fits[0] == fits[1] != fits[2]


# --- warm start, early stopping, convergence -----------------------------------------------------
def test_warm_start_continues_from_the_fitted_weights():
    X, y = _blobs(n=120)
    warm = MLPClassifier((8,), max_iter=10, warm_start=True, random_state=0).fit(X, y)
    module = warm.model_
    weights = module[0].weight.data.copy()
    cold = clone(warm).set_params(warm_start=False).fit(X, y)
    warm.fit(X, y)
    cold.fit(X, y)
    assert warm.model_ is module and not np.array_equal(module[0].weight.data, weights)
    assert len(warm.loss_curve_) == 20 and warm.n_iter_ == 10
    assert warm.loss_curve_[10] < warm.loss_curve_[0]           # it did not start over
    assert len(cold.loss_curve_) == 10
    with pytest.raises(ValueError, match="same classes"):
        warm.fit(X[y < 2], y[y < 2])


def test_early_stopping_tracks_validation_score_and_restores_the_best():
    X, y = _blobs(n=200, features=6, seed=1)
    clf = MLPClassifier((16,), early_stopping=True, validation_fraction=0.2, n_iter_no_change=5,
                        learning_rate_init=0.01, max_iter=300, random_state=0).fit(X, y)
    assert clf.n_iter_ < 300 and len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_) > 0.8
    assert clf.best_loss_ is None and len(clf.loss_curve_) == clf.n_iter_
    assert all(40 * s == round(40 * s) for s in clf.validation_scores_)   # accuracy on 40 samples
    reg = MLPRegressor((8,), early_stopping=True, max_iter=20, n_iter_no_change=50, random_state=0)
    with pytest.warns(ConvergenceWarning):
        reg.fit(X, X[:, 0] - X[:, 1])
    assert len(reg.validation_scores_) == 20 and reg.best_validation_score_ <= 1.0
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        reg.partial_fit(X, X[:, 0])


def test_stops_when_the_loss_stalls_and_warns_when_max_iter_runs_out():
    X, y = _blobs(n=60)
    clf = MLPClassifier((8,), tol=10.0, n_iter_no_change=3, max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)                                 # never improves by 10: 1 + 3 + 1 epochs
    assert clf.n_iter_ == 5 and clf.best_loss_ == min(clf.loss_curve_)
    with pytest.warns(ConvergenceWarning, match="maximum iterations \\(4\\)"):
        MLPClassifier((8,), max_iter=4, random_state=0).fit(X, y)


def test_adaptive_learning_rate_divides_by_five_instead_of_stopping():
    X, y = _blobs(n=60)
    clf = MLPClassifier((8,), solver="sgd", learning_rate="adaptive", learning_rate_init=0.1,
                        tol=10.0, n_iter_no_change=1, max_iter=12, random_state=0)
    clf.fit(X, y)
    # every 2 epochs without improvement: 0.1 → 0.02 → ... until ≤ 1e-6, then stop
    assert clf._optimizer.param_groups[0]["lr"] == pytest.approx(0.1 / 5 ** 5)
    assert clf.n_iter_ == 12


def test_verbose_shows_a_progress_bar(capsys):
    X, y = _blobs(n=30)
    MLPClassifier((4,), max_iter=3, verbose=True, random_state=0).fit(X, y)
    err = capsys.readouterr().err
    assert "MLPClassifier" in err and "3/3" in err and "loss=" in err


# --- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("params, exc, message", [
    (dict(activation="softplus"), ValueError, "activation must be one of 'identity'"),
    (dict(solver="lbfgs"), ValueError, "does not offer 'lbfgs'"),
    (dict(hidden_layer_sizes=(4, 0)), ValueError, "hidden_layer_sizes must be"),
    (dict(batch_size=0), ValueError, "batch_size must be 'auto' or a positive int, got 0"),
    (dict(learning_rate_init=0.0), ValueError, r"learning_rate_init must be in \(0, inf\)"),
    (dict(alpha="big"), TypeError, "alpha must be a real number"),
    (dict(dtype=np.int64), ValueError, "dtype must be np.float32 or np.float64"),
    (dict(module="net"), TypeError, "module must be None, an nn.Module or a callable"),
    (dict(max_iter=0), ValueError, "max_iter must be a positive int"),
])
def test_bad_parameters_are_named(params, exc, message):
    X, y = _blobs(n=20)
    with pytest.raises(exc, match=message):
        MLPClassifier(**params).fit(X, y)


def test_non_finite_loss_stops_with_a_clear_error():
    X, y = _blobs(n=40)
    with pytest.raises(ValueError, match="training loss is (nan|inf) at epoch 1.*StandardScaler"):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            MLPRegressor((8,), solver="sgd", learning_rate_init=1e6, max_iter=5,
                         random_state=0).fit(X * 1e20, y * 1e20)


def test_predict_checks_the_feature_count():
    X, y = _blobs(n=30)
    clf = MLPClassifier((4,), max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="4 features"):
        clf.predict(X[:, :3])


# --- the comparison example ----------------------------------------------------------------------
def test_comparison_example_runs_quick(capsys):
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / "examples" / "sklearn_estimator.py"
    spec = importlib.util.spec_from_file_location("sklearn_estimator", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    rows = example.main(["--quick", "--datasets", "iris,diabetes"])
    assert [r["data"] for r in rows] == ["iris", "diabetes"]
    for r in rows:
        assert r["epochs"] == r["minitorch"]["epochs"] == r["scikit-learn"]["epochs"] == 20
        assert r["minitorch"]["seconds"] > 0 and r["scikit-learn"]["seconds"] > 0
    assert rows[0]["minitorch"]["score"] > 0.6                        # iris after 20 epochs
    out = capsys.readouterr().out
    assert "speed-up" in out and "diabetes" in out


def test_warm_start_after_early_stopping_continues_without_it():
    from minitorch.sklearn import MLPRegressor
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    est = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, early_stopping=True, random_state=0)
    est.fit(X, y)
    assert est.best_loss_ is None                       # early stopping kept validation scores
    est.set_params(warm_start=True, early_stopping=False)
    est.fit(X, y)                                       # continues, now tracking the loss
    assert np.isfinite(est.best_loss_) and len(est.loss_curve_) == 10
