"""The safetensors file format: a strict reader and a streaming writer.

A safetensors file is three parts::

    8 bytes      N, the length of the header, an unsigned little-endian 64-bit integer
    N bytes      the header: a UTF-8 JSON object (padded with spaces)
                   {"__metadata__": {str: str, ...},                      (optional)
                    NAME: {"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]}, ...}
    the rest     the data: each tensor's bytes, C order, little endian, at [BEGIN, END)
                 counted from the end of the header

The reader trusts nothing: the header length must fit in the file and under a limit, every
entry must have a known dtype, a shape of non-negative ints, and offsets whose length is
exactly ``prod(shape) * itemsize``; the entries must tile the data section with no gap, no
overlap and no byte left over. Only then is memory allocated, and never more than the bytes
the file holds. Every violation raises `CheckpointError`.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from ..dtypes import _is_bfloat16, bfloat16
from ._errors import CheckpointError

MAX_HEADER_BYTES = 100_000_000  # the reference (Rust) reader's limit: any file it reads, we read
MAX_DIMS = 64  # NumPy's limit on the number of dimensions
_CHUNK = 1 << 24

# safetensors dtype -> the little-endian NumPy dtype that stores its bytes. BF16's bytes are
# read as uint16 and viewed as ml_dtypes' bfloat16 by `to_library_dtype`.
STORAGE = {
    "BOOL": np.dtype("|b1"), "U8": np.dtype("|u1"), "I8": np.dtype("|i1"),
    "I16": np.dtype("<i2"), "U16": np.dtype("<u2"), "I32": np.dtype("<i4"),
    "U32": np.dtype("<u4"), "I64": np.dtype("<i8"), "U64": np.dtype("<u8"),
    "F16": np.dtype("<f2"), "BF16": np.dtype("<u2"), "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"), "C64": np.dtype("<c8"),
}
_NAME_OF = {np.dtype(v).newbyteorder("<"): k for k, v in STORAGE.items() if k != "BF16"}
_UNREADABLE = ("F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4")


def safetensors_dtype(array_dtype: np.dtype) -> str | None:
    """The safetensors name of a NumPy dtype (``None`` if safetensors has no such type)."""
    array_dtype = np.dtype(array_dtype)
    if _is_bfloat16(array_dtype):
        return "BF16"
    return _NAME_OF.get(array_dtype.newbyteorder("<"))


@dataclass(frozen=True)
class Entry:
    """One tensor of the header: its name, safetensors dtype, shape and byte range."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


# =============================================================================== write
def write(out: IO[bytes], arrays: list[tuple[str, np.ndarray]], metadata: dict[str, str]) -> None:
    """Write ``arrays`` (name, contiguous little-endian host array) in order, with ``metadata``."""
    header: dict[str, Any] = {"__metadata__": metadata} if metadata else {}
    offset = 0
    for name, array in arrays:
        header[name] = {"dtype": safetensors_dtype(array.dtype), "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned, as the format recommends
    out.write(struct.pack("<Q", len(text)))
    out.write(text)
    for _, array in arrays:
        if array.nbytes:
            out.write(memoryview(array.reshape(-1).view(np.uint8)))


def digest(arrays: list[np.ndarray]) -> str:
    """SHA-256 of the data section the arrays make, in order."""
    h = hashlib.sha256()
    for array in arrays:
        if array.nbytes:
            h.update(memoryview(array.reshape(-1).view(np.uint8)))
    return h.hexdigest()


# =============================================================================== read
def read_header(stream: IO[bytes], size: int, label: str) -> tuple[dict[str, str], list[Entry]]:
    """Parse and check the header of a ``size``-byte file whose first byte ``stream`` is at.

    Returns the metadata and the entries sorted by offset; ``stream`` is left at the data.
    """
    def fail(why: str) -> CheckpointError:
        return CheckpointError(f"{label}: {why}")

    raw = read_exactly(stream, 8, label)
    (n,) = struct.unpack("<Q", raw)
    if n > MAX_HEADER_BYTES:
        raise fail(f"the header claims {n} bytes, over the {MAX_HEADER_BYTES}-byte limit of "
                   "safetensors headers: the file is damaged or not a safetensors file")
    if 8 + n > size:
        raise fail(f"the header claims {n} bytes but the file holds only {size} bytes: it is "
                   "truncated (an interrupted save or copy?)")
    try:
        header = json.loads(read_exactly(stream, n, label).decode("utf-8"), object_pairs_hook=_unique_keys)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise fail(f"the header is not valid UTF-8 JSON ({_short(exc)})") from None
    if not isinstance(header, dict):
        raise fail(f"the header is a JSON {type(header).__name__}, not an object")
    metadata = header.pop("__metadata__", None)
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict) or not all(type(v) is str for v in metadata.values()):
        raise fail("__metadata__ must map strings to strings")
    entries = [_entry(name, spec, fail) for name, spec in header.items()]
    entries.sort(key=lambda e: (e.begin, e.end))
    data_size = size - 8 - n
    position = 0
    for e in entries:
        if e.begin != position:
            what = "overlaps the previous one" if e.begin < position else "leaves a gap before it"
            raise fail(f"tensor {e.name[:80]!r} starts at byte {e.begin}, which {what} (expected {position})")
        position = e.end
    if position != data_size:
        state = "truncated" if position > data_size else "followed by bytes no tensor claims"
        raise fail(f"the tensors need {position} bytes of data but the file holds {data_size}: "
                   f"it is {state}")
    return metadata, entries


def _entry(name: str, spec: Any, fail) -> Entry:
    if not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data_offsets"}:
        raise fail(f"tensor {name[:80]!r} must be described by exactly dtype, shape and data_offsets")
    dtype, shape, offsets = spec["dtype"], spec["shape"], spec["data_offsets"]
    if type(dtype) is not str or dtype not in STORAGE:
        if dtype in _UNREADABLE:
            raise fail(f"tensor {name[:80]!r} has dtype {dtype}, which this library can't hold; convert "
                       "it to float32 first (in PyTorch: t.float())")
        raise fail(f"tensor {name[:80]!r} has an unknown dtype {str(dtype)[:20]!r}")
    if (not isinstance(shape, list) or len(shape) > MAX_DIMS
            or not all(type(s) is int and s >= 0 for s in shape)):
        raise fail(f"tensor {name[:80]!r} has an invalid shape {str(shape)[:80]} (a list of at most "
                   f"{MAX_DIMS} non-negative ints)")
    if not (isinstance(offsets, list) and len(offsets) == 2
            and all(type(o) is int and o >= 0 for o in offsets)):
        raise fail(f"tensor {name[:80]!r} has invalid data_offsets {str(offsets)[:80]}")
    begin, end = offsets
    # Python ints don't overflow, so a shape of huge sides simply fails this test.
    nbytes = math.prod(shape) * STORAGE[dtype].itemsize
    if end - begin != nbytes:
        raise fail(f"tensor {name[:80]!r} ({dtype}, shape {tuple(shape)}) needs {nbytes} bytes but its "
                   f"data_offsets [{begin}, {end}] span {end - begin}")
    return Entry(name, dtype, tuple(shape), begin, end)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("a JSON object lists a key twice")
    return out


def _short(exc: Exception) -> str:
    return str(exc)[:200]


def read_arrays(stream: IO[bytes], entries: list[Entry], label: str,
                hasher: Any = None) -> dict[str, np.ndarray]:
    """Read each entry's bytes (in offset order, right after the header) into its own array.

    The header check guaranteed the file holds these bytes, so each allocation is backed by
    bytes present. ``hasher`` (a hashlib object), if given, sees the data section in order.
    """
    out = {}
    for e in entries:
        array = np.empty(e.shape, dtype=STORAGE[e.dtype])
        if array.nbytes:
            buffer = memoryview(array.reshape(-1).view(np.uint8))
            fill(stream, buffer, label)
            if hasher is not None:
                hasher.update(buffer)
        if e.dtype == "BOOL" and array.view(np.uint8).max(initial=0) > 1:
            raise CheckpointError(f"{label}: bool tensor {e.name[:80]!r} holds bytes other than 0 and 1")
        out[e.name] = array
    return out


def read_exactly(stream: IO[bytes], n: int, label: str) -> bytes:
    """``n`` bytes from ``stream``, in chunks, so memory follows the bytes that are there."""
    parts, got = [], 0
    while got < n:
        chunk = stream.read(min(n - got, _CHUNK))
        if not chunk:
            raise CheckpointError(f"{label}: the file ended early (it is truncated or changed while reading)")
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def fill(stream: IO[bytes], buffer: memoryview, label: str) -> None:
    """Fill ``buffer`` from ``stream`` (with ``readinto`` where the stream has it)."""
    readinto = getattr(stream, "readinto", None)
    filled, total = 0, len(buffer)
    while filled < total:
        if readinto is not None:
            got = readinto(buffer[filled:filled + _CHUNK])
        else:
            chunk = stream.read(min(total - filled, _CHUNK))
            got = len(chunk)
            buffer[filled:filled + got] = chunk
        if not got:
            raise CheckpointError(f"{label}: the file ended early (it is truncated or changed while reading)")
        filled += got


def to_library_dtype(array: np.ndarray, dtype: str, label: str, name: str) -> np.ndarray:
    """The array in a dtype autograd_core tensors hold, widened without loss if needed:
    U16 -> int32, U32 -> int64, U64 -> int64 when every value fits; BF16 keeps its bits."""
    if dtype in ("BOOL", "U8", "I8", "I16", "I32", "I64", "F16", "F32", "F64", "C64"):
        return array.astype(array.dtype.newbyteorder("="), copy=False)
    if dtype == "BF16":
        return _bfloat16(array)
    if dtype == "U16":
        return array.astype(np.int32)
    if dtype == "U64" and array.size and int(array.max()) > np.iinfo(np.int64).max:
        raise CheckpointError(f"{label}: uint64 tensor {name[:80]!r} holds values beyond int64, the widest "
                              "integer type this library has")
    return array.astype(np.int64)  # U32, U64


def native(array: np.ndarray, dtype: str) -> np.ndarray:
    """The array in native byte order as a NumPy value (BF16 as ml_dtypes' bfloat16)."""
    if dtype == "BF16":
        return _bfloat16(array)
    return array.astype(array.dtype.newbyteorder("="), copy=False)


def _bfloat16(bits: np.ndarray) -> np.ndarray:
    """Little-endian uint16 bit patterns as bfloat16 values (no rounding: the same bits)."""
    return bits.astype(np.dtype("=u2"), copy=False).view(bfloat16.numpy)
