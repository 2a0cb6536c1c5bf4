"""Reading checkpoints of this library's previous format (format_version 1, ``.agc``).

That format was a zip archive of *stored* (uncompressed) members::

    AUTOGRAD_CORE_CHECKPOINT   the magic member: b"autograd_core checkpoint\\n"
    data/0, data/1, ...        each array's raw bytes, C order, little endian
    manifest.json              the structure of the object, each array's dtype and shape
    SHA256SUMS                 the SHA-256 of every other member (``sha256sum -c`` format)

It is read under the same limits as safetensors files: the whole file is read first (so no
read can ask for more than the file holds), every member must be stored uncompressed with a
size that fits in the file (no decompression, so no zip bomb), every array's size must equal
its shape times its item size before memory is allocated for it, and every checksum must
match. New checkpoints are written as safetensors; load an old one and `save` it again to
convert it.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from collections import OrderedDict
from typing import IO, Any

import numpy as np

from ..device import device as _device
from ..dtypes import _BY_NAME
from ..tensor import Size
from . import _safetensors as st
from ._errors import PICKLE_HELP, CheckpointError

_FORMAT_NAME = "autograd_core.checkpoint"
_MAGIC_MEMBER = "AUTOGRAD_CORE_CHECKPOINT"
_MAGIC_TEXT = b"autograd_core checkpoint\n"
_MANIFEST = "manifest.json"
_SUMS = "SHA256SUMS"
_MAX_DEPTH = 128
_STORED = {"bool": np.dtype("|b1"), "int32": np.dtype("<i4"), "int64": np.dtype("<i8"),
           "float16": np.dtype("<f2"), "float32": np.dtype("<f4"), "float64": np.dtype("<f8")}
# zipfile raises RuntimeError too (an encrypted member, whose flag can also sit in a local header)
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, KeyError,
               IndexError, OverflowError, RuntimeError, UnicodeDecodeError)


def read(stream: IO[bytes], size: int, label: str, place) -> Any:
    """The object in a ``size``-byte legacy checkpoint (``place`` as in `load`)."""
    data = st.read_exactly(stream, size, label)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as exc:
        raise CheckpointError(f"{label} is a truncated or damaged zip file ({str(exc)[:200]}); "
                              "if it is an old autograd_core checkpoint, the end of it is missing") from None
    with zf:
        return _Reader(zf, len(data), label, place).read()


class _Reader:
    """Checks an opened archive member by member, then rebuilds the saved object."""

    def __init__(self, zf: zipfile.ZipFile, size: int, label: str, place) -> None:
        self.zf = zf
        self.size = size
        self.label = label
        self.place = place
        self.sums: dict[str, str] = {}
        self.built: dict[tuple[int, str], Any] = {}

    def fail(self, why: str) -> CheckpointError:
        return CheckpointError(f"{self.label}: {why}")

    def read(self) -> Any:
        infos = self.zf.infolist()
        names = [i.filename for i in infos]
        if _MAGIC_MEMBER not in names:
            if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
                raise self.fail(f"looks like a PyTorch checkpoint (a zip holding data.pkl, a pickle). {PICKLE_HELP}")
            if names and all(n.endswith(".npy") for n in names):
                raise self.fail("is a NumPy .npz archive, not a checkpoint; read it with "
                                "numpy.load(path, allow_pickle=False)")
            raise self.fail(f"is a zip archive but not an autograd_core checkpoint (no {_MAGIC_MEMBER} member)")
        if len(set(names)) != len(names):
            raise self.fail("the archive lists a member twice, so it was tampered with")
        total = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise self.fail(f"member {info.filename!r} is encrypted; this format never encrypts: "
                                "the file was not written by autograd_core")
            if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
                raise self.fail(f"member {info.filename!r} is compressed, but this format stores members "
                                "uncompressed: the file was not written by autograd_core")
            total += info.file_size
        if total > self.size:
            raise self.fail(f"the zip directory claims {total} bytes of members, more than the "
                            f"{self.size} bytes of the file: it is damaged or forged")
        if _SUMS not in names:
            raise self.fail(f"the {_SUMS} member is missing: the file is damaged or was edited")
        self.sums = self._parse_sums(self._member(_SUMS, check=False))
        unlisted, missing = set(names) - set(self.sums) - {_SUMS}, set(self.sums) - set(names)
        if unlisted or missing:
            raise self.fail(f"the members do not match {_SUMS} (unlisted: {sorted(unlisted)[:5]}, "
                            f"missing: {sorted(missing)[:5]}): the file is damaged or was edited")
        if self._member(_MAGIC_MEMBER) != _MAGIC_TEXT:
            raise self.fail("the magic member has unexpected content")
        try:
            manifest = json.loads(self._member(_MANIFEST).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise self.fail(f"the manifest is not valid JSON ({str(exc)[:200]})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT_NAME:
            raise self.fail("the manifest does not describe an autograd_core checkpoint")
        if manifest.get("format_version") != 1:
            raise self.fail(f"unexpected format_version {str(manifest.get('format_version'))[:20]} in a zip checkpoint")
        self.entries = manifest.get("arrays")
        if type(self.entries) is not list or not all(type(e) is dict for e in self.entries):
            raise self.fail("the manifest has no array table")
        return self._decode(manifest.get("root"), 0)

    # ---------------------------------------------------------------- members
    def _parse_sums(self, raw: bytes) -> dict[str, str]:
        sums = {}
        try:
            lines = raw.decode("ascii").splitlines()
        except UnicodeDecodeError:
            raise self.fail(f"{_SUMS} is not ASCII text: the file is damaged") from None
        for line in lines:
            digest, sep, member = line.partition("  ")
            if not sep or len(digest) != 64 or member in sums:
                raise self.fail(f"{_SUMS} is malformed: the file is damaged or was edited")
            sums[member] = digest
        return sums

    def _member(self, name: str, check: bool = True) -> bytes:
        try:
            with self.zf.open(name) as member:
                data = member.read()
        except _ZIP_ERRORS as exc:
            raise self.fail(f"member {name!r} is damaged or was tampered with ({str(exc)[:200]})") from None
        if check and hashlib.sha256(data).hexdigest() != self.sums.get(name):
            raise self.fail(f"checksum mismatch for member {name!r}: the file was modified or "
                            "damaged after it was saved (SHA-256 differs)")
        return data

    def _array(self, entry: dict) -> np.ndarray:
        """One array member in fresh memory, its size checked against its shape first."""
        stored = _STORED.get(entry.get("dtype")) if type(entry.get("dtype")) is str else None
        if stored is None:
            raise self.fail(f"unsupported dtype {str(entry.get('dtype'))[:20]!r} in the manifest")
        shape, name = entry.get("shape"), entry.get("member")
        if (type(shape) is not list or len(shape) > st.MAX_DIMS
                or not all(type(s) is int and s >= 0 for s in shape)):
            raise self.fail(f"invalid shape {str(shape)[:80]} in the manifest")
        if type(name) is not str or name not in self.sums:
            raise self.fail(f"array member {str(name)[:80]!r} is not in the archive")
        nbytes = math.prod(shape) * stored.itemsize
        size = self.zf.getinfo(name).file_size  # already known to fit in the file
        if size != nbytes:
            raise self.fail(f"member {name!r} holds {size} bytes, but a {entry['dtype']} array of "
                            f"shape {tuple(shape)} needs {nbytes}: the file is damaged")
        raw = self._member(name)
        array = np.frombuffer(raw, dtype=stored).reshape(shape).copy()
        if stored.kind == "b" and array.view(np.uint8).max(initial=0) > 1:
            raise self.fail(f"bool array {name!r} holds bytes other than 0 and 1")
        return array.astype(stored.newbyteorder("="), copy=False)

    # ---------------------------------------------------------------- structure
    def _decode(self, node, depth: int):
        if node is None or type(node) in (bool, int, float, str):
            return node
        if depth > _MAX_DEPTH:
            raise self.fail("the manifest is nested too deeply")
        if type(node) is list:
            return [self._decode(v, depth + 1) for v in node]
        if type(node) is not dict:
            raise self.fail("unexpected JSON value in the manifest")
        kind = node.get("type")
        items = node.get("items")
        if kind in ("dict", "OrderedDict", "tuple", "Size") and type(items) is not list:
            raise self.fail(f"a {kind} node without a list of items")
        if kind in ("dict", "OrderedDict"):
            out = OrderedDict() if kind == "OrderedDict" else {}
            for pair in items:
                if type(pair) is not list or len(pair) != 2:
                    raise self.fail("a dict item is not a [key, value] pair")
                key = self._decode(pair[0], depth + 1)
                if type(key) in (list, dict, OrderedDict) or not _hashable(key):
                    raise self.fail("a dict key is not a str, number, bool, None or tuple of those")
                out[key] = self._decode(pair[1], depth + 1)
            return out
        if kind == "tuple":
            return tuple(self._decode(v, depth + 1) for v in items)
        if kind == "Size":
            if not all(type(v) is int and v >= 0 for v in items):
                raise self.fail("a Size holds something other than non-negative ints")
            return Size(items)
        if kind == "float":
            word = node.get("value")
            if word not in ("nan", "inf", "-inf"):
                raise self.fail(f"invalid float {str(word)[:20]!r}")
            return float(word)
        if kind in ("tensor", "ndarray", "numpy_scalar"):
            return self._blob(node.get("id"), kind)
        if kind == "dtype" and type(node.get("name")) is str and node["name"] in _STORED:
            return _BY_NAME[node["name"]]
        if kind == "device" and type(node.get("name")) is str and len(node["name"]) <= 32:
            try:
                return _device(node["name"])
            except (RuntimeError, ValueError, TypeError):
                raise self.fail("invalid device in the manifest") from None
        raise self.fail(f"unknown or malformed node of type {str(kind)[:40]!r} in the manifest")

    def _blob(self, index, kind: str):
        if type(index) is not int or not 0 <= index < len(self.entries):
            raise self.fail(f"array id {str(index)[:20]} is out of range")
        key = (index, kind)
        if key not in self.built:
            entry = self.entries[index]
            array = self._array(entry)
            if kind == "numpy_scalar":
                value = array[()]
            elif kind == "ndarray":
                value = array
            else:
                location = entry.get("device", "cpu")
                value = self.place(array, location if type(location) is str else "cpu")
                if entry.get("requires_grad") is True and value.is_floating_point() and value.is_leaf:
                    value.requires_grad_(True)
            self.built[key] = value
        return self.built[key]


def _hashable(key) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True
