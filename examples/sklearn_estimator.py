"""minitorch's MLPClassifier/MLPRegressor against scikit-learn's, on the bundled data sets.

For each data set (digits, breast_cancer, iris, wine: classification;
diabetes: regression) the features are standardized on a fixed stratified
75/25 split, and both libraries train the same network — the same hidden
sizes, activation, solver, learning rate, batch size and number of epochs
(``n_iter_no_change=max_iter``, so neither stops early) — once per seed. The
table shows the mean test score over the seeds (accuracy, or R² for
diabetes) and the median fit time; the two libraries are timed alternately.

scikit-learn computes in the dtype of X (float64 here); minitorch trains in
its ``dtype`` parameter, float32 by default (``--dtype float64`` to compare
like with like). Both run with one BLAS thread by default (``--blas-threads``):
for matrices this small, more threads only add synchronisation, and on a busy
machine they make the timings erratic.

    python examples/sklearn_estimator.py              # 5 seeds
    python examples/sklearn_estimator.py --quick      # 1 seed, few epochs (smoke test)
"""
import argparse
import statistics
import time
import warnings

import numpy as np
from sklearn import datasets
from threadpoolctl import threadpool_limits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkClassifier, MLPRegressor as SkRegressor
from sklearn.preprocessing import StandardScaler

from minitorch.sklearn import MLPClassifier, MLPRegressor

#: name → (loader, task, shared estimator parameters)
DATASETS = {
    "digits": (datasets.load_digits, "classification",
               dict(hidden_layer_sizes=(100,), max_iter=200)),
    "breast_cancer": (datasets.load_breast_cancer, "classification",
                      dict(hidden_layer_sizes=(100,), max_iter=200)),
    "iris": (datasets.load_iris, "classification",
             dict(hidden_layer_sizes=(100,), max_iter=500)),
    "wine": (datasets.load_wine, "classification",
             dict(hidden_layer_sizes=(100,), max_iter=300)),
    "diabetes": (datasets.load_diabetes, "regression",
                 dict(hidden_layer_sizes=(100,), alpha=10.0, max_iter=200)),
}


def load(name, seed=0):
    """Standardized train/test split of a bundled data set (fixed, stratified for classes)."""
    loader, task, _ = DATASETS[name]
    X, y = loader(return_X_y=True)
    stratify = y if task == "classification" else None
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=seed,
                                                        stratify=stratify)
    scaler = StandardScaler().fit(X_train)
    if task == "regression":            # standardize the target too; R² does not change
        mean, std = y_train.mean(), y_train.std()
        y_train, y_test = (y_train - mean) / std, (y_test - mean) / std
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def fit_and_score(make, X_train, X_test, y_train, y_test):
    """(test score, fit seconds) of one estimator."""
    est = make()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    return est.score(X_test, y_test), seconds, est.n_iter_


def compare(name, seeds, max_iter=None, dtype=np.float32):
    """One row of the table: mean score and median time of both libraries on ``name``."""
    _, task, params = DATASETS[name]
    params = dict(params, solver="adam")
    if max_iter is not None:
        params["max_iter"] = max_iter
    params["n_iter_no_change"] = params["max_iter"]       # exactly max_iter epochs for both
    ours, theirs = (MLPClassifier, SkClassifier) if task == "classification" \
        else (MLPRegressor, SkRegressor)
    data = load(name)
    results = {"minitorch": [], "scikit-learn": []}
    for seed in seeds:          # alternate the two, so both see the same machine load
        results["minitorch"].append(fit_and_score(
            lambda: ours(**params, random_state=seed, dtype=dtype), *data))
        results["scikit-learn"].append(fit_and_score(
            lambda: theirs(**params, random_state=seed), *data))
    row = {"data": name, "task": task, "n_train": len(data[0]), "epochs": params["max_iter"]}
    for lib, runs in results.items():
        row[lib] = {"score": statistics.fmean(r[0] for r in runs),
                    "seconds": statistics.median(r[1] for r in runs),
                    "epochs": max(r[2] for r in runs)}
    return row


def print_table(rows):
    print(f"{'data set':<14} {'metric':<8} {'n_train':>7} {'epochs':>6} | "
          f"{'minitorch':>9} {'sklearn':>9} | {'minitorch s':>11} {'sklearn s':>9} {'speed-up':>8}")
    for r in rows:
        a, b = r["minitorch"], r["scikit-learn"]
        metric = "accuracy" if r["task"] == "classification" else "R²"
        print(f"{r['data']:<14} {metric:<8} {r['n_train']:>7} {r['epochs']:>6} | "
              f"{a['score']:>9.4f} {b['score']:>9.4f} | {a['seconds']:>11.3f} "
              f"{b['seconds']:>9.3f} {b['seconds'] / a['seconds']:>7.2f}x")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="repeats, one seed each")
    parser.add_argument("--datasets", default=",".join(DATASETS),
                        help="comma-separated subset of " + ", ".join(DATASETS))
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                        help="minitorch's model dtype")
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="BLAS threads for both libraries (0: leave as configured)")
    parser.add_argument("--quick", action="store_true", help="1 seed and 20 epochs (smoke test)")
    args = parser.parse_args(argv)
    seeds = range(1 if args.quick else args.seeds)
    max_iter = 20 if args.quick else None
    with threadpool_limits(args.blas_threads or None, user_api="blas"):
        rows = [compare(name, seeds, max_iter, np.dtype(args.dtype))
                for name in args.datasets.split(",")]
    print_table(rows)
    return rows


if __name__ == "__main__":
    main()
