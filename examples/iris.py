"""Iris with the data pipeline and the fit loop: TensorDataset, random_split, DataLoader, fit.

    python examples/iris.py            # test accuracy 0.967 in 2.7 s
    python examples/iris.py --plot     # saves docs/img/iris_history.png

150 flowers, 4 measurements, 3 species. A stratified 20% test split is held
out; the rest is standardized (with its own mean and std), wrapped in a
``TensorDataset`` and cut by ``random_split`` into training (80%) and
validation (20%) subsets. ``fit`` trains a 4-16-3 network with
``CrossEntropyLoss``, shows a progress bar per epoch, records accuracy on
both subsets, and halves the learning rate with ``ReduceLROnPlateau`` when
the validation loss stalls (fit passes it the validation loss each epoch).
"""
import numpy as np
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

import minitorch as mt
from minitorch import nn, optim
from minitorch.data import DataLoader, TensorDataset, random_split
from minitorch.train import evaluate, fit

from _common import figure, make_parser, parse


def save_history(history, path, title):
    """Loss and accuracy per epoch, training and validation (needs matplotlib)."""
    with figure(path, 1, 2, figsize=(10, 4)) as (left, right):
        epochs = np.arange(1, history.epochs + 1)
        for key, label in (("", "train"), ("val_", "validation")):
            left.plot(epochs, history[key + "loss"], label=label)
            right.plot(epochs, history[key + "accuracy"], label=label)
        left.set(xlabel="epoch", ylabel="cross-entropy loss", yscale="log", title="loss")
        right.set(xlabel="epoch", ylabel="accuracy", title=title)
        left.legend()
        right.legend()


def main(argv=None):
    parser = make_parser("Classify iris with fit and a DataLoader.", epochs=100, batch_size=16,
                         lr=1e-2, plot="loss and accuracy")
    args = parse(parser, argv)

    mt.manual_seed(args.seed)               # init, the random split and the shuffling
    X, y = load_iris(return_X_y=True)
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.2, random_state=args.seed,
                                                      stratify=y)
    mean, std = X_rest.mean(axis=0), X_rest.std(axis=0)
    X_rest, X_test = ((X_rest - mean) / std).astype(np.float32), ((X_test - mean) / std).astype(np.float32)

    train_set, val_set = random_split(TensorDataset(X_rest, y_rest), [0.8, 0.2])
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=64)
    test_loader = DataLoader(TensorDataset(X_test, y_test), batch_size=64)

    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=10)
    history = fit(model, train_loader, loss_fn, optimizer, args.epochs, val_loader=val_loader,
                  metrics=["accuracy"], scheduler=scheduler, progress=not args.no_progress)
    test = evaluate(model, test_loader, loss_fn, metrics=["accuracy"])
    print(f"iris: validation accuracy {history['val_accuracy'][-1]:.3f}, test accuracy "
          f"{test['accuracy']:.3f}, test loss {test['loss']:.4f}, final lr {history['lr'][-1]:.2g}")
    result = {"test_accuracy": test["accuracy"], "test_loss": test["loss"],
              "val_accuracy": history["val_accuracy"][-1]}
    if args.plot:
        path = args.out / "iris_history.png"
        save_history(history, path, f"accuracy (test {test['accuracy']:.3f})")
        result["figure"] = str(path)
    return result


if __name__ == "__main__":
    main()
