"""Back-propagation by hand, nothing hidden: the lecture's algorithm on minitorch's own layers.

    python examples/manual_backprop.py          # gradients equal; test accuracy 0.975 in 2.3 s
    python examples/manual_backprop.py --plot   # saves docs/img/manual_backprop_loss.png

One training step, exactly as the lecture writes the algorithm:

1. **forward**: ``h = layer.forward(h)`` for each layer, on plain numpy arrays
   (each layer keeps what its backward needs on itself, ``self.x = x``);
2. **dL/dy from the loss's formula**: for softmax cross entropy of logits z and
   labels y over a batch of N, L = −(1/N) Σᵢ log softmax(zᵢ)_{yᵢ}, so
   dL/dz = (softmax(z) − onehot(y)) / N;
3. **each layer from top to bottom**: ``g = layer.backward(g)`` turns dL/dh into
   dL/dx and adds dL/dθ into each ``param.grad`` (Linear: dL/dW = dL/dhᵀ·x,
   dL/db = Σ dL/dh, dL/dx = dL/dh·W; Sigmoid: dL/dx = dL/dh ⊙ h ⊙ (1 − h));
4. **SGD by hand**: θ ← θ − lr · dL/dθ.

Before and after training it checks, on one batch, that these hand-made
gradients equal the ones ``loss.backward()`` computes by reverse mode over the
recorded graph of the same model (to float32 rounding), and prints the
largest difference. The data are scikit-learn's digits, standardized.
"""
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import minitorch as mt
from minitorch import nn

from _common import figure, make_parser, parse


def forward(layers, x):
    """1. The forward pass: each layer's ``forward`` on numpy arrays, bottom to top."""
    h = x
    for layer in layers:
        h = layer.forward(h)
    return h


def cross_entropy(z, y):
    """2. L = −mean log softmax(z)_y and dL/dz = (softmax(z) − onehot(y)) / N, by formula."""
    n = len(y)
    z = z - z.max(axis=1, keepdims=True)                 # softmax is shift-invariant; no overflow
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean()
    grad_z = p
    grad_z[np.arange(n), y] -= 1                         # softmax − onehot
    return loss, grad_z / n


def backward(layers, grad_y):
    """3. The backward pass: each layer's ``backward``, top to bottom; returns dL/dx."""
    for p in (p for layer in layers for p in layer.parameters()):
        p.grad = np.zeros_like(p.data)                   # zero the gradients: backward adds into them
    g = grad_y
    for i in range(len(layers) - 1, -1, -1):
        # dL/dx is what the layer below needs; the bottom layer's x is the data,
        # which needs none (the lecture's "why compute dL/dx?").
        layers[i].needs_input_grad = i > 0
        g = layers[i].backward(g)
    return g


def sgd_step(layers, lr):
    """4. θ ← θ − lr · dL/dθ, in place."""
    for layer in layers:
        for p in layer.parameters():
            p.data -= lr * p.grad


def check_against_autograd(model, x, y):
    """The hand-made gradients of one batch against ``loss.backward()``'s; returns the max difference."""
    layers = list(model)
    loss, grad_y = cross_entropy(forward(layers, x), y)
    backward(layers, grad_y)
    by_hand = {name: p.grad.copy() for name, p in model.named_parameters()}

    model.zero_grad()
    reference = nn.CrossEntropyLoss()(model(x), y)       # the same step through the recorded graph
    reference.backward()
    assert np.isclose(loss, reference.item(), rtol=1e-5), (loss, reference.item())
    worst = 0.0
    for name, p in model.named_parameters():
        np.testing.assert_allclose(by_hand[name], p.grad, rtol=1e-4, atol=1e-6,
                                   err_msg=f"gradient of {name}: by hand vs loss.backward()")
        worst = max(worst, float(np.abs(by_hand[name] - p.grad).max()))
    print(f"check: loss {loss:.6f} = {reference.item():.6f}; every dL/dθ by hand equals "
          f"loss.backward()'s (largest difference {worst:.1e})")
    return worst


def main(argv=None):
    parser = make_parser("Train an MLP with back-propagation written out.", epochs=30, batch_size=32,
                         lr=0.5, plot="the training loss", progress=False)
    parser.add_argument("--hidden", type=int, default=64)
    args = parse(parser, argv)

    mt.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=args.seed,
                                                        stratify=y)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std[std == 0] = 1.0
    X_train, X_test = ((X_train - mean) / std).astype(np.float32), ((X_test - mean) / std).astype(np.float32)

    model = nn.Sequential(nn.Linear(64, args.hidden), nn.Sigmoid(), nn.Linear(args.hidden, 10))
    layers = list(model)
    differences = [check_against_autograd(model, X_train[:args.batch_size], y_train[:args.batch_size])]

    start, losses = time.perf_counter(), []
    for epoch in range(args.epochs):
        order = rng.permutation(len(X_train))
        total = 0.0
        for i in range(0, len(order), args.batch_size):
            batch = order[i:i + args.batch_size]
            x, t = X_train[batch], y_train[batch]
            z = forward(layers, x)                       # 1. forward
            loss, grad_z = cross_entropy(z, t)           # 2. dL/dy from the loss's formula
            backward(layers, grad_z)                     # 3. each layer, top to bottom
            sgd_step(layers, args.lr)                    # 4. the update
            total += loss * len(batch)
        losses.append(total / len(X_train))
    seconds = time.perf_counter() - start

    differences.append(check_against_autograd(model, X_train[:args.batch_size], y_train[:args.batch_size]))
    test_accuracy = float((forward(layers, X_test).argmax(axis=1) == y_test).mean())
    print(f"digits, back-propagation by hand: train loss {losses[-1]:.4f}, test accuracy "
          f"{test_accuracy:.3f} after {args.epochs} epochs in {seconds:.1f} s")
    result = {"test_accuracy": test_accuracy, "train_loss": losses[-1],
              "max_gradient_difference": max(differences), "seconds": seconds}
    if args.plot:
        path = args.out / "manual_backprop_loss.png"
        with figure(path, figsize=(6, 4)) as ax:
            ax.plot(np.arange(1, len(losses) + 1), losses)
            ax.set(xlabel="epoch", ylabel="training loss (cross entropy)", yscale="log",
                   title=f"back-propagation by hand: test accuracy {test_accuracy:.3f}")
        result["figure"] = str(path)
    return result


if __name__ == "__main__":
    main()
