"""Array backends: NumPy on the CPU, CuPy on NVIDIA GPUs.

This is the only module that imports ``cupy``, and only when a CUDA tensor is first asked
for, so ``import autograd_core`` works (and compiles nothing) on a machine without CUDA.
A tensor's device is the kind of array it holds: `backend_of(array)` finds the backend
from the array's type, and each backend knows its array module ``xp`` (``numpy`` or
``cupy``), how to move arrays to and from the host, its random generators and how to wait
for its device.

Tests register extra backends (see ``tests/fake_cupy.py``) to run the device-agnostic
code on an array module that refuses to mix with NumPy, as CuPy does.
"""

from __future__ import annotations

import numpy as np

from .device import CPU, device

_CUPY_INSTALL_HINT = (
    "install the GPU extra: pip install 'autograd-core[gpu]' (CUDA 13) "
    "or pip install cupy-cuda12x (CUDA 12)"
)


_SCALARS = (np.generic, int, float, bool)


def check_index_bounds(index, size: int, what: str = "index"):
    """Refuse entries of the index array ``index`` outside ``[0, size)`` with PyTorch's
    IndexError, on every device (see `Backend.check_index_bounds`); returns the array to use."""
    def error(bad):
        value = "" if bad is None else f" {bad}"
        return IndexError(f"{what}{value} is out of bounds (expected values in [0, {size - 1}])")

    return backend_of(index).check_index_bounds(index, 0, size, error)


def refuse_if_any(bad, error) -> None:
    """Raise ``error()`` where the boolean array ``bad`` has a true entry, on every device
    (see `Backend.refuse_if_any`)."""
    if isinstance(bad, _SCALARS):  # NumPy's 0-d results are scalars
        if bad:
            raise error()
    elif bad.size:
        backend_of(bad).refuse_if_any(bad, error)


def as_array(value, xp):
    """``value`` as an array of the array module ``xp``: NumPy turns 0-d results into scalars
    (``np.float32(1.0)``), this turns them back; arrays (of any device) pass through. The one
    place that knows this quirk."""
    return xp.asarray(value) if isinstance(value, _SCALARS) else value


class Backend:
    """One array library serving the tensors of one device type."""

    name: str = "?"
    device_type: str = "?"
    xp = None  # the array module
    array_types: tuple = ()
    # arrays live in host memory: cache-sized blocks and reused work arrays pay off
    host_memory = False

    def device_of(self, array) -> device:
        raise NotImplementedError

    def from_numpy(self, array: np.ndarray, index: int | None):
        raise NotImplementedError

    def to_numpy(self, array) -> np.ndarray:
        raise NotImplementedError

    def to_device(self, array, index: int | None):
        """Move an array of this backend to another device of the same type."""
        return array

    def check_dtype(self, np_dtype) -> None:
        """Refuse a dtype this array library cannot hold (CuPy has no bfloat16)."""

    def device_count(self) -> int:
        return 1

    def synchronize(self, index: int | None = None) -> None:
        pass

    # index validation --------------------------------------------------------------
    def check_index_bounds(self, index, low: int, high: int, error):
        """Refuse an ``index`` array with entries outside ``[low, high)``: raises
        ``error(bad_value)`` (an exception instance). The CPU checks at once. Returns the
        index array to use (on a device, one that cannot reach outside the array)."""
        if index.size:
            lo, hi = int(index.min()), int(index.max())
            if lo < low or hi >= high:
                raise error(hi if hi >= high else lo)
        return index

    def refuse_if_any(self, bad, error) -> None:
        """Raise ``error()`` (an exception instance) when any entry of the boolean array
        ``bad`` is true: an argument's values are invalid (a zero integer divisor, a target
        outside [0, 1], a negative std). The CPU checks at once; a device checks at the next
        synchronisation, as for index bounds."""
        if bool(bad.any()):
            raise error()

    def raise_pending(self) -> None:
        """Raise an index error found on the device since the last synchronisation."""

    # fused kernels -----------------------------------------------------------------
    def activation_kernel(self, name: str):
        """A fused elementwise kernel for ``name`` (see `_cuda_kernels.ACTIVATION_KERNELS`)
        when this backend compiles them, else None (the caller uses its array operations)."""
        return None

    def fused_kernel(self, name: str, dtype):
        """The fused kernel ``name`` (any family of `_cuda_kernels`, found by
        `_cuda_kernels.fused_kernel_spec`) for arrays of ``dtype``, or None: the caller runs
        the composed array code."""
        return None

    # accumulation at repeated positions ---------------------------------------------
    def add_at(self, flat_out, positions, values) -> None:
        """``flat_out[positions] += values`` where repeated positions accumulate (for bool,
        a logical or). ``ufunc.at``, or ``bincount`` for an array module without it."""
        if positions.size == 0:
            return
        at = getattr(getattr(self.xp, "add", None), "at", None)
        if at is not None:
            at(flat_out, positions, values)
        else:
            sums = self.xp.bincount(positions, weights=values, minlength=flat_out.size)
            flat_out += sums.astype(flat_out.dtype)

    def multiply_at(self, flat_out, positions, values) -> None:
        """``flat_out[positions] *= values`` where repeated positions multiply up."""
        if positions.size:
            self.xp.multiply.at(flat_out, positions, values)

    # memory layout ---------------------------------------------------------------
    def data_ptr(self, array) -> int:
        raise NotImplementedError

    def as_strided(self, array, shape, strides):
        """A view of ``array``'s memory with the given shape and byte strides."""
        return self.xp.lib.stride_tricks.as_strided(array, shape=shape, strides=strides)

    def view_geometry(self, view, base):
        """Where ``view`` lies in ``base``'s memory, as ``(shape, strides, offset)`` in
        elements of a C-contiguous array of ``base``'s shape; None when ``base`` is not
        C-contiguous, the view leaves it, or elements of the view overlap."""
        if not base.flags.c_contiguous or view.dtype != base.dtype:
            return None
        item = base.dtype.itemsize
        offset = self.data_ptr(view) - self.data_ptr(base)
        if offset % item or any(s % item for s in view.strides):
            return None
        strides = tuple(s // item for s in view.strides)
        if any(s == 0 and n > 1 for s, n in zip(strides, view.shape)):
            return None  # (an expanded view: several elements share one memory location)
        start, size = offset // item, base.size
        lo = start + sum(s * (n - 1) for s, n in zip(strides, view.shape) if s < 0 and n)
        hi = start + sum(s * (n - 1) for s, n in zip(strides, view.shape) if s > 0 and n)
        if view.size and (lo < 0 or hi >= size):
            return None
        return tuple(view.shape), strides, start

    def region(self, array, geometry):
        """The ``geometry`` (from `view_geometry`) of a C-contiguous ``array``, as a view."""
        shape, strides, start = geometry
        item = array.dtype.itemsize
        flat = array.reshape(-1)[start:] if array.size else array.reshape(-1)
        return self.as_strided(flat, shape, tuple(s * item for s in strides))

    # random numbers -------------------------------------------------------------
    def seed(self, seed: int) -> None:
        raise NotImplementedError

    def uniform(self, shape, dtype, index):
        raise NotImplementedError

    def normal(self, shape, dtype, index):
        raise NotImplementedError

    def integers(self, low, high, shape, dtype, index):
        raise NotImplementedError

    def permutation(self, n, index):
        raise NotImplementedError


class NumpyBackend(Backend):
    name = "numpy"
    device_type = "cpu"
    host_memory = True
    xp = np
    array_types = (np.ndarray,)

    def __init__(self) -> None:
        self._rng = np.random.default_rng()

    def device_of(self, array) -> device:
        return CPU

    def from_numpy(self, array, index):
        return array

    def to_numpy(self, array):
        return array

    def data_ptr(self, array) -> int:
        return array.__array_interface__["data"][0]

    def seed(self, seed):
        self._rng = np.random.default_rng(seed)

    def get_state(self):
        return self._rng.bit_generator.state

    def set_state(self, state):
        self._rng.bit_generator.state = state

    def uniform(self, shape, dtype, index):
        if dtype in (np.float32, np.float64):
            return self._rng.random(shape, dtype=dtype)
        return self._rng.random(shape, dtype=np.float32).astype(dtype)

    def normal(self, shape, dtype, index):
        if dtype in (np.float32, np.float64):
            return self._rng.standard_normal(shape, dtype=dtype)
        return self._rng.standard_normal(shape, dtype=np.float32).astype(dtype)

    def integers(self, low, high, shape, dtype, index):
        return self._rng.integers(low, high, size=shape, dtype=dtype)

    def permutation(self, n, index):
        return self._rng.permutation(n).astype(np.int64)


class CupyBackend(Backend):
    name = "cupy"
    device_type = "cuda"

    def __init__(self, cupy_module) -> None:
        self.xp = cupy_module
        self.array_types = (cupy_module.ndarray,)
        self._devices: dict[int, device] = {}
        self._states: dict[int, object] = {}
        self._seed: int | None = None

    def device_of(self, array) -> device:
        index = array.device.id
        dev = self._devices.get(index)
        if dev is None:
            dev = self._devices[index] = device("cuda", index)
        return dev

    def _use(self, index):
        return self.xp.cuda.Device(self.xp.cuda.Device().id if index is None else index)

    def from_numpy(self, array, index):
        self.check_dtype(array.dtype)
        with self._use(index):
            return self.xp.asarray(array)

    def check_dtype(self, np_dtype) -> None:
        if np.dtype(np_dtype).name == "bfloat16":
            raise TypeError("bfloat16 tensors can't live on a CUDA device here: CuPy has no "
                            "bfloat16 dtype; use float16 or float32 on the GPU (t.float().cuda())")

    def to_numpy(self, array):
        self.raise_pending()
        return self.xp.asnumpy(array)

    def data_ptr(self, array) -> int:
        return array.data.ptr

    _MAX_PENDING = 64

    def check_index_bounds(self, index, low, high, error):
        """On the device the check is a device-side reduction, with no host synchronisation:
        its flag is read at the next synchronisation (a copy to the host, ``.item()``,
        ``synchronize()``), where the error is raised, as CUDA reports a device-side assert.
        Meanwhile the op runs on the index clipped into range (no stray memory access)."""
        if not index.size:
            return index
        self._defer(((index < low) | (index >= high)).any(), error)
        return self.xp.clip(index, low, high - 1)

    def refuse_if_any(self, bad, error) -> None:
        """Raise ``error()`` at the next synchronisation if any entry of ``bad`` holds."""
        if bad.size:
            self._defer(bad.any(), lambda _bad: error())

    def _defer(self, flag, error) -> None:
        """Keep a device-side flag and the error it stands for until the next sync."""
        pending = self.__dict__.setdefault("_pending", [])
        pending.append((flag, error))
        if len(pending) > self._MAX_PENDING:
            # bounded without a sync: fold the flags into one device array (which check
            # failed, if any), keeping the errors on the host
            errors = [e for _, errs in pending for e in (errs if isinstance(errs, list) else [errs])]
            flags = self.xp.concatenate([self._flag_vector(f) for f, _ in pending])
            pending[:] = [(flags, errors)]

    @staticmethod
    def _flag_vector(flag):
        return flag.reshape(-1) if flag.ndim else flag.reshape(1)

    def activation_kernel(self, name: str):
        """The CuPy ``ElementwiseKernel`` of activation ``name`` (forward or backward, one
        launch), built on first use and cached; None for an unknown name or an array module
        without kernels. Call it on float32/float64 arrays: ``kernel(x)``, ``kernel(g, x)``."""
        from ._cuda_kernels import ACTIVATION_KERNELS

        return self._built_kernel(name) if name in ACTIVATION_KERNELS else None

    # the dtypes the fused kernels are compiled for (float16 takes the composed array code)
    _FUSED_DTYPES = frozenset({"float32", "float64"})

    def fused_kernel(self, name: str, dtype):
        """The fused kernel ``name`` for arrays of ``dtype`` (float32 or float64; None for
        other dtypes, unknown names or an array module without kernels), built on first use
        and cached. The specs come from `_cuda_kernels.fused_kernel_spec`; generated ones
        (col2im for one window shape) are named ``family:parameters``."""
        if dtype.name not in self._FUSED_DTYPES:
            return None
        kernels = self.__dict__.get("_built")
        kernel = None if kernels is None else kernels.get(name)
        return kernel if kernel is not None else self._built_kernel(name)

    def _built_kernel(self, name: str):
        from ._cuda_kernels import fused_kernel_spec

        kernels = self.__dict__.setdefault("_built", {})
        if name not in kernels:
            spec = fused_kernel_spec(name)
            make = None if spec is None else getattr(self.xp, spec.kind, None)
            kernels[name] = None if make is None else make(*spec.arguments, **spec.options)
        return kernels[name]

    # CuPy's ufunc.at: add.at takes only these dtypes, multiply.at does not exist.
    _ADD_AT_DTYPES = frozenset({"int32", "int64", "uint32", "uint64", "float16", "float32",
                                "float64"})

    def add_at(self, flat_out, positions, values) -> None:
        """``cupy.add.at`` where CuPy has it; bool accumulates as a count (``or`` is
        ``count > 0``), narrow integers in int64 and wrap back (two's complement, as
        PyTorch's int8 sums), complex numbers one part at a time."""
        if positions.size == 0:
            return
        xp, dtype = self.xp, flat_out.dtype
        if dtype.name in self._ADD_AT_DTYPES:
            xp.add.at(flat_out, positions, values)
        elif dtype.kind == "b":
            hits = xp.zeros(flat_out.shape, np.int32)
            xp.add.at(hits, positions, xp.asarray(values).astype(np.int32))
            flat_out |= hits != 0
        elif dtype.kind in "iu":
            wide = flat_out.astype(np.int64)
            xp.add.at(wide, positions, xp.asarray(values).astype(np.int64))
            flat_out[...] = wide.astype(dtype)
        elif dtype.kind == "c":
            values = xp.asarray(values)
            self.add_at(flat_out.real, positions, values.real)
            self.add_at(flat_out.imag, positions, values.imag)
        else:
            raise TypeError(f"index accumulation (scatter_add, index_add, index_put_ with "
                            f"accumulate=True) does not support {dtype} on CUDA")

    def multiply_at(self, flat_out, positions, values) -> None:
        """CuPy has no ``multiply.at``: sort the positions, multiply each run of equal ones
        by a segmented scan (Hillis-Steele: log2(n) passes of ``p[i] *= p[i-d]`` where
        ``pos[i-d] == pos[i]``), then multiply each run's total in once. No host sync."""
        n = positions.size
        if n == 0:
            return
        xp, size = self.xp, flat_out.size
        positions = positions.reshape(-1)
        values = xp.broadcast_to(xp.asarray(values, dtype=flat_out.dtype), positions.shape)
        order = xp.argsort(positions)
        pos, prod = positions[order], values.reshape(-1)[order]
        d = 1
        while d < n:
            prod[d:] = xp.where(pos[d:] == pos[:-d], prod[d:] * prod[:-d], prod[d:])
            d *= 2
        last = xp.ones(n, dtype=bool)  # the end of each run holds the run's product
        last[:-1] = pos[1:] != pos[:-1]
        factors = xp.ones(size + 1, dtype=flat_out.dtype)  # slot `size` takes the others
        factors[xp.where(last, pos, size)] = xp.where(last, prod, xp.ones_like(prod))
        flat_out *= factors[:size]

    def raise_pending(self) -> None:
        """One transfer for all pending checks (their flags joined on the device); only
        when one failed, a second to find which."""
        pending = self.__dict__.get("_pending")
        if not pending:
            return
        checks = list(pending)
        pending.clear()
        errors = [e for _, errs in checks for e in (errs if isinstance(errs, list) else [errs])]
        flags = self.xp.concatenate([self._flag_vector(f) for f, _ in checks])
        if bool(flags.any()):
            raise errors[int(flags.argmax())](None)

    def to_device(self, array, index):
        if index is None or array.device.id == index:
            return array
        with self._use(index):
            return self.xp.array(array, copy=True)

    def device_count(self) -> int:
        return self.xp.cuda.runtime.getDeviceCount()

    def synchronize(self, index=None):
        with self._use(index):
            self.xp.cuda.Device().synchronize()
        self.raise_pending()

    def _rng(self, index):
        index = self.xp.cuda.Device().id if index is None else index
        state = self._states.get(index)
        if state is None:
            with self._use(index):
                state = self.xp.random.RandomState(self._seed)
            self._states[index] = state
        return state

    def seed(self, seed):
        self._seed = seed
        self._states.clear()

    def uniform(self, shape, dtype, index):
        with self._use(index):
            if dtype in (np.float32, np.float64):
                return self._rng(index).random_sample(shape, dtype=dtype)
            return self._rng(index).random_sample(shape, dtype=np.float32).astype(dtype)

    def normal(self, shape, dtype, index):
        with self._use(index):
            if dtype in (np.float32, np.float64):
                return self._rng(index).standard_normal(shape, dtype=dtype)
            return self._rng(index).standard_normal(shape, dtype=np.float32).astype(dtype)

    def integers(self, low, high, shape, dtype, index):
        with self._use(index):
            return self._rng(index).randint(low, high, size=shape, dtype=dtype)

    def permutation(self, n, index):
        with self._use(index):
            return self._rng(index).permutation(n).astype(np.int64)


NUMPY = NumpyBackend()

_by_type: dict[type, Backend] = {np.ndarray: NUMPY}
_by_device_type: dict[str, Backend] = {"cpu": NUMPY}
_cupy_tried = False
_cupy_problem: str | None = None


def _load_cupy() -> Backend | None:
    """Import CuPy once, on first need; remember why it is unusable if it is."""
    global _cupy_tried, _cupy_problem
    if _cupy_tried:
        return _by_device_type.get("cuda")
    _cupy_tried = True
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken CUDA install
        _cupy_problem = f"CuPy is not installed or failed to import ({exc}); {_CUPY_INSTALL_HINT}"
        return None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        _cupy_problem = f"CuPy found no usable CUDA device ({exc})"
        return None
    if count == 0:
        _cupy_problem = "CuPy is installed but no CUDA device was found"
        return None
    register_backend(CupyBackend(cupy))
    return _by_device_type["cuda"]


_last_seed: int | None = None


def seed_all(seed: int) -> None:
    """Seed every backend's generators, and any backend registered later."""
    global _last_seed
    _last_seed = seed
    for backend in set(_by_device_type.values()):
        backend.seed(seed)


# array module -> the backend that offers fused kernels for its arrays (CuPy's): the ops'
# kernel hooks look here first, one dict lookup that finds nothing on NumPy
KERNEL_BACKENDS: dict = {}


def register_backend(backend: Backend) -> None:
    """Make ``backend`` serve its ``device_type`` (used for CuPy, and by tests)."""
    if _last_seed is not None:
        backend.seed(_last_seed)
    _by_device_type[backend.device_type] = backend
    for array_type in backend.array_types:
        _by_type[array_type] = backend
    if type(backend).fused_kernel is not Backend.fused_kernel:
        KERNEL_BACKENDS[backend.xp] = backend


def unregister_backend(backend: Backend) -> None:
    """Undo `register_backend` (tests)."""
    global _cupy_tried
    if _by_device_type.get(backend.device_type) is backend:
        del _by_device_type[backend.device_type]
        if backend.device_type == "cuda":
            _cupy_tried = False
    for array_type in backend.array_types:
        if _by_type.get(array_type) is backend:
            del _by_type[array_type]
    if KERNEL_BACKENDS.get(backend.xp) is backend:
        del KERNEL_BACKENDS[backend.xp]


def backend_of(array) -> Backend:
    """The backend whose array type ``array`` is."""
    backend = _by_type.get(type(array))
    if backend is None:
        for array_type, candidate in _by_type.items():
            if isinstance(array, array_type):
                return candidate
        raise TypeError(f"no backend handles arrays of type {type(array).__name__}")
    return backend


def backend_for(dev: device) -> Backend:
    """The backend serving device ``dev``; a clear RuntimeError when CUDA is unavailable."""
    backend = _by_device_type.get(dev.type)
    if backend is None and dev.type == "cuda":
        backend = _load_cupy()
    if backend is None:
        raise RuntimeError(f"CUDA is not available: {cuda_unavailable_reason()}")
    if dev.index is not None and dev.index >= backend.device_count():
        raise RuntimeError(
            f"device {dev} does not exist: {backend.device_count()} {dev.type} device(s) present"
        )
    return backend


def cupy_part(name: str = ""):
    """CuPy itself, or one of its submodules (``"cuda.nccl"``), for the code that needs it
    without a device (compiling kernels, NCCL communicators): this module is the one that
    imports ``cupy``. Raises ImportError when it is not installed."""
    import importlib

    return importlib.import_module("cupy" + (f".{name}" if name else ""))


def cuda_backend() -> Backend | None:
    """The CUDA backend if one is usable, else None (imports CuPy on first call)."""
    backend = _by_device_type.get("cuda")
    return backend if backend is not None else _load_cupy()


def cuda_unavailable_reason() -> str:
    if cuda_backend() is not None:
        return ""
    return _cupy_problem or "no CUDA backend"


def is_array(obj) -> bool:
    return type(obj) in _by_type or any(isinstance(obj, t) for t in _by_type)


def loaded_backends() -> list[Backend]:
    return list(_by_device_type.values())
