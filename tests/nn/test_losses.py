"""Every loss × reduction through the registry check; values by hand; errors."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitorch as mt
from minitorch import nn
from registry import LOSSES, check, check_float32
from strategies import SETTINGS


@pytest.mark.parametrize("build", LOSSES.values(), ids=LOSSES.keys())
@settings(**SETTINGS)
@given(data=st.data())
def test_loss_forward_and_gradients(build, data):
    check(build(data.draw))


@pytest.mark.parametrize("build", LOSSES.values(), ids=LOSSES.keys())
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_loss_keeps_float32(build, data):
    check_float32(build(data.draw))


# --- values worked out by hand ------------------------------------------------------------------
def test_mse_and_l1_by_hand():
    x, y = np.array([1.0, 2.0, 4.0]), np.array([0.0, 2.0, 1.0])
    assert nn.MSELoss()(x, y).item() == pytest.approx((1 + 0 + 9) / 3)
    assert nn.MSELoss(reduction="sum")(x, y).item() == pytest.approx(10)
    assert nn.L1Loss()(x, y).item() == pytest.approx(4 / 3)
    np.testing.assert_allclose(nn.L1Loss(reduction="none")(x, y).data, [1, 0, 3])


def test_cross_entropy_of_equal_logits_is_log_c():
    loss = nn.CrossEntropyLoss()(np.zeros((3, 5), np.float32), np.array([0, 4, 2]))
    assert loss.item() == pytest.approx(math.log(5), rel=1e-6)
    assert loss.dtype == np.float32


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    x = mt.tensor(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]), requires_grad=True)
    nn.CrossEntropyLoss()(x, np.array([2, 0])).backward()
    p = np.exp(x.data) / np.exp(x.data).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(x.grad, (p - np.eye(3)[[2, 0]]) / 2)


def test_cross_entropy_equals_nll_of_log_softmax():
    x = np.random.default_rng(0).standard_normal((6, 4))
    y = np.array([0, 3, 1, 1, 2, 0])
    w = np.array([0.5, 1.0, 2.0, 1.5])
    ce = nn.CrossEntropyLoss(weight=w)(x, y).item()
    nll = nn.NLLLoss(weight=w)(nn.LogSoftmax(dim=1)(x), y).item()
    assert ce == pytest.approx(nll, rel=1e-12)


def test_cross_entropy_with_one_hot_probabilities_equals_index_targets():
    x = np.random.default_rng(1).standard_normal((5, 3))
    y = np.array([2, 0, 1, 1, 0])
    for r in ("mean", "sum"):
        np.testing.assert_allclose(nn.CrossEntropyLoss(reduction=r)(x, np.eye(3)[y]).data,
                                   nn.CrossEntropyLoss(reduction=r)(x, y).data, rtol=1e-12)


def test_cross_entropy_of_huge_logits_is_finite():
    x = mt.tensor([[1000.0, -1000.0], [-1000.0, 1000.0]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = nn.CrossEntropyLoss()(x, np.array([1, 1]))
        loss.backward()
    assert loss.item() == pytest.approx(1000.0)
    np.testing.assert_allclose(x.grad, [[0.5, -0.5], [0, 0]], atol=1e-12)


def test_cross_entropy_takes_tensor_targets_and_1d_input():
    x = np.array([0.0, 1.0, 2.0])
    expected = math.log(np.exp(x).sum()) - 2.0
    assert nn.CrossEntropyLoss()(mt.tensor(x), mt.tensor(2)).item() == pytest.approx(expected)
    assert nn.CrossEntropyLoss()(x[None], mt.tensor([2])).item() == pytest.approx(expected)


def test_bce_clamps_log_at_minus_100_like_pytorch():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = nn.BCELoss(reduction="none")(np.array([0.0, 1.0, 0.5]), np.array([1.0, 0.0, 1.0]))
    np.testing.assert_allclose(loss.data, [100.0, 100.0, math.log(2)])


def test_bce_with_logits_equals_bce_of_sigmoid_and_is_stable():
    x = np.array([-3.0, 0.0, 2.0, 40.0])
    y = np.array([0.0, 1.0, 0.3, 1.0])
    a = nn.BCEWithLogitsLoss()(x, y).item()
    b = nn.BCELoss()(1 / (1 + np.exp(-x)), y).item()
    assert a == pytest.approx(b, rel=1e-9)
    big = nn.BCEWithLogitsLoss(reduction="none")(np.array([-800.0, 800.0]), np.array([1.0, 0.0]))
    np.testing.assert_allclose(big.data, [800.0, 800.0])


def test_reduction_none_keeps_one_loss_per_sample():
    x = np.zeros((4, 3))
    assert nn.CrossEntropyLoss(reduction="none")(x, np.array([0, 1, 2, 0])).shape == (4,)
    assert nn.NLLLoss(reduction="none")(x, np.array([0, 1, 2, 0])).shape == (4,)
    assert nn.MSELoss(reduction="none")(x, x).shape == (4, 3)
    assert nn.BCEWithLogitsLoss(reduction="none")(x, x).shape == (4, 3)


def test_loss_backward_reaches_the_model():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    nn.CrossEntropyLoss()(model(np.ones((5, 3))), np.array([0, 1, 0, 1, 1])).backward()
    assert all(p.grad is not None and np.any(p.grad) for p in model.parameters())


# --- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("loss", [nn.CrossEntropyLoss(), nn.NLLLoss()], ids=["CE", "NLL"])
def test_class_losses_reject_float_labels(loss):
    with pytest.raises(ValueError, match=r"float targets of shape \(3,\)"):
        loss(np.zeros((3, 4)), np.array([0.0, 1.0, 2.0]))


@pytest.mark.parametrize("loss", [nn.CrossEntropyLoss(), nn.NLLLoss()], ids=["CE", "NLL"])
@pytest.mark.parametrize("bad", [4, -1, 10])
def test_class_losses_reject_labels_out_of_range(loss, bad):
    expected = rf"\[0, 3\] for 4 classes; got \[{bad}\] at positions \[1\]"
    with pytest.raises(ValueError, match=expected):
        loss(np.zeros((3, 4)), np.array([0, bad, 2]))


@pytest.mark.parametrize("loss", [nn.CrossEntropyLoss(), nn.NLLLoss()], ids=["CE", "NLL"])
def test_class_losses_reject_targets_of_the_wrong_shape(loss):
    with pytest.raises(ValueError, match=r"\(3,\).*got \(3, 1\)"):
        loss(np.zeros((3, 4)), np.array([[0], [1], [2]]))
    with pytest.raises(ValueError, match="got"):
        loss(np.zeros((3, 4)), np.array([0, 1]))


def test_class_losses_reject_inputs_that_are_not_n_by_c():
    with pytest.raises(ValueError, match=r"\(N, C\).*\(2, 3, 4\)"):
        nn.CrossEntropyLoss()(np.zeros((2, 3, 4)), np.array([0, 1]))


LOSS_CLASSES = [nn.MSELoss, nn.L1Loss, nn.BCELoss, nn.BCEWithLogitsLoss, nn.CrossEntropyLoss,
                nn.NLLLoss]


@pytest.mark.parametrize("cls", LOSS_CLASSES, ids=lambda c: c.__name__)
def test_every_loss_rejects_n1_against_n(cls):
    """(N, 1) predictions against (N,) targets: an error, never a silent (N, N) broadcast."""
    if cls in (nn.CrossEntropyLoss, nn.NLLLoss):
        x, y = np.full((4, 1), 0.5), np.zeros((4, 1), dtype=np.int64)    # target must be (N,)
    else:
        x, y = np.full((4, 1), 0.5), np.zeros(4)
    with pytest.raises(ValueError, match=r"\(4, 1\)|\(4,\)"):
        cls()(x, y)
    if cls not in (nn.CrossEntropyLoss, nn.NLLLoss):
        with pytest.raises(ValueError, match=r"\(4,\)"):
            cls()(np.full(4, 0.5), np.zeros((4, 1)))


@pytest.mark.parametrize("cls", LOSS_CLASSES, ids=lambda c: c.__name__)
def test_every_loss_rejects_an_unknown_reduction(cls):
    with pytest.raises(ValueError, match="'mean', 'sum' or 'none'"):
        cls(reduction="avg")


def test_bce_rejects_inputs_outside_0_1():
    with pytest.raises(ValueError, match="BCEWithLogitsLoss"):
        nn.BCELoss()(np.array([-0.5, 2.0]), np.array([0.0, 1.0]))


def test_cross_entropy_rejects_a_weight_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"weight of shape \(3,\)"):
        nn.CrossEntropyLoss(weight=np.ones(2))(np.zeros((2, 3)), np.array([0, 1]))


@settings(**SETTINGS)
@given(n=st.integers(1, 300), c=st.integers(1, 40), seed=st.integers(0, 2**32 - 1),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_cross_entropy_row_maxima_are_those_of_ndarray_max(n, c, seed, dtype):
    from minitorch.nn.loss import _row_max
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n, c)) * 50).astype(dtype)
    if n > 3:
        x[1, rng.integers(c)] = np.nan                                  # NaN wins, as in max
        x[2] = -np.inf
    m = _row_max(x)
    assert m.shape == (n, 1)
    np.testing.assert_array_equal(m, x.max(axis=1, keepdims=True))
