"""Time one training step of minitorch against the same step in bare numpy.

The network is the core issue's digits MLP, 64-128-64-10 with sigmoids,
cross-entropy loss and SGD(lr=0.1, momentum=0.9), batch 32. Both contenders
run the same numpy operations; the bare-numpy step is written out by hand
(forward, dL/dy, each layer's backward, the momentum update). They are timed
alternately, and the table shows median and min-max per step and the ratio.

    python examples/step_timing.py --repeats 7 --steps 300
"""
import argparse
import statistics
import time

import numpy as np

import minitorch as mt
from minitorch import nn, optim

SIZES = (64, 128, 64, 10)


def make_model(seed):
    mt.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, 128), nn.Sigmoid(), nn.Linear(128, 64), nn.Sigmoid(),
                         nn.Linear(64, 10))


def minitorch_steps(model, batches, lr=0.1, momentum=0.9):
    opt = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loss_fn = nn.CrossEntropyLoss()

    def run():
        for x, y in batches:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
    return run


def numpy_steps(model, batches, lr=0.1, momentum=0.9):
    """The same step with nothing but numpy: the lecture's algorithm written out."""
    W = [p.data.copy() for p in model.parameters()]
    bufs = [None] * len(W)

    def run():
        for x, y in batches:
            W1, b1, W2, b2, W3, b3 = W
            a1 = x @ W1.T + b1
            h1 = 1 / (1 + np.exp(-a1))
            a2 = h1 @ W2.T + b2
            h2 = 1 / (1 + np.exp(-a2))
            z = h2 @ W3.T + b3
            z = z - z.max(axis=1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            _ = -logp[np.arange(len(y)), y].mean()
            g = np.exp(logp)                               # dL/dz = (softmax − onehot)/N
            g[np.arange(len(y)), y] -= 1
            g /= len(y)
            grads = [None] * 6
            grads[4], grads[5] = g.T @ h2, g.sum(0)
            g = (g @ W3) * h2 * (1 - h2)
            grads[2], grads[3] = g.T @ h1, g.sum(0)
            g = (g @ W2) * h1 * (1 - h1)
            grads[0], grads[1] = g.T @ x, g.sum(0)
            for i, (w, dw) in enumerate(zip(W, grads)):
                if bufs[i] is None:
                    bufs[i] = dw.copy()
                else:
                    bufs[i] *= momentum
                    bufs[i] += dw
                w -= lr * bufs[i]
    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="steps per timing")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal((args.steps * args.batch_size, 64)).astype(np.float32)
    y = rng.integers(0, 10, len(x))
    batches = [(x[i:i + args.batch_size], y[i:i + args.batch_size])
               for i in range(0, len(x), args.batch_size)]
    contenders = {"numpy (by hand)": numpy_steps(make_model(args.seed), batches),
                  "minitorch": minitorch_steps(make_model(args.seed), batches)}
    times = {name: [] for name in contenders}
    for _ in range(args.repeats):
        for name, run in contenders.items():
            start = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - start) / len(batches) * 1e6)
    ref = statistics.median(times["numpy (by hand)"])
    print(f"{'contender':<18}{'median µs/step':>16}{'min–max':>18}{'ratio':>8}")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:<18}{med:>16.1f}{f'{min(ts):.1f}–{max(ts):.1f}':>18}{med / ref:>8.2f}")
    return times


if __name__ == "__main__":
    main()
