"""Checkpoints as safetensors files: `save` and `load`.

``autograd_core.save(obj, "checkpoint.safetensors")`` writes a state dict, optimizer state
and the plain values around them; ``autograd_core.load(path)`` reads them back. The file is
`safetensors <https://github.com/huggingface/safetensors>`_, the field's safe format: data
only, so loading a stranger's file can never run code, and PyTorch and the model hubs read it.

The file
--------
Every tensor is one safetensors entry, named by its path in ``obj`` (``"fc.weight"`` for a
state dict, ``"optimizer.state.0.exp_avg"`` inside a nested dict). The structure around the
tensors (dicts and their order, lists, tuples, ints, floats, strings, ``None``) is JSON in
the header's ``__metadata__`` under the key ``"autograd_core"``, with the SHA-256 of the data
(see ``_structure`` for the encoding). So a model's state dict goes to PyTorch key for key::

    autograd_core.save(model.state_dict(), "model.safetensors")
    torch_model.load_state_dict(safetensors.torch.load_file("model.safetensors"))

and back: a safetensors file without our metadata (written by PyTorch or a model hub) loads
as a ``dict`` of tensors, bfloat16 widened to float32 and 8/16-bit integers to int32.

What can be saved: tensors of every dtype (CPU or GPU), NumPy arrays and scalars, ``None``,
bools, ints, floats (``nan`` and ``inf`` too), strings, lists, tuples, ``dict`` and
``OrderedDict`` (keys: str, int, float, bool, None or tuples of those), ``Size``, dtypes and
devices, nested up to 64 containers deep. Anything else is refused at save time with a
``TypeError`` naming where it sits in ``obj``. A tensor's ``requires_grad`` comes back; its
graph history does not, and a tensor that appears twice is written and returned twice.

Safety
------
Loading checks the whole header before allocating any tensor, never unpickles, and never
allocates for what the file only claims: tensor memory equals the data bytes present, and
parsing the JSON header costs at most ~25 times the header's own size in Python objects
(the fuzz test holds the peak under 32 times the file size plus 256 KiB). It raises
`CheckpointError` (a ``RuntimeError``) for every malformed file: empty, truncated, damaged
(checksum), inconsistent, too large a header (over 100 MB), a newer format, a pickle or
PyTorch ``.pt`` file (the message says how to convert it), or anything else. Files in this
library's previous format (a zip, ``.agc``) still load, under the same limits. Saving to a
path is atomic and safe when several threads or processes save at once (see ``_atomic``).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
from typing import IO, Any, Union

from . import _legacy_agc
from . import _safetensors as st
from ._atomic import atomic_write
from ._errors import CheckpointError, foreign_file_message
from ._locations import MapLocation, MapLocationFailed, location_resolver
from ._structure import Decoder, encode

FORMAT_VERSION = 2  # of the structure in the metadata (version 1 was the zip format, .agc)
METADATA_KEY = "autograd_core"

FileLike = Union[str, "os.PathLike[str]", IO[bytes]]


# =============================================================================== save
def save(obj: Any, f: FileLike) -> None:
    """Write ``obj`` (e.g. ``model.state_dict()``) to ``f``, a path or a binary file object,
    as a safetensors file.

    Saving to a path is atomic: the file is written in full to a temporary file beside it,
    fsynced and renamed into place, so a crash never leaves half a checkpoint and two
    concurrent saves never mix. Example::

        autograd_core.save({"model": model.state_dict(),
                            "optimizer": optimizer.state_dict(),
                            "epoch": 12}, "checkpoint.safetensors")
    """
    root, arrays = encode(obj)  # validates everything before writing a byte
    document = {"format_version": FORMAT_VERSION, "data_sha256": st.digest([a for _, a in arrays]),
                "root": root}
    metadata = {"format": "pt",  # the model hubs' tag for "tensors laid out as PyTorch's"
                METADATA_KEY: json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":"))}

    def write(out: IO[bytes]) -> None:
        st.write(out, arrays, metadata)

    if isinstance(f, (str, os.PathLike)):
        atomic_write(f, write)
    elif hasattr(f, "write"):
        write(f)
    else:
        raise TypeError(f"save() expects a path or a binary file object, got {type(f).__name__}")


# =============================================================================== load
def load(f: FileLike, map_location: MapLocation = None, *, weights_only: bool = True) -> Any:
    """Read an object written by `save`, or any safetensors file, from ``f`` (a path or a
    binary file object).

    ``map_location`` says where tensors go; they always come through host memory:

    - ``None`` (the default) or ``'cpu'``: every tensor on the CPU. (PyTorch puts each
      tensor back on the device it was saved from; here a checkpoint written on a GPU
      machine loads anywhere, and ``model.load_state_dict`` copies the values onto the
      model's own device anyway.)
    - ``'cuda'``, ``'cuda:1'``, a `device` or an int (a CUDA index): every tensor there.
    - a dict such as ``{'cuda:1': 'cuda:0'}``: from the device a tensor was saved on to
      where it goes; tensors from devices not in the dict load on the CPU.
    - a callable ``fn(tensor, location)``: receives each tensor (on the CPU) and the device
      it was saved from, returns the tensor to use (``None``: keep it).

    ``weights_only`` is accepted for PyTorch compatibility and changes nothing: the file
    holds data only, so every load is "weights only".

    Raises `CheckpointError` (a ``RuntimeError``) for any malformed or foreign file, with
    the reason; ``FileNotFoundError`` for a missing path.
    """
    place = location_resolver(map_location)
    if isinstance(f, (str, os.PathLike)):
        name = os.fspath(f)
        with open(name, "rb") as stream:
            return _load_stream(stream, name, place)
    if not hasattr(f, "read"):
        raise TypeError(f"load() expects a path or a binary file object, got {type(f).__name__}")
    return _load_stream(f, str(getattr(f, "name", "the file object")), place)


# Errors a malformed file could still provoke deep inside a parser despite the explicit
# checks; they become CheckpointError (with the original as __cause__, so a fuzzer can
# count them). Errors of the caller's map_location pass through unchanged.
_PARSE_ERRORS = (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError,
                 struct.error, EOFError, UnicodeError, AttributeError)


def _load_stream(stream: IO[bytes], label: str, place) -> Any:
    stream, size = _sized(stream)
    head = stream.read(16)
    if isinstance(head, str):
        raise TypeError("load() needs a file opened in binary mode ('rb'), not text mode")
    stream.seek(-len(head), io.SEEK_CUR)
    if not head:
        raise CheckpointError(f"{label} is empty, so it is not a checkpoint (was the save interrupted?)")
    try:
        if head[8:9] == b"{":  # 8 bytes of header length, then the JSON header
            return _read_safetensors(stream, size, label, place)
        if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
            return _legacy_agc.read(stream, size, label, place)
        raise CheckpointError(foreign_file_message(label, head))
    except MapLocationFailed as failed:
        raise failed.error from None
    except CheckpointError:
        raise
    except _PARSE_ERRORS as exc:
        raise CheckpointError(f"{label}: the file is malformed ({type(exc).__name__}: {str(exc)[:200]})") from exc


def _sized(stream: IO[bytes]) -> tuple[IO[bytes], int]:
    """The stream (a seekable one) and the number of bytes from its position to its end."""
    if getattr(stream, "seekable", lambda: False)():
        start = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(start)
        return stream, end - start
    parts = []
    while chunk := stream.read(1 << 20):  # a pipe or a socket: keep what arrives
        if isinstance(chunk, str):
            raise TypeError("load() needs a file opened in binary mode ('rb'), not text mode")
        parts.append(chunk)
    data = b"".join(parts)
    return io.BytesIO(data), len(data)


def _read_safetensors(stream: IO[bytes], size: int, label: str, place) -> Any:
    metadata, entries = st.read_header(stream, size, label)
    document = _document(metadata, label)
    hasher = hashlib.sha256() if document is not None else None
    arrays = st.read_arrays(stream, entries, label, hasher)
    if document is None:  # a plain safetensors file (PyTorch, a model hub): a dict of tensors
        return {e.name: place(st.to_library_dtype(arrays[e.name], e.dtype, label, e.name), "cpu")
                for e in entries}
    if hasher.hexdigest() != document["data_sha256"]:
        raise CheckpointError(f"{label}: checksum mismatch: the tensor data was modified or damaged "
                              "after it was saved (its SHA-256 differs from the one in the metadata)")
    decoder = Decoder({e.name: (arrays[e.name], e.dtype) for e in entries}, place, label)
    obj = decoder.decode(document["root"])
    unused = set(arrays) - {name for name, _ in decoder.used}
    if unused:
        raise CheckpointError(f"{label}: the file holds tensors its structure never mentions "
                              f"({sorted(unused)[:5]}): it was edited")
    return obj


def _document(metadata: dict[str, str], label: str) -> dict | None:
    """Our structure from the metadata (``None`` for a file without it), checked."""
    text = metadata.get(METADATA_KEY)
    if text is None:
        return None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise CheckpointError(f"{label}: the {METADATA_KEY!r} metadata is not valid JSON "
                              f"({str(exc)[:200]})") from None
    if not isinstance(document, dict) or "root" not in document:
        raise CheckpointError(f"{label}: the {METADATA_KEY!r} metadata is not a checkpoint structure")
    version = document.get("format_version")
    if type(version) is not int or version < 2:
        raise CheckpointError(f"{label}: invalid format_version {str(version)[:20]}")
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{label} was written in checkpoint format {version}, newer than the "
                              f"format {FORMAT_VERSION} this version of autograd_core reads; upgrade "
                              "autograd_core to load it")
    digest = document.get("data_sha256")
    if type(digest) is not str or len(digest) != 64:
        raise CheckpointError(f"{label}: the metadata lacks the SHA-256 of the data")
    return document


__all__ = ["save", "load", "CheckpointError", "FORMAT_VERSION"]
