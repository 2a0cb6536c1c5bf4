"""Checkpoints without pickle: `save` and `load`.

``autograd_core.save(obj, f)`` writes state dicts, optimizer state and the plain Python
values around them; ``autograd_core.load(f)`` reads them back. Unlike ``torch.save``, which
pickles, the file holds *data only*, so loading a file from a stranger can never run code.

What can be saved
-----------------
Tensors of every dtype (on the CPU or a GPU), NumPy arrays and scalars, ``None``, bools,
ints, floats (``nan`` and ``inf`` included), strings, lists, tuples, ``dict`` and
``OrderedDict`` (order kept; keys may be str, int, float, bool, None or tuples of those),
``autograd_core.Size``, dtypes and devices. Anything else (a lambda, a module, an open
file) is refused at save time with a ``TypeError`` that names where it sits in ``obj``.
A tensor appearing twice in ``obj`` is stored once and comes back as one tensor. A tensor's
``requires_grad`` flag comes back too; its graph history (``grad_fn``, ``.grad``) does not.

The file format (format_version 1)
----------------------------------
A zip archive (stored, not compressed) that any unzip tool can list::

    AUTOGRAD_CORE_CHECKPOINT   the magic member, always first: "autograd_core checkpoint"
    data/0, data/1, ...        the raw bytes of each array: C order, little endian
    manifest.json              the structure of ``obj`` in JSON, each array's dtype and shape
    SHA256SUMS                 the SHA-256 of every other member (``sha256sum -c`` format)

Loading checks everything before trusting anything: the magic, the format version, the
list of members, every checksum, and that each array's byte count equals its shape times
its item size. The checksums catch damage and careless edits; they are not a signature,
so they do not prove who wrote the file.

Errors
------
Every problem with a file's *content* raises ``RuntimeError`` with the reason: an empty,
truncated or damaged file, a checksum mismatch, a format newer than this library reads, a
pickle or a PyTorch checkpoint (this library never unpickles: see the message for a one-off
conversion), or any other foreign file. A missing file raises ``FileNotFoundError``;
an unsupported object at save time or a bad ``map_location`` raises ``TypeError``, and an
object that contains itself raises ``ValueError``.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable
from typing import IO, Any, Union

import numpy as np

from .device import device as _device
from .dtypes import dtype as _dtype
from .tensor import Size, Tensor

FORMAT_NAME = "autograd_core.checkpoint"
FORMAT_VERSION = 1

_MAGIC_MEMBER = "AUTOGRAD_CORE_CHECKPOINT"
_MAGIC_TEXT = b"autograd_core checkpoint\n"
_MANIFEST = "manifest.json"
_SUMS = "SHA256SUMS"
_DATE = (1980, 1, 1, 0, 0, 0)  # a fixed timestamp: the same object always gives the same bytes
_CHUNK = 1 << 20

# Little-endian storage types of the six dtypes (bool is one byte, 0 or 1).
_STORED = {
    "bool": np.dtype("|b1"),
    "int32": np.dtype("<i4"),
    "int64": np.dtype("<i8"),
    "float16": np.dtype("<f2"),
    "float32": np.dtype("<f4"),
    "float64": np.dtype("<f8"),
}
_KEY_SCALARS = (str, int, float, bool, type(None))

FileLike = Union[str, "os.PathLike[str]", IO[bytes]]
MapLocation = None | str | _device | int | dict | Callable[[Tensor, str], Tensor]

_PICKLE_HELP = (
    "autograd_core never unpickles, because unpickling can run arbitrary code. If you trust "
    "the file, convert it once in a Python that has torch installed:\n"
    "    import torch, autograd_core\n"
    "    sd = torch.load(PATH, map_location='cpu', weights_only=True)\n"
    "    autograd_core.save({k: autograd_core.tensor(v.detach().numpy()) for k, v in sd.items()},"
    " NEW_PATH)\n"
    "(for nested state such as optimizer state, convert every tensor the same way: "
    "tensor.detach().cpu().numpy())"
)


# =============================================================================== save
def save(obj: Any, f: FileLike) -> None:
    """Write ``obj`` (e.g. ``model.state_dict()``) to ``f``, a path or a binary file object.

    Tensors are copied to host memory and written as raw little-endian bytes; everything
    else becomes JSON (see the module docstring). Saving to a path is atomic: the file is
    written next to its destination and renamed into place only when complete, so a crash
    half-way never destroys the previous checkpoint.

    Example::

        autograd_core.save({"model": model.state_dict(),
                            "optimizer": optimizer.state_dict(),
                            "epoch": 12}, "checkpoint.pt")
    """
    encoder = _Encoder()
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "root": encoder.encode(obj, "obj"),  # validates everything before writing a byte
        "arrays": encoder.entries,
    }
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        tmp = f"{path}.{os.getpid()}.tmp"
        try:
            with open(tmp, "wb") as out:
                _write(out, manifest, encoder.values)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
    else:
        if not hasattr(f, "write"):
            raise TypeError(f"save() expects a path or a binary file object, got {type(f).__name__}")
        _write(f, manifest, encoder.values)


def _write(out: IO[bytes], manifest: dict, values: list) -> None:
    sums = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:

        def put(name: str, data) -> None:
            info = zipfile.ZipInfo(name, date_time=_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = len(data)
            with zf.open(info, "w") as member:
                member.write(data)
            sums.append(f"{hashlib.sha256(data).hexdigest()}  {name}\n")

        put(_MAGIC_MEMBER, _MAGIC_TEXT)
        for entry, value in zip(manifest["arrays"], values):
            array = _host_array(value, entry["dtype"])
            put(entry["member"], memoryview(array.reshape(-1).view(np.uint8)))
        text = json.dumps(manifest, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
        put(_MANIFEST, text.encode("utf-8"))
        sums_bytes = "".join(sums).encode("ascii")
        info = zipfile.ZipInfo(_SUMS, date_time=_DATE)
        zf.writestr(info, sums_bytes)


def _host_array(value, dtype_name: str) -> np.ndarray:
    """A contiguous little-endian host copy (or view) of a tensor or array."""
    if isinstance(value, Tensor):
        value = value._host()  # a download from the GPU; the array itself on the CPU
    return np.ascontiguousarray(value).astype(_STORED[dtype_name], copy=False)


class _Encoder:
    """Turns ``obj`` into a JSON tree; arrays go to a side table (``entries``/``values``)."""

    def __init__(self) -> None:
        self.entries: list[dict] = []  # what the manifest says about each array
        self.values: list = []  # the tensors / arrays themselves, written after validation
        self._seen: dict[int, int] = {}  # id(tensor) -> index, so a shared tensor is stored once
        self._active: set[int] = set()  # containers on the current path (cycle detection)

    def encode(self, obj: Any, where: str):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else {"type": "float", "value": repr(float(obj))}
        if isinstance(obj, Tensor):
            return {"type": "tensor", "id": self._array(obj, "tensor", where)}
        if isinstance(obj, np.ndarray):
            return {"type": "ndarray", "id": self._array(obj, "ndarray", where)}
        if isinstance(obj, np.generic):
            return {"type": "numpy_scalar", "id": self._array(np.asarray(obj), "ndarray", where)}
        if isinstance(obj, _dtype):
            return {"type": "dtype", "name": obj.name}
        if isinstance(obj, _device):
            return {"type": "device", "name": str(obj)}
        if type(obj) in (list, tuple, Size, dict, OrderedDict):
            if id(obj) in self._active:
                raise ValueError(f"autograd_core.save: {where} contains itself (a circular reference)")
            self._active.add(id(obj))
            try:
                return self._container(obj, where)
            finally:
                self._active.discard(id(obj))
        hint = ""
        if isinstance(obj, dict):
            hint = " (convert it with dict(...) first)"
        elif isinstance(obj, (list, tuple)):
            hint = f" (convert it with {'list' if isinstance(obj, list) else 'tuple'}(...) first)"
        raise TypeError(
            f"autograd_core.save can't store {where} of type {type(obj).__qualname__}{hint}. "
            "It stores tensors, NumPy arrays, numbers, strings, bools, None, lists, tuples and "
            "dicts of those; save a module's state with module.state_dict()"
        )

    def _container(self, obj, where: str):
        kind = type(obj)
        if kind is list:
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        if kind in (tuple, Size):
            name = "Size" if kind is Size else "tuple"
            return {"type": name, "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        items = []
        for key, value in obj.items():
            items.append([self._key(key, where), self.encode(value, f"{where}[{key!r}]")])
        return {"type": "OrderedDict" if kind is OrderedDict else "dict", "items": items}

    def _key(self, key, where: str):
        if isinstance(key, tuple) and type(key) is tuple:
            return {"type": "tuple", "items": [self._key(k, where) for k in key]}
        if type(key) in _KEY_SCALARS:
            return self.encode(key, where)
        raise TypeError(
            f"autograd_core.save can't store the key {key!r} of type {type(key).__qualname__} "
            f"in {where}; dict keys must be str, int, float, bool, None or tuples of those"
        )

    def _array(self, value, kind: str, where: str) -> int:
        index = self._seen.get(id(value))
        if index is not None:
            return index
        if isinstance(value, Tensor):
            name = value.dtype.name
            entry = {"kind": kind, "dtype": name, "shape": list(value.shape),
                     "device": str(value.device),
                     "requires_grad": bool(value.requires_grad and value.is_leaf)}
        else:
            if value.dtype.kind == "u" and value.dtype.itemsize == 1:
                raise TypeError(f"autograd_core.save: {where} is a uint8 array; convert it with "
                                ".astype(numpy.int32) (supported dtypes: " + ", ".join(_STORED) + ")")
            name = next((n for n, d in _STORED.items() if d == value.dtype.newbyteorder("<")), None)
            if name is None:
                raise TypeError(f"autograd_core.save: {where} has dtype {value.dtype}; supported dtypes "
                                "are " + ", ".join(_STORED))
            entry = {"kind": kind, "dtype": name, "shape": list(value.shape)}
        index = len(self.entries)
        entry["member"] = f"data/{index}"
        self.entries.append(entry)
        self.values.append(value)
        self._seen[id(value)] = index
        return index


# =============================================================================== load
def load(f: FileLike, map_location: MapLocation = None, *, weights_only: bool = True) -> Any:
    """Read an object written by `save` from ``f`` (a path or a binary file object).

    ``map_location`` says where tensors go; they always leave the file through host memory
    and share no memory with it:

    - ``None`` (the default) or ``'cpu'``: every tensor on the CPU. (PyTorch puts each
      tensor back on the device it was saved from; here a checkpoint written on a GPU
      machine loads anywhere, and ``model.load_state_dict`` copies the values onto the
      model's own device anyway.)
    - ``'cuda'``, ``'cuda:1'``, a `device` or an int (a CUDA index): every tensor there.
      Without CUDA this raises the library's "CUDA is not available" ``RuntimeError``.
    - a dict such as ``{'cuda:1': 'cuda:0'}``: maps the device a tensor was saved from to
      where it goes; tensors from devices not in the dict load on the CPU.
    - a callable ``fn(tensor, location)``: receives each tensor (on the CPU) and the string
      of the device it was saved from, returns the tensor to use, e.g.
      ``lambda t, loc: t.cuda() if loc.startswith('cuda') else t``.

    ``weights_only`` is accepted for PyTorch compatibility and changes nothing: this format
    holds data only, so every load is "weights only".

    Raises ``RuntimeError`` for an empty, truncated, tampered, foreign or pickle file
    (with the reason), ``FileNotFoundError`` for a missing path.
    """
    resolve = _location_resolver(map_location)
    if isinstance(f, (str, os.PathLike)):
        name = os.fspath(f)
        with open(name, "rb") as stream:
            return _load_stream(stream, name, resolve)
    if not hasattr(f, "read"):
        raise TypeError(f"load() expects a path or a binary file object, got {type(f).__name__}")
    return _load_stream(f, getattr(f, "name", "the file object"), resolve)


def _load_stream(stream: IO[bytes], name, resolve) -> Any:
    seekable = getattr(stream, "seekable", lambda: False)()
    if not seekable or stream.tell() != 0:
        data = stream.read()
        if isinstance(data, str):
            raise TypeError("load() needs a file opened in binary mode ('rb'), not text mode")
        stream = io.BytesIO(data)
    head = stream.read(64)
    if isinstance(head, str):
        raise TypeError("load() needs a file opened in binary mode ('rb'), not text mode")
    stream.seek(0)
    label = f"{name!s}"
    if not head:
        raise RuntimeError(f"{label} is empty, so it is not an autograd_core checkpoint "
                           "(was the save interrupted?)")
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        try:
            zf = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            name_bytes = head[30:30 + len(_MAGIC_MEMBER)]
            if len(head) < 31 or _MAGIC_MEMBER.encode().startswith(name_bytes):
                raise RuntimeError(
                    f"{label} is a truncated or damaged autograd_core checkpoint ({exc}); "
                    "the end of the file is missing, e.g. because the save was interrupted or "
                    "the copy is incomplete"
                ) from None
            raise RuntimeError(f"{label} is a damaged zip file or not a zip at all ({exc}); "
                               "it is not an autograd_core checkpoint") from None
        with zf:
            return _Reader(zf, label, resolve).read()
    raise RuntimeError(_foreign_message(label, head))


def _foreign_message(label: str, head: bytes) -> str:
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return f"{label} looks like a pickle (e.g. a legacy PyTorch checkpoint). {_PICKLE_HELP}"
    if head.startswith(b"\x93NUMPY"):
        return f"{label} is a NumPy .npy file, not an autograd_core checkpoint; read it with numpy.load"
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return f"{label} is an HDF5 file (e.g. Keras weights), not an autograd_core checkpoint"
    if len(head) > 9 and head[8:10] in (b'{"', b"{'"):
        return (f"{label} looks like a safetensors file, not an autograd_core checkpoint; read it "
                "with the safetensors package (numpy API) and build tensors from the arrays")
    return (f"{label} is not an autograd_core checkpoint (unknown format; it starts with "
            f"{head[:8]!r}, while a checkpoint is a zip archive starting with b'PK\\x03\\x04')")


class _Reader:
    """Checks an opened archive member by member, then rebuilds the saved object."""

    def __init__(self, zf: zipfile.ZipFile, label: str, resolve) -> None:
        self.zf = zf
        self.label = label
        self.resolve = resolve
        self.sums: dict[str, str] = {}
        self.built: dict[int, Any] = {}

    def fail(self, why: str) -> RuntimeError:
        return RuntimeError(f"{self.label}: {why}")

    def read(self) -> Any:
        names = self.zf.namelist()
        if _MAGIC_MEMBER not in names:
            if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
                raise RuntimeError(f"{self.label} looks like a PyTorch checkpoint (a zip holding "
                                   f"data.pkl, i.e. a pickle). {_PICKLE_HELP}")
            if names and all(n.endswith(".npy") for n in names):
                raise RuntimeError(f"{self.label} is a NumPy .npz archive, not an autograd_core "
                                   "checkpoint; read it with numpy.load(path, allow_pickle=False)")
            raise RuntimeError(f"{self.label} is a zip archive but not an autograd_core checkpoint "
                               f"(it has no {_MAGIC_MEMBER} member)")
        if len(set(names)) != len(names):
            raise self.fail("the archive lists a member twice, so it was tampered with")
        if _SUMS not in names:
            raise self.fail(f"the {_SUMS} member is missing: the file is damaged or was edited")
        self.sums = self._parse_sums(self._member(_SUMS, check=False))
        unlisted = set(names) - set(self.sums) - {_SUMS}
        missing = set(self.sums) - set(names)
        if unlisted or missing:
            raise self.fail(f"the members do not match {_SUMS} (unlisted: {sorted(unlisted)}, "
                            f"missing: {sorted(missing)}): the file is damaged or was edited")
        if self._member(_MAGIC_MEMBER) != _MAGIC_TEXT:
            raise self.fail("the magic member has unexpected content; not a checkpoint of this library")
        try:
            manifest = json.loads(self._member(_MANIFEST).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise self.fail(f"the manifest is not valid JSON ({exc})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
            raise self.fail("the manifest does not describe an autograd_core checkpoint")
        version = manifest.get("format_version")
        if not isinstance(version, int) or version < 1:
            raise self.fail(f"invalid format_version {version!r}")
        if version > FORMAT_VERSION:
            raise self.fail(f"written in checkpoint format {version}, newer than the format "
                            f"{FORMAT_VERSION} this version of autograd_core reads; upgrade "
                            "autograd_core to load it")
        self.entries = manifest.get("arrays")
        if not isinstance(self.entries, list):
            raise self.fail("the manifest has no array table")
        try:
            return self._decode(manifest["root"])
        except _FromMapLocation as forwarded:  # the user's map_location failed: not the file
            raise forwarded.error from None
        except RuntimeError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError) as exc:
            raise self.fail(f"the manifest is malformed ({type(exc).__name__}: {exc})") from None

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

    def _open(self, name: str):
        try:
            return self.zf.open(name)
        except (KeyError, zipfile.BadZipFile, NotImplementedError, OSError, ValueError) as exc:
            raise self.fail(f"cannot read member {name!r} ({exc}): the file is damaged") from None

    def _member(self, name: str, check: bool = True) -> bytes:
        with self._open(name) as member:
            try:
                data = member.read()
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
                raise self._damaged(name, exc) from None
        if check:
            self._verify(name, hashlib.sha256(data).hexdigest())
        return data

    def _damaged(self, name: str, exc: Exception) -> RuntimeError:
        return self.fail(f"member {name!r} is damaged or was tampered with ({exc})")

    def _verify(self, name: str, digest: str) -> None:
        if digest != self.sums.get(name):
            raise self.fail(f"checksum mismatch for member {name!r}: the file was modified or "
                            "damaged after it was saved (SHA-256 differs)")

    def _array(self, entry: dict) -> np.ndarray:
        """Read one array member into fresh memory, checking size and SHA-256 on the way."""
        stored = _STORED.get(entry["dtype"])
        if stored is None:
            raise self.fail(f"unsupported dtype {entry['dtype']!r} in the manifest")
        shape = entry["shape"]
        if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
            raise self.fail(f"invalid shape {shape!r} in the manifest")
        name = entry["member"]
        nbytes = math.prod(shape) * stored.itemsize
        try:
            size = self.zf.getinfo(name).file_size
        except KeyError:
            raise self.fail(f"member {name!r} is missing") from None
        if size != nbytes:
            raise self.fail(f"member {name!r} holds {size} bytes, but a {entry['dtype']} array of "
                            f"shape {tuple(shape)} needs {nbytes}: the file is damaged")
        array = np.empty(shape, dtype=stored)
        buffer = memoryview(array.reshape(-1).view(np.uint8))
        digest = hashlib.sha256()
        filled = 0
        with self._open(name) as member:
            try:
                while True:  # read to EOF: zipfile checks the CRC-32 there
                    chunk = member.read(_CHUNK)
                    if not chunk:
                        break
                    if filled + len(chunk) > nbytes:
                        raise self.fail(f"member {name!r} is longer than its shape says")
                    buffer[filled:filled + len(chunk)] = chunk
                    digest.update(chunk)
                    filled += len(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
                raise self._damaged(name, exc) from None
        if filled != nbytes:
            raise self.fail(f"member {name!r} is truncated")
        self._verify(name, digest.hexdigest())
        return array.astype(stored.newbyteorder("="), copy=False)

    # ---------------------------------------------------------------- structure
    def _decode(self, node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self._decode(v) for v in node]
        if not isinstance(node, dict):
            raise self.fail(f"unexpected JSON value {node!r} in the manifest")
        kind = node["type"]
        if kind in ("dict", "OrderedDict"):
            out = OrderedDict() if kind == "OrderedDict" else {}
            for key, value in node["items"]:
                out[self._decode(key)] = self._decode(value)
            return out
        if kind == "tuple":
            return tuple(self._decode(v) for v in node["items"])
        if kind == "Size":
            return Size(int(v) for v in node["items"])
        if kind == "float":
            if node["value"] not in ("nan", "inf", "-inf"):
                raise self.fail(f"invalid float {node['value']!r}")
            return float(node["value"])
        if kind in ("tensor", "ndarray", "numpy_scalar"):
            return self._blob(node["id"], kind)
        if kind == "dtype":
            from .dtypes import as_dtype

            return as_dtype(str(node["name"]))
        if kind == "device":
            return _device(str(node["name"]))
        raise self.fail(f"unknown node type {kind!r} in the manifest")

    def _blob(self, index: int, kind: str):
        if type(index) is not int or not 0 <= index < len(self.entries):
            raise self.fail(f"array id {index!r} is out of range")
        key = (index, kind)
        if key in self.built:
            return self.built[key]
        entry = self.entries[index]
        array = self._array(entry)
        if kind == "numpy_scalar":
            value = array[()]
        elif kind == "ndarray":
            value = array
        else:
            value = self._tensor(array, entry)
        self.built[key] = value
        return value

    def _tensor(self, array: np.ndarray, entry: dict) -> Tensor:
        location = str(entry.get("device", "cpu"))
        try:
            tensor = self.resolve(array, location)
        except Exception as exc:
            raise _FromMapLocation(exc) from exc
        if entry.get("requires_grad") and tensor.is_floating_point() and tensor.is_leaf:
            tensor.requires_grad_(True)
        return tensor


class _FromMapLocation(Exception):
    """Carries an error raised while applying ``map_location`` past the checks that turn
    decoding errors into "malformed file" errors."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _location_resolver(map_location: MapLocation) -> Callable[[np.ndarray, str], Tensor]:
    """``fn(host_array, saved_location) -> tensor`` for a ``map_location`` argument."""
    if map_location is None:
        return lambda array, loc: _place(array, None)
    if isinstance(map_location, (str, _device)) or (
        isinstance(map_location, int) and not isinstance(map_location, bool)
    ):
        target = _device(map_location)
        return lambda array, loc: _place(array, target)
    if isinstance(map_location, dict):
        table = {str(_device(k)): _device(v) for k, v in map_location.items()}
        return lambda array, loc: _place(array, table.get(loc))
    if callable(map_location):

        def by_callable(array: np.ndarray, loc: str) -> Tensor:
            t = _place(array, None)
            out = map_location(t, loc)
            if out is None:  # PyTorch's convention: None means "leave it where it is"
                return t
            if not isinstance(out, Tensor):
                raise TypeError(f"map_location callable must return a Tensor, got {type(out).__name__}")
            return out

        return by_callable
    raise TypeError(
        "map_location must be None, a device string like 'cpu' or 'cuda:0', a device, an int, "
        f"a dict of device strings, or a callable(tensor, location); got {type(map_location).__name__}"
    )


def _place(array: np.ndarray, target: _device | None) -> Tensor:
    """A new leaf tensor holding ``array`` on ``target`` (the CPU when None): the array
    itself on the CPU, an upload of it on a GPU."""
    from .factories import as_tensor, from_numpy

    if target is None or target.type == "cpu":
        return from_numpy(array)
    return as_tensor(array, device=target)


__all__ = ["save", "load", "FORMAT_VERSION"]
