"""Re-issue the calls a fake-CUDA run made against the real CuPy, on device-less arrays.

CuPy imports without a GPU, and a ``cupy.ndarray`` can be built over memory it never
touches (an ``UnownedMemory`` pointer, device 0). What CuPy checks before it asks the driver
for anything (which functions and array methods exist, their keyword arguments, the dtypes
``ufunc.at`` takes, ``NotImplementedError`` for what it lacks, shape arithmetic of views)
then runs for real; the first CUDA call raises a CUDA error, which here means "accepted as
far as CPU-side checks go". For a plain ufunc call CuPy asks for the device first, so its
argument checks cannot run: the replay checks the call's dtypes against the ufunc's loop
table (``ufunc.types``) instead.

`replay` returns None when CuPy accepted a call and the refusal otherwise.
"""

from __future__ import annotations

import numpy as np


def device_less_array(cupy, shape: tuple, dtype: str, keep: list):
    """A ``cupy.ndarray`` of ``shape`` and ``dtype`` on device 0 whose memory is a host buffer
    CuPy never reads (``keep`` holds the buffer alive)."""
    from cupy.cuda import memory

    buffer = np.zeros(max(int(np.prod(shape)), 1), dtype=dtype)
    keep.append(buffer)
    owned = memory.UnownedMemory(buffer.ctypes.data, buffer.nbytes, buffer, device_id=0)
    return cupy.ndarray(shape, dtype, memptr=memory.MemoryPointer(owned, 0))


def _rebuild(spec, cupy, keep: list):
    if isinstance(spec, tuple) and spec and isinstance(spec[0], str):
        tag, *rest = spec
        if tag == "A":
            return device_less_array(cupy, rest[0], rest[1], keep)
        if tag == "H":
            return np.zeros(rest[0], dtype=rest[1])
        if tag == "S":
            return slice(*rest)
        if tag == "T":
            return tuple(_rebuild(v, cupy, keep) for v in rest)
        if tag == "L":
            return [_rebuild(v, cupy, keep) for v in rest]
        if tag == "D":
            return {k: _rebuild(v, cupy, keep) for k, v in rest}
    return spec


def _reached_device(exc: BaseException) -> bool:
    """A CUDA runtime/driver error, or a CUDA library (cuBLAS, cuSOLVER) not installed on
    this GPU-less machine: CuPy's own checks had passed."""
    module = type(exc).__module__ or ""
    message = str(exc)
    return (module.startswith(("cupy_backends.cuda", "cupy.cuda", "cuda.pathfinder"))
            or "cudaError" in message or 'Failure finding "lib' in message)


def _ufunc_loop_exists(ufunc, args: list) -> str | None:
    arrays = [(i, a.dtype) for i, a in enumerate(args[:ufunc.nin]) if hasattr(a, "dtype")]
    if not arrays:
        return None
    for loop in ufunc.types:
        inputs = loop.split("->")[0]
        if all(np.can_cast(dtype, np.dtype(inputs[i]), "same_kind") for i, dtype in arrays):
            return None
    names = ", ".join(str(d) for _, d in arrays)
    return f"cupy.{ufunc.__name__} has no loop for ({names}) (its loops: {ufunc.types})"


def replay(cupy, qualname: str, args_spec, kwargs_spec) -> str | None:
    """Re-issue one recorded call; None if CuPy accepts it, else why it refuses."""
    keep: list = []
    args = list(_rebuild(args_spec, cupy, keep))
    kwargs = _rebuild(kwargs_spec, cupy, keep)
    if qualname.startswith("ndarray."):
        target, name = args.pop(0), qualname.split(".", 1)[1]
        if not hasattr(cupy.ndarray, name):
            return f"cupy.ndarray has no method {name!r}"
        fn = getattr(target, name)
    else:
        fn = cupy
        for part in qualname.split(".")[1:]:
            fn = getattr(fn, part, None)
            if fn is None:
                return f"cupy has no {qualname.split('.', 1)[1]!r}"
        if isinstance(fn, cupy.ufunc):
            return _ufunc_loop_exists(fn, args)
    try:
        fn(*args, **kwargs)
    except Exception as exc:  # classify: a CUDA error means CuPy's checks had passed
        if _reached_device(exc):
            return None
        return f"{type(exc).__name__}: {exc}"
    return None
