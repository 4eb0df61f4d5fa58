"""fit / evaluate / predict and the metrics: what the loop records, stops on and restores."""
import math

import numpy as np
import pytest

import minitorch as mt
from minitorch import nn, optim
from minitorch.data import DataLoader, TensorDataset
from minitorch.train import EarlyStopping, History, accuracy, evaluate, fit, mae, predict, r2, rmse


def blobs(n=96, seed=0):
    """Three Gaussian blobs in 4-d: float32 features, int64 labels."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = (rng.normal(size=(n, 4)) + 2.0 * np.eye(3, 4)[y]).astype(np.float32)
    return X, y


def mlp(seed=0):
    mt.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))


# --- fit runs the explicit loop and records it -------------------------------------------------
def test_fit_history_equals_the_explicit_loop_replayed():
    X, y = blobs()
    X_val, y_val = blobs(40, seed=1)
    loader = DataLoader(TensorDataset(X, y), batch_size=16)          # no shuffle: same batches
    loss_fn = nn.CrossEntropyLoss()

    model = mlp()
    history = fit(model, loader, loss_fn, optim.SGD(model.parameters(), lr=0.1), 3,
                  val_loader=DataLoader(TensorDataset(X_val, y_val), batch_size=7),
                  metrics=["accuracy"], progress=False)

    ref = mlp()
    opt = optim.SGD(ref.parameters(), lr=0.1)
    want = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    for _ in range(3):
        losses, logits = [], []
        for i in range(0, len(X), 16):
            opt.zero_grad()
            out = ref(X[i:i + 16])
            loss = loss_fn(out, y[i:i + 16])
            loss.backward()
            opt.step()
            losses.append(loss.item())
            logits.append(out.data)
        want["loss"].append(np.mean(losses))                         # equal batches: plain mean
        want["accuracy"].append(np.mean(np.concatenate(logits).argmax(1) == y))
        with mt.no_grad():
            out = ref(X_val).data
        want["val_loss"].append(loss_fn(out, y_val).item())
        want["val_accuracy"].append(np.mean(out.argmax(1) == y_val))

    assert isinstance(history, History) and isinstance(history, dict)
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert history.epochs == 3 and all(len(v) == 3 for v in history.values())
    for key, values in want.items():
        np.testing.assert_allclose(history[key], values, rtol=1e-5, err_msg=key)
    assert history["lr"] == [0.1, 0.1, 0.1]
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_array_equal(p.data, q.data)                # the same trajectory
    assert history.best_epoch is None and history.stopped_epoch is None


def test_epoch_loss_is_weighted_by_batch_size():
    X, y = blobs(10)
    model = mlp()
    loss_fn = nn.CrossEntropyLoss()
    seen = []

    def spy(out, target):
        loss = loss_fn(out, target)
        seen.append((loss.item(), len(target)))
        return loss
    history = fit(model, DataLoader(TensorDataset(X, y), batch_size=4), spy,
                  optim.SGD(model.parameters(), lr=0.0), 1, progress=False)
    assert [n for _, n in seen] == [4, 4, 2]
    assert history["loss"][0] == pytest.approx(sum(v * n for v, n in seen) / 10)


def test_fit_accepts_tensor_batches_and_metric_functions_by_name():
    X, y = blobs(32)
    model = mlp()
    loader = DataLoader(TensorDataset(mt.tensor(X), mt.tensor(y)), batch_size=8)
    history = fit(model, loader, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.01), 2,
                  metrics={"acc": "accuracy", "wrong": lambda p, t: 1 - accuracy(p, t)}, progress=False)
    np.testing.assert_allclose(np.add(history["acc"], history["wrong"]), [1.0, 1.0])


def test_fit_trains_in_train_mode_validates_in_eval_mode_and_restores_modes():
    class Spy(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(4, 3)
            self.modes = []

        def forward(self, x):
            self.modes.append(self.training)
            return self.linear(x)

    X, y = blobs(16)
    model = Spy().eval()
    fit(model, DataLoader(TensorDataset(X, y), batch_size=8), nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1), 2,
        val_loader=DataLoader(TensorDataset(X, y), batch_size=16), progress=False)
    assert model.modes == [True, True, False] * 2
    assert model.training is False and model.linear.training is False


# --- progress ------------------------------------------------------------------------------------
def test_progress_false_prints_nothing(capsys):
    X, y = blobs(32)
    model = mlp()
    fit(model, DataLoader(TensorDataset(X, y), batch_size=8), nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1), 2, val_loader=DataLoader(TensorDataset(X, y)),
        metrics=["accuracy"], early_stopping=1, progress=False)
    assert capsys.readouterr() == ("", "")


def test_progress_bar_shows_each_epoch_with_its_loss_and_metrics(capsys):
    X, y = blobs(32)
    model = mlp()
    history = fit(model, DataLoader(TensorDataset(X, y), batch_size=8), nn.CrossEntropyLoss(),
                  optim.SGD(model.parameters(), lr=0.1), 2, metrics=["accuracy"])
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "epoch 2/2" in err and "4/4" in err
    assert f"loss={history['loss'][-1]:.4g}" in err
    assert f"accuracy={history['accuracy'][-1]:.4g}" in err


# --- early stopping ------------------------------------------------------------------------------
def rising_val_case():
    """y = x to train on, y = 0.5 x to validate: w walks from -1 to 1, val loss falls then rises."""
    x = np.linspace(-1, 1, 32, dtype=np.float32).reshape(-1, 1)
    model = nn.Linear(1, 1)
    model.weight.data[:] = -1.0
    model.bias.data[:] = 0.0
    train = DataLoader(TensorDataset(x, x), batch_size=8)
    val = DataLoader(TensorDataset(x, 0.5 * x), batch_size=32)
    return model, train, val, optim.SGD(model.parameters(), lr=0.05)


def test_early_stopping_stops_after_patience_and_restores_the_best_weights():
    model, train, val, opt = rising_val_case()
    history = fit(model, train, nn.MSELoss(), opt, 100, val_loader=val,
                  early_stopping=EarlyStopping(patience=3), progress=False)
    val_loss = history["val_loss"]
    best = int(np.argmin(val_loss)) + 1
    assert 1 < best < history.epochs                       # it fell, then rose
    assert history.best_epoch == best
    assert history.stopped_epoch == best + 3 == history.epochs
    assert all(a < b for a, b in zip(val_loss[best - 1:], val_loss[best:]))
    restored = evaluate(model, val, nn.MSELoss())["loss"]
    assert restored == pytest.approx(val_loss[best - 1], rel=1e-6)
    assert restored < val_loss[-1]
    assert 0.3 < model.weight.data.item() < 0.7            # near the validation optimum 0.5


def test_early_stopping_without_restore_keeps_the_last_weights():
    model, train, val, opt = rising_val_case()
    history = fit(model, train, nn.MSELoss(), opt, 100, val_loader=val,
                  early_stopping=EarlyStopping(patience=2, restore_best=False), progress=False)
    assert history.stopped_epoch == history.best_epoch + 2
    assert evaluate(model, val, nn.MSELoss())["loss"] == pytest.approx(history["val_loss"][-1], rel=1e-6)


def test_early_stopping_min_delta_and_max_mode():
    stopper = EarlyStopping(patience=2, min_delta=0.1, monitor="val_accuracy")
    model = nn.Linear(1, 1)
    decisions = [stopper.step(e, v, model) for e, v in enumerate([0.5, 0.55, 0.7, 0.75, 0.79], 1)]
    assert decisions == [False, False, False, False, True]   # +0.05 and +0.09 are not > 0.1
    assert stopper.best_epoch == 3 and stopper.best == 0.7


def test_int_early_stopping_monitors_train_loss_without_val_loader():
    model, train, _, opt = rising_val_case()
    history = fit(model, train, nn.MSELoss(), opt, 5, early_stopping=2, progress=False)
    assert history.best_epoch == 5 and history.stopped_epoch is None   # train loss keeps falling


def test_early_stopping_on_a_key_fit_does_not_record_is_refused():
    model, train, _, opt = rising_val_case()
    with pytest.raises(ValueError, match="val_loss.*val_loader"):
        fit(model, train, nn.MSELoss(), opt, 5, early_stopping=EarlyStopping(), progress=False)
    with pytest.raises(ValueError, match="mode='min' or mode='max'"):
        fit(model, train, nn.MSELoss(), opt, 5, metrics={"score": r2},
            early_stopping=EarlyStopping(monitor="score"), progress=False)


# --- schedulers ----------------------------------------------------------------------------------
def test_reduce_on_plateau_gets_the_val_loss_and_others_step_each_epoch():
    seen = []

    class Spy(optim.lr_scheduler.ReduceLROnPlateau):
        def step(self, metrics):
            seen.append(metrics)
            super().step(metrics)

    model, train, val, opt = rising_val_case()
    history = fit(model, train, nn.MSELoss(), opt, 4, val_loader=val, scheduler=Spy(opt), progress=False)
    assert seen == history["val_loss"]
    seen.clear()
    history = fit(model, train, nn.MSELoss(), opt, 2, scheduler=Spy(opt), progress=False)
    assert seen == history["loss"]

    model, train, val, opt = rising_val_case()
    history = fit(model, train, nn.MSELoss(), opt, 3,
                  scheduler=optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5), progress=False)
    assert history["lr"] == pytest.approx([0.05, 0.025, 0.0125])


# --- a loss that is no longer finite ------------------------------------------------------------
def test_non_finite_loss_stops_naming_epoch_and_batch_before_the_bad_step():
    X, y = blobs(48)
    X[20] = np.nan                                          # in the third batch of 8
    target = np.eye(3, dtype=np.float32)[y]
    model = mlp()
    with pytest.raises(FloatingPointError, match=r"nan at epoch 1, batch 3"):
        fit(model, DataLoader(TensorDataset(X, target), batch_size=8), nn.MSELoss(),
            optim.SGD(model.parameters(), lr=0.1), 2, progress=False)
    ref = mlp()                                             # two good steps, then none
    opt = optim.SGD(ref.parameters(), lr=0.1)
    for i in (0, 8):
        opt.zero_grad()
        nn.MSELoss()(ref(X[i:i + 8]), target[i:i + 8]).backward()
        opt.step()
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
        assert np.all(np.isfinite(p.data))


def test_non_finite_validation_loss_stops_naming_the_epoch():
    X, y = blobs(16)
    X_bad = X.copy()
    X_bad[0] = np.nan
    model = mlp()
    with pytest.raises(FloatingPointError, match="validation loss is nan after epoch 1"):
        fit(model, DataLoader(TensorDataset(X, y), batch_size=8), nn.CrossEntropyLoss(),
            optim.SGD(model.parameters(), lr=0.1), 2,
            val_loader=DataLoader(TensorDataset(X_bad, y), batch_size=8), progress=False)


# --- evaluate and predict --------------------------------------------------------------------------
def dropout_model():
    mt.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3))


def test_evaluate_in_batches_equals_one_full_batch_forward():
    X, y = blobs(50)
    model = dropout_model()
    loss_fn = nn.CrossEntropyLoss()
    result = evaluate(model, DataLoader(TensorDataset(X, y), batch_size=7), loss_fn,
                      metrics=["accuracy"])
    model.eval()
    with mt.no_grad():
        out = model(X)
    assert set(result) == {"loss", "accuracy"}
    assert result["loss"] == pytest.approx(loss_fn(out, y).item(), rel=1e-5)
    assert result["accuracy"] == np.mean(out.data.argmax(1) == y)


def test_predict_in_batches_equals_one_full_batch_forward_and_restores_modes():
    X, _ = blobs(50)
    model = dropout_model()
    model[2].eval()                                         # a mixed state, to be put back exactly
    full = model.eval()(X).data.copy()
    model.train()
    model[2].eval()
    for given in (X, mt.tensor(X), X.tolist(), DataLoader(TensorDataset(X), batch_size=9)):
        out = predict(model, given, batch_size=7)
        assert isinstance(out, np.ndarray) and out.shape == (50, 3)
        np.testing.assert_allclose(out, full, rtol=1e-6, atol=1e-7)
    assert [m.training for m in model.modules()] == [True, True, True, False, True]


def test_predict_and_evaluate_record_no_graph_and_leave_gradients_alone():
    X, y = blobs(8)
    model = mlp()
    predict(model, X)
    evaluate(model, [(X, y)], nn.CrossEntropyLoss())
    assert all(p.grad is None for p in model.parameters())


# --- metrics ---------------------------------------------------------------------------------------
def test_accuracy_from_class_logits_binary_logits_and_one_hot_targets():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 1.0, 5.0], [1.0, 0.0, 0.0]])
    assert accuracy(logits, np.array([0, 1, 1, 0])) == 0.75
    assert accuracy(logits, np.eye(3)[[0, 1, 1, 0]]) == 0.75
    binary = np.array([-2.0, 0.5, 3.0, -0.1])              # class 1 where the logit is > 0
    assert accuracy(binary, np.array([0, 1, 0, 0])) == 0.75
    assert accuracy(binary.reshape(-1, 1), np.array([[0.0], [1.0], [1.0], [1.0]])) == 0.75
    with pytest.raises(ValueError, match="expected 4 labels"):
        accuracy(logits, np.array([0, 1]))


def test_regression_metrics_equal_scikit_learn():
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
    rng = np.random.default_rng(3)
    for shape in ((30,), (30, 1), (30, 3)):
        t = rng.normal(size=shape)
        p = t + rng.normal(scale=0.5, size=shape)
        assert r2(p, t) == pytest.approx(r2_score(t, p))
        assert rmse(p, t) == pytest.approx(np.mean(np.sqrt(mean_squared_error(t, p, multioutput="raw_values"))))
        assert mae(p, t) == pytest.approx(mean_absolute_error(t, p))
    assert r2(np.ones((5, 1)), np.ones(5)) == 1.0           # constant target, predicted exactly
    assert r2(np.zeros(5), np.ones(5)) == 0.0
    assert rmse(np.array([[1.0], [3.0]]), np.array([0.0, 0.0])) == pytest.approx(math.sqrt(5))


# --- errors ----------------------------------------------------------------------------------------
def test_fit_refuses_bad_arguments_with_clear_errors():
    X, y = blobs(16)
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(TensorDataset(X, y), batch_size=8)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, loader, nn.CrossEntropyLoss(), opt, -1, progress=False)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        fit(model, loader, nn.CrossEntropyLoss(), opt, 1, metrics=["f1"], progress=False)
    with pytest.raises(ValueError, match=r"batches \(inputs, targets\)"):
        fit(model, DataLoader(TensorDataset(X), batch_size=8), nn.CrossEntropyLoss(), opt, 1,
            progress=False)
    with pytest.raises(ValueError, match="one-element Tensor"):
        fit(model, loader, nn.CrossEntropyLoss(reduction="none"), opt, 1, progress=False)
    with pytest.raises(TypeError, match="EarlyStopping"):
        fit(model, loader, nn.CrossEntropyLoss(), opt, 1, early_stopping="yes", progress=False)
    with pytest.raises(ValueError, match="loss_fn or metrics"):
        evaluate(model, loader)
    with pytest.raises(ValueError, match="batch_size"):
        predict(model, X, batch_size=0)
