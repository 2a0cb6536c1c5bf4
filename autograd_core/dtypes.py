"""dtypes: ``bool``, ``uint8``, ``int8``, ``int16``, ``int32``, ``int64``, ``float16``,
``bfloat16``, ``float32`` (the default), ``float64``, ``complex64`` (``cfloat``) and
``complex128`` (``cdouble``).

Each `dtype` wraps a NumPy dtype (CuPy uses the same ones); ``bfloat16`` is the one from the
``ml_dtypes`` package (NumPy has none; its ufuncs compute each element in float32 and round,
as PyTorch's CPU does), and CuPy cannot hold it. ``ml_dtypes`` is imported the first time
bfloat16's NumPy dtype is needed (``bfloat16.numpy``, or an array of that dtype met): its
import registers loops for a dozen dtypes with NumPy and takes 0.7 s (ml_dtypes 0.7, NumPy
2.4), half of what ``import autograd_core`` would cost, for a dtype most programs never use.

Type promotion follows PyTorch, not NumPy: a float tensor with an integer tensor keeps the
float's dtype, a Python scalar takes the tensor's dtype unless it is of a higher category (a
float with an integer tensor gives the default float dtype), and a 0-d tensor beside a tensor
with dimensions behaves like a scalar. So nothing is silently promoted to float64.

Complex beats float: ``float64 op complex64`` is ``complex128`` (the complex type wide enough
for both), and a complex scalar or 0-d tensor beside a float tensor gives that float's complex
counterpart (``float32 * 1j`` is complex64, ``float64 * 1j`` complex128).
"""

from __future__ import annotations

import builtins

import numpy as np

_BFLOAT16_NAME = "bfloat16"  # the NumPy dtype's name (ml_dtypes'), known before the import


class dtype:  # noqa: N801  (PyTorch's name)
    """A tensor element type, e.g. ``autograd_core.float32``."""

    __slots__ = ("name", "_numpy", "is_floating_point", "is_signed", "itemsize", "_rank")

    def __init__(self, name: str, numpy_dtype: np.dtype | None, rank: int) -> None:
        self.name = name
        self._rank = rank
        self._numpy = None
        if numpy_dtype is None:  # bfloat16: a 2-byte float whose NumPy dtype comes later
            self.is_floating_point = self.is_signed = True
            self.itemsize = 2
            return
        self._numpy = np.dtype(numpy_dtype)
        self.is_floating_point = self._numpy.kind == "f"
        self.is_signed = self._numpy.kind in "ic" or self.is_floating_point
        self.itemsize = self._numpy.itemsize

    @property
    def numpy(self) -> np.dtype:
        """The NumPy dtype of this dtype's arrays."""
        numpy_dtype = self._numpy
        return numpy_dtype if numpy_dtype is not None else _load_bfloat16()

    @property
    def is_complex(self) -> bool:
        return self.numpy.kind == "c"

    def to_real(self) -> dtype:
        """The real dtype of the parts of a complex dtype (complex64 -> float32); a real
        dtype is its own."""
        return _COMPLEX_TO_REAL.get(self, self)

    def to_complex(self) -> dtype:
        """The complex dtype whose parts are this float dtype (float64 -> complex128)."""
        if self.is_complex:
            return self
        if self is float64:
            return complex128
        if self.is_floating_point:
            return complex64
        raise RuntimeError(f"to_complex is only supported for floating point dtypes, got {self}")

    def __repr__(self) -> str:
        return f"autograd_core.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


# The rank orders the dtypes for promotion (the higher wins, with the two exceptions in
# `promote_types`).
bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 2)
int16 = dtype("int16", np.int16, 3)
int32 = dtype("int32", np.int32, 4)
int64 = dtype("int64", np.int64, 5)
float16 = dtype("float16", np.float16, 6)
bfloat16 = dtype("bfloat16", None, 7)  # its NumPy dtype: `_load_bfloat16`
float32 = dtype("float32", np.float32, 8)
float64 = dtype("float64", np.float64, 9)
complex64 = dtype("complex64", np.complex64, 10)
complex128 = dtype("complex128", np.complex128, 11)

ALL = (bool_, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64,
       complex64, complex128)
_COMPLEX_TO_REAL = {complex64: float32, complex128: float64}
_BY_NUMPY: dict[np.dtype, dtype] = {d._numpy: d for d in ALL if d is not bfloat16}
_BY_NAME: dict[str, dtype] = {d.name: d for d in ALL}
_BY_NAME.update({"float": float32, "double": float64, "half": float16, "long": int64,
                 "int": int32, "short": int16, "bool_": bool_, "cfloat": complex64,
                 "cdouble": complex128})
_BY_RANK = sorted(ALL, key=lambda d: d._rank)

_default_float = float32


def _load_bfloat16() -> np.dtype:
    """Import ``ml_dtypes`` (once) and give `bfloat16` its NumPy dtype."""
    if bfloat16._numpy is None:
        import ml_dtypes

        numpy_dtype = np.dtype(ml_dtypes.bfloat16)
        _BY_NUMPY[numpy_dtype] = bfloat16
        bfloat16._numpy = numpy_dtype
    return bfloat16._numpy


def _is_bfloat16(np_dtype) -> bool:
    """Whether a NumPy dtype is ml_dtypes' bfloat16 (whether or not we imported it yet)."""
    return np_dtype.kind == "V" and np_dtype.name == _BFLOAT16_NAME


def _by_name(name: str) -> dtype:
    return _BY_NAME[name]


def get_default_dtype() -> dtype:
    """The dtype of floating tensors made from Python floats (float32 unless changed)."""
    return _default_float


def set_default_dtype(d) -> None:
    """Set the default floating dtype (``float32`` or ``float64``, as in PyTorch)."""
    global _default_float
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def as_dtype(d) -> dtype:
    """Turn a dtype-like (our dtype, a NumPy dtype, a string, or ``float``/``int``/``bool``)
    into one of ours."""
    if type(d) is dtype:
        return d
    if d is builtins.float:
        return float64
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool_
    if d is builtins.complex:
        return complex128
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d]
    try:
        np_dtype = np.dtype(d)
        if _is_bfloat16(np_dtype):
            _load_bfloat16()
        return _BY_NUMPY[np_dtype]
    except (TypeError, KeyError):
        supported = ", ".join(x.name for x in ALL)
        raise TypeError(f"unsupported dtype {d!r}; supported dtypes are {supported}") from None


def from_numpy_dtype(np_dtype: np.dtype) -> dtype:
    try:
        return _BY_NUMPY[np_dtype]
    except KeyError:
        if _is_bfloat16(np_dtype):  # an array made with ml_dtypes before we imported it
            _load_bfloat16()
            return bfloat16
        supported = ", ".join(x.name for x in ALL)
        raise TypeError(
            f"can't convert an array of type {np_dtype}; the only supported types are: {supported}"
        ) from None


# Pairs where neither dtype holds the other's values: the smallest dtype that holds both.
_JOINT = {frozenset((uint8, int8)): int16, frozenset((float16, bfloat16)): float32}


def is_floating_array(np_dtype: np.dtype) -> bool:
    """Whether arrays of this NumPy dtype hold floating-point numbers (bfloat16's kind is 'V')."""
    return np_dtype.kind == "f" or _is_bfloat16(np_dtype)


def promote_types(a: dtype, b: dtype) -> dtype:
    """The dtype of ``a op b`` for two tensors with dimensions (PyTorch's rule): the higher
    rank, except uint8 with int8 -> int16, float16 with bfloat16 -> float32, and a complex
    type widening to hold a wider float (float64 + complex64 is complex128)."""
    if a is b:
        return a
    joint = _JOINT.get(frozenset((a, b)))
    if joint is not None:
        return joint
    hi, lo = (a, b) if a._rank >= b._rank else (b, a)
    if hi is complex64 and lo is float64:
        return complex128
    return hi


def category(d: dtype) -> int:
    """0 for bool, 1 for integers, 2 for floating point, 3 for complex."""
    if d.is_complex:
        return 3
    return 2 if d.is_floating_point else (0 if d is bool_ else 1)


def scalar_category(value) -> int:
    if isinstance(value, (builtins.bool, np.bool_)):
        return 0
    if isinstance(value, (builtins.int, np.integer)):
        return 1
    if isinstance(value, (builtins.complex, np.complexfloating)):
        return 3
    return 2


def default_complex() -> dtype:
    """complex64, or complex128 when the default float dtype is float64."""
    return _default_float.to_complex()


def result_type_with_scalar(t: dtype, value) -> dtype:
    """The dtype of ``tensor op scalar``: the tensor's, unless the scalar's kind is higher
    (a complex scalar with a float tensor gives that float's complex counterpart)."""
    cat = scalar_category(value)
    tcat = category(t)
    if cat <= tcat:
        return t
    if cat == 3:
        return t.to_complex() if tcat == 2 else default_complex()
    return _default_float if cat == 2 else int64


def dimensionless_result(t: dtype, dimensionless: dtype) -> dtype:
    """The dtype of ``tensor op zero_dim_tensor``: the 0-d one counts only by category."""
    if category(dimensionless) <= category(t):
        return t
    if dimensionless.is_complex and t.is_floating_point:
        return t.to_complex()
    return dimensionless
