"""The four ways to a derivative: numerical, forward mode, reverse mode, and checks.

* :func:`central_difference`, :func:`complex_step` — numerical differentiation;
* :class:`Dual`, :func:`jvp` — forward (tangent) mode by dual numbers;
* :func:`vjp`, :func:`grad` — reverse (adjoint) mode on the Tensor engine;
* :func:`jacobian`, :func:`hessian` — whole derivative matrices from either mode;
* :func:`gradcheck` — checks a module's hand-written backward.

See docs/autodiff.md.
"""
from .numerical import central_difference, complex_step
from .forward import Dual, jvp
from .reverse import vjp, grad
from .jacobian import jacobian, hessian
from .gradcheck import gradcheck, GradcheckError

__all__ = ["central_difference", "complex_step", "Dual", "jvp", "vjp", "grad",
           "jacobian", "hessian", "gradcheck", "GradcheckError"]
