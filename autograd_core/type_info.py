"""``iinfo`` and ``finfo``: the numeric limits of an integer or floating dtype.

``finfo(d).eps`` is the gap between 1 and the next representable number, ``tiny`` (the same
as ``smallest_normal``) the smallest positive normal number, ``resolution`` about
10^-(decimal digits of precision). The values come from NumPy's tables (``ml_dtypes``' for
bfloat16), reported as Python numbers.
"""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt


class iinfo:  # noqa: N801  (PyTorch's name)
    """The limits of an integer dtype: ``bits``, ``min``, ``max``, ``dtype``."""

    def __init__(self, type: _dt.dtype) -> None:
        d = _dt.as_dtype(type)
        if d is _dt.bool_:
            raise TypeError(f"{d} is not supported by autograd_core.iinfo; iinfo takes an "
                            f"integer dtype (e.g. autograd_core.uint8)")
        if d.is_floating_point:
            raise TypeError(f"autograd_core.iinfo() requires an integer input type, got {d}; "
                            f"use autograd_core.finfo for floating dtypes")
        info = np.iinfo(d.numpy)
        self.bits: int = info.bits
        self.min: int = int(info.min)
        self.max: int = int(info.max)
        self.dtype: str = d.name

    def __repr__(self) -> str:
        return f"iinfo(min={float(self.min):g}, max={float(self.max):g}, dtype={self.dtype})"


class finfo:  # noqa: N801  (PyTorch's name)
    """The limits of a floating dtype: ``bits``, ``eps``, ``max``, ``min``, ``tiny``,
    ``smallest_normal``, ``resolution``, ``dtype`` (the default float without an argument)."""

    def __init__(self, type: _dt.dtype | None = None) -> None:
        d = _dt.get_default_dtype() if type is None else _dt.as_dtype(type)
        if not d.is_floating_point:
            raise TypeError(f"autograd_core.finfo() requires a floating point input type, got "
                            f"{d}; use autograd_core.iinfo for integer dtypes")
        if d is _dt.bfloat16:
            import ml_dtypes  # (imported with bfloat16's NumPy dtype: see dtypes.py)

            info = ml_dtypes.finfo(d.numpy)
        else:
            info = np.finfo(d.numpy)
        self.bits: int = info.bits
        self.eps: float = float(info.eps)
        self.max: float = float(info.max)
        self.min: float = float(info.min)
        self.tiny: float = float(info.smallest_normal)
        self.smallest_normal: float = self.tiny
        self.resolution: float = 10.0 ** -info.precision
        self.dtype: str = d.name

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")
