"""quiet_exp: np.exp with overflow ignored, for hot paths; every other setting stays the caller's."""
import threading
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minitorch import overflow
from minitorch.overflow import quiet_exp

BIG = np.float32(100)           # e¹⁰⁰ overflows float32


@pytest.fixture(params=["context variable", "errstate fallback"])
def exp(request):
    """quiet_exp, and the np.errstate version a numpy without the context variable gets."""
    if request.param == "errstate fallback":
        return overflow._errstate_exp
    if overflow._settings is None:
        pytest.skip("this numpy keeps no error-settings context variable")
    return quiet_exp


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(st.sampled_from([np.float32, np.float64]), hnp.array_shapes(max_dims=3),
                  elements=st.floats(-1000, 1000, width=32)))
def test_equals_np_exp_to_the_bit_in_place_or_not(x):
    with np.errstate(over="ignore"):
        expected = np.exp(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(quiet_exp(x), expected)
        out = x.copy()
        assert quiet_exp(out, out=out) is out
        np.testing.assert_array_equal(out, expected)


def test_overflow_is_silent_inside_and_warns_again_after(exp):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert exp(BIG) == np.inf
        with pytest.raises(RuntimeWarning, match="overflow"):
            np.exp(BIG)


TINY = np.float32(-200)         # e⁻²⁰⁰ underflows float32: the other error eˣ can raise


def _under(exp, x=TINY):
    """What exp did on an underflow: 'quiet' or 'raised'."""
    try:
        exp(x)
        return "quiet"
    except FloatingPointError:
        return "raised"


@pytest.mark.parametrize("caller", [
    dict(all="raise"),
    dict(divide="raise", invalid="ignore", under="raise", over="raise"),
    dict(all="ignore"),
    dict(divide="warn", invalid="raise", under="ignore", over="warn"),
])
def test_every_other_setting_is_the_callers(exp, caller):
    with np.errstate(**caller):
        before = np.geterr()
        assert exp(BIG) == np.inf
        assert _under(exp) == ("raised" if before["under"] == "raise" else "quiet")
        assert np.geterr() == before


def test_the_callers_settings_are_read_at_each_call(exp):
    # the quiet settings are made per caller's settings: a cached one must not outlive them
    seen = []
    for _ in range(2):
        for under in ("raise", "ignore", "raise"):
            with np.errstate(under=under):
                seen.append(_under(exp))
    assert seen == ["raised", "quiet", "raised"] * 2
    old = np.seterr(under="raise")                  # (np.seterr changes the settings in place)
    try:
        assert _under(exp) == "raised"
    finally:
        np.seterr(**old)
    assert _under(exp) == "quiet"                      # (numpy's default: under="ignore")


def test_the_call_setting_is_kept(exp):
    calls = []
    with np.errstate(call=lambda kind, flag: calls.append(kind), under="call"):
        exp(TINY)
        exp(BIG)
    assert calls == ["underflow"]


def test_after_an_exception_the_settings_are_the_callers(exp):
    before = np.geterr()
    with pytest.raises(TypeError):
        exp(np.zeros(2), out=np.zeros(3, np.int64))
    assert np.geterr() == before


def test_a_thread_keeps_its_own_settings(exp):
    seen = {}

    def work():
        with np.errstate(under="raise", over="raise"):
            seen["under"] = _under(exp)
            seen["big"] = exp(BIG)
            seen["after"] = np.geterr()

    with np.errstate(under="ignore"):
        exp(BIG)                              # (the cache now holds this thread's settings)
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        assert np.geterr()["under"] == "ignore"
    assert seen["under"] == "raised" and seen["big"] == np.inf
    assert seen["after"]["over"] == "raise"
