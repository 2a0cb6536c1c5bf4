"""Fused CUDA kernels offered as overrides of the rules' composed forms.

A rule that wants a kernel on the GPU calls ``m.<name>(...)`` from its namespace; `offer`
registers that name (`_rule_math.register_override`) with

- on arrays: the backend's fused kernel when the array module has one for the dtype
  (CuPy, float32/float64), else the composed formula on the array module;
- on Tensors (``create_graph=True``): the composed formula on Tensors, differentiable.

The formula is written once (``composed(m, *args)``, the shared vocabulary), so the kernel is
an override of it, never a second rule; ``tests/test_gpu_*_kernels.py`` compare the two.
On NumPy the cost over the formula is the namespace's call of ``on_arrays``, one dict lookup
(`_backend.KERNEL_BACKENDS`) and one for the array namespace.
"""

from __future__ import annotations

from .. import _rule_math
from .._backend import KERNEL_BACKENDS


def kernel_for(xp, name: str, dtype):
    """The backend's fused kernel ``name`` for arrays of ``xp`` and ``dtype``, or None."""
    backend = KERNEL_BACKENDS.get(xp)
    return None if backend is None else backend.fused_kernel(name, dtype)


def offer(name: str, composed, kernel: str | None = None, dtype_of: int = -1,
          launch=None) -> None:
    """Register ``m.name(*args)``: the fused kernel ``kernel`` (default ``name``) on arrays
    where the backend has it (the dtype is that of ``args[dtype_of]``), else
    ``composed(m, *args)``; ``composed(tensor math, *args)`` on Tensors.

    ``launch(backend, xp, *args)``, when given, runs the kernels itself (several launches,
    or a case the kernel does not cover) and returns the result, or None for the composed
    form."""
    kernel = kernel or name
    maths: dict = {}  # xp -> its array namespace (NumPy pays two dict lookups and the formula)

    def on_arrays(xp, *args):
        backend = KERNEL_BACKENDS.get(xp)
        if backend is not None:
            if launch is not None:
                out = launch(backend, xp, *args)
                if out is not None:
                    return out
            else:
                k = backend.fused_kernel(kernel, args[dtype_of].dtype)
                if k is not None:
                    return k(*args)
        m = maths.get(xp)
        if m is None:
            m = maths[xp] = _rule_math.for_arrays(xp)
        return composed(m, *args)

    def on_tensors(*args):
        return composed(_rule_math.for_tensors(), *args)

    _rule_math.register_override(name, on_arrays, on_tensors)
