"""Host memory: keep freed array memory in the process instead of handing it back each step.

A training step allocates and frees the same large arrays every time (im2col columns,
activations, their gradients: megabytes each). glibc's malloc serves such blocks with
``mmap`` and returns them with ``munmap`` (or trims the heap top back to the system), so the
next step touches fresh pages again: the kernel zeroes every 4 KiB page on first touch, one
page fault each. On the CNN benchmark that is ~2,600 faults and ~10 ms of system time per
step at batch 64, against ~27 ms of user time.

`keep_freed_memory` raises two glibc thresholds (``mallopt``): blocks below
``mmap_threshold`` come from the heap, and the heap is trimmed only when more than
``trim_threshold`` bytes are free at its top. Freed blocks are then reused by the next step,
as a caching allocator does: the process keeps its high-water mark of memory (up to the trim
threshold) instead of returning it between steps. It is process-wide (NumPy, PyTorch and
everything else in the process use the same malloc), glibc only (elsewhere it does nothing),
and applied when `autograd_core` is imported unless ``AUTOGRAD_CORE_KEEP_FREED_MEMORY=0``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
_GLIBC_DEFAULT = 128 * 1024  # both thresholds' defaults (before glibc adapts them)
_MMAP_MAX = 32 * 1024 * 1024  # the largest mmap threshold glibc accepts on 64-bit

_state = {"kept": False}


def _mallopt():
    """glibc's ``mallopt``, or None (another C library, or no C library found)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        fn = libc.mallopt
    except (OSError, AttributeError):
        return None
    fn.argtypes = (ctypes.c_int, ctypes.c_int)
    fn.restype = ctypes.c_int
    return fn


def keep_freed_memory(enabled: bool = True, *, trim_threshold: int = 512 * 1024 * 1024,
                      mmap_threshold: int = _MMAP_MAX) -> bool:
    """Keep freed blocks (below ``mmap_threshold`` bytes) for reuse, returning heap memory to
    the system only beyond ``trim_threshold`` free bytes; ``enabled=False`` restores glibc's
    default thresholds. Returns whether the setting took effect (False off glibc)."""
    mallopt = _mallopt()
    if mallopt is None:
        return False
    if not enabled:
        trim_threshold = mmap_threshold = _GLIBC_DEFAULT
    ok = bool(mallopt(_M_MMAP_THRESHOLD, min(int(mmap_threshold), _MMAP_MAX)))
    ok = bool(mallopt(_M_TRIM_THRESHOLD, int(trim_threshold))) and ok
    _state["kept"] = ok and enabled
    return ok


def keeps_freed_memory() -> bool:
    """Whether `keep_freed_memory` is in effect."""
    return _state["kept"]


def _apply_default() -> None:
    """At import: keep freed memory unless ``AUTOGRAD_CORE_KEEP_FREED_MEMORY=0``."""
    if os.environ.get("AUTOGRAD_CORE_KEEP_FREED_MEMORY", "1").strip().lower() in ("0", "false", "no"):
        return
    keep_freed_memory(True)


_apply_default()
