"""Smoke test: the autodiff tour runs end to end with small sizes and its numbers hold."""
import importlib.util
from pathlib import Path

import pytest

TOUR = Path(__file__).resolve().parents[2] / "examples" / "autodiff_tour.py"


def _load():
    spec = importlib.util.spec_from_file_location("autodiff_tour", TOUR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_autodiff_tour_runs_and_the_four_exact_ways_agree(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    tour = _load()
    result = tour.main(["--points", "41", "--sizes", "2,16", "--outputs", "8", "--hidden", "8",
                        "--repeat", "1", "--plot", "--out", str(tmp_path)])
    errors = result["errors"]
    for way in ("complex step", "forward mode (jvp)", "reverse mode (vjp)"):
        assert errors[way] < 1e-12
    assert 1e-12 < errors["central difference"] < 1e-6          # limited by its error order
    assert min(result["central"].values()) < 1e-8
    assert result["central"][1e-15] > 1e-3                      # degrades at tiny steps
    assert max(e for h, e in result["complex"].items() if h <= 1e-9) < 1e-13
    assert [n for n, *_ in result["timings"]] == [2, 16]
    assert sorted(p.name for p in result["figures"]) == [
        "autodiff_cost.png", "autodiff_derivatives.png", "autodiff_step_size.png"]
    assert all((tmp_path / p.name).stat().st_size > 10_000 for p in result["figures"])
    out = capsys.readouterr().out
    assert "max |error|" in out and "crossover" in out
