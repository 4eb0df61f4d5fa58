"""Regenerate every figure of the documentation, by running each example with ``--plot``.

    python examples/make_figures.py                    # all figures into docs/img/ (about 10 s)
    python examples/make_figures.py --out /tmp/img     # somewhere else
    python examples/make_figures.py --only iris,moons_decision_boundary
    python examples/make_figures.py --quick            # a few epochs each: a smoke test

Each example runs in this process through its own ``main([...])``, with its
default settings (those of the documented results) plus ``--plot --out DIR``,
so a figure always shows what the script prints. Needs matplotlib
(``pip install -e ".[plot]"``).
"""
import argparse
import importlib.util
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
IMG = HERE.parent / "docs" / "img"

#: example script → (its extra arguments, extra arguments with --quick, the figures it writes)
FIGURES = {
    "train_mlp": (["--no-progress"], ["--epochs", "2"], ["digits_loss.png"]),
    "moons_decision_boundary": (["--no-progress"], ["--epochs", "2"],
                                ["moons_decision_boundary.png"]),
    "regression_diabetes": (["--no-progress"], ["--epochs", "5"], ["diabetes_regression.png"]),
    "custom_module": (["--no-progress"], ["--epochs", "2"], ["breast_cancer_loss.png"]),
    "iris": (["--no-progress"], ["--epochs", "2"], ["iris_history.png"]),
    "manual_backprop": ([], ["--epochs", "2"], ["manual_backprop_loss.png"]),
    "autodiff_tour": ([], ["--points", "21", "--sizes", "2,4,8", "--repeat", "1"],
                      ["autodiff_derivatives.png", "autodiff_step_size.png", "autodiff_cost.png"]),
}


def load(name):
    """The example module ``examples/<name>.py``."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    """Run the examples that draw figures; returns {example: [paths of its figures]}."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=IMG, help="folder for the figures (docs/img)")
    parser.add_argument("--only", default=",".join(FIGURES),
                        help="examples to run, comma separated (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help="a few epochs each (a smoke test; not the documented figures)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = sorted(set(names) - set(FIGURES))
    if unknown:
        parser.error(f"unknown example(s) {unknown}; expected some of {sorted(FIGURES)}")
    args.out.mkdir(parents=True, exist_ok=True)

    made = {}
    for name in names:
        extra, quick, figures = FIGURES[name]
        start = time.perf_counter()
        load(name).main(extra + (quick if args.quick else []) + ["--plot", "--out", str(args.out)])
        paths = [args.out / f for f in figures]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise RuntimeError(f"{name}.py did not write {missing}; expected its --plot "
                               f"figures in {args.out} (is matplotlib installed?)")
        made[name] = [str(p) for p in paths]
        print(f"{name}: {', '.join(figures)} ({time.perf_counter() - start:.1f} s)")
    return made


if __name__ == "__main__":
    main()
