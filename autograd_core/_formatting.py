"""``repr(tensor)`` in PyTorch's style: ``tensor([1.0000, 2.0000], requires_grad=True)``."""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt

_PREFIX = "tensor("


def _float_formatter(values: np.ndarray):
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    absolute = np.abs(finite)
    nonzero = absolute[absolute > 0]
    if np.all(finite == np.round(finite)) and (nonzero.size == 0 or nonzero.max() < 1e8):
        width = max(len(f"{v:.0f}") for v in finite) + 1
        return lambda v: f"{v:.0f}.".rjust(width) if np.isfinite(v) else str(v).rjust(width)
    if nonzero.size and (nonzero.max() / nonzero.min() > 1000.0 or nonzero.max() > 1e8
                         or nonzero.min() < 1e-4):
        return lambda v: f"{v:.4e}"
    width = max(len(f"{v:.4f}") for v in finite)
    return lambda v: f"{v:.4f}".rjust(width)


def format_array(array: np.ndarray, indent: int = len(_PREFIX)) -> str:
    if array.size == 0:
        return "[]" if array.ndim <= 1 else "[]"
    kwargs = {"separator": ", ", "prefix": " " * indent, "threshold": 1000, "edgeitems": 3,
              "max_line_width": 80}
    if array.dtype.kind == "f":
        fmt = _float_formatter(array.astype(np.float64))
        if fmt is not None:
            kwargs["formatter"] = {"float_kind": fmt}
    elif array.dtype.kind == "b":
        kwargs["formatter"] = {"bool": lambda v: "True" if v else "False"}
    return np.array2string(array, **kwargs)


def tensor_repr(t) -> str:
    array = t._host()
    suffix = []
    dev = t.device
    if dev.type != "cpu":
        suffix.append(f"device='{dev}'")
    default_shown = {_dt.get_default_dtype().numpy, np.dtype(np.int64), np.dtype(np.bool_)}
    if array.dtype not in default_shown or (array.size == 0 and array.dtype.kind != "f"):
        suffix.append(f"dtype={t.dtype!r}")
    if array.size == 0 and array.ndim > 1:
        suffix.insert(0, f"size={tuple(array.shape)}")
    body = format_array(array)
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffix.append("requires_grad=True")
    if suffix:
        return f"{_PREFIX}{body}, {', '.join(suffix)})"
    return f"{_PREFIX}{body})"
