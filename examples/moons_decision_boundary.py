"""A 2-16-16-1 network learns the two moons; with --plot, a picture of its decision boundary.

    python examples/moons_decision_boundary.py           # test accuracy 0.960 in 3.4 s
    python examples/moons_decision_boundary.py --plot    # saves docs/img/moons_decision_boundary.png

One logit per point and ``BCEWithLogitsLoss`` (sigmoid and binary cross
entropy in one stable formula); the class is 1 where the logit is > 0, i.e.
where σ(logit) > 0.5. Trained with ``minitorch.train.fit`` (Adam, the learning
rate annealed to 0 on a cosine) on ``make_moons(n_samples=1000, noise=0.2)``,
80% train / 20% test.
"""
import numpy as np
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split

import minitorch as mt
from minitorch import nn, optim
from minitorch.data import DataLoader, TensorDataset
from minitorch.train import evaluate, fit, predict

from _common import figure, make_parser, parse


def build_model(hidden=16):
    """2 → 16 → 16 → 1: two tanh layers and one logit."""
    return nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                         nn.Linear(hidden, 1))


def save_decision_boundary(model, X, y, path, title):
    """Colour the plane by σ(logit) and draw the test points on it (needs matplotlib)."""
    xs = np.linspace(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, 300)
    ys = np.linspace(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5, 300)
    gx, gy = np.meshgrid(xs, ys)
    logits = predict(model, np.c_[gx.ravel(), gy.ravel()], batch_size=4096).reshape(gx.shape)
    prob = 1 / (1 + np.exp(-np.clip(logits, -50, 50)))
    with figure(path, figsize=(6, 4.5)) as ax:
        ax.contourf(gx, gy, prob, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
        ax.contour(gx, gy, prob, levels=[0.5], colors="k", linewidths=1.5)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolors="k", s=18)
        ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title)


def main(argv=None):
    parser = make_parser("Classify make_moons with a 2-16-16-1 network.", epochs=100, batch_size=32,
                         lr=1e-2, plot="the decision boundary")
    args = parse(parser, argv)

    mt.manual_seed(args.seed)
    X, y = make_moons(n_samples=1000, noise=0.2, random_state=args.seed)
    X = X.astype(np.float32)
    y = y.astype(np.float32).reshape(-1, 1)          # (N, 1): the shape of the logits
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=args.seed)

    model = build_model()
    train_loader = DataLoader(TensorDataset(X_train, y_train), batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(TensorDataset(X_test, y_test), batch_size=256)
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)  # lr → 0
    history = fit(model, train_loader, loss_fn, optimizer, args.epochs, metrics=["accuracy"],
                  scheduler=scheduler, progress=not args.no_progress)
    test = evaluate(model, test_loader, loss_fn, metrics=["accuracy"])
    print(f"moons: train accuracy {history['accuracy'][-1]:.3f}, "
          f"test accuracy {test['accuracy']:.3f}, test loss {test['loss']:.4f}")
    result = {"test_accuracy": test["accuracy"], "test_loss": test["loss"],
              "train_loss": history["loss"][-1]}
    if args.plot:
        path = args.out / "moons_decision_boundary.png"
        save_decision_boundary(model, X_test, y_test[:, 0], path,
                               f"2-16-16-1 tanh net: test accuracy {test['accuracy']:.3f}")
        result["figure"] = str(path)
    return result


if __name__ == "__main__":
    main()
