"""The lecture on automatic differentiation, as a program.

Three studies, each printed as a table (and drawn with ``--plot``):

1. The derivative of the lecture's z₂₀(x) (z_{n+1} = sin(z_n x) + x, z₀ = 0)
   on [0, 1.5], computed five ways: analytically by the lecture's recurrence,
   by central differences, by the complex step, by forward mode and by
   reverse mode (``minitorch.autodiff``), with the largest discrepancy of each.
2. Error against step size: central differences lose digits below h ≈ 1e-5
   (rounding, O(ε/h)); the complex step stays at machine precision down to
   h = 1e-200.
3. Cost of a full Jacobian of f: Rᴺ → Rᴹ (a tanh network) by forward mode
   (one JVP per input) and by reverse mode (one VJP per output), as N grows
   past M: forward wins while N < M, reverse after — the lecture's crossover.

    python examples/autodiff_tour.py                 # tables
    python examples/autodiff_tour.py --plot          # and PNGs in docs/img/
"""
import argparse
import time
from pathlib import Path

import numpy as np

from minitorch.autodiff import central_difference, complex_step, jacobian, jvp, vjp

IMG = Path(__file__).resolve().parent.parent / "docs" / "img"


def z20(x):
    """The lecture's func, unchanged: it runs on floats, arrays, Duals and Tensors alike."""
    _z = 0.0
    for _i in range(20):
        _z = np.sin(x * _z) + x
    return _z


def dz20(x):
    """The analytic derivative by the lecture's recurrence:
    dz_{n+1}/dx = x cos(z_n x) dz_n/dx + z_n cos(z_n x) + 1, dz_0/dx = 0."""
    z, dz = 0.0, 0.0
    for _ in range(20):
        dz = x * np.cos(x * z) * dz + z * np.cos(x * z) + 1
        z = np.sin(x * z) + x
    return dz


def derivatives(points):
    """Study 1: dz₂₀/dx on [0, 1.5] five ways. z₂₀ acts entry by entry, so its
    Jacobian is diagonal and one JVP (or VJP) with v = 1 gives every derivative."""
    xx = np.linspace(0.0, 1.5, points)
    ones = np.ones_like(xx)
    exact = dz20(xx)
    ways = {
        "central difference": central_difference(z20, xx, elementwise=True),
        "complex step": complex_step(z20, xx, elementwise=True),
        "forward mode (jvp)": jvp(z20, xx, ones)[1],
        "reverse mode (vjp)": vjp(z20, xx)[1](ones),
    }
    print(f"\n1. dz20/dx at {points} points on [0, 1.5]; analytic by the recurrence")
    print(f"   {'method':<22}{'max |error|':>14}")
    errors = {}
    for name, d in ways.items():
        errors[name] = float(np.max(np.abs(d - exact)))
        print(f"   {name:<22}{errors[name]:>14.2e}")
    exact_ways = max(v for k, v in errors.items() if k != "central difference")
    print(f"   complex step, forward and reverse agree with the recurrence to {exact_ways:.1e};")
    print(f"   central differences are limited by their O(h^2) + O(eps/h) error "
          f"(z20 bends sharply near x = 1.29)")
    return xx, exact, ways, errors


def step_study(points):
    """Study 2: max error over the grid against the step h."""
    xx = np.linspace(0.0, 1.5, points)
    exact = dz20(xx)
    central_steps = 10.0 ** -np.arange(2, 16)                     # below ~1e-16, x + h == x
    complex_steps = 10.0 ** -np.concatenate([np.arange(2, 21), [50, 100, 200, 300]])
    err = lambda d: float(np.max(np.abs(d - exact)))
    central = {h: err(central_difference(z20, xx, h=h, elementwise=True)) for h in central_steps}
    cstep = {h: err(complex_step(z20, xx, h=h, elementwise=True)) for h in complex_steps}
    print("\n2. max |error| against the step h")
    print(f"   {'h':>8}{'central':>12}{'complex':>12}")
    for h in complex_steps:
        c = f"{central[h]:>12.2e}" if h in central else f"{'-':>12}"
        print(f"   {h:>8.0e}{c}{cstep[h]:>12.2e}")
    best = min(central, key=central.get)
    tiny = max(v for h, v in cstep.items() if h <= 1e-9)
    print(f"   central differences are best at h = {best:.0e} ({central[best]:.1e}) and lose digits "
          f"on either side;\n   the complex step stays at {tiny:.1e} for every h from 1e-9 to 1e-300")
    return central, cstep


def network(n, m, hidden, seed):
    """f: Rᴺ → Rᴹ, f(x) = tanh(W₂ tanh(W₁ x)), written once for numpy, Duals and Tensors."""
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((hidden, n)) / np.sqrt(n)
    W2 = rng.standard_normal((m, hidden)) / np.sqrt(hidden)
    return lambda x: np.tanh(W2 @ np.tanh(W1 @ x))


def _best_time(fn, repeat):
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def cost_study(sizes, outputs, hidden, repeat, seed):
    """Study 3: seconds to a full Jacobian by forward and by reverse mode, M fixed, N growing."""
    print(f"\n3. time to the full Jacobian of f: R^N -> R^M, M = {outputs} (tanh network, "
          f"{hidden} hidden)")
    print(f"   {'N':>6}{'forward [ms]':>14}{'reverse [ms]':>14}  faster")
    rows = []
    for n in sizes:
        f = network(n, outputs, hidden, seed)
        x = np.random.default_rng(seed).standard_normal(n)
        Jf, Jr = jacobian(f, x, mode="forward"), jacobian(f, x, mode="reverse")
        assert np.allclose(Jf, Jr, rtol=1e-10, atol=1e-12), "forward and reverse Jacobians differ"
        tf = _best_time(lambda: jacobian(f, x, mode="forward"), repeat)
        tr = _best_time(lambda: jacobian(f, x, mode="reverse"), repeat)
        rows.append((n, tf, tr))
        print(f"   {n:>6}{1e3 * tf:>14.2f}{1e3 * tr:>14.2f}  {'forward' if tf < tr else 'reverse'}")
    print(f"   forward mode costs one pass per input (N), reverse one per output (M): "
          f"the crossover sits near N = M = {outputs}")
    return rows


def plot(out, xx, exact, ways, central, cstep, rows, outputs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    out.mkdir(parents=True, exist_ok=True)
    paths = []

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(xx, z20(xx), color="0.6", label="$z_{20}(x)$")
    ax.plot(xx, exact, "r-", linewidth=4, alpha=0.4, label="analytic (recurrence)")
    for (name, d), style in zip(ways.items(), ["c:", "k-.", "b-", "g--"]):
        ax.plot(xx, d, style, label=name)
    ax.set_xlabel("x"), ax.set_ylabel("$dz_{20}/dx$"), ax.legend(fontsize=8)
    paths.append(out / "autodiff_derivatives.png")

    fig2, ax2 = plt.subplots(figsize=(6, 4))
    shown = {h: e for h, e in cstep.items() if h >= 1e-20}
    tiny = "\n".join(f"h = {h:.0e}: {e:.1e}" for h, e in cstep.items() if h < 1e-20)
    ax2.loglog(list(central), list(central.values()), "b-o", ms=3, label="Central Diff.")
    ax2.loglog(list(shown), list(shown.values()), "r--s", ms=3, label="Complex Step")
    if tiny:
        ax2.text(0.03, 0.17, f"complex step, smaller h:\n{tiny}", transform=ax2.transAxes,
                 fontsize=7, color="r")
    ax2.set_xlabel("Step size h"), ax2.set_ylabel("max |error| on [0, 1.5]")
    ax2.legend(loc="lower right")
    paths.append(out / "autodiff_step_size.png")

    fig3, ax3 = plt.subplots(figsize=(6, 4))
    n, tf, tr = (np.array(c) for c in zip(*rows))
    ax3.loglog(n, 1e3 * tf, "b-o", label="forward (one JVP per input)")
    ax3.loglog(n, 1e3 * tr, "r-s", label="reverse (one VJP per output)")
    ax3.axvline(outputs, color="0.5", linestyle=":", label=f"N = M = {outputs}")
    ax3.set_xlabel("inputs N"), ax3.set_ylabel("time to full Jacobian [ms]"), ax3.legend()
    paths.append(out / "autodiff_cost.png")

    for figure, path in zip((fig, fig2, fig3), paths):
        figure.tight_layout()
        figure.savefig(path, dpi=110)
        plt.close(figure)
    print("\nfigures: " + ", ".join(str(p) for p in paths))
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plot", action="store_true", help="save the figures as PNGs")
    parser.add_argument("--out", type=Path, default=IMG, help="folder for the figures (docs/img)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random network")
    parser.add_argument("--points", type=int, default=201, help="grid points on [0, 1.5]")
    parser.add_argument("--sizes", default="2,4,8,16,32,64,128,256,512,1024",
                        help="input sizes N for the cost study, comma separated")
    parser.add_argument("--outputs", type=int, default=32, help="output size M for the cost study")
    parser.add_argument("--hidden", type=int, default=64, help="hidden width of the network")
    parser.add_argument("--repeat", type=int, default=3, help="timings: best of this many")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    xx, exact, ways, errors = derivatives(args.points)
    central, cstep = step_study(args.points)
    rows = cost_study(sizes, args.outputs, args.hidden, args.repeat, args.seed)
    paths = plot(args.out, xx, exact, ways, central, cstep, rows, args.outputs) if args.plot else []
    return {"errors": errors, "central": central, "complex": cstep, "timings": rows,
            "figures": paths}


if __name__ == "__main__":
    main()
