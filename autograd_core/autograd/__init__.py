"""`autograd_core.autograd`: PyTorch's ``torch.autograd`` API.

``Function`` for user-defined primitives, ``backward`` and ``grad``, finite-difference
checks (``gradcheck``, ``gradgradcheck``), ``functional`` (jacobian, hessian, vjp, jvp,
hvp, vhp) and anomaly detection.
"""

from ..engine import backward, grad
from ..function import Function, once_differentiable
from ..grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled
from . import functional
from .anomaly_mode import (
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "Function", "once_differentiable", "backward", "grad", "gradcheck", "gradgradcheck",
    "GradcheckError", "functional", "detect_anomaly", "set_detect_anomaly",
    "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "no_grad", "enable_grad",
    "set_grad_enabled", "inference_mode",
]
