"""Adam and AdamW: adaptive moment estimation, with coupled or decoupled weight decay."""
import math

import numpy as np

from ._rules import check_number, effective_grad, state_array
from .optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2014), exactly as PyTorch's ``Adam``.

    For each parameter θ with gradient ∇f(θ), at step t = 1, 2, ...:

    .. code-block:: text

        g ← ∇f(θ)                 (−∇f(θ) if maximize)
        θ ← θ·(1 − γλ)            if decoupled_weight_decay (AdamW)
        g ← g + λ·θ               otherwise, if weight_decay λ ≠ 0
        m ← β₁·m + (1 − β₁)·g
        v ← β₂·v + (1 − β₂)·g²
        v̂ ← max(v̂, v)             if amsgrad (v̂ starts at 0), and v̂ replaces v below
        θ ← θ − γ/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    ε is added after the bias correction of √v, as PyTorch does (the paper adds
    it to √v̂ with v̂ = v/(1 − β₂ᵗ), which is the same). The last line is computed
    as θ ← θ − m / d with d = (√v / √(1 − β₂ᵗ) + ε)·(1 − β₁ᵗ)/γ, which saves
    one pass over the array (PyTorch's capturable form); results agree to
    rounding.

    Args:
        params: parameters or parameter groups (see :class:`Optimizer`).
        lr (float): learning rate γ ≥ 0. Default: 1e-3.
        betas (tuple[float, float]): (β₁, β₂), each in [0, 1). Default: (0.9, 0.999).
        eps (float): ε ≥ 0 added to the denominator. Default: 1e-8.
        weight_decay (float): λ ≥ 0. Default: 0.
        amsgrad (bool): use the maximum of past second moments. Default: False.
        maximize (bool): ascend instead of descend. Default: False.
        decoupled_weight_decay (bool): decay θ directly (AdamW). Default: False.
        fused (bool, optional): update each group in flat arrays (None or True,
            the default) or parameter by parameter (False); the results are the
            same to the bit. See "Fused updates" in :class:`Optimizer`.

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v) and,
    with amsgrad, ``max_exp_avg_sq`` (v̂).

    Example:
        >>> import numpy as np
        >>> from minitorch import nn, optim
        >>> w = nn.Parameter(np.array([1.0, -2.0]))
        >>> opt = optim.Adam([w], lr=0.1)
        >>> w.grad = np.array([0.5, -3.0])
        >>> opt.step()
        >>> w.data.round(6)                         # the first step is γ·g/|g|: m̂ = g, v̂ = g²
        array([ 0.9, -1.9])
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False, fused=None):
        betas = tuple(betas) if np.ndim(betas) == 1 else betas
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay, fused=fused)
        super().__init__(params, defaults)

    def _validate(self, group):
        super()._validate(group)
        check_number(group["eps"], "Invalid epsilon value")
        betas = group["betas"]
        if np.ndim(betas) != 1 or len(betas) != 2:
            raise ValueError(f"Invalid betas: expected a pair (beta1, beta2), got {betas!r}")
        check_number(betas[0], "Invalid beta parameter at index 0", 0.0, 1.0, high_open=True)
        check_number(betas[1], "Invalid beta parameter at index 1", 0.0, 1.0, high_open=True)
        check_number(group["weight_decay"], "Invalid weight_decay value")

    def _state_keys(self, group):
        return ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")[:3 if group["amsgrad"] else 2]

    def _init_state(self, state, theta, group):
        state.setdefault("step", 0)
        for key in self._state_keys(group):                 # m, v and v̂ start at 0
            state_array(state, key, theta)

    def _update(self, theta, g, state, group, tmp):
        lr, eps = float(group["lr"]), float(group["eps"])
        weight_decay = float(group["weight_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        t = state["step"] = state["step"] + 1
        if group["decoupled_weight_decay"]:
            if weight_decay:
                theta *= 1.0 - lr * weight_decay                # θ ← θ(1 − γλ)
            g = effective_grad(g, theta, 0.0, group["maximize"], tmp)
        else:
            g = effective_grad(g, theta, weight_decay, group["maximize"], tmp)  # g ← g + λθ
        m, v = state["exp_avg"], state["exp_avg_sq"]
        np.multiply(g, 1.0 - beta1, out=tmp)
        m *= beta1
        m += tmp                                            # m ← β₁m + (1−β₁)g
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - beta2
        v *= beta2
        v += tmp                                            # v ← β₂v + (1−β₂)g²
        if group["amsgrad"]:
            v_max = state["max_exp_avg_sq"]
            v = np.maximum(v_max, v, out=v_max)             # v̂ ← max(v̂, v)
        step_size = lr / (1.0 - beta1 ** t)
        if step_size == 0.0:
            return
        bias_correction2_sqrt = math.sqrt(1.0 - beta2 ** t)
        np.sqrt(v, out=tmp)
        tmp /= bias_correction2_sqrt * step_size
        tmp += eps / step_size                              # d = (√v/√bc₂ + ε)/step_size
        np.divide(m, tmp, out=tmp)
        theta -= tmp                                        # θ ← θ − m/d


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay, as PyTorch's ``AdamW``.

    Same rule as :class:`Adam` except that the decay shrinks θ directly,
    ``θ ← θ·(1 − γλ)``, before the moments are updated, instead of being added
    to the gradient (so it does not pass through m and v).

    Args:
        params: parameters or parameter groups (see :class:`Optimizer`).
        lr (float): learning rate γ ≥ 0. Default: 1e-3.
        betas (tuple[float, float]): (β₁, β₂), each in [0, 1). Default: (0.9, 0.999).
        eps (float): ε ≥ 0 added to the denominator. Default: 1e-8.
        weight_decay (float): λ ≥ 0. Default: 1e-2.
        amsgrad (bool): use the maximum of past second moments. Default: False.
        maximize (bool): ascend instead of descend. Default: False.
        fused (bool or None): lay the group out flat (see :class:`Optimizer`). Default: None.

    Example:
        >>> import numpy as np
        >>> from minitorch import nn, optim
        >>> w = nn.Parameter(np.array([1.0, -2.0]))
        >>> opt = optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> w.grad = np.zeros(2)                    # no gradient: only the decay θ(1 − γλ)
        >>> opt.step()
        >>> w.data
        array([ 0.95, -1.9 ])
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad,
                         maximize=maximize, decoupled_weight_decay=True, fused=fused)
