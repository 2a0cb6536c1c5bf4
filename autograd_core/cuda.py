"""CUDA helpers in PyTorch's names: ``is_available``, ``device_count``, ``synchronize``.

Asking imports CuPy (once); nothing here fails on a machine without CUDA.
"""

from __future__ import annotations

from . import _backend
from .device import device as _device


def is_available() -> bool:
    """True when CuPy imports and sees at least one CUDA device."""
    return _backend.cuda_backend() is not None


def device_count() -> int:
    backend = _backend.cuda_backend()
    return 0 if backend is None else backend.device_count()


def unavailable_reason() -> str:
    """Why CUDA cannot be used here ('' when it can)."""
    return _backend.cuda_unavailable_reason()


def synchronize(device=None) -> None:
    """Wait until every kernel queued on ``device`` (default: the current one) has finished."""
    backend = _backend.cuda_backend()
    if backend is None:
        raise RuntimeError(f"CUDA is not available: {_backend.cuda_unavailable_reason()}")
    index = None if device is None else (device if isinstance(device, int) else _device(device).index)
    if device is not None and not isinstance(device, int) and _device(device).type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {_device(device)}")
    backend.synchronize(index)


def current_device() -> int:
    backend = _backend.cuda_backend()
    if backend is None:
        raise RuntimeError(f"CUDA is not available: {_backend.cuda_unavailable_reason()}")
    return backend.xp.cuda.Device().id if hasattr(backend.xp, "cuda") else 0


def get_device_name(device=None) -> str:
    backend = _backend.cuda_backend()
    if backend is None:
        raise RuntimeError(f"CUDA is not available: {_backend.cuda_unavailable_reason()}")
    index = 0 if device is None else (device if isinstance(device, int) else (_device(device).index or 0))
    if not hasattr(backend.xp, "cuda"):
        return "simulated CUDA device"
    props = backend.xp.cuda.runtime.getDeviceProperties(index)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def manual_seed(seed: int) -> None:
    """Seed the CUDA generators (`autograd_core.manual_seed` seeds these too)."""
    backend = _backend.cuda_backend()
    if backend is not None:
        backend.seed(int(seed))


manual_seed_all = manual_seed


def array_module():
    """The array library behind CUDA tensors (CuPy), for code that compares against it
    (the benchmark's bare-CuPy peers). Raises when CUDA is not available."""
    backend = _backend.cuda_backend()
    if backend is None:
        raise RuntimeError(f"CUDA is not available: {_backend.cuda_unavailable_reason()}")
    return backend.xp


def empty_cache() -> None:
    """Give the memory CuPy's pool holds but no tensor uses back to the device."""
    backend = _backend.cuda_backend()
    pool = getattr(backend.xp, "get_default_memory_pool", None) if backend is not None else None
    if pool is not None:
        pool().free_all_blocks()
