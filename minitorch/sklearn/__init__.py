"""scikit-learn estimators built on minitorch: MLPClassifier and MLPRegressor.

They take scikit-learn's ``MLPClassifier``/``MLPRegressor`` parameters (solvers
'sgd' and 'adam') plus ``module=`` (any ``nn.Module``, or a factory
``(n_features, n_outputs) -> nn.Module``) and ``dtype=``, and work in
``Pipeline``, ``GridSearchCV``, ``cross_val_score`` and ``clone``; a fitted
estimator pickles, and its network is ``model_``. See docs/sklearn.md.

Example:
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from minitorch.sklearn import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier((16,), learning_rate_init=0.01, max_iter=300, random_state=0)
    >>> pipe = make_pipeline(StandardScaler(), clf)
    >>> pipe.fit(X, y).score(X, y) > 0.95
    True
"""
from minitorch.sklearn.base import BaseMLP
from minitorch.sklearn.classifier import MLPClassifier
from minitorch.sklearn.regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor", "BaseMLP"]
