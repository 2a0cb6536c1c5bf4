"""The machinery shared by the fused optimiser steps: argument checks, version bumps, the
choice of array module, building and caching elementwise kernels, and the cache-blocked
walk of the NumPy path.
"""

from __future__ import annotations

import sys
import threading

from ..._backend import backend_of
from ...tensor import Tensor

# Elements per block on the NumPy path: a block of each operand (and the scratch arrays)
# stays in the L2 cache, so the many elementwise passes of an update reuse cached data.
_BLOCK = 32768

_kernel_cache: dict = {}


# ------------------------------------------------------------------------ infrastructure
def _check(param: Tensor, *others) -> None:
    for t in others:
        if t is None:
            continue
        if type(t._data) is not type(param._data):
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at least two "
                f"devices, {param.device} and {t.device}! (in an optimizer step)"
            )
        if t._data.shape != param._data.shape:
            raise RuntimeError(
                f"optimizer state/gradient of shape {tuple(t.shape)} does not match the "
                f"parameter's shape {tuple(param.shape)}"
            )


def _bump(*tensors) -> None:
    for t in tensors:
        if t is not None:
            t._version_counter[0] += 1


_compiles: dict = {}  # array type -> its module if that module compiles kernels, else None


def _kernel_module(array):
    """The array module if it compiles elementwise kernels for this dtype, else None."""
    kind = type(array)
    if kind not in _compiles:
        xp = backend_of(array).xp
        _compiles[kind] = xp if hasattr(xp, "ElementwiseKernel") else None
    xp = _compiles[kind]
    if xp is not None and array.dtype.kind == "f" and array.dtype.itemsize >= 4:
        return xp
    return None


_PACKAGE = __name__.rpartition(".")[0]


def _package_kernel_module(array):
    """`_kernel_module` as the package exposes it, looked up at each call: replacing
    ``fused_optim._kernel_module`` (the kernel tests do, to run the bodies on NumPy)
    reaches every step function."""
    return sys.modules[_PACKAGE]._kernel_module(array)


# CUDA's fmax/fmin drop a NaN operand (fmax(NaN, 1) = 1); PyTorch's maximum, and NumPy's,
# propagate it. Kernels that take a running maximum use this one, so a NaN gradient shows
# in the optimiser state on the GPU as it does on the CPU.
MAX_NAN_PREAMBLE = (
    "template <typename T> __device__ T max_nan(T a, T b) {\n"
    "    return (a != a || b != b) ? a + b : fmax(a, b);  // NaN in, NaN out\n"
    "}\n"
)


def _launch(xp, name: str, inputs: dict, scalars: dict, outputs: dict, body: list) -> None:
    """Run the kernel ``body`` (built once per module and source) over the arrays.

    ``inputs`` are read-only arrays, ``outputs`` arrays read and written in place;
    ``scalars`` are cast to the arrays' dtype so the kernel computes in that type.
    """
    in_params = ", ".join([f"T {k}" for k in inputs] + [f"T {k}" for k in scalars])
    out_params = ", ".join(f"T {k}" for k in outputs)
    source = "\n".join(body)
    key = (xp, name, in_params, out_params, source)
    kernel = _kernel_cache.get(key)
    if kernel is None:
        extra = {"preamble": MAX_NAN_PREAMBLE} if "max_nan(" in source else {}
        kernel = _kernel_cache[key] = xp.ElementwiseKernel(in_params, out_params, source, name, **extra)
    first = next(iter(outputs.values()))
    cast = first.dtype.type
    kernel(*inputs.values(), *[cast(v) for v in scalars.values()], *outputs.values())


_scratch = threading.local()  # per thread: dtype -> list of _BLOCK-element work arrays


def _work_arrays(xp, dtype, n: int) -> list:
    """``n`` distinct cached work arrays of ``_BLOCK`` elements (NumPy only): the steps
    allocate nothing, so no fresh pages are touched at every step."""
    cache = getattr(_scratch, "arrays", None)
    if cache is None:
        cache = _scratch.arrays = {}
    work = cache.get(dtype)
    if work is None or len(work) < n:
        work = cache[dtype] = [xp.empty(_BLOCK, dtype) for _ in range(n)]
    return work


# The largest cached work array (elements): beyond it the steps walk blocks instead.
_SCRATCH_MAX = 1 << 22


def _scratch_like(xp, array):
    """A cached work array of ``array``'s shape and dtype (NumPy only; its values are
    garbage): one buffer per thread and dtype, grown to the largest size asked for, up to
    ``_SCRATCH_MAX`` elements (None above)."""
    if array.size > _SCRATCH_MAX:
        return None
    cache = getattr(_scratch, "flat", None)
    if cache is None:
        cache = _scratch.flat = {}
    size = array.size
    buf = cache.get(array.dtype)
    if buf is None or buf.size < size:
        buf = cache[array.dtype] = xp.empty(max(size, _BLOCK), array.dtype)
    return buf[:size].reshape(array.shape)


def _blocked(fn, arrays: list, n_scratch: int) -> None:
    """Call ``fn(scratch, *arrays)`` over cache-sized blocks of contiguous arrays.

    ``arrays`` may hold None (absent state); ``scratch`` is a list of ``n_scratch`` work
    arrays the shape of the block.
    """
    first = arrays[0]
    backend = backend_of(first)
    xp = backend.xp
    if not backend.host_memory or not all(a is None or a.flags.c_contiguous for a in arrays):
        scratch = [xp.empty(first.shape, first.dtype) for _ in range(n_scratch)]
        fn(scratch, *arrays)
        return
    size = first.size
    work = _work_arrays(xp, first.dtype, n_scratch)
    if size <= _BLOCK:
        fn([w[:size].reshape(first.shape) for w in work[:n_scratch]], *arrays)
        return
    flat = [None if a is None else a.reshape(-1) for a in arrays]
    work = work[:n_scratch]
    for start in range(0, size, _BLOCK):
        stop = min(start + _BLOCK, size)
        scratch = work if stop - start == _BLOCK else [w[: stop - start] for w in work]
        fn(scratch, *[None if a is None else a[start:stop] for a in flat])


def _effective_grad(xp, out, param, grad, weight_decay: float, maximize: bool):
    """``g' = (-g if maximize else g) + weight_decay * param``, in ``out`` when it differs."""
    if weight_decay != 0:
        xp.multiply(param, weight_decay, out=out)
        if maximize:
            xp.subtract(out, grad, out=out)
        else:
            xp.add(out, grad, out=out)
        return out
    if maximize:
        xp.negative(grad, out=out)
        return out
    return grad


def _grad_lines(maximize: bool, weight_decay: float, decoupled: bool = False) -> list:
    lines = ["T g = -grad;" if maximize else "T g = grad;"]
    if weight_decay != 0:
        lines.append("param *= decay;" if decoupled else "g += weight_decay * param;")
    return lines
