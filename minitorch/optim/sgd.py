"""Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay."""
import numpy as np

from .optimizer import Optimizer, check_number, effective_grad

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

    State per parameter: ``momentum_buffer`` (when μ ≠ 0).

    Example:
        >>> opt = SGD(model.parameters(), lr=0.1, momentum=0.9)   # doctest: +SKIP
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()   # doctest: +SKIP
    """

    _complex_ok = True      # the rule is linear in the gradient

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        super()._validate(group)
        check_number(group["momentum"], "Invalid momentum value")
        check_number(group["dampening"], "Invalid dampening value", 0.0, 1.0)
        check_number(group["weight_decay"], "Invalid weight_decay value")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _update_group(self, group):
        lr, momentum = float(group["lr"]), float(group["momentum"])
        dampening, weight_decay = float(group["dampening"]), float(group["weight_decay"])
        nesterov, maximize = group["nesterov"], group["maximize"]
        for theta, grad, state in self._params_with_grad(group):
            g = effective_grad(grad, theta, weight_decay, maximize)
            if momentum:
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = np.array(g, dtype=theta.dtype)
                else:
                    buf *= momentum
                    buf += g if dampening == 0 else (1.0 - dampening) * g
                if nesterov:
                    step = np.multiply(buf, momentum)
                    step += g
                    step *= lr
                else:
                    step = np.multiply(buf, lr)
            else:
                step = np.multiply(g, lr)
            theta -= step
