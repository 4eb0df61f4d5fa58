"""What the training examples share and none of them is about: their command line and their figures.

Every training example takes ``--epochs``, ``--batch-size``, ``--lr``,
``--seed``, ``--plot`` (save a figure; needs matplotlib), ``--out DIR`` (where
figures go, default ``docs/img/``) and, when it shows progress bars,
``--no-progress``. Run as ``python examples/<name>.py``, Python puts
``examples/`` on the path, so a script imports this module as ``_common``.
"""
import argparse
import importlib.util
from contextlib import contextmanager
from pathlib import Path

IMG = Path(__file__).resolve().parent.parent / "docs" / "img"


def make_parser(description, *, epochs, batch_size, lr, seed=0, plot="the figure", progress=True):
    """An ``ArgumentParser`` with the options every example takes, at this example's defaults.

    The example adds its own options to it; ``plot`` says what ``--plot`` saves.
    """
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--batch-size", type=int, default=batch_size)
    p.add_argument("--lr", type=float, default=lr)
    p.add_argument("--seed", type=int, default=seed)
    p.add_argument("--plot", action="store_true", help=f"save a PNG of {plot}")
    p.add_argument("--out", type=Path, default=IMG, help="folder for figures (default docs/img)")
    if progress:
        p.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    return p


def parse(parser, argv):
    """``parser.parse_args(argv)``; ``--plot`` without matplotlib says how to install it and is dropped."""
    args = parser.parse_args(argv)
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        print("--plot needs matplotlib: pip install matplotlib")
        args.plot = False
    return args


@contextmanager
def figure(path, *grid, **kwargs):
    """``with figure(path, 1, 2, figsize=(10, 4)) as (left, right):`` draw on the axes of
    ``plt.subplots(*grid, **kwargs)``; the figure is then saved as the PNG ``path``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(*grid, **kwargs)
    try:
        yield axes
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
    print(f"saved {path}")
