"""The example scripts: each ``main([...])`` runs for a few epochs, and the defaults reach their mark.

The examples are run in-process through their ``main(argv)``, which returns a
dict of final metrics. Figures go to pytest's ``tmp_path``.
"""
import importlib.util
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:          # `import _common`, as `python examples/<name>.py` finds it
    sys.path.insert(0, str(EXAMPLES))


def load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n"


# --- a few epochs: the scripts run and return their metrics ------------------------------------
@pytest.mark.parametrize("dataset", ["digits", "iris", "wine", "breast_cancer"])
def test_train_mlp_runs_on_each_dataset(dataset, capsys):
    result = load("train_mlp").main(["--dataset", dataset, "--epochs", "2", "--no-progress"])
    assert set(result) >= {"test_accuracy", "train_loss", "val_loss", "seconds"}
    assert 0.0 <= result["test_accuracy"] <= 1.0
    assert f"{dataset}: test accuracy {result['test_accuracy']:.3f}" in capsys.readouterr().out


def test_train_mlp_is_deterministic_under_seed():
    main = load("train_mlp").main
    a, b = (main(["--epochs", "2", "--seed", "3", "--no-progress"]) for _ in range(2))
    assert a["train_loss"] == b["train_loss"] and a["test_accuracy"] == b["test_accuracy"]


def test_moons_runs():
    result = load("moons_decision_boundary").main(["--epochs", "3", "--no-progress"])
    assert 0.5 < result["test_accuracy"] <= 1.0


def test_regression_diabetes_runs_with_early_stopping():
    result = load("regression_diabetes").main(["--epochs", "200", "--patience", "2", "--no-progress"])
    assert result["stopped_epoch"] == result["best_epoch"] + 2 == result["epochs_run"]
    assert result["test_rmse"] > 0


def test_iris_runs():
    result = load("iris").main(["--epochs", "3", "--no-progress"])
    assert 0.0 <= result["test_accuracy"] <= 1.0


def test_custom_module_runs_its_gradchecks():
    result = load("custom_module").main(["--epochs", "1", "--no-progress"])
    assert result["gradcheck"] is True


def test_custom_module_gradcheck_catches_a_wrong_backward():
    from minitorch.autodiff import gradcheck
    import numpy as np
    example = load("custom_module")

    class Wrong(example.Swish):
        def backward(self, grad_h):                      # forgets the βx·s(1 − s) term
            self.beta.grad += (grad_h * self.x * self.x * self.s * (1 - self.s)).sum(axis=0)
            return grad_h * self.s
    with pytest.raises(AssertionError, match="input 0"):
        gradcheck(Wrong(3), np.random.default_rng(0).standard_normal((4, 3)))


def test_manual_backprop_gradients_equal_autograd(capsys):
    result = load("manual_backprop").main(["--epochs", "1"])
    assert result["max_gradient_difference"] < 1e-6
    assert capsys.readouterr().out.count("equals loss.backward()'s") == 2


# --- figures -------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name, argv, figure", [
    ("train_mlp", ["--epochs", "2"], "digits_loss.png"),
    ("moons_decision_boundary", ["--epochs", "2"], "moons_decision_boundary.png"),
    ("regression_diabetes", ["--epochs", "5"], "diabetes_regression.png"),
    ("custom_module", ["--epochs", "2"], "breast_cancer_loss.png"),
    ("iris", ["--epochs", "2"], "iris_history.png"),
    ("manual_backprop", ["--epochs", "2"], "manual_backprop_loss.png"),
])
def test_plot_saves_a_png(name, argv, figure, tmp_path):
    pytest.importorskip("matplotlib")
    result = load(name).main(argv + ["--plot", "--out", str(tmp_path)]
                             + ([] if name == "manual_backprop" else ["--no-progress"]))
    assert result["figure"] == str(tmp_path / figure)
    assert is_png(tmp_path / figure)


# --- default settings reach the documented mark ------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name, key, mark", [
    ("train_mlp", "test_accuracy", 0.97),
    ("moons_decision_boundary", "test_accuracy", 0.95),
    ("regression_diabetes", "test_r2", 0.45),
    ("custom_module", "test_accuracy", 0.96),
    ("iris", "test_accuracy", 0.93),
    ("manual_backprop", "test_accuracy", 0.95),
])
def test_defaults_reach_the_documented_mark(name, key, mark):
    result = load(name).main([] if name == "manual_backprop" else ["--no-progress"])
    assert result[key] >= mark
