"""quiet_overflow: np.errstate(over="ignore") for hot paths; every other setting stays the caller's."""
import threading
import warnings

import numpy as np
import pytest

from minitorch import overflow
from minitorch.overflow import quiet_overflow

BIG = np.float32(100)           # e¹⁰⁰ overflows float32


@pytest.fixture(params=["context variable", "errstate fallback"])
def mode(request, monkeypatch):
    if request.param == "errstate fallback":
        monkeypatch.setattr(overflow, "_settings", None)
    elif overflow._settings is None:
        pytest.skip("this numpy keeps no error-settings context variable")
    return request.param


def test_overflow_is_silent_inside_and_warns_again_after(mode):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with quiet_overflow():
            assert np.exp(BIG) == np.inf
            assert np.geterr()["over"] == "ignore"
        with pytest.raises(RuntimeWarning, match="overflow"):
            np.exp(BIG)


@pytest.mark.parametrize("caller", [
    dict(all="raise"),
    dict(divide="raise", invalid="ignore", under="warn", over="raise"),
    dict(all="ignore"),
    dict(divide="warn", invalid="raise", over="warn"),
])
def test_every_other_setting_is_the_callers(mode, caller):
    with np.errstate(**caller):
        before = np.geterr()
        with quiet_overflow():
            inside = np.geterr()
            assert np.exp(BIG) == np.inf
            if before["divide"] == "raise":
                with pytest.raises(FloatingPointError):
                    np.float32(1) / np.float32(0)
        assert np.geterr() == before
    assert inside == {**before, "over": "ignore"}


def test_the_callers_settings_are_read_at_each_entry(mode):
    # the quiet settings are made per caller's settings: a cached one must not outlive them
    for _ in range(3):
        for divide in ("raise", "ignore", "warn"):
            with np.errstate(divide=divide):
                with quiet_overflow():
                    assert np.geterr()["divide"] == divide
    old = np.seterr(divide="raise")             # (np.seterr changes the settings in place)
    try:
        with quiet_overflow():
            assert np.geterr()["divide"] == "raise"
    finally:
        np.seterr(**old)


def test_the_call_setting_is_kept(mode):
    calls = []
    with np.errstate(call=lambda kind, flag: calls.append(kind), divide="call"):
        with quiet_overflow():
            np.float32(1) / np.float32(0)
            np.exp(BIG)
    assert calls == ["divide by zero"]


def test_nested_and_after_an_exception(mode):
    before = np.geterr()
    with pytest.raises(KeyError):
        with quiet_overflow():
            with quiet_overflow():
                assert np.geterr()["over"] == "ignore"
            assert np.geterr()["over"] == "ignore"
            raise KeyError("inside")
    assert np.geterr() == before


def test_a_thread_keeps_its_own_settings(mode):
    seen = {}

    def work():
        with np.errstate(divide="raise", over="raise"):
            with quiet_overflow():
                seen["inside"] = np.geterr()
            seen["after"] = np.geterr()

    with np.errstate(divide="ignore"):
        with quiet_overflow():
            thread = threading.Thread(target=work)
            thread.start()
            thread.join()
            assert np.geterr()["divide"] == "ignore"
    assert seen["inside"]["divide"] == "raise" and seen["inside"]["over"] == "ignore"
    assert seen["after"]["over"] == "raise"
