"""Adagrad: per-coordinate learning rates from the sum of all past squared gradients."""
import numpy as np

from ._rules import check_number, effective_grad, state_array
from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), exactly as PyTorch's ``Adagrad``.

    For each parameter θ with gradient ∇f(θ), at step t = 1, 2, ...:

    .. code-block:: text

        g ← ∇f(θ)                          (−∇f(θ) if maximize)
        g ← g + λ·θ                        if weight_decay λ ≠ 0
        γ̃ ← γ / (1 + (t − 1)·η)            (η = lr_decay)
        s ← s + g²                         (starts at initial_accumulator_value)
        θ ← θ − γ̃ · g / (√s + ε)

    Args:
        params: parameters or parameter groups (see :class:`Optimizer`).
        lr (float): learning rate γ ≥ 0. Default: 1e-2.
        lr_decay (float): η ≥ 0. Default: 0.
        weight_decay (float): L2 penalty λ ≥ 0. Default: 0.
        initial_accumulator_value (float): starting value of s, ≥ 0. Default: 0.
        eps (float): ε ≥ 0. Default: 1e-10.
        maximize (bool): ascend instead of descend. Default: False.
        fused (bool, optional): update each group in flat arrays (None or True,
            the default) or parameter by parameter (False); the results are the
            same to the bit. See "Fused updates" in :class:`Optimizer`.

    State per parameter: ``step`` and ``sum`` (s). As in PyTorch, the state
    exists from construction on (and, here, from :meth:`add_param_group` on).

    Example:
        >>> import numpy as np
        >>> from minitorch import nn, optim
        >>> w = nn.Parameter(np.array([1.0, -2.0]))
        >>> opt = optim.Adagrad([w], lr=0.1)
        >>> w.grad = np.array([0.5, -3.0])
        >>> opt.step()
        >>> w.data.round(6)                         # s = g², so γ·g/√s = γ·sign(g)
        array([ 0.9, -1.9])
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, *, maximize=False, fused=None):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize,
                        fused=fused)
        super().__init__(params, defaults)

    def _validate(self, group):
        super()._validate(group)
        check_number(group["lr_decay"], "Invalid lr_decay value")
        check_number(group["weight_decay"], "Invalid weight_decay value")
        check_number(group["initial_accumulator_value"], "Invalid initial_accumulator_value value")
        check_number(group["eps"], "Invalid epsilon value")

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self._init_state(self.state[p], p.data, group)

    def _state_keys(self, group):
        return ("sum",)

    def _init_state(self, state, theta, group):
        state.setdefault("step", 0)
        state_array(state, "sum", theta, fill=group["initial_accumulator_value"])

    def _update(self, theta, g, state, group, tmp):
        lr, lr_decay, eps = float(group["lr"]), float(group["lr_decay"]), float(group["eps"])
        t = state["step"] = state["step"] + 1
        g = effective_grad(g, theta, float(group["weight_decay"]), group["maximize"], tmp)
        clr = lr / (1.0 + (t - 1) * lr_decay)              # γ̃ ← γ / (1 + (t − 1)η)
        s = state["sum"]
        np.multiply(g, g, out=tmp)
        s += tmp                                            # s ← s + g²
        np.sqrt(s, out=tmp)
        tmp += eps
        np.divide(g, tmp, out=tmp)
        tmp *= clr
        theta -= tmp                                        # θ ← θ − γ̃ g/(√s + ε)
