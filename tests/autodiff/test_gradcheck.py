"""gradcheck: passes on every built-in layer and loss, fails with the promised message."""
import re
import warnings

import numpy as np
import pytest

import minitorch as mt
from minitorch import nn
from minitorch.autodiff import GradcheckError, gradcheck
from minitorch.random import get_generator

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 3)).astype(np.float32)
CLASSES = np.array([0, 2, 1, 2])
PROBS = RNG.random((4, 3))


def _registry():
    """(id, constructor, inputs): every built-in layer and loss."""
    return [
        ("Linear", lambda: nn.Linear(3, 5), (X,)),
        ("Linear(bias=False)", lambda: nn.Linear(3, 2, bias=False), (X,)),
        ("Identity", nn.Identity, (X,)),
        ("Sigmoid", nn.Sigmoid, (X,)),
        ("Tanh", nn.Tanh, (X,)),
        ("ReLU", nn.ReLU, (X,)),
        ("LeakyReLU", lambda: nn.LeakyReLU(0.2), (X,)),
        ("Softmax", lambda: nn.Softmax(dim=1), (X,)),
        ("LogSoftmax", lambda: nn.LogSoftmax(dim=0), (X,)),
        ("Dropout(train)", lambda: nn.Dropout(0.4), (X,)),
        ("Dropout(eval)", lambda: nn.Dropout(0.4).eval(), (X,)),
        ("Flatten", nn.Flatten, (RNG.standard_normal((2, 3, 2)),)),
        ("Sequential", lambda: nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 4),
                                             nn.ReLU(), nn.Dropout(0.3), nn.Linear(4, 2)), (X,)),
        ("MSELoss", nn.MSELoss, (X, PROBS)),
        ("MSELoss(none)", lambda: nn.MSELoss(reduction="none"), (X, PROBS)),
        ("L1Loss", nn.L1Loss, (X, PROBS)),
        ("CrossEntropyLoss", nn.CrossEntropyLoss, (X, CLASSES)),
        ("CrossEntropyLoss(sum, weight, smoothing)",
         lambda: nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 0.5]), reduction="sum",
                                     label_smoothing=0.1), (X, CLASSES)),
        ("CrossEntropyLoss(probabilities)", nn.CrossEntropyLoss,
         (X, PROBS / PROBS.sum(1, keepdims=True))),
        ("NLLLoss", nn.NLLLoss, (X, CLASSES)),
        ("BCELoss", nn.BCELoss, (1 / (1 + np.exp(-X)), PROBS)),
        ("BCEWithLogitsLoss", nn.BCEWithLogitsLoss, (X, PROBS)),
    ]


REGISTRY = _registry()


@pytest.mark.parametrize("make, inputs", [r[1:] for r in REGISTRY], ids=[r[0] for r in REGISTRY])
def test_gradcheck_passes_on_every_builtin_and_restores_the_module(make, inputs):
    mt.manual_seed(0)
    module = make()
    params = [(p, p.data, p.data.copy()) for p in module.parameters()]
    generator = get_generator()
    state = generator.bit_generator.state
    with warnings.catch_warnings():
        warnings.simplefilter("error")                 # no "probably not analytic" warning
        assert gradcheck(module, *inputs) is True
    for p, data, values in params:
        assert p.data is data and p.data.dtype == np.float32
        np.testing.assert_array_equal(p.data, values)
        assert p.grad is None
    assert get_generator() is generator and generator.bit_generator.state == state


class Scale(nn.Module):
    """h = w ⊙ x, with a backward that can be made wrong on purpose."""

    def __init__(self, wrong_w=False, wrong_x=False):
        super().__init__()
        self.w = nn.Parameter(np.array([0.5, -1.5, 2.0], dtype=np.float32))
        self.wrong_w, self.wrong_x = wrong_w, wrong_x

    def forward(self, x):
        self.x = x
        return x * self.w.data

    def backward(self, grad_h):
        grad_w = (grad_h * self.x).sum(axis=0)
        if self.wrong_w:
            grad_w[1] *= 2                              # wrong in entry 1 only
        self.w.grad += grad_w
        grad_x = grad_h * self.w.data
        if self.wrong_x:
            grad_x = grad_x + 0.1 * (np.arange(grad_x.size).reshape(grad_x.shape) == 4)
        return grad_x


def _values(message):
    got = re.search(r"backward gave (\S+), (?:complex-step|central) differences gave (\S+) ", message)
    return float(got.group(1)), float(got.group(2))


@pytest.mark.parametrize("method", ["auto", "complex", "central"])
def test_a_wrong_parameter_gradient_is_named_with_its_worst_entry_and_both_values(method):
    x = RNG.standard_normal((5, 3))
    layer = Scale(wrong_w=True)
    u = np.random.default_rng(0).standard_normal((5, 3))    # gradcheck's u for seed=0
    true = (u * x).sum(axis=0)[1]
    with pytest.raises(GradcheckError) as info:
        gradcheck(layer, x, method=method)
    message = str(info.value)
    assert "gradcheck failed for Scale" in message
    assert "parameter 'w' at index (1,)" in message
    assert "1 of 3 entries disagree" in message
    analytic, numerical = _values(message)
    assert analytic == pytest.approx(2 * true, rel=1e-9)
    assert numerical == pytest.approx(true, rel=1e-6)
    assert isinstance(info.value, AssertionError)
    assert layer.w.data.dtype == np.float32 and layer.w.grad is None       # restored on failure


def test_a_wrong_input_gradient_is_named():
    with pytest.raises(GradcheckError, match=r"gradient of input 0 at index \(1, 1\)"):
        gradcheck(Scale(wrong_x=True), RNG.standard_normal((2, 3)))


def test_a_wrong_layer_inside_a_model_is_named_by_its_parameter_path():
    model = nn.Sequential(nn.Linear(3, 3), nn.Tanh(), Scale(wrong_w=True))
    with pytest.raises(GradcheckError, match=r"Sequential: gradient of parameter '2\.w' at index \(1,\)"):
        gradcheck(model, X)


class AbsLayer(nn.Module):
    """Correct backward, but |x| = √(x x̄) is not complex-analytic and the class does not say so."""

    def forward(self, x):
        self.x = x
        return np.sqrt(x * np.conj(x)) * 2            # stays complex, unlike np.abs

    def backward(self, grad_h):
        return grad_h * 2 * np.sign(self.x)


def test_auto_falls_back_to_central_differences_with_a_warning_for_undeclared_non_analytic_layers():
    with pytest.warns(UserWarning, match="not complex-analytic"):
        assert gradcheck(AbsLayer(), X)
    with pytest.raises(GradcheckError, match="complex-step"):
        gradcheck(AbsLayer(), X, method="complex")
    assert gradcheck(AbsLayer(), X, method="central")


class RealOnly(nn.Module):
    """Refuses complex input (as np.abs, which drops the imaginary part, would make it)."""

    def forward(self, x):
        if np.iscomplexobj(x):
            raise TypeError("RealOnly takes real input")
        self.h = np.tanh(x)
        return self.h

    def backward(self, grad_h):
        return grad_h * (1 - self.h ** 2)


def test_auto_uses_central_differences_when_forward_rejects_complex():
    class Abs(AbsLayer):
        def forward(self, x):
            self.x = x
            return np.abs(x) * 2

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(RealOnly(), X)
        assert gradcheck(Abs(), X)


def test_composite_modules_and_plain_functions():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(3, 4)
            self.out = nn.Linear(4, 2)

        def forward(self, x):
            return self.out(self.hidden(x).tanh()).sigmoid()

    mt.manual_seed(1)
    assert gradcheck(Net(), X)
    assert gradcheck(lambda t: (t.exp() * np.sin(t)).sum(axis=0), X)
    assert gradcheck(lambda a, b: (a * b).sum(), X, PROBS)          # both inputs checked
    with pytest.raises(GradcheckError, match=r"input 1 at index"):      # d/db of b.detach()² lost
        gradcheck(lambda a, b: (a * b).sum() + (b.detach() ** 2).sum(), X, PROBS)


def test_gradcheck_argument_errors():
    with pytest.raises(ValueError, match="method must be one of"):
        gradcheck(nn.Tanh(), X, method="forward")
    with pytest.raises(TypeError, match="first input must be floating"):
        gradcheck(nn.Tanh(), CLASSES)
    with pytest.raises(TypeError, match="must return a Tensor"):
        gradcheck(lambda t: 1.0, X)
