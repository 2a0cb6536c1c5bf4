"""The arrays of the test-only CuPy stand-in (`fake_cupy`): `FakeArray` and `Device`.

A `FakeArray` holds a NumPy array but behaves like device memory where it matters: no
implicit conversion to NumPy (``np.asarray(a)`` raises CuPy's TypeError), no mixing with
``numpy.ndarray`` in operators or indexing, explicit copies in and out (``a.get()``,
``a.set(host)``), 0-d arrays instead of NumPy scalars, and views whose ``base`` is the one
array owning the memory. `_unwrap` / `_wrap_result` convert between FakeArrays and the NumPy
arrays underneath; the module wrapper in `fake_cupy` uses them for its functions.

Tests import these through `fake_cupy` (``from fake_cupy import FakeArray``).
"""

from __future__ import annotations

import operator
import weakref

import numpy as np

IMPLICIT_CONVERSION_MESSAGE = (
    "Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a "
    "NumPy array explicitly."
)

_DLCPU, _DLCUDA = 1, 2

# Transfers to the host, by kind ("get", "item", "bool", ...): each is a synchronisation on
# a GPU. Tests reset it (``HOST_SYNCS.clear()``) and read ``sum(HOST_SYNCS.values())``.
HOST_SYNCS: dict = {}


def _synced(kind: str) -> None:
    HOST_SYNCS[kind] = HOST_SYNCS.get(kind, 0) + 1


# While a set (``fake_cupy.recording()``): every call into the fake CuPy that succeeded, as
# ``(qualname, args, kwargs)`` with device arrays written ``("A", shape, dtype)`` and host
# arrays ``("H", shape, dtype)``, for `tests/_cupy_replay.py` to re-issue against real CuPy.
RECORDING: dict = {"calls": None}


class _Unrecordable(Exception):
    pass


def _spec(obj):
    if isinstance(obj, FakeArray):
        return ("A", obj._a.shape, obj._a.dtype.str)
    if isinstance(obj, np.ndarray):
        return ("H", obj.shape, obj.dtype.str)
    if isinstance(obj, (bool, int, float, complex, str, type(None), type(Ellipsis), np.generic,
                        np.dtype, type)):
        return obj
    if isinstance(obj, slice):
        return ("S", obj.start, obj.stop, obj.step)
    if type(obj) is tuple:
        return ("T", *[_spec(v) for v in obj])
    if type(obj) is list:
        return ("L", *[_spec(v) for v in obj])
    if type(obj) is dict:
        return ("D", *sorted((k, _spec(v)) for k, v in obj.items()))
    raise _Unrecordable(type(obj).__name__)


def _record(qualname: str, args, kwargs) -> None:
    calls = RECORDING["calls"]
    if calls is None:
        return
    try:
        calls.add((qualname, _spec(tuple(args)), _spec(dict(kwargs))))
    except (_Unrecordable, TypeError):  # (a callable or an unorderable key: not replayed)
        pass


def _host_array_error(where: str) -> TypeError:
    return TypeError(
        f"Unsupported type <class 'numpy.ndarray'> in {where}: device arrays do not mix with "
        "host (NumPy) arrays; upload explicitly with xp.asarray(host_array), or keep the "
        "computation on one device"
    )


# ---------------------------------------------------------------------------- device
class Device:
    """``cupy.cuda.Device``: a device id, usable as a context manager."""

    _current = [0]

    def __init__(self, device=None) -> None:
        if device is None:
            device = Device._current[-1]
        self.id = int(getattr(device, "id", device))
        if not 0 <= self.id < _DEVICE_COUNT:
            raise RuntimeError(
                f"fake CUDA device {self.id} does not exist ({_DEVICE_COUNT} device(s) present)"
            )

    def __enter__(self) -> Device:
        Device._current.append(self.id)
        return self

    def __exit__(self, *exc) -> None:
        Device._current.pop()

    def use(self) -> None:
        Device._current[0] = self.id

    def synchronize(self) -> None:
        pass

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self) -> int:
        return hash(("fake-cuda", self.id))

    def __repr__(self) -> str:
        return f"<CUDA Device {self.id}>"


_DEVICE_COUNT = 1


# ---------------------------------------------------------------------------- arrays
class _Flags:
    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, a: np.ndarray) -> None:
        self.c_contiguous = bool(a.flags.c_contiguous)
        self.f_contiguous = bool(a.flags.f_contiguous)
        self.owndata = bool(a.flags.owndata)

    def __getitem__(self, key: str) -> bool:
        return getattr(self, {"C_CONTIGUOUS": "c_contiguous", "F_CONTIGUOUS": "f_contiguous",
                              "OWNDATA": "owndata"}.get(key, key))


class _MemoryPointer:
    """``ndarray.data`` of CuPy: an address, not host-readable memory."""

    __slots__ = ("ptr",)

    def __init__(self, ptr: int) -> None:
        self.ptr = ptr


class _HostView:
    """Hands a FakeArray's memory to ``np.from_dlpack`` (used by `from_dlpack` only)."""

    def __init__(self, capsule) -> None:
        self._capsule = capsule

    def __dlpack__(self, **kwargs):
        return self._capsule

    def __dlpack_device__(self):
        return (_DLCPU, 0)


# NumPy ndarray attributes that would hand out host memory or that CuPy does not have.
_HIDDEN_ATTRIBUTES = frozenset({
    "ctypes", "tofile", "tobytes", "tostring", "dump", "dumps", "itemset", "setflags",
    "newbyteorder", "getfield", "setfield", "byteswap", "mT", "device", "to_device",
})

_SCALAR_TYPES = (bool, int, float, complex, np.generic)
_OWNERS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # id(ndarray) -> owner


class FakeArray:
    """A "device" array: a NumPy array that refuses to be treated as one implicitly."""

    __slots__ = ("_a", "_device_id", "_base", "__weakref__")

    # NumPy must not take us apart: binary ops with NumPy objects return NotImplemented
    # to Python (so ours run), ufuncs and array functions on us raise TypeError.
    __array_ufunc__ = None
    __array_priority__ = 1000
    __hash__ = None  # type: ignore[assignment]  (CuPy arrays are unhashable)

    def __init__(self, array: np.ndarray, device_id: int | None = None) -> None:
        if type(array) is not np.ndarray:
            raise TypeError(f"FakeArray wraps a numpy.ndarray, got {type(array).__name__}")
        self._a = array
        self._device_id = Device._current[-1] if device_id is None else device_id
        # As in CuPy, a view's ``base`` is the one array object owning the memory, held
        # for as long as the view lives (so ``id(view.base)`` is stable).
        root = array
        while isinstance(root.base, np.ndarray):
            root = root.base
        if root is array:
            self._base = None
            if _OWNERS.get(id(array)) is None:
                _OWNERS[id(array)] = self
        else:
            owner = _OWNERS.get(id(root))
            if owner is None or owner._a is not root:
                owner = FakeArray(root, self._device_id)
            self._base = owner

    # ------------------------------------------------------------ host conversion
    def __array__(self, dtype=None, copy=None):
        raise TypeError(IMPLICIT_CONVERSION_MESSAGE)

    def __array_function__(self, func, types, args, kwargs):
        return NotImplemented  # numpy.* on device arrays raises TypeError

    def get(self, stream=None, order="C", out=None, blocking=True) -> np.ndarray:
        """Copy to the host (the explicit download)."""
        _synced("get")
        host = np.array(self._a, order=order, copy=True)
        if out is not None:
            out[...] = host
            return out
        return host

    def set(self, arr: np.ndarray, stream=None) -> None:
        """Copy ``arr`` from the host into this array (the explicit upload)."""
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"set() expects a numpy.ndarray, got {type(arr).__name__}")
        if arr.shape != self._a.shape:
            raise ValueError(f"Shape mismatch. Old shape: {self._a.shape}, new shape: {arr.shape}")
        self._a[...] = arr

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        # A CUDA consumer passes a stream number; a host consumer (NumPy) passes None.
        if stream is None:
            raise BufferError(
                "fake CUDA array: device memory cannot be exported to a host (CPU) consumer; "
                "copy it with .get() first"
            )
        if max_version is None:
            return self._a.__dlpack__()
        return self._a.__dlpack__(max_version=max_version)

    def __dlpack_device__(self):
        return (_DLCUDA, self._device_id)

    def __repr__(self) -> str:
        return f"fake_cupy.{np.array_repr(self._a)}"

    __str__ = __repr__

    def __copy__(self) -> FakeArray:
        return FakeArray(self._a.copy(), self._device_id)

    def __deepcopy__(self, memo) -> FakeArray:
        return FakeArray(self._a.copy(), self._device_id)

    def __reduce__(self):
        return (_rebuild, (self._a.copy(), self._device_id))

    # ------------------------------------------------------------ attributes
    shape = property(lambda self: self._a.shape)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    dtype = property(lambda self: self._a.dtype)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    flags = property(lambda self: _Flags(self._a))
    T = property(lambda self: FakeArray(self._a.T, self._device_id))
    real = property(lambda self: FakeArray(self._a.real, self._device_id))
    imag = property(lambda self: FakeArray(np.asarray(self._a.imag), self._device_id))

    @property
    def device(self) -> Device:
        return Device(self._device_id)

    @property
    def data(self) -> _MemoryPointer:
        return _MemoryPointer(self._a.__array_interface__["data"][0])

    @property
    def base(self) -> FakeArray | None:
        return self._base

    def __getattr__(self, name: str):
        # Only reached for names not defined above: delegate methods to NumPy's ndarray.
        if name.startswith("__") or name in _HIDDEN_ATTRIBUTES:
            raise AttributeError(f"'FakeArray' object has no attribute {name!r}")
        attr = getattr(self._a, name)
        if name in ("item", "tolist"):
            _synced(name)
        if not callable(attr):
            return _wrap_result(attr, (self,), (self._a,))
        method = _ArrayMethod(self, attr, name)
        return method

    # ------------------------------------------------------------ Python protocols
    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (FakeArray(self._a[i, ...], self._device_id) for i in range(len(self._a)))

    def __bool__(self) -> bool:
        _synced("bool")
        return bool(self._a)

    def __int__(self) -> int:
        _synced("int")
        return int(self._a)

    def __float__(self) -> float:
        _synced("float")
        return float(self._a)

    def __complex__(self) -> complex:
        _synced("complex")
        return complex(self._a)

    # No __index__: CuPy arrays have none (``range(a)``, ``lst[a]`` raise TypeError).

    # ------------------------------------------------------------ indexing
    def __getitem__(self, key):
        k = _index(key, "__getitem__")
        out = self._a[k]
        if isinstance(out, np.generic):  # a full integer index: CuPy gives a 0-d view
            out = self._a[(*k, Ellipsis) if isinstance(k, tuple) else (k, Ellipsis)]
        return FakeArray(out, self._device_id)

    def __setitem__(self, key, value) -> None:
        k = _index(key, "__setitem__")
        if isinstance(value, FakeArray):
            value = value._a
        elif isinstance(value, np.ndarray):
            raise _host_array_error("__setitem__ (assigning a host array into device memory)")
        elif not isinstance(value, (*_SCALAR_TYPES, list, tuple)):
            raise TypeError(f"Unsupported type {type(value)} in __setitem__")
        self._a[k] = value

    # operators are attached below the class


def _rebuild(array, device_id):
    return FakeArray(array, device_id)


def _index(key, where: str):
    """An index for the NumPy array: FakeArrays unwrapped, host arrays refused."""
    if isinstance(key, tuple):
        return tuple(_index_item(k, where) for k in key)
    return _index_item(key, where)


def _index_item(k, where: str):
    if isinstance(k, FakeArray):
        return k._a
    if isinstance(k, np.ndarray):
        raise _host_array_error(f"{where} (a host index array)")
    if isinstance(k, list):
        return [_index_item(v, where) for v in k]
    return k


class _ArrayMethod:
    """A bound ndarray method whose arguments and results are device arrays."""

    __slots__ = ("owner", "fn", "name")

    def __init__(self, owner: FakeArray, fn, name: str) -> None:
        self.owner, self.fn, self.name = owner, fn, name

    def __call__(self, *args, **kwargs):
        originals, unwrapped = [self.owner], [self.owner._a]
        raw_args, raw_kwargs = args, kwargs
        args = _unwrap(args, f"ndarray.{self.name}", originals, unwrapped)
        kwargs = _unwrap(kwargs, f"ndarray.{self.name}", originals, unwrapped)
        result = _wrap_result(self.fn(*args, **kwargs), originals, unwrapped,
                              self.owner._device_id)
        _record(f"ndarray.{self.name}", (self.owner, *raw_args), raw_kwargs)
        return result


def _operand(other, where: str):
    """The NumPy-side value of an operator's other operand, or None if it is not allowed."""
    if isinstance(other, FakeArray):
        return other._a
    if isinstance(other, _SCALAR_TYPES):
        return other
    if isinstance(other, np.ndarray):
        raise _host_array_error(f"operator {where}")
    return None


def _binary(op, name: str):
    def method(self, other):
        value = _operand(other, name)
        if value is None:
            return NotImplemented
        return _wrap_result(op(self._a, value), (), (), self._device_id)

    method.__name__ = name
    return method


def _reflected(op, name: str):
    def method(self, other):
        value = _operand(other, name)
        if value is None:
            return NotImplemented
        return _wrap_result(op(value, self._a), (), (), self._device_id)

    method.__name__ = name
    return method


def _inplace(op, name: str):
    def method(self, other):
        value = _operand(other, name)
        if value is None:
            return NotImplemented
        result = op(self._a, value)
        if result is not self._a:  # pragma: no cover - NumPy's in-place ops keep the array
            self._a[...] = result
        return self

    method.__name__ = name
    return method


for _name, _op, _iop in [
    ("add", operator.add, operator.iadd), ("sub", operator.sub, operator.isub),
    ("mul", operator.mul, operator.imul), ("truediv", operator.truediv, operator.itruediv),
    ("floordiv", operator.floordiv, operator.ifloordiv), ("mod", operator.mod, operator.imod),
    ("pow", operator.pow, operator.ipow), ("matmul", operator.matmul, operator.imatmul),
    ("and", operator.and_, operator.iand), ("or", operator.or_, operator.ior),
    ("xor", operator.xor, operator.ixor), ("lshift", operator.lshift, operator.ilshift),
    ("rshift", operator.rshift, operator.irshift),
]:
    setattr(FakeArray, f"__{_name}__", _binary(_op, f"__{_name}__"))
    setattr(FakeArray, f"__r{_name}__", _reflected(_op, f"__r{_name}__"))
    setattr(FakeArray, f"__i{_name}__", _inplace(_iop, f"__i{_name}__"))
for _name, _op in [("eq", operator.eq), ("ne", operator.ne), ("lt", operator.lt),
                   ("le", operator.le), ("gt", operator.gt), ("ge", operator.ge),
                   ("divmod", divmod)]:
    setattr(FakeArray, f"__{_name}__", _binary(_op, f"__{_name}__"))
FakeArray.__rdivmod__ = _reflected(divmod, "__rdivmod__")
for _name, _op in [("neg", operator.neg), ("pos", operator.pos), ("abs", operator.abs),
                   ("invert", operator.invert)]:
    setattr(FakeArray, f"__{_name}__",
            (lambda op: lambda self: FakeArray(np.asarray(op(self._a)), self._device_id))(_op))


# ---------------------------------------------------------------------------- wrapping
def _unwrap(obj, where: str, originals: list, unwrapped: list, allow_host: bool = False):
    """FakeArrays -> their NumPy arrays (recursively); host arrays refused."""
    if isinstance(obj, FakeArray):
        originals.append(obj)
        unwrapped.append(obj._a)
        return obj._a
    if isinstance(obj, np.ndarray):
        if allow_host:
            return np.array(obj, copy=True)  # an upload copies into device memory
        raise _host_array_error(where)
    if type(obj) is list:
        return [_unwrap(v, where, originals, unwrapped, allow_host) for v in obj]
    if type(obj) is tuple:
        return tuple(_unwrap(v, where, originals, unwrapped, allow_host) for v in obj)
    if type(obj) is dict:
        return {k: _unwrap(v, where, originals, unwrapped, allow_host) for k, v in obj.items()}
    return obj


def _wrap_result(result, originals, unwrapped, device_id: int | None = None):
    """NumPy results -> FakeArrays (scalars become 0-d arrays, as CuPy returns)."""
    if isinstance(result, np.ndarray):
        for orig, raw in zip(originals, unwrapped):
            if raw is result:
                return orig  # e.g. out=..., asarray(x): CuPy hands back the same array
        return FakeArray(result, device_id)
    if isinstance(result, np.generic):
        return FakeArray(np.asarray(result), device_id)
    if isinstance(result, (tuple, list)):
        items = [_wrap_result(r, originals, unwrapped, device_id) for r in result]
        if hasattr(result, "_fields"):  # a named tuple (e.g. linalg results)
            return type(result)(*items)
        return type(result)(items)
    return result
