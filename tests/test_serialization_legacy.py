"""Checkpoints of the previous zip format (.agc) still load, under the same limits as
safetensors files: no allocation beyond the file's bytes, no decompression, one exception."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import tracemalloc
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.serialization import CheckpointError, load, save

_DATE = (1980, 1, 1, 0, 0, 0)


def agc_bytes(arrays, root, edit_manifest=None, compress=None) -> bytes:
    """An archive in the old format: ``arrays`` a list of (dtype name, ndarray, kind)."""
    entries, members = [], []
    for i, (dtype, array, kind) in enumerate(arrays):
        entries.append({"kind": kind, "dtype": dtype, "shape": list(array.shape), "member": f"data/{i}",
                        "device": "cpu", "requires_grad": False})
        members.append((f"data/{i}", np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()))
    manifest = {"format": "autograd_core.checkpoint", "format_version": 1, "root": root, "arrays": entries}
    if edit_manifest:
        edit_manifest(manifest)
    members = [("AUTOGRAD_CORE_CHECKPOINT", b"autograd_core checkpoint\n"), *members,
               ("manifest.json", json.dumps(manifest).encode())]
    sums = "".join(f"{hashlib.sha256(c).hexdigest()}  {n}\n" for n, c in members).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, content in [*members, ("SHA256SUMS", sums)]:
            info = zipfile.ZipInfo(name, date_time=_DATE)
            info.compress_type = (compress or {}).get(name, zipfile.ZIP_STORED)
            zf.writestr(info, content)
    return out.getvalue()


def state_dict_agc() -> tuple[bytes, dict]:
    w, b = np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1.0, -2.0], dtype=np.float32)
    root = {"type": "OrderedDict", "items": [["weight", {"type": "tensor", "id": 0}],
                                             ["bias", {"type": "tensor", "id": 1}]]}
    return agc_bytes([("float32", w, "tensor"), ("float32", b, "tensor")], root), {"weight": w, "bias": b}


def peak_bytes(fn) -> int:
    tracemalloc.start()
    try:
        fn()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


def test_old_checkpoint_loads_and_converts(tmp_path):
    data, expected = state_dict_agc()
    (tmp_path / "digits.agc").write_bytes(data)
    sd = load(tmp_path / "digits.agc")
    assert type(sd) is OrderedDict and list(sd) == ["weight", "bias"]
    for k, v in expected.items():
        assert sd[k].dtype == ag.float32
        np.testing.assert_array_equal(sd[k].numpy(), v)
    save(sd, tmp_path / "digits.safetensors")  # the conversion: load, then save
    again = load(tmp_path / "digits.safetensors")
    np.testing.assert_array_equal(again["weight"].numpy(), expected["weight"])


def test_old_nested_values():
    root = {"type": "dict", "items": [
        ["epoch", 3], ["lr", {"type": "float", "value": "inf"}], ["size", {"type": "Size", "items": [2, 3]}],
        ["t", {"type": "tuple", "items": [None, "x"]}], ["dt", {"type": "dtype", "name": "float16"}],
        ["arr", {"type": "ndarray", "id": 0}], ["s", {"type": "numpy_scalar", "id": 1}]]}
    data = agc_bytes([("int64", np.arange(3), "ndarray"), ("float64", np.array(2.5), "ndarray")], root)
    out = load(io.BytesIO(data))
    assert out["epoch"] == 3 and out["lr"] == float("inf") and out["size"] == ag.Size([2, 3])
    assert out["t"] == (None, "x") and out["dt"] is ag.float16 and out["s"] == 2.5
    np.testing.assert_array_equal(out["arr"], np.arange(3))


def forge_sizes(data: bytes, member: str, size: int) -> bytes:
    """Make the zip directory (central and local headers) claim ``size`` bytes for ``member``."""
    out = bytearray(data)
    name = member.encode()
    for signature, sizes_at, name_len_at, header in ((b"PK\x01\x02", 20, 28, 46), (b"PK\x03\x04", 18, 26, 30)):
        start = 0
        while (start := out.find(signature, start)) != -1:
            (n,) = struct.unpack("<H", out[start + name_len_at:start + name_len_at + 2])
            if out[start + header:start + header + n] == name:
                out[start + sizes_at:start + sizes_at + 8] = struct.pack("<II", size, size)
            start += 4
    return bytes(out)


def test_directory_claiming_gigabytes_allocates_nothing_of_it():
    """The report: a small file whose zip directory claims ~4 GiB (and whose manifest, with
    recomputed sums, asks for a matching array) made the old loader allocate it all."""
    claimed = 0xFFFF0000

    def huge_shape(manifest):
        manifest["arrays"][0]["shape"] = [claimed // 4]

    w = np.zeros(4, dtype=np.float32)
    root = {"type": "tensor", "id": 0}
    data = forge_sizes(agc_bytes([("float32", w, "tensor")], root, huge_shape), "data/0", claimed)
    assert len(data) < 10_000

    def attempt():
        with pytest.raises(CheckpointError, match="claims|damaged"):
            load(io.BytesIO(data))

    assert peak_bytes(attempt) < 1_000_000


def test_compressed_members_are_refused_before_decompression():
    """A deflated SHA256SUMS of 16 MiB squeezed into a small file is never inflated."""
    bomb = b"0" * (16 << 20)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(zipfile.ZipInfo("AUTOGRAD_CORE_CHECKPOINT", _DATE), b"autograd_core checkpoint\n")
        info = zipfile.ZipInfo("SHA256SUMS", _DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, bomb)
    data = out.getvalue()
    assert len(data) < 100_000

    def attempt():
        with pytest.raises(CheckpointError, match="compressed"):
            load(io.BytesIO(data))

    assert peak_bytes(attempt) < 1_000_000


@pytest.mark.parametrize("root, match", [
    ({"type": "Size", "items": [1e400]}, "Size"),
    ({"type": "Size", "items": [-1]}, "Size"),
    ({"type": "float", "value": "1e400"}, "invalid float"),
    ({"type": "tensor", "id": 5}, "out of range"),
    ({"type": "dict", "items": [[[1, 2], 3]]}, "key"),
    ({"type": "dict", "items": 7}, "items"),
    ({"type": "pickle", "data": "x"}, "unknown"),
])
def test_malformed_manifests_raise_checkpoint_error(root, match):
    data = agc_bytes([("float32", np.zeros(2, dtype=np.float32), "tensor")], root)
    with pytest.raises(CheckpointError, match=match):
        load(io.BytesIO(data))


def test_shape_not_matching_the_member_and_bad_checksums():
    def wrong_shape(manifest):
        manifest["arrays"][0]["shape"] = [3]

    data = agc_bytes([("float32", np.zeros(2, dtype=np.float32), "tensor")], {"type": "tensor", "id": 0}, wrong_shape)
    with pytest.raises(CheckpointError, match="needs 12"):
        load(io.BytesIO(data))
    good, _ = state_dict_agc()
    at = good.index(np.arange(6, dtype="<f4").tobytes())
    flipped = bytearray(good)
    flipped[at + 5] ^= 1
    with pytest.raises(CheckpointError, match="damaged|checksum"):
        load(io.BytesIO(bytes(flipped)))


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.99])
def test_truncated_old_checkpoints(fraction):
    data, _ = state_dict_agc()
    with pytest.raises(CheckpointError, match="truncated|damaged"):
        load(io.BytesIO(data[: int(len(data) * fraction)]))


def test_npz_torch_zip_and_plain_zip_are_refused(tmp_path):
    buf = io.BytesIO()
    np.savez(buf, a=np.arange(3))
    with pytest.raises(CheckpointError, match="npz"):
        load(io.BytesIO(buf.getvalue()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", b"hi")
    with pytest.raises(CheckpointError, match="zip archive but not"):
        load(io.BytesIO(buf.getvalue()))
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.ones(2)}, tmp_path / "model.pt")
    with pytest.raises(CheckpointError, match="PyTorch checkpoint") as info:
        load(tmp_path / "model.pt")
    assert "safetensors.torch.save_file" in str(info.value) and "never unpickles" in str(info.value)


def test_encrypted_flag_is_refused():
    """Found by tests/fuzz_load.py: zipfile raised a bare RuntimeError ("password required")."""
    data, _ = state_dict_agc()
    out = bytearray(data)
    at = out.find(b"PK\x01\x02")
    out[at + 8] |= 0x1  # the central directory's "encrypted" flag of the first member
    with pytest.raises(CheckpointError, match="encrypted"):
        load(io.BytesIO(bytes(out)))
