"""autograd_core.save / load: round trips of every dtype and nesting, a format that never
unpickles, and refusal of truncated, tampered, foreign and pickle files."""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from fake_cupy import FakeArray, fake_cuda  # noqa: F401
from hypothesis import given
from hypothesis import strategies as st
from strategies import make_tensor, shapes

import autograd_core as ag
from autograd_core.serialization import FORMAT_VERSION, load, save

DTYPES = [ag.bool, ag.int32, ag.int64, ag.float16, ag.float32, ag.float64]


def roundtrip(obj, **load_kwargs):
    buf = io.BytesIO()
    save(obj, buf)
    buf.seek(0)
    return load(buf, **load_kwargs)


def values_for(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    if dtype is ag.bool:
        return np.asarray(rng.random(shape) < 0.5)
    if dtype.is_floating_point:
        return np.asarray(rng.standard_normal(shape), dtype=dtype.numpy)
    info = np.iinfo(dtype.numpy)
    return np.asarray(rng.integers(info.min, info.max, size=shape, dtype=dtype.numpy, endpoint=True))


def assert_same_tensor(a, b):
    assert isinstance(b, ag.Tensor)
    assert b.dtype == a.dtype
    assert tuple(b.shape) == tuple(a.shape)
    np.testing.assert_array_equal(b.numpy(), a.detach().numpy())


# ------------------------------------------------------------------------ round trips
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 0, 3), (2, 3, 4)], ids=str)
def test_every_dtype_and_shape(dtype, shape):
    t = ag.from_numpy(values_for(dtype, shape))
    out = roundtrip({"t": t})["t"]
    assert_same_tensor(t, out)


@pytest.mark.parametrize("layout", ["transposed", "strided"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_non_contiguous_tensors(layout, dtype):
    t = make_tensor(values_for(dtype, (3, 4)), layout, requires_grad=False)
    assert not t.is_contiguous()
    out = roundtrip([t])[0]
    assert_same_tensor(t, out)
    assert out.is_contiguous()


@given(shape=shapes(min_dims=0, max_dims=4, min_side=0, max_side=4),
       dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**31 - 1),
       layout=st.sampled_from(["contiguous", "transposed", "strided"]))
def test_roundtrip_property(shape, dtype, seed, layout):
    t = make_tensor(values_for(dtype, shape, seed), layout, requires_grad=False)
    assert_same_tensor(t, roundtrip(t))


def test_float32_stays_float32_and_values_are_exact():
    values = np.array([1 / 3, 1e-38, 3.4e38, -0.0, np.nan, np.inf, -np.inf], dtype=np.float32)
    out = roundtrip(ag.from_numpy(values))
    assert out.dtype == ag.float32
    assert out.numpy().tobytes() == values.tobytes()  # bit for bit, nan and -0.0 included


def test_nested_structures_keep_their_types_and_order():
    w = ag.randn(3, 2)
    keys = ["z", "a", "m", "b"]
    obj = {
        "model": OrderedDict((k, ag.full((2,), float(i))) for i, k in enumerate(keys)),
        "optimizer": {
            "state": {0: {"step": ag.tensor(5.0), "exp_avg": ag.zeros(3, 2)}, 1: {}},
            "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                              "amsgrad": False, "params": [0, 1], "foreach": None}],
        },
        "epoch": 12,
        "big": 2**80,
        "losses": [0.5, float("nan"), float("inf"), -float("inf")],
        "name": "réseau ✓",
        "nothing": None,
        "flags": (True, False),
        "empty": ([], {}, ()),
        (1, "tuple key"): "ok",
        2.5: "float key",
        None: "none key",
        "w": w,
    }
    out = roundtrip(obj)
    assert type(out["model"]) is OrderedDict and list(out["model"]) == keys
    assert type(out["optimizer"]["state"]) is dict and list(out["optimizer"]["state"]) == [0, 1]
    group = out["optimizer"]["param_groups"][0]
    assert group["betas"] == (0.9, 0.999) and type(group["betas"]) is tuple
    assert group["params"] == [0, 1] and group["foreach"] is None and group["amsgrad"] is False
    assert type(group["weight_decay"]) is int and type(group["lr"]) is float
    assert out["epoch"] == 12 and out["big"] == 2**80
    assert math.isnan(out["losses"][1]) and out["losses"][2:] == [math.inf, -math.inf]
    assert out["name"] == "réseau ✓" and out["nothing"] is None
    assert out["flags"] == (True, False) and type(out["flags"][0]) is bool
    assert out["empty"] == ([], {}, ())
    assert out[(1, "tuple key")] == "ok" and out[2.5] == "float key" and out[None] == "none key"
    assert list(out) == list(obj)
    assert_same_tensor(w, out["w"])
    assert_same_tensor(obj["optimizer"]["state"][0]["step"], out["optimizer"]["state"][0]["step"])


def test_numpy_values_sizes_dtypes_and_devices():
    obj = {"arr": np.arange(6, dtype=np.int32).reshape(2, 3), "scalar": np.float32(1.5),
           "size": ag.Size([2, 3]), "dtype": ag.float16, "device": ag.device("cpu")}
    out = roundtrip(obj)
    assert isinstance(out["arr"], np.ndarray) and out["arr"].dtype == np.int32
    np.testing.assert_array_equal(out["arr"], obj["arr"])
    assert type(out["scalar"]) is np.float32 and out["scalar"] == np.float32(1.5)
    assert type(out["size"]) is ag.Size and out["size"] == (2, 3)
    assert out["dtype"] is ag.float16 and out["device"] == ag.device("cpu")


def test_shared_tensor_is_stored_once_and_comes_back_shared():
    t = ag.randn(100)
    buf = io.BytesIO()
    save({"a": t, "b": [t, t]}, buf)
    assert len(zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist()) == 4  # magic, 1 array, manifest, sums
    buf.seek(0)
    out = load(buf)
    assert out["a"] is out["b"][0] is out["b"][1]


def test_requires_grad_comes_back_but_not_the_graph():
    leaf = ag.randn(3, requires_grad=True)
    nonleaf = leaf * 2
    out = roundtrip({"leaf": leaf, "nonleaf": nonleaf, "plain": ag.ones(2)})
    assert out["leaf"].requires_grad and out["leaf"].is_leaf
    assert not out["nonleaf"].requires_grad and out["nonleaf"].grad_fn is None
    assert not out["plain"].requires_grad
    np.testing.assert_array_equal(out["nonleaf"].numpy(), nonleaf.detach().numpy())


def test_loaded_tensors_own_fresh_writable_memory():
    t = ag.arange(6, dtype=ag.float32)
    out = roundtrip(t)
    arr = out.numpy()
    assert arr.flags.writeable
    arr[0] = 100.0
    assert t.numpy()[0] == 0.0
    again = roundtrip(t)
    assert again.numpy()[0] == 0.0 and not np.shares_memory(again.numpy(), arr)


def test_save_is_deterministic():
    obj = {"w": ag.arange(4, dtype=ag.float32), "lr": 0.1}
    a, b = io.BytesIO(), io.BytesIO()
    save(obj, a)
    save(obj, b)
    assert a.getvalue() == b.getvalue()


# ---------------------------------------------------------------------- file kinds
def test_paths_pathlike_and_file_objects(tmp_path):
    obj = {"w": ag.randn(2, 2)}
    p = tmp_path / "ckpt.pt"
    save(obj, p)  # PathLike
    assert_same_tensor(obj["w"], load(p)["w"])
    save(obj, str(p))
    assert_same_tensor(obj["w"], load(str(p))["w"])
    with open(p, "wb") as f:
        save(obj, f)
    with open(p, "rb") as f:
        assert_same_tensor(obj["w"], load(f)["w"])
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]  # no temporary file left behind


class OneWayStream(io.RawIOBase):
    """A stream that can't seek (a pipe or a socket)."""

    def __init__(self, data: bytes = b"") -> None:
        self._src = io.BytesIO(data)
        self.written = bytearray()

    def readable(self):
        return True

    def writable(self):
        return True

    def seekable(self):
        return False

    def readinto(self, b):
        data = self._src.read(len(b))
        b[: len(data)] = data
        return len(data)

    def write(self, b):
        self.written += bytes(b)
        return len(b)


def test_non_seekable_streams():
    obj = {"w": ag.randn(3), "step": 7}
    sink = OneWayStream()
    save(obj, sink)
    out = load(OneWayStream(bytes(sink.written)))
    assert out["step"] == 7
    assert_same_tensor(obj["w"], out["w"])


def test_file_object_not_at_start():
    buf = io.BytesIO()
    buf.write(b"header written by someone else")
    start = buf.tell()
    save([ag.ones(2)], buf)
    buf.seek(start)
    assert_same_tensor(ag.ones(2), load(buf)[0])


def test_text_mode_file_is_refused(tmp_path):
    p = tmp_path / "c.pt"
    save({"a": 1}, p)
    with open(p, encoding="latin-1") as f, pytest.raises(TypeError, match="binary mode"):
        load(f)


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        load("/nonexistent/dir/ckpt.pt")


def test_failed_save_keeps_previous_file(tmp_path):
    p = tmp_path / "ckpt.pt"
    save({"epoch": 1}, p)
    with pytest.raises(TypeError):
        save({"epoch": 2, "bad": object()}, p)
    assert load(p) == {"epoch": 1}
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]


# ---------------------------------------------------------------------- bad objects
@pytest.mark.parametrize("bad, where", [
    ({"a": [1, lambda x: x]}, "obj['a'][1]"),
    ({"s": {1, 2}}, "obj['s']"),
    ({"m": os}, "obj['m']"),
    ([ag.ones(1), (1, object())], "obj[1][1]"),
])
def test_unsupported_objects_are_refused_at_save(bad, where):
    with pytest.raises(TypeError, match=r"can't store") as info:
        save(bad, io.BytesIO())
    assert where in str(info.value)


def test_unsupported_keys_and_subclasses():
    class MyDict(dict):
        pass

    with pytest.raises(TypeError, match="dict"):
        save(MyDict(a=1), io.BytesIO())
    with pytest.raises(TypeError, match="key"):
        save({frozenset({1}): 1}, io.BytesIO())
    with pytest.raises(TypeError, match="uint8"):
        save(np.zeros(3, dtype=np.uint8), io.BytesIO())


def test_circular_reference():
    a = [1]
    a.append(a)
    with pytest.raises(ValueError, match="circular"):
        save(a, io.BytesIO())


# ------------------------------------------------------------------ refused files
def checkpoint_bytes(obj=None) -> bytes:
    buf = io.BytesIO()
    save({"w": ag.arange(64, dtype=ag.float32), "b": ag.zeros(4)} if obj is None else obj, buf)
    return buf.getvalue()


def load_bytes(data: bytes):
    return load(io.BytesIO(data))


def rebuild(data: bytes, edit, fix_sums: bool = False) -> bytes:
    """A copy of the archive with members edited by ``edit(name, content) -> content``
    (zip CRCs are recomputed, so only the SHA-256 sums can notice, unless ``fix_sums``)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    members = [(info.filename, edit(info.filename, src.read(info.filename))) for info in src.infolist()]
    members = [(n, c) for n, c in members if c is not None]
    if fix_sums:
        sums = "".join(f"{hashlib.sha256(c).hexdigest()}  {n}\n" for n, c in members if n != "SHA256SUMS")
        members = [(n, sums.encode() if n == "SHA256SUMS" else c) for n, c in members]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, content in members:
            zf.writestr(name, content)
    return out.getvalue()


def test_empty_file():
    with pytest.raises(RuntimeError, match="empty"):
        load_bytes(b"")


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.99])
def test_truncated_file(fraction):
    data = checkpoint_bytes()
    with pytest.raises(RuntimeError, match="truncated"):
        load_bytes(data[: int(len(data) * fraction)])


def test_last_byte_missing():
    data = checkpoint_bytes()
    with pytest.raises(RuntimeError, match="truncated|damaged"):
        load_bytes(data[:-1])


def test_flipped_byte_in_array_data():
    data = bytearray(checkpoint_bytes())
    start = bytes(data).index(np.arange(64, dtype="<f4").tobytes())
    data[start + 10] ^= 0xFF
    with pytest.raises(RuntimeError, match="damaged or was tampered|checksum"):
        load_bytes(bytes(data))


def test_edited_array_with_valid_zip_crc_fails_sha256():
    def edit(name, content):
        return bytes(len(content)) if name == "data/0" else content

    with pytest.raises(RuntimeError, match="checksum mismatch for member 'data/0'"):
        load_bytes(rebuild(checkpoint_bytes(), edit))


def test_edited_manifest_fails_sha256():
    def edit(name, content):
        return content.replace(b'"float32"', b'"float16"') if name == "manifest.json" else content

    with pytest.raises(RuntimeError, match="checksum mismatch for member 'manifest.json'"):
        load_bytes(rebuild(checkpoint_bytes(), edit))


def test_added_or_removed_member_is_refused():
    data = checkpoint_bytes()
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for info in src.infolist():
            zf.writestr(info.filename, src.read(info.filename))
        zf.writestr("evil.py", b"import os")
    with pytest.raises(RuntimeError, match="unlisted"):
        load_bytes(out.getvalue())
    with pytest.raises(RuntimeError, match="missing"):
        load_bytes(rebuild(data, lambda n, c: None if n == "data/1" else c))


def test_size_inconsistent_with_shape_is_refused():
    def edit(name, content):
        return content[:-4] if name == "data/0" else content

    with pytest.raises(RuntimeError, match="needs 256"):
        load_bytes(rebuild(checkpoint_bytes(), edit, fix_sums=True))


def test_newer_format_version_is_refused():
    def edit(name, content):
        if name != "manifest.json":
            return content
        manifest = json.loads(content)
        manifest["format_version"] = FORMAT_VERSION + 1
        return json.dumps(manifest).encode()

    with pytest.raises(RuntimeError, match="newer"):
        load_bytes(rebuild(checkpoint_bytes(), edit, fix_sums=True))


def test_malformed_manifest_is_refused():
    def edit(name, content):
        if name != "manifest.json":
            return content
        manifest = json.loads(content)
        manifest["root"] = {"type": "tensor", "id": 99}
        return json.dumps(manifest).encode()

    with pytest.raises(RuntimeError, match="out of range"):
        load_bytes(rebuild(checkpoint_bytes(), edit, fix_sums=True))
    with pytest.raises(RuntimeError, match="unknown node type"):
        load_bytes(rebuild(checkpoint_bytes(), lambda n, c: c.replace(b'"tensor"', b'"pickle"')
                           if n == "manifest.json" else c, fix_sums=True))


@pytest.mark.parametrize("content, match", [
    (b"hello, this is a text file\n", "not an autograd_core checkpoint"),
    (bytes(range(256)), "not an autograd_core checkpoint"),
    (b"\x89HDF\r\n\x1a\n" + bytes(100), "HDF5"),
    (b"\x93NUMPY\x01\x00" + bytes(100), "NumPy .npy"),
])
def test_foreign_files(content, match):
    with pytest.raises(RuntimeError, match=match):
        load_bytes(content)


def test_npz_and_plain_zip_are_refused():
    buf = io.BytesIO()
    np.savez(buf, a=np.arange(3))
    with pytest.raises(RuntimeError, match="npz"):
        load_bytes(buf.getvalue())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", b"hi")
    with pytest.raises(RuntimeError, match="zip archive but not an autograd_core checkpoint"):
        load_bytes(buf.getvalue())


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_pickle_is_refused_with_advice(protocol, tmp_path):
    class Boom:
        def __reduce__(self):
            return (os.system, ("echo SHOULD-NEVER-RUN",))

    p = tmp_path / "evil.pt"
    p.write_bytes(pickle.dumps({"x": Boom()}, protocol=protocol))
    with pytest.raises(RuntimeError, match="looks like a pickle") as info:
        load(p)
    message = str(info.value)
    assert "never unpickles" in message and ".numpy()" in message


def test_pytorch_checkpoints_are_refused_with_advice(tmp_path):
    torch = pytest.importorskip("torch")
    p = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, p)
    with pytest.raises(RuntimeError, match="PyTorch checkpoint") as info:
        load(p)
    assert "never unpickles" in str(info.value) and "torch.load" in str(info.value)
    torch.save({"w": torch.ones(2)}, p, _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="pickle"):
        load(p)


def test_weights_only_is_accepted():
    assert roundtrip({"a": 1}, weights_only=True) == {"a": 1}
    assert roundtrip({"a": 1}, weights_only=False) == {"a": 1}


# ---------------------------------------------------------------------- map_location
def with_location(data: bytes, location: str) -> bytes:
    """Pretend the tensors were saved from ``location`` (e.g. 'cuda:1')."""
    def edit(name, content):
        if name != "manifest.json":
            return content
        manifest = json.loads(content)
        for entry in manifest["arrays"]:
            entry["device"] = location
        return json.dumps(manifest).encode()

    return rebuild(data, edit, fix_sums=True)


@pytest.mark.parametrize("map_location", [None, "cpu", ag.device("cpu"), {"cuda:1": "cpu"},
                                          {"cuda:1": ag.device("cpu")}])
def test_map_location_to_cpu(map_location):
    data = with_location(checkpoint_bytes(), "cuda:1")
    out = load(io.BytesIO(data), map_location=map_location)
    assert out["w"].device == ag.device("cpu")
    np.testing.assert_array_equal(out["w"].numpy(), np.arange(64, dtype=np.float32))


def test_map_location_callable_sees_saved_location():
    seen = []

    def where(t, location):
        seen.append(location)
        return t * 2 if location == "cuda:1" else t

    out = load(io.BytesIO(with_location(checkpoint_bytes(), "cuda:1")), map_location=where)
    assert seen == ["cuda:1", "cuda:1"]
    np.testing.assert_array_equal(out["w"].numpy(), 2 * np.arange(64, dtype=np.float32))
    out = load(io.BytesIO(checkpoint_bytes()), map_location=lambda t, loc: None)
    assert out["w"].device == ag.device("cpu")
    with pytest.raises(TypeError, match="must return a Tensor"):
        load(io.BytesIO(checkpoint_bytes()), map_location=lambda t, loc: "cpu")


def test_bad_map_location():
    with pytest.raises(TypeError, match="map_location"):
        load(io.BytesIO(checkpoint_bytes()), map_location=3.5)
    with pytest.raises(RuntimeError, match="device"):
        load(io.BytesIO(checkpoint_bytes()), map_location="tpu")


@pytest.mark.skipif(ag.cuda.is_available(), reason="checks the error on a machine without CUDA")
@pytest.mark.parametrize("map_location", ["cuda", "cuda:0", ag.device("cuda"), 0, {"cpu": "cuda"}])
def test_map_location_cuda_without_cuda(map_location):
    with pytest.raises(RuntimeError, match="CUDA"):
        load(io.BytesIO(checkpoint_bytes()), map_location=map_location)


def test_devices_round_trip(device):
    """Saved from any device (through host memory); loaded on the CPU by default, or on
    the device that map_location names."""
    t = ag.randn(3, 4, dtype=ag.float64).to(device)
    data = checkpoint_bytes({"t": t, "i": ag.arange(5).to(device)})
    out = load(io.BytesIO(data))
    assert out["t"].device == ag.device("cpu")
    np.testing.assert_array_equal(out["t"].numpy(), t.cpu().numpy())
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))
    assert manifest["arrays"][0]["device"] == str(t.device)
    back = load(io.BytesIO(data), map_location=device)
    assert back["t"].device.type == device and back["i"].dtype == ag.int64
    np.testing.assert_array_equal(back["t"].cpu().numpy(), t.cpu().numpy())


@pytest.mark.usefixtures("fake_cuda")
def test_gpu_tensors_with_the_cupy_stand_in():
    """Device-agnostic paths on the CuPy stand-in: GPU tensors are saved from host memory,
    load on the CPU by default and are uploaded where map_location says."""
    x = ag.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), device="cuda")
    data = checkpoint_bytes({"x": x, "n": ag.tensor([1, 2], device="cuda")})
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))
    assert [e["device"] for e in manifest["arrays"]] == ["cuda:0", "cuda:0"]
    out = load(io.BytesIO(data))
    assert out["x"].device == ag.device("cpu") and out["x"].tolist() == x.tolist()
    for where in ["cuda", "cuda:0", ag.device("cuda", 0), 0, {"cuda:0": "cuda"}]:
        out = load(io.BytesIO(data), map_location=where)
        assert out["x"].device.type == "cuda" and isinstance(out["x"]._data, FakeArray)
        assert out["x"].tolist() == x.tolist() and out["n"].dtype == ag.int64
    out = load(io.BytesIO(data), map_location={"cuda:1": "cuda:0"})  # no match: CPU
    assert out["x"].device == ag.device("cpu")
