"""``repr(tensor)`` in PyTorch's style: ``tensor([1.0000, 2.0000], requires_grad=True)``.

The rules (PyTorch's print options: 4 digits, 80 columns, summarise above 1000 elements
showing 3 items at each edge):

- floats whose non-zero finite values are all whole print as ``1.``; otherwise with four
  decimals ``1.5000``; scientific ``1.0000e+05`` when the largest/smallest non-zero
  magnitude ratio exceeds 1000, the largest exceeds 1e8, or (for non-whole values) the
  smallest is below 1e-4;
- every element is right-aligned to the widest one, rows wrap at 80 columns;
- complex numbers: real and imaginary parts each get their own float format (as above),
  written ``1.0000+2.j``;
- suffixes: ``device=`` off the CPU, ``size=`` for empty non-1-D tensors, ``dtype=``
  unless it is inferable (default float, int64, bool), then ``grad_fn=`` or
  ``requires_grad=True``.
"""

from __future__ import annotations

import math

import numpy as np

from . import dtypes as _dt

_PREFIX = "tensor("
_PRECISION = 4
_THRESHOLD = 1000
_EDGEITEMS = 3
_LINEWIDTH = 80


class _Formatter:
    """Decides how the elements of one tensor are written, and their common width."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = _dt.is_floating_array(values.dtype)
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if not self.floating:
            for v in values.ravel().tolist():
                self.width = max(self.width, len(str(v)))
            return
        flat = values.astype(np.float64).ravel()
        finite = flat[np.isfinite(flat) & (flat != 0)]
        if finite.size == 0:
            return
        magnitude = np.abs(finite)
        lo, hi = float(magnitude.min()), float(magnitude.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if self.int_mode:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8
        else:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        for v in finite.tolist():
            if self.sci_mode:
                text = f"{v:.{_PRECISION}e}"
            elif self.int_mode:
                text = f"{v:.0f}."
            else:
                text = f"{v:.{_PRECISION}f}"
            self.width = max(self.width, len(text))

    def format(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:.{_PRECISION}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{_PRECISION}f}"
        return text.rjust(self.width)


class _ComplexFormatter:
    """Complex elements: the real parts right-aligned in their format, then the signed
    imaginary part in its own (PyTorch's ``1.0000+2.j``)."""

    def __init__(self, values: np.ndarray) -> None:
        self.re, self.im = _Formatter(values.real), _Formatter(values.imag)
        self.width = self.re.width + self.im.width + 1

    def format(self, value) -> str:
        value = complex(value)
        imag = (self.im.format(value.imag) + "j").lstrip()
        return self.re.format(value.real) + (imag if imag[0] in "+-" else "+" + imag)


def _summarized(array: np.ndarray) -> np.ndarray:
    """Only the elements a summarised print shows (the edges of every long axis)."""
    for axis, n in enumerate(array.shape):
        if n > 2 * _EDGEITEMS:
            keep = list(range(_EDGEITEMS)) + list(range(n - _EDGEITEMS, n))
            array = np.take(array, keep, axis=axis)
    return array


def _vector(values: list, fmt: _Formatter, indent: int, summarize: bool) -> str:
    per_line = max(1, (_LINEWIDTH - indent) // (fmt.width + 2))
    if summarize and len(values) > 2 * _EDGEITEMS:
        items = ([fmt.format(v) for v in values[:_EDGEITEMS]] + [" ..."]
                 + [fmt.format(v) for v in values[-_EDGEITEMS:]])
    else:
        items = [fmt.format(v) for v in values]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(array: np.ndarray, fmt: _Formatter, indent: int, summarize: bool) -> str:
    if array.ndim == 0:
        return fmt.format(array.item())
    if array.ndim == 1:
        return _vector(array.tolist(), fmt, indent, summarize)
    n = array.shape[0]
    if summarize and n > 2 * _EDGEITEMS:
        rows = ([_nested(array[i], fmt, indent + 1, summarize) for i in range(_EDGEITEMS)]
                + ["..."]
                + [_nested(array[i], fmt, indent + 1, summarize) for i in range(n - _EDGEITEMS, n)])
    else:
        rows = [_nested(array[i], fmt, indent + 1, summarize) for i in range(n)]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def format_array(array: np.ndarray, indent: int = len(_PREFIX)) -> str:
    """The bracketed body of a tensor's repr (what goes between ``tensor(`` and ``)``)."""
    if array.size == 0:
        return "[]"
    summarize = array.size > _THRESHOLD
    shown = _summarized(array) if summarize else array
    fmt = _ComplexFormatter(shown) if array.dtype.kind == "c" else _Formatter(shown)
    return _nested(array, fmt, indent, summarize)


def _with_suffixes(body: str, suffixes: list[str], indent: int) -> str:
    parts = [_PREFIX, body]
    line_length = len(body) - body.rfind("\n") + 1
    for suffix in suffixes:
        if line_length + len(suffix) + 2 > _LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            line_length = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            line_length += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t) -> str:
    array = t._host()
    suffixes = []
    dev = t.device
    if dev.type != "cpu":
        suffixes.append(f"device='{dev}'")
    default_float = _dt.get_default_dtype().numpy
    default_complex = _dt.default_complex().numpy
    if array.size == 0:
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
        if array.dtype != default_float:
            suffixes.append(f"dtype={t.dtype!r}")
    elif array.dtype not in (default_float, default_complex, np.dtype(np.int64),
                             np.dtype(np.bool_)):
        suffixes.append(f"dtype={t.dtype!r}")
    body = format_array(array)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(body, suffixes, len(_PREFIX))
