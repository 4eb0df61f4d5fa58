"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
import numpy as np

from ._rules import check_number, effective_grad, state_array
from .optimizer import Optimizer

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
        fused (bool, optional): update each group in flat arrays (None or True,
            the default) or parameter by parameter (False); the results are the
            same to the bit. See "Fused updates" in :class:`Optimizer`.

    State per parameter: ``step``, ``square_avg`` and, when used,
    ``momentum_buffer`` and ``grad_avg``.

    Example:
        >>> import numpy as np
        >>> from minitorch import nn, optim
        >>> w = nn.Parameter(np.array([1.0, -2.0]))
        >>> opt = optim.RMSprop([w], lr=0.01)
        >>> w.grad = np.array([0.5, -3.0])
        >>> opt.step()
        >>> w.data.round(6)                         # s = 0.01·g², so γ·g/√s = 0.1·sign(g)
        array([ 0.9, -1.9])
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False, fused=None):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize, fused=fused)
        super().__init__(params, defaults)

    def _validate(self, group):
        super()._validate(group)
        check_number(group["alpha"], "Invalid alpha value", 0.0, 1.0)
        check_number(group["eps"], "Invalid epsilon value")
        check_number(group["weight_decay"], "Invalid weight_decay value")
        check_number(group["momentum"], "Invalid momentum value")

    def _state_keys(self, group):
        return (("square_avg",) + (("momentum_buffer",) if group["momentum"] > 0 else ())
                + (("grad_avg",) if group["centered"] else ()))

    def _init_state(self, state, theta, group):
        state.setdefault("step", 0)
        for key in self._state_keys(group):                 # s, b and ḡ start at 0
            state_array(state, key, theta)

    def _update(self, theta, g, state, group, tmp):
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        weight_decay, momentum = float(group["weight_decay"]), float(group["momentum"])
        state["step"] += 1
        g = effective_grad(g, theta, weight_decay, group["maximize"], tmp)   # g ← ±∇f(θ) + λθ
        s = state["square_avg"]
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - alpha
        s *= alpha
        s += tmp                                    # s ← αs + (1−α)g²
        if group["centered"]:
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
            buf += tmp                              # b ← μb + g/d
            np.multiply(buf, lr, out=tmp)
        else:
            tmp *= lr
        theta -= tmp                                # θ ← θ − γb  or  θ − γg/d
