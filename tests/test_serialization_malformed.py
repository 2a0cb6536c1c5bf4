"""Malformed, hostile and foreign files: each raises CheckpointError with the reason, and
nothing is allocated beyond the bytes the file holds. Ends with a few seconds of mutation
fuzzing (tests/fuzz_load.py runs the long version by hand)."""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import tracemalloc

import numpy as np
import pytest
from fuzz_load import MEMORY_FACTOR, MEMORY_SLACK, plain_safetensors, run

import autograd_core as ag
from autograd_core.serialization import CheckpointError, load, save


def checkpoint_bytes(obj=None) -> bytes:
    buf = io.BytesIO()
    save({"w": ag.arange(64, dtype=ag.float32), "b": ag.zeros(4)} if obj is None else obj, buf)
    return buf.getvalue()


def split(data: bytes) -> tuple[dict, bytes]:
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + n]), data[8 + n:]


def join(header: dict, rest: bytes) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + rest


def edit_document(data: bytes, edit) -> bytes:
    header, rest = split(data)
    document = json.loads(header["__metadata__"]["autograd_core"])
    edit(document)
    header["__metadata__"]["autograd_core"] = json.dumps(document)
    return join(header, rest)


def refused(data: bytes, match: str) -> str:
    with pytest.raises(CheckpointError, match=match) as info:
        load(io.BytesIO(data))
    assert isinstance(info.value, RuntimeError)  # what PyTorch code catches
    return str(info.value)


def peak_bytes(fn) -> int:
    tracemalloc.start()
    try:
        fn()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


# ----------------------------------------------------------------- damaged files
def test_empty_file():
    refused(b"", "empty")


@pytest.mark.parametrize("fraction", [0.01, 0.1, 0.5, 0.9, 0.99])
def test_truncated_file(fraction):
    data = checkpoint_bytes()
    refused(data[: max(9, int(len(data) * fraction))], "truncated|ended early")


def test_last_byte_missing_and_extra_bytes():
    data = checkpoint_bytes()
    refused(data[:-1], "truncated")
    refused(data + b"\x00", "bytes no tensor claims")


def test_flipped_byte_in_tensor_data_fails_the_checksum():
    data = bytearray(checkpoint_bytes())
    at = bytes(data).index(np.arange(64, dtype="<f4").tobytes())
    data[at + 10] ^= 0x01
    refused(bytes(data), "checksum mismatch")


def test_edited_structure_is_refused():
    def swap(document):
        document["root"]["items"][0][1]["name"] = "nope"

    refused(edit_document(checkpoint_bytes(), swap), "does not hold")

    def drop(document):
        document["root"]["items"].pop()

    refused(edit_document(checkpoint_bytes(), drop), "never mentions")

    def newer(document):
        document["format_version"] = 99

    refused(edit_document(checkpoint_bytes(), newer), "newer")


@pytest.mark.parametrize("root, match", [
    ({"type": "Size", "items": [1e400]}, "Size"),
    ({"type": "float", "value": "1e400"}, "invalid float"),
    ({"type": "dict", "items": [[[1], 2]]}, "key"),
    ({"type": "dict", "items": [[1]]}, "pair"),
    ({"type": "tuple"}, "items"),
    ({"type": "dtype", "name": "complex32"}, "dtype"),
    ({"type": "device", "name": "tpu:0"}, "device"),
    ({"type": "__reduce__", "args": ["os.system"]}, "unknown node type"),
    ({"type": "tensor", "name": ["w"]}, "does not hold"),
    ("[" * 50_000 + "]" * 50_000, "nested|JSON"),
])
def test_malformed_structures(root, match):
    def replace(document):
        document["root"] = root if not isinstance(root, str) else "ROOT"

    data = edit_document(checkpoint_bytes({"w": ag.ones(1)}), replace)
    if isinstance(root, str):
        header, rest = split(data)
        header["__metadata__"]["autograd_core"] = header["__metadata__"]["autograd_core"].replace('"ROOT"', root)
        data = join(header, rest)
    refused(data, match)


def test_deep_structure_is_refused_without_recursion_error():
    deep = {"type": "tuple", "items": []}
    for _ in range(200):
        deep = {"type": "tuple", "items": [deep]}

    def replace(document):
        document["root"] = deep

    refused(edit_document(checkpoint_bytes({"w": ag.ones(1)}), replace), "nested more than")


# ----------------------------------------------------------------- bad headers
@pytest.mark.parametrize("header, match", [
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, "needs 8 bytes"),
    ({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 8]}}, "invalid shape"),
    ({"a": {"dtype": "F32", "shape": [2.0], "data_offsets": [0, 8]}}, "invalid shape"),
    ({"a": {"dtype": "F32", "shape": [1] * 65, "data_offsets": [0, 4]}}, "invalid shape"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, "needs 8 bytes"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0]}}, "data_offsets"),
    ({"a": {"dtype": "Q32", "shape": [2], "data_offsets": [0, 8]}}, "unknown dtype"),
    ({"a": {"dtype": "F8_E4M3", "shape": [8], "data_offsets": [0, 8]}}, "can't hold"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8], "extra": 1}}, "exactly"),
    ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
      "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, "overlaps"),
    ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, "gap"),
    ({"__metadata__": {"k": 1}, "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, "strings to strings"),
    ({"__metadata__": {"autograd_core": "{not json"},
      "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, "not valid JSON"),
])
def test_inconsistent_headers(header, match):
    refused(join(header, bytes(8)), match)


def test_header_that_is_not_json_an_object_or_unique():
    entry = b'{"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}'
    body = b'{"a": ' + entry + b', "a": ' + entry + b"}"
    refused(struct.pack("<Q", len(body)) + body + bytes(8), "twice")
    refused(struct.pack("<Q", 4) + b"{\xff\xfe}", "UTF-8 JSON")
    refused(struct.pack("<Q", 2) + b"[]", "not a checkpoint")  # a JSON array: not even sniffed as safetensors
    refused(struct.pack("<Q", 3) + b"{1}", "JSON")


def test_bool_bytes_other_than_zero_or_one():
    refused(plain_safetensors({"m": ("BOOL", np.array([0, 2], dtype="u1"))}), "other than 0 and 1")


# ------------------------------------------------------------------ memory bounds
@pytest.mark.parametrize("claim", [
    "header_length",  # the 8-byte length says 100 MB; the file holds a few bytes
    "shape",          # a consistent header asking for 2**40 floats, with the bytes missing
    "over_limit",     # a header over the 100 MB limit
])
def test_claims_beyond_the_file_allocate_nothing(claim):
    if claim == "header_length":
        data = struct.pack("<Q", 100_000_000) + b'{"a": 1}'
    elif claim == "shape":
        data = join({"a": {"dtype": "F32", "shape": [2**40], "data_offsets": [0, 2**42]}}, bytes(64))
    else:
        data = struct.pack("<Q", 100_000_001) + b"{" + bytes(100)

    def attempt():
        with pytest.raises(CheckpointError, match="truncated|limit"):
            load(io.BytesIO(data))

    assert peak_bytes(attempt) < 200_000


def test_memory_is_a_small_multiple_of_the_file_size():
    """A 4 MB checkpoint loads with about its own size in fresh memory (plus the header)."""
    data = checkpoint_bytes({f"layer{i}.weight": ag.ones(100, 100) for i in range(100)})
    peak = peak_bytes(lambda: load(io.BytesIO(data)))
    assert len(data) < peak < 2 * len(data)


@pytest.mark.parametrize("shape", ["entries", "lists"])
def test_header_heavy_files_stay_within_the_bound(shape):
    """JSON costs Python objects: the worst headers (many tiny objects) are the bound's case."""
    if shape == "entries":
        raw = b"{" + b",".join(b'"a%d":[]' % i for i in range(20_000)) + b"}"
    else:
        root = json.dumps({"format_version": 2, "data_sha256": "0" * 64, "root": [[]] * 40_000})
        raw = json.dumps({"__metadata__": {"autograd_core": root}}).encode()
    data = struct.pack("<Q", len(raw)) + raw

    def attempt():
        with pytest.raises(CheckpointError):
            load(io.BytesIO(data))

    assert peak_bytes(attempt) < MEMORY_FACTOR * len(data)


# ------------------------------------------------------------------ foreign files
@pytest.mark.parametrize("content, match", [
    (b"hello, this is a text file\n", "not a checkpoint"),
    (bytes(range(256)), "not a checkpoint"),
    (b"\x89HDF\r\n\x1a\n" + bytes(100), "HDF5"),
    (b"\x93NUMPY\x01\x00" + bytes(100), "NumPy .npy"),
])
def test_foreign_files(content, match):
    refused(content, match)


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo SHOULD-NEVER-RUN",))


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_pickle_is_refused_with_advice(protocol, tmp_path, capfd):
    p = tmp_path / "evil.pt"
    p.write_bytes(pickle.dumps({"x": _Boom()}, protocol=protocol))
    with pytest.raises(CheckpointError, match="looks like a pickle") as info:
        load(p)
    message = str(info.value)
    assert "never unpickles" in message and "safetensors.torch.save_file" in message
    assert "SHOULD-NEVER-RUN" not in capfd.readouterr().out


def test_legacy_torch_pickle_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    p = tmp_path / "old.pt"
    torch.save({"w": torch.ones(2)}, p, _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError, match="pickle"):
        load(p)


# ------------------------------------------------------------------ fuzzing
def test_fuzzed_files_raise_only_checkpoint_error_within_memory():
    """Two seconds of mutants: everything loads or raises CheckpointError, within
    MEMORY_FACTOR x file size + MEMORY_SLACK of traced memory."""
    stats = run(seed=1234, seconds=2.0)
    assert stats["inputs"] > 100
    assert stats["refused"] > stats["inputs"] // 2 and stats["loaded"] > 0
    assert not stats["escaped"], stats["escaped"][:3]
    assert not stats["over_memory"], [(p, s) for p, s, _ in stats["over_memory"][:3]]
    assert MEMORY_FACTOR <= 32 and MEMORY_SLACK <= 256 * 1024
