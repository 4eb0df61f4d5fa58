"""Smoke test: the autodiff tour runs end to end with small sizes and its numbers hold."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

TOUR = Path(__file__).resolve().parents[2] / "examples" / "autodiff_tour.py"
FIVE = ("central difference", "complex step", "forward mode (jvp)", "reverse mode (vjp)")


def _load():
    spec = importlib.util.spec_from_file_location("autodiff_tour", TOUR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_autodiff_tour_runs_and_the_five_ways_agree_to_1e_10(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    tour = _load()
    result = tour.main(["--points", "201", "--sizes", "2,16", "--outputs", "8", "--hidden", "8",
                        "--repeat", "1", "--plot", "--out", str(tmp_path)])
    errors = result["errors"]
    # the claim: on the 201-point grid the five ways agree to 1e-10 (the
    # recurrence is the reference, so each other way is within 1e-10 of it and the
    # largest difference between any two is too)
    assert all(errors[way] < 1e-10 for way in FIVE)
    assert result["spread"] < 1e-10
    assert result["spread"] == pytest.approx(max(errors[way] for way in FIVE))
    for way in FIVE[1:]:
        assert errors[way] < 1e-13                               # exact to rounding
    assert errors["central difference"] < 2e-11                  # order 6 at h = 5e-4
    assert errors["central, order 4"] < 1e-10                    # order 4 at h = 1e-4
    assert errors["central, order 2"] > 1e-8                     # the lecture's formula cannot

    # study 2: each order's V, with the bottom lower the higher the order
    central = result["central"]
    best = {p: min(central[p].values()) for p in (2, 4, 6)}
    assert best[6] < best[4] < 1e-10 < best[2] < 1e-9
    for p in (2, 4, 6):
        assert central[p][1e-15] > 1e-2                          # rounding at tiny steps
        assert central[p][1e-1] > 0.1                            # truncation at large ones
        # the truncation side falls as hᵖ: one decade of h, p decades of error
        h = 1e-3 if p == 2 else 1e-2
        assert np.log10(central[p][h] / central[p][h / 10]) == pytest.approx(p, rel=0.05)
    assert max(e for h, e in result["complex"].items() if h <= 1e-9) < 1e-13
    assert {1e-50, 1e-100, 1e-200, 1e-300} <= set(result["complex"])

    assert [n for n, *_ in result["timings"]] == [2, 16]
    assert sorted(p.name for p in result["figures"]) == [
        "autodiff_cost.png", "autodiff_derivatives.png", "autodiff_step_size.png"]
    assert all((tmp_path / p.name).stat().st_size > 10_000 for p in result["figures"])
    out = capsys.readouterr().out
    assert "max |error|" in out and "crossover" in out
    assert f"agree to {result['spread']:.1e} everywhere on the grid (within 1e-10)" in out
    assert "order 6: error ∝ h^6.0" in out and "order 4: error ∝ h^4.0" in out


def test_autodiff_tour_can_use_the_fourth_order_stencil_as_the_central_difference(capsys):
    result = _load().main(["--order", "4", "--sizes", "2", "--repeat", "1"])
    errors = result["errors"]
    assert set(errors) == set(FIVE) | {"central, order 6", "central, order 2"}
    assert 1e-11 < errors["central difference"] < 1e-10 and result["spread"] < 1e-10
    assert errors["central, order 6"] < 2e-11
    assert "central difference of order 4" in capsys.readouterr().out
