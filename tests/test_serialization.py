"""autograd_core.save / load: round trips of every dtype and nesting through safetensors
files, file objects and streams, refused objects, and map_location. Malformed files are in
test_serialization_malformed.py, atomic saving in test_serialization_files.py, PyTorch in
test_serialization_torch.py, the old zip format in test_serialization_legacy.py."""

from __future__ import annotations

import io
import json
import math
import os
import struct
from collections import OrderedDict

import numpy as np
import pytest
from fake_cupy import FakeArray, fake_cuda  # noqa: F401
from hypothesis import given
from hypothesis import strategies as st
from strategies import make_tensor, shapes

import autograd_core as ag
import nn
import optim
from autograd_core.serialization import load, save
from optim import lr_scheduler

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


@pytest.mark.parametrize("np_dtype", ["u1", "i1", "i2", "u2", "u4", "u8", ">f4", ">i8"])
def test_numpy_arrays_keep_their_dtype(np_dtype):
    arr = np.arange(6, dtype=np_dtype).reshape(2, 3)
    out = roundtrip({"a": arr})["a"]
    assert out.dtype == arr.dtype.newbyteorder("=") and out.shape == (2, 3)
    np.testing.assert_array_equal(out, arr)


def test_numpy_values_sizes_dtypes_and_devices():
    obj = {"arr": np.arange(6, dtype=np.int32).reshape(2, 3), "scalar": np.float32(1.5),
           "size": ag.Size([2, 3]), "dtype": ag.float16, "device": ag.device("cpu")}
    out = roundtrip(obj)
    assert isinstance(out["arr"], np.ndarray) and out["arr"].dtype == np.int32
    np.testing.assert_array_equal(out["arr"], obj["arr"])
    assert type(out["scalar"]) is np.float32 and out["scalar"] == np.float32(1.5)
    assert type(out["size"]) is ag.Size and out["size"] == (2, 3)
    assert out["dtype"] is ag.float16 and out["device"] == ag.device("cpu")


def header_of(data: bytes) -> dict:
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + n])


def test_entries_are_named_by_path_and_a_flat_state_dict_by_its_keys():
    sd = OrderedDict([("fc.weight", ag.ones(2, 3)), ("fc.bias", ag.zeros(2))])
    header = header_of(checkpoint_bytes(sd))
    assert [k for k in header if k != "__metadata__"] == ["fc.weight", "fc.bias"]
    assert header["fc.weight"] == {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
    assert header["__metadata__"]["format"] == "pt"
    nested = header_of(checkpoint_bytes({"model": sd, "opt": {"state": {0: {"m": ag.ones(1)}}},
                                         "x": [ag.ones(1), ag.ones(1)], "fc.weight": ag.ones(1)}))
    names = [k for k in nested if k != "__metadata__"]
    assert names == ["model.fc.weight", "model.fc.bias", "opt.state.0.m", "x.0", "x.1", "fc.weight"]


def test_name_collisions_get_a_suffix():
    obj = {"a": {"b": ag.ones(1)}, "a.b": ag.zeros(1)}
    header = header_of(checkpoint_bytes(obj))
    assert [k for k in header if k != "__metadata__"] == ["a.b", "a.b#2"]
    out = roundtrip(obj)
    assert out["a"]["b"].item() == 1.0 and out["a.b"].item() == 0.0


def test_a_tensor_appearing_twice_is_written_twice():
    t = ag.randn(100)
    out = roundtrip({"a": t, "b": [t, t]})
    assert out["a"] is not out["b"][0]
    for u in (out["a"], *out["b"]):
        assert_same_tensor(t, u)


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
    p = tmp_path / "ckpt.safetensors"
    save(obj, p)  # PathLike
    assert_same_tensor(obj["w"], load(p)["w"])
    save(obj, str(p))
    assert_same_tensor(obj["w"], load(str(p))["w"])
    with open(p, "wb") as f:
        save(obj, f)
    with open(p, "rb") as f:
        assert_same_tensor(obj["w"], load(f)["w"])
    assert sorted(os.listdir(tmp_path)) == ["ckpt.safetensors"]  # no temporary file left behind


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
    p = tmp_path / "c.safetensors"
    save({"a": 1}, p)
    with open(p, encoding="latin-1") as f, pytest.raises(TypeError, match="binary mode"):
        load(f)


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        load("/nonexistent/dir/ckpt.pt")


def test_failed_save_keeps_previous_file(tmp_path):
    p = tmp_path / "ckpt.safetensors"
    save({"epoch": 1}, p)
    with pytest.raises(TypeError):
        save({"epoch": 2, "bad": object()}, p)
    assert load(p) == {"epoch": 1}
    assert sorted(os.listdir(tmp_path)) == ["ckpt.safetensors"]


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
    with pytest.raises(TypeError, match="complex128"):
        save(np.zeros(3, dtype=np.complex128), io.BytesIO())
    with pytest.raises(ValueError, match="nested more than 64"):
        deep = []
        for _ in range(70):
            deep = [deep]
        save(deep, io.BytesIO())


def test_circular_reference():
    a = [1]
    a.append(a)
    with pytest.raises(ValueError, match="circular"):
        save(a, io.BytesIO())


# ------------------------------------------------------------------ helpers
def checkpoint_bytes(obj=None) -> bytes:
    buf = io.BytesIO()
    save({"w": ag.arange(64, dtype=ag.float32), "b": ag.zeros(4)} if obj is None else obj, buf)
    return buf.getvalue()


def with_location(data: bytes, location: str) -> bytes:
    """Pretend the tensors were saved from ``location`` (e.g. 'cuda:1'): edit the metadata."""
    header = header_of(data)
    document = json.loads(header["__metadata__"]["autograd_core"])
    for node in document["root"]["items"]:
        node[1]["device"] = location
    header["__metadata__"]["autograd_core"] = json.dumps(document)
    text = json.dumps(header).encode()
    (n,) = struct.unpack("<Q", data[:8])
    return struct.pack("<Q", len(text)) + text + data[8 + n:]


def test_weights_only_is_accepted():
    assert roundtrip({"a": 1}, weights_only=True) == {"a": 1}
    assert roundtrip({"a": 1}, weights_only=False) == {"a": 1}


# ---------------------------------------------------------------------- map_location
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
    document = json.loads(header_of(data)["__metadata__"]["autograd_core"])
    assert document["root"]["items"][0][1]["device"] == str(t.device)
    back = load(io.BytesIO(data), map_location=device)
    assert back["t"].device.type == device and back["i"].dtype == ag.int64
    np.testing.assert_array_equal(back["t"].cpu().numpy(), t.cpu().numpy())


@pytest.mark.usefixtures("fake_cuda")
def test_gpu_tensors_with_the_cupy_stand_in():
    """Device-agnostic paths on the CuPy stand-in: GPU tensors are saved from host memory,
    load on the CPU by default and are uploaded where map_location says."""
    x = ag.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), device="cuda")
    data = checkpoint_bytes({"x": x, "n": ag.tensor([1, 2], device="cuda")})
    document = json.loads(header_of(data)["__metadata__"]["autograd_core"])
    assert [item[1]["device"] for item in document["root"]["items"]] == ["cuda:0", "cuda:0"]
    out = load(io.BytesIO(data))
    assert out["x"].device == ag.device("cpu") and out["x"].tolist() == x.tolist()
    for where in ["cuda", "cuda:0", ag.device("cuda", 0), 0, {"cuda:0": "cuda"}]:
        out = load(io.BytesIO(data), map_location=where)
        assert out["x"].device.type == "cuda" and isinstance(out["x"]._data, FakeArray)
        assert out["x"].tolist() == x.tolist() and out["n"].dtype == ag.int64
    out = load(io.BytesIO(data), map_location={"cuda:1": "cuda:0"})  # no match: CPU
    assert out["x"].device == ag.device("cpu")


# ---------------------------------------------------------------------- resuming training
def test_a_training_checkpoint_resumes_exactly(tmp_path):
    """Model, Adam and a scheduler saved mid-run, restored into fresh objects: the next
    steps match the uninterrupted run bit for bit."""
    def make():
        ag.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
        opt = optim.Adam(model.parameters(), lr=0.05, amsgrad=True)
        return model, opt, lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

    x, y = ag.randn(8, 3), ag.randn(8, 1)

    def step(model, opt, sched):
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()
        sched.step()

    model, opt, sched = make()
    for _ in range(3):
        step(model, opt, sched)
    path = tmp_path / "resume.safetensors"
    save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
          "epoch": 3}, path)
    for _ in range(2):
        step(model, opt, sched)

    checkpoint = load(path)
    model2, opt2, sched2 = make()
    model2.load_state_dict(checkpoint["model"])
    opt2.load_state_dict(checkpoint["optimizer"])
    sched2.load_state_dict(checkpoint["scheduler"])
    assert checkpoint["epoch"] == 3
    for _ in range(2):
        step(model2, opt2, sched2)
    for a, b in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert sched2.get_last_lr() == sched.get_last_lr()
