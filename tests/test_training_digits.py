"""End to end: the lecture's digits MLP, trained with the explicit loop, reaches 95 %."""
import time

import numpy as np
import pytest

import minitorch as mt
from minitorch import nn

pytest.importorskip("sklearn")
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402


@pytest.mark.slow
def test_digits_mlp_reaches_95_percent_with_sgd_momentum():
    import minitorch.optim as optim

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0,
                                                        stratify=y)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)   # float64 → cast

    mt.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.Sigmoid(), nn.Linear(128, 64), nn.Sigmoid(),
                          nn.Linear(64, 10))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(0)

    def accuracy():
        model.eval()
        with mt.no_grad():
            predicted = model(X_test).data.argmax(axis=1)
        model.train()
        return float(np.mean(predicted == y_test))

    start, history = time.perf_counter(), []
    for epoch in range(30):
        order = rng.permutation(len(X_train))
        for i in range(0, len(order), 32):
            batch = order[i:i + 32]
            optimizer.zero_grad()
            loss = loss_fn(model(X_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
        history.append(accuracy())
    elapsed = time.perf_counter() - start

    assert max(history) >= 0.95 and history[-1] >= 0.95, f"test accuracy per epoch: {history}"
    assert history[0] < 0.9                               # it learned, it did not start there
    assert model[0].weight.dtype == np.float32 and np.isfinite(loss.item())
    assert elapsed < 20, f"training took {elapsed:.1f} s"
