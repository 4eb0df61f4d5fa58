"""Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay."""
import numpy as np

from ._rules import check_number, effective_grad, state_array
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), exactly as PyTorch's ``SGD``.

    For each parameter θ with gradient ∇f(θ), at step t:

    .. code-block:: text

        g ← ∇f(θ)            (−∇f(θ) if maximize)
        g ← g + λ·θ          if weight_decay λ ≠ 0
        if momentum μ ≠ 0:
            b ← g                      at the first step (no dampening)
            b ← μ·b + (1 − τ)·g        afterwards (τ = dampening)
            g ← g + μ·b  if nesterov  else  g ← b
        θ ← θ − γ·g                    (γ = lr)

    Like PyTorch (and unlike Sutskever et al.), the learning rate multiplies the
    whole velocity, not only the new gradient.

    Args:
        params: parameters or parameter groups (see :class:`Optimizer`).
        lr (float): learning rate γ ≥ 0. Default: 1e-3.
        momentum (float): momentum factor μ ≥ 0. Default: 0.
        dampening (float): dampening τ in [0, 1] for momentum. Default: 0.
        weight_decay (float): L2 penalty λ ≥ 0. Default: 0.
        nesterov (bool): Nesterov momentum (needs μ > 0 and τ = 0). Default: False.
        maximize (bool): ascend instead of descend. Default: False.
        fused (bool, optional): update each group in flat arrays (None or True,
            the default) or parameter by parameter (False); the results are the
            same to the bit. See "Fused updates" in :class:`Optimizer`.

    State per parameter: ``momentum_buffer`` (when μ ≠ 0), made from the first
    gradient; so a group with momentum is laid out flat from its second step.

    Example:
        >>> import numpy as np
        >>> from minitorch import nn, optim
        >>> w = nn.Parameter(np.array([1.0, -2.0]))
        >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
        >>> for step in range(2):
        ...     w.grad = 2 * w.data                 # the gradient of f(w) = ‖w‖²
        ...     opt.step()
        >>> w.data                                  # b = g₁, then b = 0.9·b + g₂
        array([ 0.46, -0.92])
    """

    _complex_ok = True      # the rule is linear in the gradient

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, fused=None):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        fused=fused)
        super().__init__(params, defaults)

    def _validate(self, group):
        super()._validate(group)
        check_number(group["momentum"], "Invalid momentum value")
        check_number(group["dampening"], "Invalid dampening value", 0.0, 1.0)
        check_number(group["weight_decay"], "Invalid weight_decay value")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _state_keys(self, group):
        return ("momentum_buffer",) if group["momentum"] else ()

    def _init_state(self, state, theta, group):
        state_array(state, "momentum_buffer", theta, fill=None)    # made from g at its first step

    def _writes_grad(self, group):
        return super()._writes_grad(group) or group["nesterov"]     # (Nesterov: g += μb)

    def _update(self, theta, g, state, group, tmp):
        lr, momentum = float(group["lr"]), float(group["momentum"])
        dampening, weight_decay = float(group["dampening"]), float(group["weight_decay"])
        g = effective_grad(g, theta, weight_decay, group["maximize"], tmp)   # g ← ±∇f(θ) + λθ
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()           # b ← g at the first step
            else:
                buf *= momentum
                if dampening:
                    np.multiply(g, 1.0 - dampening, out=tmp)
                    buf += tmp
                else:
                    buf += g                                        # b ← μb + (1 − τ)g
            if group["nesterov"]:
                np.multiply(buf, momentum, out=tmp)
                g += tmp                                            # g ← g + μb
            else:
                g = buf                                             # g ← b
        np.multiply(g, lr, out=tmp)
        theta -= tmp                                                # θ ← θ − γg
