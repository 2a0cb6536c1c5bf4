"""`autograd_core.autograd`: PyTorch's ``torch.autograd`` API.

``Function`` for user-defined primitives, ``backward`` and ``grad``, finite-difference
checks (``gradcheck``, ``gradgradcheck``), ``functional`` (jacobian, hessian, vjp, jvp,
hvp, vhp) and anomaly detection.
"""

import functools as _functools

from .. import engine as _engine
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


def _refuse_implicit_complex(outputs, grad_outputs) -> None:
    """A complex output needs an explicit gradient (PyTorch's rule): ones would be a choice."""
    from ..tensor import Tensor

    outs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    if grad_outputs is None:
        given = (None,) * len(outs)
    else:
        given = (grad_outputs,) if isinstance(grad_outputs, Tensor) else tuple(grad_outputs)
    for out, g in zip(outs, given):
        if g is None and isinstance(out, Tensor) and out._data.dtype.kind == "c":
            raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but "
                               f"got {out.dtype}; pass grad_outputs= or reduce to a real loss")


@_functools.wraps(_engine.grad)
def grad(outputs, inputs, grad_outputs=None, *args, **kwargs):
    _refuse_implicit_complex(outputs, grad_outputs)
    return _engine.grad(outputs, inputs, grad_outputs, *args, **kwargs)


@_functools.wraps(_engine.backward)
def backward(tensors, grad_tensors=None, *args, **kwargs):
    _refuse_implicit_complex(tensors, grad_tensors)
    return _engine.backward(tensors, grad_tensors, *args, **kwargs)

__all__ = [
    "Function", "once_differentiable", "backward", "grad", "gradcheck", "gradgradcheck",
    "GradcheckError", "functional", "detect_anomaly", "set_detect_anomaly",
    "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "no_grad", "enable_grad",
    "set_grad_enabled", "inference_mode",
]
