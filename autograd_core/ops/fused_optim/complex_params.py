"""Complex parameters in the fused optimiser steps, as PyTorch: a complex tensor is updated
as the real tensor of its (Re, Im) pairs (``view_as_real``), so Adam's second moment is
Re(g)^2 and Im(g)^2 kept apart, not the complex square g^2.

`as_real_pairs` wraps a step function: every complex Tensor among its arguments (and in the
lists ``sgd_foreach_`` takes) is replaced by a real view of the same memory, sharing the
version counter, and the elementwise update runs unchanged. Real arguments pass through.
"""

from __future__ import annotations

import functools

from ...tensor import Tensor, _wrap

_REAL_OF = {"complex64": "float32", "complex128": "float64"}


def _real_view(t: Tensor) -> Tensor:
    data = t._data
    if data.ndim and data.strides[-1] != data.itemsize:
        raise RuntimeError(f"an optimiser step needs complex parameters and states with a "
                           f"contiguous last axis (got strides {data.strides}); use "
                           f"p.data = p.data.contiguous()")
    out = _wrap(data[..., None].view(_REAL_OF[str(data.dtype)]))
    out._version_counter = t._version_counter
    return out


def _convert(x):
    if isinstance(x, Tensor) and x._data.dtype.kind == "c":
        return _real_view(x)
    if isinstance(x, list):
        return [_convert(v) for v in x]
    return x


def _any_complex(args) -> bool:
    for x in args:
        if isinstance(x, Tensor):
            if x._data.dtype.kind == "c":
                return True
        elif isinstance(x, list) and _any_complex(x):
            return True
    return False


def as_real_pairs(step):
    """``step`` that updates complex Tensors as their real (Re, Im) pairs."""

    @functools.wraps(step)
    def wrapped(*args, **kwargs):
        if not (_any_complex(args) or _any_complex(kwargs.values())):
            return step(*args, **kwargs)
        return step(*(_convert(a) for a in args), **{k: _convert(v) for k, v in kwargs.items()})

    return wrapped
