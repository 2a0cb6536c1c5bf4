"""Nested Python values <-> a JSON tree whose leaves name safetensors entries.

`encode` walks ``obj`` and returns the tree and the arrays to store; `Decoder` checks a
tree read from a file node by node and rebuilds the object. JSON holds ``None``, bools,
ints, finite floats, strings and lists as themselves; everything else is an object with a
``"type"``::

    {"type": "dict" | "OrderedDict", "items": [[key, value], ...]}     order kept
    {"type": "tuple" | "Size", "items": [...]}
    {"type": "float", "value": "nan" | "inf" | "-inf"}
    {"type": "tensor", "name": ENTRY, "device": "cuda:0", "requires_grad": true}
    {"type": "ndarray" | "numpy_scalar", "name": ENTRY}
    {"type": "dtype" | "device", "name": "float32" | "cuda:0"}

An entry's name is the path to its value (``"model.fc.weight"``), so other tools list
readable names; a flat state dict's entries are exactly its keys.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from ..device import device as _device
from ..dtypes import _BY_NAME
from ..dtypes import dtype as _dtype
from ..tensor import Size, Tensor
from . import _safetensors as st
from ._errors import CheckpointError

MAX_DEPTH = 64  # containers inside containers; real checkpoints use fewer than ten
_KEY_SCALARS = (str, int, float, bool, type(None))
_FLOAT_WORDS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


# =============================================================================== encode
def encode(obj: Any) -> tuple[Any, list[tuple[str, np.ndarray]]]:
    """The JSON tree of ``obj`` and its arrays, each a (name, little-endian host array).

    Validates everything before returning, so a refused object writes nothing.
    """
    encoder = _Encoder()
    return encoder.encode(obj, (), "obj", 0), encoder.arrays


class _Encoder:
    def __init__(self) -> None:
        self.arrays: list[tuple[str, np.ndarray]] = []
        self._names: set[str] = {"__metadata__"}
        self._active: set[int] = set()  # containers on the current path (cycle detection)

    def encode(self, obj: Any, path: tuple, where: str, depth: int) -> Any:
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            return float(obj) if math.isfinite(obj) else {"type": "float", "value": repr(float(obj))}
        if isinstance(obj, Tensor):
            if st.safetensors_dtype(obj._data.dtype) is None:
                raise TypeError(f"autograd_core.save can't store {where}, a tensor of dtype "
                                f"{obj.dtype}: safetensors has no such type; convert it first, "
                                f"e.g. autograd_core.view_as_real(t) (lossless) or .to(autograd_core.complex64)")
            name = self._store(_little_endian(obj.detach().cpu().numpy()), path)
            return {"type": "tensor", "name": name, "device": str(obj.device),
                    "requires_grad": bool(obj.requires_grad and obj.is_leaf)}
        if isinstance(obj, (np.ndarray, np.generic)):
            array = np.asarray(obj)
            if st.safetensors_dtype(array.dtype) is None:
                raise TypeError(f"autograd_core.save can't store {where}, a NumPy value of dtype "
                                f"{array.dtype}; supported: bool, (u)int8-64, float16/32/64, bfloat16, "
                                f"complex64")
            kind = "ndarray" if isinstance(obj, np.ndarray) else "numpy_scalar"
            return {"type": kind, "name": self._store(_little_endian(array), path)}
        if isinstance(obj, _dtype):
            return {"type": "dtype", "name": obj.name}
        if isinstance(obj, _device):
            return {"type": "device", "name": str(obj)}
        if type(obj) in (list, tuple, Size, dict, OrderedDict):
            if id(obj) in self._active:
                raise ValueError(f"autograd_core.save: {where} contains itself (a circular reference)")
            if depth >= MAX_DEPTH:
                raise ValueError(f"autograd_core.save: {where} is nested more than {MAX_DEPTH} "
                                 "containers deep; flatten it")
            self._active.add(id(obj))
            try:
                return self._container(obj, path, where, depth + 1)
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

    def _container(self, obj, path: tuple, where: str, depth: int):
        kind = type(obj)
        if kind is list:
            return [self.encode(v, (*path, str(i)), f"{where}[{i}]", depth) for i, v in enumerate(obj)]
        if kind in (tuple, Size):
            items = [self.encode(v, (*path, str(i)), f"{where}[{i}]", depth) for i, v in enumerate(obj)]
            return {"type": "Size" if kind is Size else "tuple", "items": items}
        items = []
        for key, value in obj.items():
            items.append([self._key(key, where),
                          self.encode(value, (*path, str(key)), f"{where}[{key!r}]", depth)])
        return {"type": "OrderedDict" if kind is OrderedDict else "dict", "items": items}

    def _key(self, key, where: str):
        if type(key) is tuple:
            return {"type": "tuple", "items": [self._key(k, where) for k in key]}
        if type(key) in _KEY_SCALARS:
            return self.encode(key, (), where, 0)
        raise TypeError(
            f"autograd_core.save can't store the key {key!r} of type {type(key).__qualname__} "
            f"in {where}; dict keys must be str, int, float, bool, None or tuples of those"
        )

    def _store(self, array: np.ndarray, path: tuple) -> str:
        base = ".".join(path) or "tensor"
        name, n = base, 1
        while name in self._names:
            n += 1
            name = f"{base}#{n}"
        self._names.add(name)
        self.arrays.append((name, array))
        return name


# =============================================================================== decode
class Decoder:
    """Rebuilds an object from its JSON tree and the arrays read from the file.

    ``arrays`` maps entry names to (stored array, safetensors dtype); ``place(array,
    saved_device)`` turns a host array into a tensor where ``map_location`` says.
    """

    def __init__(self, arrays: dict[str, tuple[np.ndarray, str]],
                 place: Callable[[np.ndarray, str], Tensor], label: str) -> None:
        self.arrays = arrays
        self.place = place
        self.label = label
        self.used: dict[str, Any] = {}

    def fail(self, why: str) -> CheckpointError:
        return CheckpointError(f"{self.label}: the structure in the metadata is malformed: {why}")

    def decode(self, node: Any, depth: int = 0) -> Any:
        if node is None or type(node) in (bool, int, float, str):
            return node
        if depth >= 2 * MAX_DEPTH:  # a dict takes two levels of JSON (the node and an item pair)
            raise self.fail(f"nested more than {MAX_DEPTH} containers deep")
        if type(node) is list:
            return [self.decode(v, depth + 1) for v in node]
        if type(node) is not dict:
            raise self.fail(f"unexpected JSON value of type {type(node).__name__}")
        kind = node.get("type")
        if kind in ("dict", "OrderedDict"):
            out = OrderedDict() if kind == "OrderedDict" else {}
            for pair in self._items(node):
                if type(pair) is not list or len(pair) != 2:
                    raise self.fail("a dict item is not a [key, value] pair")
                key = self._key(pair[0], depth + 1)
                out[key] = self.decode(pair[1], depth + 1)
            return out
        if kind == "tuple":
            return tuple(self.decode(v, depth + 1) for v in self._items(node))
        if kind == "Size":
            items = self._items(node)
            if not all(type(v) is int and v >= 0 for v in items):
                raise self.fail("a Size holds something other than non-negative ints")
            return Size(items)
        if kind == "float":
            word = node.get("value")
            if type(word) is not str or word not in _FLOAT_WORDS:
                raise self.fail(f"invalid float {str(word)[:20]!r}")
            return _FLOAT_WORDS[word]
        if kind in ("tensor", "ndarray", "numpy_scalar"):
            return self._array_node(node, kind)
        if kind == "dtype":
            name = node.get("name")
            if type(name) is not str or name not in _BY_NAME:
                raise self.fail(f"unknown dtype {str(name)[:20]!r}")
            return _BY_NAME[name]
        if kind == "device":
            name = node.get("name")
            if type(name) is not str or len(name) > 32:
                raise self.fail("invalid device name")
            try:
                return _device(name)
            except (RuntimeError, ValueError, TypeError):
                raise self.fail(f"invalid device name {name[:80]!r}") from None
        raise self.fail(f"unknown node type {str(kind)[:40]!r}")

    def _items(self, node: dict) -> list:
        items = node.get("items")
        if type(items) is not list:
            raise self.fail(f"a {node.get('type')} node has no list of items")
        return items

    def _key(self, node: Any, depth: int) -> Any:
        key = self.decode(node, depth)
        if type(key) in _KEY_SCALARS or (type(key) is tuple and _is_plain_key(key)):
            return key
        raise self.fail(f"a dict key decodes to a {type(key).__name__}, not a str, number, bool, "
                        "None or tuple of those")

    def _array_node(self, node: dict, kind: str) -> Any:
        name = node.get("name")
        if type(name) is not str or name not in self.arrays:
            raise self.fail(f"{kind} refers to a tensor {str(name)[:80]!r} that the file does not hold")
        key = (name, kind)
        if key in self.used:  # our files name each entry once; a repeat gets the same object
            return self.used[key]
        array, dtype = self.arrays[name]
        if kind == "ndarray":
            value = st.native(array, dtype)
        elif kind == "numpy_scalar":
            if array.ndim:
                raise self.fail(f"numpy scalar {name[:80]!r} has shape {array.shape}")
            value = st.native(array, dtype)[()]
        else:
            device = node.get("device", "cpu")
            if type(device) is not str or len(device) > 32:
                raise self.fail(f"tensor {name[:80]!r} has an invalid device")
            value = self.place(st.to_library_dtype(array, dtype, self.label, name), device)
            if node.get("requires_grad") is True and value.is_floating_point() and value.is_leaf:
                value.requires_grad_(True)
        self.used[key] = value
        return value


def _little_endian(array: np.ndarray) -> np.ndarray:
    """A C-contiguous little-endian copy or view (0-d arrays stay 0-d)."""
    out = array.astype(array.dtype.newbyteorder("<"), order="C", copy=False)
    return out if out.flags.c_contiguous else out.copy(order="C")


def _is_plain_key(key: tuple) -> bool:
    return all(type(k) in _KEY_SCALARS or (type(k) is tuple and _is_plain_key(k)) for k in key)
