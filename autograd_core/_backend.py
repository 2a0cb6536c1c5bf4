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


class Backend:
    """One array library serving the tensors of one device type."""

    name: str = "?"
    device_type: str = "?"
    xp = None  # the array module
    array_types: tuple = ()

    def device_of(self, array) -> device:
        raise NotImplementedError

    def from_numpy(self, array: np.ndarray, index: int | None):
        raise NotImplementedError

    def to_numpy(self, array) -> np.ndarray:
        raise NotImplementedError

    def to_device(self, array, index: int | None):
        """Move an array of this backend to another device of the same type."""
        return array

    def device_count(self) -> int:
        return 1

    def synchronize(self, index: int | None = None) -> None:
        pass

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
        with self._use(index):
            return self.xp.asarray(array)

    def to_numpy(self, array):
        return self.xp.asnumpy(array)

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


def register_backend(backend: Backend) -> None:
    """Make ``backend`` serve its ``device_type`` (used for CuPy, and by tests)."""
    if _last_seed is not None:
        backend.seed(_last_seed)
    _by_device_type[backend.device_type] = backend
    for array_type in backend.array_types:
        _by_type[array_type] = backend


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
