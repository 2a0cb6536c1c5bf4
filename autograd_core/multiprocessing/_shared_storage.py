"""CPU tensor storage in shared memory: what ``Tensor.share_memory_()`` moves a tensor into.

A segment is an anonymous memory file (Linux ``memfd_create``; elsewhere an unlinked temporary
file) mapped with ``MAP_SHARED``. Two processes that map the same file see each other's writes,
which is all Hogwild training needs. The segment has no name in the file system, so nothing is
left behind: the kernel frees it when the last mapping and the last descriptor are gone.

Another process gets the segment by its file descriptor: a forked child inherits the mapping, a
spawned child or a queue receives a duplicate of the descriptor (``multiprocessing``'s own
descriptor passing, see `reductions`), never a copy of the bytes.
"""

from __future__ import annotations

import mmap
import os
import tempfile
import weakref

import numpy as np


class Segment(mmap.mmap):
    """A shared mapping that remembers its file descriptor (to hand it to other processes).

    The descriptor is closed when the mapping is garbage collected; numpy arrays over the
    mapping keep it alive (their ``.base`` chain ends here).
    """

    fd: int = -1


def _anonymous_file(nbytes: int) -> int:
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("autograd_core_shared", os.MFD_CLOEXEC)
    else:  # no memfd: a temporary file removed from its directory at once
        fd, path = tempfile.mkstemp(prefix="autograd_core_shared_")
        os.unlink(path)
    os.ftruncate(fd, max(nbytes, 1))
    return fd


def map_segment(fd: int, nbytes: int) -> Segment:
    """Map ``nbytes`` of the file ``fd`` shared; the segment owns ``fd`` from now on (and the
    mapping holds a duplicate of its own, closed with it)."""
    seg = Segment(fd, max(nbytes, 1), flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    seg.fd = fd
    weakref.finalize(seg, os.close, fd)
    return seg


def new_segment(nbytes: int) -> Segment:
    """A fresh zero-filled shared segment of ``nbytes`` bytes."""
    return map_segment(_anonymous_file(nbytes), nbytes)


def segment_of(array) -> Segment | None:
    """The shared segment ``array``'s memory lies in, or None (follows numpy's ``.base``)."""
    base = array
    while base is not None:
        if isinstance(base, Segment):
            return base
        base = getattr(base, "base", None)
        if isinstance(base, memoryview):
            base = base.obj
    return None


def address_of(segment: Segment) -> int:
    return np.frombuffer(segment, np.uint8).ctypes.data


def array_in_segment(segment: Segment, dtype, shape, strides, offset: int) -> np.ndarray:
    """An array over ``segment`` (no copy) with the given layout, in bytes from its start."""
    return np.ndarray(shape, dtype=dtype, buffer=segment, offset=offset, strides=strides)


def move_to_shared(array: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of ``array`` living in a new shared segment."""
    segment = new_segment(array.nbytes)
    out = np.ndarray(array.shape, dtype=array.dtype, buffer=segment)
    out[...] = array
    return out
