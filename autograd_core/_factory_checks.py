"""Argument checks of the tensor factories, with PyTorch's exception classes.

NumPy answers a bad size or range with its own exceptions (``MemoryError``,
``OverflowError``, ``ValueError``) or, worse, with an answer: ``arange(10, 0, 1)`` is empty,
``int64`` wraps ``2**63`` to ``-2**63``, ``rand`` in an integer dtype rounds every sample to 0.
Each check here refuses what PyTorch refuses, naming the value and the fix.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np

INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1

_TORCH_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
                "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte",
                "bool": "Bool", "bfloat16": "BFloat16"}


def check_dim_fits(s: int, size) -> None:
    """A size entry must fit int64 (PyTorch's TypeError for ``zeros(2**70)``)."""
    if s > INT64_MAX:
        raise TypeError(f"argument 'size' failed to unpack the object: Overflow when unpacking "
                        f"long long: {s} in {list(size)} does not fit int64 (at most 2**63 - 1)")


def check_storage(shape: tuple, np_dtype) -> None:
    """The number of bytes must fit int64 (PyTorch's RuntimeError for ``empty(2**62)``)."""
    nbytes = math.prod(shape) * np.dtype(np_dtype).itemsize
    if nbytes > INT64_MAX:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(shape)} "
                           f"({nbytes} bytes of {np.dtype(np_dtype).name} do not fit int64); "
                           f"ask for a smaller size")


@contextmanager
def allocating(shape: tuple, np_dtype):
    """Turn the array library's allocation failures into PyTorch's RuntimeError."""
    check_storage(shape, np_dtype)
    try:
        yield
    except (MemoryError, ValueError) as exc:
        if isinstance(exc, ValueError) and "too big" not in str(exc) and \
                "dimension" not in str(exc):
            raise
        nbytes = math.prod(shape) * np.dtype(np_dtype).itemsize
        raise RuntimeError(f"can't allocate memory: you tried to allocate {nbytes} bytes for a "
                           f"tensor of shape {list(shape)} and dtype {np.dtype(np_dtype).name}; "
                           f"use a smaller size or a smaller dtype") from None


def overflow_error(value) -> ValueError:
    return ValueError(f"Overflow when unpacking long long: {value} does not fit int64 "
                      f"[-2**63, 2**63 - 1]; pass dtype=float64 (or float32) to keep it "
                      f"approximately")


def check_python_ints(data) -> None:
    """Refuse Python ints outside int64 anywhere in nested lists (NumPy would make them
    uint64 or objects, which then wrap)."""
    stack, bad = [data], None
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, float):
            return  # a float among them: PyTorch infers a float tensor, which holds it
        elif isinstance(x, int) and not isinstance(x, bool) and \
                not INT64_MIN <= x <= INT64_MAX:
            bad = x
    if bad is not None:
        raise overflow_error(bad)


def check_fill_fits(value, np_dtype) -> None:
    """``full(size, 2**63)`` in int64: PyTorch's RuntimeError, not a wrapped value."""
    dt = np.dtype(np_dtype)
    if dt.kind not in "iu" or isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        return
    info = np.iinfo(dt)
    low = info.min if info.min < 0 else INT64_MIN  # a negative int wraps into uint8, as in torch
    if not low <= int(value) <= info.max:
        raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow: "
                           f"{value} is outside [{info.min}, {info.max}]; use a wider dtype")


def check_floating(np_dtype, op: str, kernel: str) -> None:
    """Random samples of a continuous law need a floating dtype (PyTorch's
    NotImplementedError); rounding them to integers would give zeros."""
    dt = np.dtype(np_dtype)
    if dt.kind != "f" and dt.name != "bfloat16":
        name = _TORCH_NAMES.get(dt.name, dt.name)
        raise NotImplementedError(
            f'"{kernel}" not implemented for \'{name}\': {op} draws real numbers and needs a '
            f"floating dtype, got {dt.name}; use randint for integers, or "
            f"{op}(...).to(dtype)")


def check_std(std: float) -> None:
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g} (std is a "
                           f"standard deviation, never negative; use abs(std))")


def std_error() -> RuntimeError:
    return RuntimeError("normal expects all elements of std >= 0.0 (a standard deviation is "
                        "never negative; use std.abs())")


def check_range(start, end, step) -> None:
    """``arange``: finite bounds, and a step whose sign goes from start towards end."""
    for v in (start, end):
        if isinstance(v, float) and not math.isfinite(v):
            raise RuntimeError(f"unsupported range: {start} -> {end} (bounds must be finite)")
    for v in (start, end, step):
        if isinstance(v, int) and not INT64_MIN <= v <= INT64_MAX:
            raise RuntimeError(f"value cannot be converted to type int64_t without overflow: "
                               f"{v} (arange's start, end and step must fit int64)")
    if (end - start) * step < 0:
        raise RuntimeError(f"upper bound and lower bound inconsistent with step sign: start="
                           f"{start}, end={end}, step={step}; use a step of the sign of "
                           f"end - start")


def check_steps(steps) -> None:
    if int(steps) < 0:
        raise RuntimeError(f"number of steps must be non-negative, got steps={steps}")


def check_eye(n: int, m: int) -> None:
    for name, v in (("n", n), ("m", m)):
        if v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
