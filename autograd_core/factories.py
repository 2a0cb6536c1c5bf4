"""Making tensors: from data (`tensor`, `as_tensor`, `from_numpy`, `from_dlpack`), filled
(`zeros`, `ones`, `full`, `empty`, `eye`), ranges (`arange`, `linspace`) and random
(`rand`, `randn`, `randint`, `randperm`, `normal`), plus the ``*_like`` and ``new_*`` forms.

Every one takes ``dtype=``, ``device=`` and ``requires_grad=`` as in PyTorch. Python floats
give the default dtype (float32), Python ints int64, bools bool.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from . import _factory_checks as _check
from . import dtypes as _dt
from ._backend import NUMPY, backend_for, backend_of, is_array, refuse_if_any
from ._out import write_into
from .device import device as _device
from .layout import check_layout as _check_layout
from .tensor import Tensor, _wrap

# NumPy integer types with no dtype here: their arrays become int64
_SMALL_INTS = {np.dtype(t) for t in (np.uint16, np.uint32, np.uint64)}
_NARROW_INTS = {np.dtype(t) for t in (np.int8, np.int16, np.uint8)}


def _target(device):
    """(backend, index) for a ``device=`` argument (None means the CPU)."""
    if device is None:
        return NUMPY, None
    dev = _device(device)
    if dev.type == "cpu":
        return NUMPY, None
    return backend_for(dev), dev.index


def _finish(array, requires_grad: bool) -> Tensor:
    t = _wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_numpy(data, dtype) -> np.ndarray:
    """A NumPy array for nested lists / scalars, with PyTorch's dtype inference."""
    if dtype is not None:
        target = _dt.as_dtype(dtype).numpy
        if np.dtype(target).kind in "iu":
            _check.check_python_ints(data)
        if target in _NARROW_INTS and not isinstance(data, (np.ndarray, np.generic)):
            return _narrow_ints(data, target)
        try:
            return np.asarray(data, dtype=target)
        except OverflowError as exc:
            _check.check_python_ints(data)
            raise RuntimeError(f"value cannot be converted to type {np.dtype(target).name} "
                               f"without overflow ({exc}); use a wider dtype") from None
        except (RuntimeError, TypeError, ValueError) as exc:
            if _holds_tensor(data):
                return _from_object_list(data).astype(target, copy=False)
            if isinstance(exc, RuntimeError):
                raise
            raise TypeError(f"could not make a {dtype} tensor from {type(data).__name__}: {exc}") from None
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        array = np.asarray(data)
        return _supported(array)
    try:
        array = np.asarray(data)
    except ValueError as exc:
        _check.check_python_ints(data)
        raise ValueError(f"could not make a tensor from ragged or invalid data: {exc}") from None
    except (RuntimeError, TypeError):
        # e.g. [t1, t2] with tensors that require grad or live on a GPU: take their values
        if _holds_tensor(data):
            return _from_object_list(data)
        raise
    kind = array.dtype.kind
    if kind in "uO" or (kind == "f" and array.size and not (
            -2.0 ** 63 <= array.min() and array.max() < 2.0 ** 63)):
        _check.check_python_ints(data)  # ints beyond int64 (NumPy: uint64, objects, floats)
    if kind == "f":
        return array.astype(_dt.get_default_dtype().numpy, copy=False)
    if kind in "iu":
        return array.astype(np.int64, copy=False)
    if kind == "b":
        return array
    if kind == "c":  # Python complex numbers: the default complex dtype, as PyTorch
        return array.astype(_dt.default_complex().numpy, copy=False)
    if kind == "O":
        return _from_object_list(data)
    raise TypeError(f"can't make a tensor from data of type {array.dtype} ({type(data).__name__})")


def _narrow_ints(data, target: np.dtype) -> np.ndarray:
    """Python numbers as uint8/int8/int16, as PyTorch converts them: a value above the
    dtype's maximum (or, for a signed dtype or a float, below its minimum) is refused; a
    negative integer wraps into uint8 (-1 -> 255), as a C cast does."""
    array = _infer_numpy(data, None)
    if array.size and array.dtype.kind != "b":
        info = np.iinfo(target)
        low = array.min() if array.dtype.kind == "f" or info.min < 0 else 0
        if array.max() > info.max or low < info.min:
            bad = array.max() if array.max() > info.max else array.min()
            raise RuntimeError(f"value cannot be converted to type {target.name} without "
                               f"overflow: {bad.item()} is outside [{info.min}, {info.max}]; "
                               f"use a wider dtype (e.g. int64)")
    return array.astype(target)


def _holds_tensor(data) -> bool:
    if isinstance(data, Tensor):
        return True
    return isinstance(data, (list, tuple)) and any(_holds_tensor(x) for x in data)


def _from_object_list(data):
    """Nested lists holding tensors (e.g. ``[t1, t2]``): stack their values."""
    def convert(x):
        if isinstance(x, Tensor):
            return x._host()
        if isinstance(x, (list, tuple)):
            return [convert(v) for v in x]
        return x

    array = np.asarray(convert(data))
    if array.dtype.kind == "O":
        raise TypeError("can't make a tensor from a list of mixed or unsupported objects")
    return _supported(array)


def _supported(array: np.ndarray) -> np.ndarray:
    if array.dtype in _SMALL_INTS:
        return array.astype(np.int64)
    if array.dtype.kind == "f" and array.dtype not in (np.float16, np.float32, np.float64):
        return array.astype(np.float64)
    _dt.from_numpy_dtype(array.dtype)  # raises a clear TypeError for the rest
    return array


def _array_from_data(data, dtype, device, copy: bool = True):
    """The array a new tensor made from ``data`` holds, on ``device``."""
    if isinstance(data, Tensor):
        t = data.detach()
        if dtype is not None:
            t = t.to(dtype)
        if device is not None:
            t = t.to(device)
        array = t._data
        return array.copy() if copy and array is data._data else array
    if is_array(data) and not isinstance(data, np.ndarray):
        backend = backend_of(data)
        array = data
        if dtype is not None:
            array = array.astype(_dt.as_dtype(dtype).numpy, copy=False)
        if device is not None:
            dev = _device(device)
            if dev.type != backend.device_type:
                host = backend.to_numpy(array)
                target, index = _target(dev)
                return target.from_numpy(host, index)
            array = backend.to_device(array, dev.index)
        if array.dtype in _SMALL_INTS or array.dtype.kind not in "fiubc":
            raise TypeError(f"unsupported array dtype {array.dtype}")
        return array.copy() if copy and array is data else array
    array = _infer_numpy(data, dtype)
    if copy and (array is data or (isinstance(data, np.ndarray) and np.shares_memory(array, data))):
        array = array.copy()
    backend, index = _target(device)
    if backend is not NUMPY:
        if not array.flags.c_contiguous:
            array = np.ascontiguousarray(array)  # (this one would make a 0-d array 1-d)
        return backend.from_numpy(array, index)
    return array


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (lists, numbers, arrays, tensors)."""
    return _finish(_array_from_data(data, dtype, device, copy=True), requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like `tensor`, but shares memory with ``data`` when no conversion is needed."""
    if isinstance(data, Tensor):
        out = data
        if dtype is not None or device is not None:
            out = data.to(device=device, dtype=dtype)
        return out
    return _wrap(_array_from_data(data, dtype, device, copy=False))


def from_numpy(array: np.ndarray) -> Tensor:
    """A CPU tensor sharing memory with the NumPy array (changes show in both)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _dt.from_numpy_dtype(array.dtype)
    return _wrap(array)


def from_dlpack(ext) -> Tensor:
    """Zero-copy import of a DLPack-capable array or tensor (NumPy, CuPy, PyTorch...)."""
    dev_type, dev_id = ext.__dlpack_device__()
    if int(dev_type) == 1:  # kDLCPU
        array = np.from_dlpack(ext)
    elif int(dev_type) == 2:  # kDLCUDA
        backend = backend_for(_device("cuda", int(dev_id)))
        array = backend.xp.from_dlpack(ext)
    else:
        raise RuntimeError(f"from_dlpack: unsupported DLPack device type {dev_type}")
    _dt.from_numpy_dtype(array.dtype)
    return _wrap(array)


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s.item())
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"size must be a sequence of ints, got {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        _check.check_dim_fits(s, size)
        out.append(int(s))
    return tuple(out)


def _float_dtype(dtype):
    return (_dt.get_default_dtype() if dtype is None else _dt.as_dtype(dtype)).numpy


def _filled(kind: str, size, dtype, device, requires_grad, fill=None) -> Tensor:
    backend, index = _target(device)
    shape = _size(size)
    np_dtype = _float_dtype(dtype)
    xp = backend.xp
    if fill is not None:
        _check.check_fill_fits(fill, np_dtype)
        if np.dtype(np_dtype).kind == "u" and isinstance(fill, (int, np.integer)) and fill < 0:
            fill = int(np.array(fill, dtype=np.int64).astype(np_dtype))  # -1 -> 255, as torch
    with _check.allocating(shape, np_dtype), _on(backend, index):
        array = getattr(xp, kind)(shape, dtype=np_dtype) if fill is None else xp.full(shape, fill, dtype=np_dtype)
    return _finish(array, requires_grad)


class _on:
    """Context: make ``index`` the current device of ``backend`` (CuPy) while allocating."""

    def __init__(self, backend, index) -> None:
        self.ctx = backend._use(index) if hasattr(backend, "_use") else None

    def __enter__(self):
        if self.ctx is not None:
            self.ctx.__enter__()

    def __exit__(self, *exc):
        if self.ctx is not None:
            self.ctx.__exit__(*exc)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False,
          layout=None, pin_memory: bool = False, out=None) -> Tensor:
    _check_layout(layout, "zeros")
    if out is not None:
        return _into_out("zeros", out, size, dtype, device, requires_grad)
    return _filled("zeros", size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False,
         layout=None, pin_memory: bool = False, out=None) -> Tensor:
    _check_layout(layout, "ones")
    if out is not None:
        return _into_out("ones", out, size, dtype, device, requires_grad)
    return _filled("ones", size, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False,
          layout=None, pin_memory: bool = False, out=None) -> Tensor:
    _check_layout(layout, "empty")
    if out is not None:
        return _into_out("empty", out, size, dtype, device, requires_grad)
    return _filled("empty", size, dtype, device, requires_grad)


def _into_out(kind: str, out, size, dtype, device, requires_grad: bool) -> Tensor:
    """``zeros/ones/empty(..., out=t)``: the result written into ``t`` (`_out.write_into`)
    and ``t`` returned, as in PyTorch (``requires_grad`` is ignored there too)."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{kind}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if dtype is not None and _dt.as_dtype(dtype) is not out.dtype:
        raise RuntimeError(f"{kind}(): dtype {_dt.as_dtype(dtype)} does not match the dtype of "
                           f"out ({out.dtype}); leave dtype out or pass an out of that dtype")
    if out.requires_grad:
        raise RuntimeError(f"{kind}(): functions with out=... arguments don't support automatic "
                           "differentiation, but out requires grad; pass out.detach()")
    result = _filled(kind, size, out.dtype, out.device if device is None else device, False)
    return write_into(out, result, kind, warn_on_resize=False)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False,
         layout=None, pin_memory: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (its type picks the default dtype)."""
    _check_layout(layout, "full")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        if isinstance(fill_value, (builtins.bool, np.bool_)):
            dtype = _dt.bool_
        elif isinstance(fill_value, (builtins.int, np.integer)):
            dtype = _dt.int64
        elif isinstance(fill_value, (builtins.complex, np.complexfloating)):
            dtype = _dt.default_complex()
    size = size if isinstance(size, (tuple, list)) else (size,)
    return _filled("full", (tuple(size),), dtype, device, requires_grad, fill=fill_value)


def eye(n: int, m: int | None = None, *, dtype=None, device=None, requires_grad: bool = False,
        layout=None, pin_memory: bool = False) -> Tensor:
    _check_layout(layout, "eye")
    m = n if m is None else m
    _check.check_eye(n, m)
    backend, index = _target(device)
    with _check.allocating((n, m), _float_dtype(dtype)), _on(backend, index):
        array = backend.xp.eye(n, m, dtype=_float_dtype(dtype))
    return _finish(array, requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False,
           layout=None, pin_memory: bool = False) -> Tensor:
    """``[start, end)`` in steps of ``step``; int64 when all three are integers."""
    _check_layout(layout, "arange")
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if values[2] == 0:
        raise RuntimeError("step must be nonzero")
    _check.check_range(*values)
    if dtype is None:
        all_int = all(isinstance(v, (builtins.int, np.integer)) for v in values)
        dtype = _dt.int64 if all_int else _dt.get_default_dtype()
    np_dtype = _dt.as_dtype(dtype).numpy
    count = max(0, math.ceil((values[1] - values[0]) / values[2]))
    backend, index = _target(device)
    with _check.allocating((count,), np_dtype), _on(backend, index):
        array = (backend.xp.arange(count, dtype=np.float64) * values[2] + values[0]).astype(np_dtype)
    return _finish(array, requires_grad)


def _space_arguments(name: str, start, end, steps) -> None:
    """PyTorch's refusals: a non-integer ``steps``, a start or end tensor of more than 0-d."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'steps' must be int, not {type(steps).__name__}")
    for arg, value in (("start", start), ("end", end)):
        if isinstance(value, Tensor) and value.ndim != 0:
            raise RuntimeError(f"{name}() only supports 0-dimensional start and end tensors, "
                               f"but got {arg} of shape {list(value.shape)}; pass one element, "
                               f"e.g. {arg}[0]")


def linspace(start, end, steps: int, *, dtype=None, device=None, requires_grad: bool = False,
             layout=None, pin_memory: bool = False) -> Tensor:
    _check_layout(layout, "linspace")
    _space_arguments("linspace", start, end, steps)
    _check.check_steps(steps)
    backend, index = _target(device)
    with _check.allocating((int(steps),), np.float64), _on(backend, index):
        array = backend.xp.linspace(float(start), float(end), int(steps), dtype=np.float64)
    return _finish(array.astype(_float_dtype(dtype)), requires_grad)


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None, device=None,
             requires_grad: bool = False, layout=None, pin_memory: bool = False) -> Tensor:
    _check_layout(layout, "logspace")
    _space_arguments("logspace", start, end, steps)
    _check.check_steps(steps)
    backend, index = _target(device)
    with _check.allocating((int(steps),), np.float64), _on(backend, index):
        array = backend.xp.logspace(float(start), float(end), int(steps), base=base)
    return _finish(array.astype(_float_dtype(dtype)), requires_grad)


# ------------------------------------------------------------------------------ random
def _random(kind: str, shape, dtype, device, generator, **kw):
    with _check.allocating(shape, dtype):
        return _draw(kind, shape, dtype, device, generator, **kw)


def _draw(kind: str, shape, dtype, device, generator, **kw):
    backend, index = _target(device)
    if generator is not None:
        rng = generator._rng
        if kind == "uniform":
            host = rng.random(shape, dtype=np.float64).astype(dtype)
        elif kind == "normal":
            host = rng.standard_normal(shape, dtype=np.float64).astype(dtype)
        elif kind == "integers":
            host = rng.integers(kw["low"], kw["high"], size=shape, dtype=dtype)
        else:
            host = rng.permutation(kw["n"]).astype(dtype)
        return host if backend is NUMPY else backend.from_numpy(host, index)
    if kind == "uniform":
        return backend.uniform(shape, dtype, index)
    if kind == "normal":
        return backend.normal(shape, dtype, index)
    if kind == "integers":
        return backend.integers(kw["low"], kw["high"], shape, dtype, index)
    return backend.permutation(kw["n"], index).astype(dtype)


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False,
         layout=None, pin_memory: bool = False) -> Tensor:
    """Uniform samples on [0, 1)."""
    _check_layout(layout, "rand")
    _check.check_floating(_float_dtype(dtype), "rand", "check_uniform_bounds")
    return _finish(_random("uniform", _size(size), _float_dtype(dtype), device, generator), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False,
          layout=None, pin_memory: bool = False) -> Tensor:
    """Standard normal samples."""
    _check_layout(layout, "randn")
    _check.check_floating(_float_dtype(dtype), "randn", "normal_kernel_cpu")
    return _finish(_random("normal", _size(size), _float_dtype(dtype), device, generator), requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad: bool = False, layout=None, pin_memory: bool = False) -> Tensor:
    """Integers uniform on ``[low, high)``; ``randint(high, size)`` means ``low=0``."""
    _check_layout(layout, "randint")
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing required argument 'size' (a tuple)")
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    for bound in (low, high):
        if isinstance(bound, int) and not _check.INT64_MIN <= bound <= _check.INT64_MAX:
            raise _check.overflow_error(bound)
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    np_dtype = _dt.int64.numpy if dtype is None else _dt.as_dtype(dtype).numpy
    array = _random("integers", _size((size,)), np.int64, device, generator, low=int(low), high=int(high))
    return _finish(array.astype(np_dtype, copy=False), requires_grad)


def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad: bool = False,
             layout=None, pin_memory: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64)."""
    _check_layout(layout, "randperm")
    np_dtype = _dt.int64.numpy if dtype is None else _dt.as_dtype(dtype).numpy
    n = _size((n,))[0]
    return _finish(_random("permutation", (n,), np_dtype, device, generator, n=int(n)), requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad: bool = False, layout=None, pin_memory: bool = False) -> Tensor:
    """Samples of N(mean, std^2); ``mean``/``std`` may be tensors (broadcast together)."""
    _check_layout(layout, "normal")
    ref = mean if isinstance(mean, Tensor) else (std if isinstance(std, Tensor) else None)
    if ref is None and size is None:
        raise TypeError("normal() with float mean and std needs a size, e.g. "
                        "normal(0.0, 1.0, size=(3,))")
    if isinstance(std, Tensor):
        refuse_if_any(~(std._data >= 0), _check.std_error)  # (NaN is refused too)
    elif std is not None:
        _check.check_std(float(std))
    if ref is not None:
        shape = np.broadcast_shapes(tuple(getattr(mean, "shape", ())), tuple(getattr(std, "shape", ())))
        z = randn(*shape, generator=generator, dtype=ref.dtype, device=ref.device)
        out = (z * std + mean).detach()
        return out.requires_grad_(requires_grad) if requires_grad else out
    if size is None:
        raise TypeError("normal() with float mean and std needs a size")
    shape = _size((size,)) if not isinstance(size, (int, np.integer)) else (int(size),)
    array = _random("normal", shape, _float_dtype(dtype), device, generator)
    backend = backend_of(array)
    array = array * backend.xp.asarray(std, dtype=array.dtype) + backend.xp.asarray(mean, dtype=array.dtype)
    return _finish(array, requires_grad)


# --------------------------------------------------------------------------- *_like / new_*
def _like(fn, input: Tensor, dtype, device, requires_grad, *args, **kwargs):
    return fn(*args, dtype=input.dtype if dtype is None else dtype,
              device=input.device if device is None else device,
              requires_grad=requires_grad, **kwargs)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False,
               layout=None, pin_memory: bool = False, memory_format=None):
    _check_layout(layout, "zeros_like")
    return _like(zeros, input, dtype, device, requires_grad, tuple(input.shape))


def ones_like(input, *, dtype=None, device=None, requires_grad=False,
              layout=None, pin_memory: bool = False, memory_format=None):
    _check_layout(layout, "ones_like")
    return _like(ones, input, dtype, device, requires_grad, tuple(input.shape))


def empty_like(input, *, dtype=None, device=None, requires_grad=False,
               layout=None, pin_memory: bool = False, memory_format=None):
    _check_layout(layout, "empty_like")
    return _like(empty, input, dtype, device, requires_grad, tuple(input.shape))


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False,
              layout=None, pin_memory: bool = False, memory_format=None):
    _check_layout(layout, "full_like")
    return _like(full, input, dtype, device, requires_grad, tuple(input.shape), fill_value)


def rand_like(input, *, dtype=None, device=None, requires_grad=False,
              layout=None, pin_memory: bool = False, memory_format=None):
    _check_layout(layout, "rand_like")
    return _like(rand, input, dtype, device, requires_grad, tuple(input.shape))


def randn_like(input, *, dtype=None, device=None, requires_grad=False,
               layout=None, pin_memory: bool = False, memory_format=None):
    _check_layout(layout, "randn_like")
    return _like(randn, input, dtype, device, requires_grad, tuple(input.shape))


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False,
                 layout=None, pin_memory: bool = False,
                 memory_format=None):
    _check_layout(layout, "randint_like")
    if high is None:
        low, high = 0, low
    return _like(randint, input, dtype, device, requires_grad, low, high, tuple(input.shape))


def _new(fn):
    def method(self: Tensor, *args, dtype=None, device=None, requires_grad=False, **kwargs):
        return fn(*args, dtype=self.dtype if dtype is None else dtype,
                  device=self.device if device is None else device,
                  requires_grad=requires_grad, **kwargs)

    method.__name__ = f"new_{fn.__name__}"
    return method


def _new_tensor(self: Tensor, data, *, dtype=None, device=None, requires_grad=False):
    return tensor(data, dtype=self.dtype if dtype is None else dtype,
                  device=self.device if device is None else device, requires_grad=requires_grad)


Tensor.new_zeros = _new(zeros)
Tensor.new_ones = _new(ones)
Tensor.new_empty = _new(empty)
Tensor.new_full = _new(full)
Tensor.new_tensor = _new_tensor
