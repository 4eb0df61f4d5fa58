"""Smoke test: the benchmark runs every contender on every case at quick sizes.

No timing is asserted (the machine may be busy); what is checked is that every
contender is there, trained the same network on the same batches (same test
accuracy, better than chance), and that the numbers the report is made of are
consistent with one another.
"""
import importlib.util
import json
import math
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parents[2] / "examples" / "benchmark.py"
pytestmark = pytest.mark.slow


def _load():
    spec = importlib.util.spec_from_file_location("benchmark", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return _load()


@pytest.fixture(scope="module")
def quick(bench, tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "results.json"
    results = bench.main(["--quick", "--json", str(path)])
    return results, json.loads(path.read_text())


def _expected_contenders():
    names = ["numpy (by hand)", "minitorch loop", "minitorch fit", "scikit-learn"]
    if importlib.util.find_spec("torch") is not None:
        names.insert(3, "PyTorch")
    return names


def test_every_case_has_every_contender(quick, bench):
    results, _ = quick
    assert list(results["cases"]) == list(bench.CASES)
    for case in results["cases"].values():
        assert list(case["contenders"]) == _expected_contenders()


def test_accuracies_are_finite_better_than_chance_and_agree(quick):
    results, _ = quick
    for name, case in results["cases"].items():
        chance = 1 / case["sizes"][-1]
        accs = {c: r["accuracy"] for c, r in case["contenders"].items()}
        assert all(math.isfinite(a) and a > chance + 0.1 for a in accs.values()), (name, accs)
        # same start, same batches, same rule: the same model, up to rounding
        ref = accs["numpy (by hand)"]
        assert all(abs(a - ref) <= 0.02 for a in accs.values()), (name, accs)


def test_timings_and_ratios_are_consistent(quick):
    results, _ = quick
    repeats = results["settings"]["repeats"]
    for case in results["cases"].values():
        assert case["steps_per_epoch"] == -(-case["n_train"] // case["batch_size"])
        ref = case["contenders"]["numpy (by hand)"]
        assert ref["ratio_numpy"] == 1.0
        for r in case["contenders"].values():
            assert len(r["epoch_s"]) == repeats and all(t > 0 for t in r["epoch_s"])
            assert r["min_step_us"] <= r["median_step_us"] <= r["max_step_us"]
            assert r["median_step_us"] == pytest.approx(
                r["median_epoch_s"] / case["steps_per_epoch"] * 1e6)
            assert r["ratio_numpy"] == pytest.approx(r["median_epoch_s"] / ref["median_epoch_s"])
            assert r["memory"] is None                      # not measured with --quick


def test_json_file_holds_the_returned_results(quick):
    results, loaded = quick
    assert loaded["cases"].keys() == results["cases"].keys()
    assert loaded["machine"]["threads"] == 1 and loaded["machine"]["numpy"]
    for name, case in results["cases"].items():
        for c, r in case["contenders"].items():
            assert loaded["cases"][name]["contenders"][c]["epoch_s"] == r["epoch_s"]


@pytest.mark.torch
def test_pytorch_reaches_the_same_model(quick):
    pytest.importorskip("torch")
    results, _ = quick
    for case in results["cases"].values():
        r, ref = case["contenders"]["PyTorch"], case["contenders"]["numpy (by hand)"]
        assert r["accuracy"] == pytest.approx(ref["accuracy"], abs=0.02)
        assert r["ratio_torch"] == 1.0


def test_memory_is_measured_in_fresh_processes(bench):
    results = bench.main(["--quick", "--cases", "tiny", "--contenders", "minitorch loop",
                          "--memory", "tiny", "--repeats", "1"])
    contenders = results["cases"]["tiny"]["contenders"]
    assert list(contenders) == ["numpy (by hand)", "minitorch loop"]
    for r in contenders.values():
        mem = r["memory"]
        assert 0 <= mem["growth_mib"] < 100 and mem["peak_mib"] > 10 + mem["growth_mib"]


def test_phases_and_profile_of_a_step(bench, capsys):
    results = bench.main(["--quick", "--cases", "digits", "--contenders", "minitorch loop",
                          "--repeats", "1", "--phases", "--profile"])
    phases = results["cases"]["digits"]["phases"]
    assert list(phases) == ["numpy (by hand)", "minitorch by hand", "minitorch loop"]
    for name in ("minitorch by hand", "minitorch loop"):
        assert set(phases[name]) == {"zero_grad", "forward", "loss", "backward",
                                     "optimizer step", "bookkeeping", "total"}
    for ph in phases.values():
        parts = [v for k, v in ph.items() if k != "total"]
        assert all(v >= 0 for v in parts)
        # the median step against the sum of the phases' medians: the same step, give or take
        assert 0.5 * sum(parts) <= ph["total"] <= 2 * sum(parts)
    functions = [row["function"] for row in results["cases"]["digits"]["profile"]]
    assert any("linear.py" in f for f in functions)     # the layers' own code shows up
    out = capsys.readouterr().out
    assert "µs per step" in out and "cProfile" in out


def test_unknown_case_or_contender_is_refused(bench):
    with pytest.raises(SystemExit):
        bench.main(["--cases", "huge"])
    with pytest.raises(SystemExit):
        bench.main(["--quick", "--contenders", "jax"])
    with pytest.raises(SystemExit):
        bench.main(["--quick", "--memory", "huge"])
