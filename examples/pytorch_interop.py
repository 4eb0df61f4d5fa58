"""Move weights (and optimizer state) between minitorch and PyTorch through numpy.

For the same architecture, minitorch's ``state_dict()`` has PyTorch's keys,
shapes and layouts (``Linear.weight`` is (out_features, in_features)), so:

* PyTorch → minitorch: ``model.load_state_dict({k: v.numpy() for k, v in
  torch_model.state_dict().items()})``;
* minitorch → PyTorch: ``torch_model.load_state_dict({k: torch.from_numpy(v)
  for k, v in model.state_dict().items()})``.

This script trains a small classifier on the digits data in PyTorch, moves it
and its Adam state into minitorch, trains on in both and checks they stay
equal, then moves the result back through ``mt.save``/``mt.load``. PyTorch is
optional: without it the script says so and exits with status 0.

    python examples/pytorch_interop.py
"""
import argparse
import os
import tempfile

import numpy as np
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

import minitorch as mt
from minitorch import nn, optim


def to_numpy(obj):
    """A PyTorch state dict (model or optimizer) with every tensor as a numpy array."""
    if hasattr(obj, "detach"):
        return obj.detach().cpu().numpy().copy()
    if isinstance(obj, dict):
        return {k: to_numpy(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_numpy(v) for v in obj)
    return obj


def to_torch(obj, torch):
    """A minitorch state dict (model or optimizer) with every numpy array as a tensor.

    Numbers stay numbers: PyTorch's Adam turns an int ``step`` into its float
    tensor when it loads the state.
    """
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(obj.copy())
    if isinstance(obj, dict):
        return {k: to_torch(v, torch) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_torch(v, torch) for v in obj)
    return obj


def data():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X).astype(np.float32), y.astype(np.int64)


def train(step, X, y, steps, batch=64):
    for i in range(steps):
        rows = slice(i * batch % len(X), i * batch % len(X) + batch)
        step(X[rows], y[rows])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="training steps in each phase")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: nothing to compare with (pip install torch).")
        return 0
    torch.manual_seed(0)
    X, y = data()

    # 1. PyTorch: a model and a few Adam steps
    t_model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    t_opt = torch.optim.Adam(t_model.parameters(), lr=1e-2)
    t_loss = torch.nn.CrossEntropyLoss()

    def t_step(xb, yb):
        t_opt.zero_grad()
        t_loss(t_model(torch.from_numpy(xb)), torch.from_numpy(yb)).backward()
        t_opt.step()

    train(t_step, X, y, args.steps)

    # 2. PyTorch → minitorch: the same architecture, weights and optimizer state
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    model.load_state_dict({k: v.numpy() for k, v in t_model.state_dict().items()})
    opt = optim.Adam(model.parameters(), lr=1e-2)
    opt.load_state_dict(to_numpy(t_opt.state_dict()))
    loss_fn = nn.CrossEntropyLoss()

    def m_step(xb, yb):
        opt.zero_grad()
        loss_fn(model(xb), yb).backward()
        opt.step()

    with torch.no_grad():
        diff = np.abs(model(X).numpy() - t_model(torch.from_numpy(X)).numpy()).max()
    print(f"PyTorch → minitorch: max |output difference| = {diff:.2e}")

    # 3. train on in both: the trajectories stay together
    train(t_step, X, y, args.steps)
    train(m_step, X, y, args.steps)
    drift = max(np.abs(v.numpy() - model.state_dict()[k]).max()
                for k, v in t_model.state_dict().items())
    print(f"after {args.steps} more Adam steps in each: max |weight difference| = {drift:.2e}")

    # 4. minitorch → file → PyTorch
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "digits.npz")
        mt.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, path)
        checkpoint = mt.load(path)
    back = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    back.load_state_dict({k: torch.from_numpy(v) for k, v in checkpoint["model"].items()})
    back_opt = torch.optim.Adam(back.parameters(), lr=1e-2)
    back_opt.load_state_dict(to_torch(checkpoint["optimizer"], torch))
    with torch.no_grad():
        diff_back = np.abs(model(X).numpy() - back(torch.from_numpy(X)).numpy()).max()
        accuracy = (back(torch.from_numpy(X)).argmax(1).numpy() == y).mean()
    print(f"minitorch → mt.save → mt.load → PyTorch: max |output difference| = "
          f"{diff_back:.2e}, training accuracy {accuracy:.3f}")
    return {"to_minitorch": float(diff), "drift": float(drift), "to_torch": float(diff_back),
            "accuracy": float(accuracy)}


if __name__ == "__main__":
    main()
