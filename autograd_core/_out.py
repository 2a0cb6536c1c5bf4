"""Writing a result into a given ``out=`` tensor: one rule for the operations
(`ops.arguments`) and the factories (``zeros(..., out=t)``).

The result goes into ``out`` in place when the shapes agree (so views of ``out`` see it, and
its version counter moves); otherwise ``out`` is resized to the result, as PyTorch resizes
it. Done under ``no_grad``: an ``out=`` write is never recorded.
"""

from __future__ import annotations

import warnings

from .grad_mode import no_grad
from .tensor import Tensor


def write_into(out: Tensor, result: Tensor, name: str, warn_on_resize: bool = True) -> Tensor:
    """Put ``result`` into ``out`` (cast to ``out``'s dtype) and return ``out``.
    ``warn_on_resize``: PyTorch's operations warn when they resize an ``out`` that had
    elements; its factories do not."""
    with no_grad():
        if tuple(out.shape) != tuple(result.shape):
            if warn_on_resize and out.numel():
                warnings.warn(f"An output with one or more elements was resized since it had "
                              f"shape {list(out.shape)}, which does not match the required "
                              f"output shape {list(result.shape)}.", UserWarning, stacklevel=4)
            out.data = result.to(out.dtype)
        else:
            out.copy_(result)
    return out
