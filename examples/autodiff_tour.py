"""The lecture on automatic differentiation, as a program.

Three studies, each printed as a table (and drawn with ``--plot``):

1. The derivative of the lecture's z₂₀(x) (z_{n+1} = sin(z_n x) + x, z₀ = 0)
   at 201 points on [0, 1.5], computed five ways: analytically by the
   lecture's recurrence, by central differences (the 6th-order stencil at
   h = 5e-4), by the complex step, by forward mode and by reverse mode
   (``minitorch.autodiff``), with the largest deviation of each from the
   recurrence: all agree to 1e-10. Extra rows show the 4th-order stencil and
   the lecture's 2nd-order formula, which cannot get there.
2. Error against step size for central differences of order 2, 4 and 6 and
   for the complex step: each central difference falls as hᵖ (truncation)
   until rounding, O(ε/h), takes over — a V on a log-log plot, whose bottom is
   lower and further right the higher the order; the complex step stays at
   machine precision down to h = 1e-300.
3. Cost of a full Jacobian of f: Rᴺ → Rᴹ (a tanh network) by forward mode
   (one JVP per input) and by reverse mode (one VJP per output), as N grows
   past M: forward wins while N < M, reverse after — the lecture's crossover.

    python examples/autodiff_tour.py                 # tables
    python examples/autodiff_tour.py --plot          # and PNGs in docs/img/ (or --out DIR)
"""
import argparse
import time
from pathlib import Path

import numpy as np

from minitorch.autodiff import central_difference, complex_step, jacobian, jvp, vjp

IMG = Path(__file__).resolve().parent.parent / "docs" / "img"

# Steps for the higher-order stencils on z20, read off study 2: near the bottom of each
# order's V, on the truncation side. The default steps, ε^(1/(p+1)) ≈ 7e-4 and 6e-3,
# suit functions that bend on a scale of 1; z20 bends on a scale of a few hundredths
# near x = 1.29, and a step r times too large costs a factor rᵖ in truncation error.
STEP = {4: 1e-4, 6: 5e-4}


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


def derivatives(points, order=6):
    """Study 1: dz₂₀/dx on [0, 1.5] five ways. z₂₀ acts entry by entry, so its
    Jacobian is diagonal and one JVP (or VJP) with v = 1 gives every derivative."""
    xx = np.linspace(0.0, 1.5, points)
    ones = np.ones_like(xx)
    exact = dz20(xx)
    other = 10 - order                                    # the other higher order, 4 or 6
    central = lambda p, h: central_difference(z20, xx, h=h, order=p, elementwise=True)
    ways = {   # name: (order, step, derivative); the recurrence is the fifth way
        "central difference": (order, f"{STEP[order]:.0e}", central(order, STEP[order])),
        "complex step": ("-", "1e-20", complex_step(z20, xx, elementwise=True)),
        "forward mode (jvp)": ("-", "-", jvp(z20, xx, ones)[1]),
        "reverse mode (vjp)": ("-", "-", vjp(z20, xx)[1](ones)),
    }
    extra = {
        f"central, order {other}": (other, f"{STEP[other]:.0e}", central(other, STEP[other])),
        "central, order 2": (2, "default", central(2, None)),   # ∛ε·max(1, |x|) ≈ 6e-6
    }
    print(f"\n1. dz20/dx at {points} points on [0, 1.5]; max |error| against the analytic "
          "recurrence")
    print(f"   {'method':<24}{'order':>6}{'step h':>9}{'max |error|':>14}")
    errors = {}
    for rows in (ways, extra):
        for name, (p, h, d) in rows.items():
            errors[name] = float(np.max(np.abs(d - exact)))
            print(f"   {name:<24}{p:>6}{h:>9}{errors[name]:>14.2e}")
        if rows is ways:
            print(f"   {'- ' * 26}")
    # the largest difference between any two of the five ways, the recurrence included
    spread = float(np.max(np.ptp(np.stack([exact] + [d for *_, d in ways.values()]), axis=0)))
    print(f"   the five ways (recurrence, central difference of order {order}, complex step, "
          f"forward, reverse)\n   agree to {spread:.1e} everywhere on the grid "
          f"({'within' if spread <= 1e-10 else 'NOT within'} 1e-10). The lecture's order-2 "
          f"formula falls\n   short: its h² truncation error is large where z20 bends sharply "
          f"(x = 1.29), and rounding\n   (ε/h) spoils smaller steps (study 2)")
    derivs = {name: d for name, (*_, d) in {**ways, **extra}.items()}
    return xx, exact, derivs, errors, spread


def step_study(points):
    """Study 2: max error over the grid against the step h, for each order and the complex step.
    The central differences are computed every quarter decade; the table shows the decades."""
    xx = np.linspace(0.0, 1.5, points)
    exact = dz20(xx)
    decades = [float(f"1e-{k}") for k in range(1, 16)]                # below ~1e-16, x + h == x
    steps = sorted(decades + [m * 10.0 ** -k for k in range(2, 16) for m in (1.78, 3.16, 5.62)],
                   reverse=True)
    complex_steps = decades[1:] + [float(f"1e-{k}") for k in (16, 17, 18, 19, 20, 50, 100, 200,
                                                              300)]
    err = lambda d: float(np.max(np.abs(d - exact)))
    central = {p: {h: err(central_difference(z20, xx, h=h, order=p, elementwise=True))
                   for h in steps} for p in (2, 4, 6)}
    cstep = {h: err(complex_step(z20, xx, h=h, elementwise=True)) for h in complex_steps}
    print("\n2. max |error| against the step h")
    print(f"   {'h':>8}{'order 2':>11}{'order 4':>11}{'order 6':>11}{'complex':>11}")
    fmt = lambda table, h: f"{table[h]:>11.2e}" if h in table else f"{'-':>11}"
    for h in sorted(set(decades) | set(complex_steps), reverse=True):
        print(f"   {h:>8.0e}" + "".join(fmt(central[p], h) for p in (2, 4, 6)) + fmt(cstep, h))
    print("   central differences, every quarter decade:")
    for p in (2, 4, 6):
        best = min(central[p], key=central[p].get)
        # the slope on the truncation side, between 100 × the bottom and 1e-4
        arm = [h for h in steps if h > best and 100 * central[p][best] < central[p][h] < 1e-4]
        slope = np.polyfit(np.log(arm), np.log([central[p][h] for h in arm]), 1)[0]
        print(f"   order {p}: error ∝ h^{slope:.1f} down to the best step h = {best:.1e} "
              f"({central[p][best]:.1e}), then ∝ 1/h (rounding)")
    tiny = max(v for h, v in cstep.items() if h <= 1e-9)
    print(f"   the complex step stays at {tiny:.1e} or better for every h from 1e-9 to 1e-300")
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


def plot(out, xx, exact, ways, errors, order, central, cstep, rows, outputs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    out.mkdir(parents=True, exist_ok=True)
    paths = []

    fig, (ax, axe) = plt.subplots(2, 1, figsize=(6, 6.5), sharex=True,
                                  gridspec_kw={"height_ratios": [3, 2]})
    ax.plot(xx, z20(xx), color="0.6", label="$z_{20}(x)$")
    ax.plot(xx, exact, "r-", linewidth=4, alpha=0.4, label="analytic (recurrence)")
    styles = {"central difference": "c:", "complex step": "k-.", "forward mode (jvp)": "b-",
              "reverse mode (vjp)": "g--"}
    for name, style in styles.items():
        label = f"central difference, order {order}" if name == "central difference" else name
        ax.plot(xx, ways[name], style, label=label)
    ax.set_ylabel("$dz_{20}/dx$"), ax.set_ylim(-0.3, 5.6)
    ax.legend(fontsize=8, ncol=2, loc="upper center")
    # |error| against the recurrence; exact zeros are drawn at 1e-17
    shown = {"central, order 2": ("m-", "central, order 2 (default h)"),
             "central difference": ("c-", f"central, order {order} (h = {STEP[order]:.0e})"),
             "complex step": ("k-", "complex step"), "forward mode (jvp)": ("b-", "forward"),
             "reverse mode (vjp)": ("g-", "reverse")}
    for name, (style, label) in shown.items():
        axe.semilogy(xx, np.maximum(np.abs(ways[name] - exact), 1e-17), style, lw=0.8,
                     label=label)
    axe.axhline(1e-10, color="0.5", linestyle=":", lw=1)
    axe.set_xlabel("x"), axe.set_ylabel("|error|"), axe.set_ylim(1e-17, 1e-6)
    axe.legend(fontsize=7, ncol=2, loc="upper left")
    paths.append(out / "autodiff_derivatives.png")

    fig2, ax2 = plt.subplots(figsize=(6, 4.5))
    for p, style in ((2, "b-o"), (4, "g-^"), (6, "m-v")):
        ax2.loglog(list(central[p]), list(central[p].values()), style, ms=2.5, lw=1,
                   label=f"Central Diff., order {p}")
    shown = {h: e for h, e in cstep.items() if h >= 1e-20}
    ax2.loglog(list(shown), list(shown.values()), "r--s", ms=3, label="Complex Step")
    for p, style in ((4, "g*"), (6, "m*")):       # the steps the tour uses
        name = "central difference" if p == order else f"central, order {p}"
        ax2.loglog([STEP[p]], [errors[name]], style, ms=12, mec="k", mew=0.5)
    h = np.array([1e-15, 1e-1])
    ax2.loglog(h, np.finfo(float).eps / h, ":", color="0.5", lw=1, label="rounding, $\\epsilon/h$")
    tiny = "\n".join(f"h = {h:.0e}: {e:.1e}" for h, e in cstep.items() if h < 1e-20)
    if tiny:
        ax2.text(0.03, 0.97, f"complex step, smaller h:\n{tiny}", transform=ax2.transAxes,
                 fontsize=7, color="r", va="top")
    ax2.set_xlabel("Step size h"), ax2.set_ylabel("max |error| on [0, 1.5]")
    ax2.set_ylim(1e-16, 1e4), ax2.legend(loc="upper center", fontsize=7)
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
    parser.add_argument("--order", type=int, choices=(4, 6), default=6,
                        help="order of the central difference among the five ways")
    parser.add_argument("--sizes", default="2,4,8,16,32,64,128,256,512,1024",
                        help="input sizes N for the cost study, comma separated")
    parser.add_argument("--outputs", type=int, default=32, help="output size M for the cost study")
    parser.add_argument("--hidden", type=int, default=64, help="hidden width of the network")
    parser.add_argument("--repeat", type=int, default=3, help="timings: best of this many")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    xx, exact, ways, errors, spread = derivatives(args.points, args.order)
    central, cstep = step_study(args.points)
    rows = cost_study(sizes, args.outputs, args.hidden, args.repeat, args.seed)
    paths = (plot(args.out, xx, exact, ways, errors, args.order, central, cstep, rows,
                  args.outputs) if args.plot else [])
    return {"errors": errors, "spread": spread, "central": central, "complex": cstep,
            "timings": rows, "figures": paths}


if __name__ == "__main__":
    main()
