"""`autograd_core.accelerator`: PyTorch's device-agnostic ``torch.accelerator`` API; the only
accelerator here is a CUDA GPU through CuPy."""

from __future__ import annotations

from . import cuda as _cuda
from .device import device as _device


def is_available() -> bool:
    """True when a CUDA GPU can be used."""
    return _cuda.is_available()


def current_accelerator(check_available: bool = False):
    """``device('cuda')`` when a GPU can be used, else None."""
    return _device("cuda") if _cuda.is_available() else None


def device_count() -> int:
    return _cuda.device_count()


def current_device_index() -> int:
    return _cuda.current_device() if _cuda.is_available() else -1


current_device_idx = current_device_index


def synchronize(device=None) -> None:
    if _cuda.is_available():
        _cuda.synchronize(device)


def empty_cache() -> None:
    _cuda.empty_cache()


__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "current_device_idx", "synchronize", "empty_cache"]
