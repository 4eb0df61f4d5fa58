"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
import numpy as np

from .optimizer import Optimizer, check_number, effective_grad

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e), exactly as PyTorch's ``RMSprop``.

    For each parameter θ with gradient ∇f(θ), at each step:

    .. code-block:: text

        g ← ∇f(θ)                    (−∇f(θ) if maximize)
        g ← g + λ·θ                  if weight_decay λ ≠ 0
        s ← α·s + (1 − α)·g²         (square average, starts at 0)
        if centered:
            ḡ ← α·ḡ + (1 − α)·g      (gradient average, starts at 0)
            d ← √(s − ḡ²) + ε
        else:
            d ← √s + ε
        if momentum μ > 0:
            b ← μ·b + g / d          (starts at 0)
            θ ← θ − γ·b
        else:
            θ ← θ − γ·g / d

    ε is added outside the square root, as in PyTorch (Graves 2013 for centered).

    Args:
        params: parameters or parameter groups (see :class:`Optimizer`).
        lr (float): learning rate γ ≥ 0. Default: 1e-2.
        alpha (float): smoothing constant α in [0, 1]. Default: 0.99.
        eps (float): ε ≥ 0. Default: 1e-8.
        weight_decay (float): L2 penalty λ ≥ 0. Default: 0.
        momentum (float): momentum factor μ ≥ 0. Default: 0.
        centered (bool): normalise by an estimate of the variance. Default: False.
        maximize (bool): ascend instead of descend. Default: False.

    State per parameter: ``step``, ``square_avg`` and, when used,
    ``momentum_buffer`` and ``grad_avg``.

    Example:
        >>> opt = RMSprop(model.parameters(), lr=1e-2, momentum=0.9)   # doctest: +SKIP
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        super()._validate(group)
        check_number(group["alpha"], "Invalid alpha value", 0.0, 1.0)
        check_number(group["eps"], "Invalid epsilon value")
        check_number(group["weight_decay"], "Invalid weight_decay value")
        check_number(group["momentum"], "Invalid momentum value")

    def _update_group(self, group):
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        weight_decay, momentum = float(group["weight_decay"]), float(group["momentum"])
        centered, maximize = group["centered"], group["maximize"]
        for theta, grad, state in self._params_with_grad(group):
            if not state:
                state["step"] = 0
                state["square_avg"] = np.zeros_like(theta)
            if momentum > 0 and "momentum_buffer" not in state:
                state["momentum_buffer"] = np.zeros_like(theta)
            if centered and "grad_avg" not in state:
                state["grad_avg"] = np.zeros_like(theta)
            state["step"] += 1
            g = effective_grad(grad, theta, weight_decay, maximize)
            s = state["square_avg"]
            tmp = np.empty_like(theta)                  # the one scratch array
            np.multiply(g, g, out=tmp)
            tmp *= 1.0 - alpha
            s *= alpha
            s += tmp                                    # s ← αs + (1−α)g²
            if centered:
                g_avg = state["grad_avg"]
                np.multiply(g, 1.0 - alpha, out=tmp)
                g_avg *= alpha
                g_avg += tmp                            # ḡ ← αḡ + (1−α)g
                np.multiply(g_avg, g_avg, out=tmp)
                np.subtract(s, tmp, out=tmp)
                np.sqrt(tmp, out=tmp)
            else:
                np.sqrt(s, out=tmp)
            tmp += eps                                  # d
            np.divide(g, tmp, out=tmp)                  # g / d
            if momentum > 0:
                buf = state["momentum_buffer"]
                buf *= momentum
                buf += tmp
                np.multiply(buf, lr, out=tmp)
            else:
                tmp *= lr
            theta -= tmp
