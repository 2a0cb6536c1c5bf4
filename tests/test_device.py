"""Devices: parsing ``device(...)``, CUDA availability (and the error without it), the fake
CUDA backend's bookkeeping, and zero-copy exchange with NumPy and PyTorch (DLPack)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from fake_cupy import FakeArray, fake_cuda, installed  # noqa: F401

import autograd_core as ag
from autograd_core import _backend

HAS_CUDA = ag.cuda.is_available()
needs_no_cuda = pytest.mark.skipif(HAS_CUDA, reason="CUDA is available on this machine")


# ------------------------------------------------------------------------------ parsing
@pytest.mark.parametrize(
    "args, type_, index",
    [(("cpu",), "cpu", None), (("cuda",), "cuda", None), (("cuda:0",), "cuda", 0),
     (("cuda:1",), "cuda", 1), (("cuda", 2), "cuda", 2), ((3,), "cuda", 3),
     (("cpu:0",), "cpu", None)],
)
def test_device_parsing(args, type_, index):
    d = ag.device(*args)
    assert d.type == type_
    assert d.index == index


def test_device_str_repr_and_equality():
    d = ag.device("cuda:1")
    assert str(d) == "cuda:1"
    assert repr(d) == "device(type='cuda', index=1)"
    assert repr(ag.device("cpu")) == "device(type='cpu')"
    assert repr(ag.device("cuda")) == "device(type='cuda')"
    assert d == ag.device("cuda", 1) == "cuda:1"
    assert d != "cuda:0" and d != "cuda" and d != "cpu"
    assert ag.device("cuda") != ag.device("cuda:0")  # "current device" is not device 0
    assert ag.device(d) is d
    assert d != 1 and d != "not a device"


def test_device_hash_matches_its_string():
    table = {ag.device("cpu"): "host", ag.device("cuda:1"): "second gpu"}
    assert table["cpu"] == "host"
    assert table[ag.device("cuda", 1)] == "second gpu"
    assert len({ag.device("cuda:0"), ag.device("cuda", 0), "cuda:0"}) == 1


def test_device_pickles():
    d = ag.device("cuda:1")
    assert pickle.loads(pickle.dumps(d)) == d


def test_device_repr_matches_pytorch():
    torch = pytest.importorskip("torch")
    for spec in ["cpu", "cuda", "cuda:0", "cuda:3"]:
        assert repr(ag.device(spec)) == repr(torch.device(spec))
        assert str(ag.device(spec)) == str(torch.device(spec))


@pytest.mark.parametrize(
    "spec, words",
    [("gpu", "device type"), ("CUDA", "device type"), (" cuda", "device type"),
     ("cuda:x", "Invalid device string"), ("cuda:", "Invalid device string"),
     ("cuda:-1", "Invalid device string"), ("cuda:1:2", "Invalid device string"),
     ("cuda:\u00b2", "Invalid device string"), ("", "device type")],
)
def test_bad_device_strings_raise_runtime_error(spec, words):
    with pytest.raises(RuntimeError, match=words):
        ag.device(spec)


def test_bad_device_arguments():
    with pytest.raises(RuntimeError, match="must not be negative"):
        ag.device("cuda", -1)
    with pytest.raises(RuntimeError, match="must not be negative"):
        ag.device(-1)
    with pytest.raises(RuntimeError, match="already has an index"):
        ag.device("cuda:0", 1)
    with pytest.raises(TypeError):
        ag.device(1.5)
    with pytest.raises(TypeError):
        ag.device("cuda", 1.5)
    with pytest.raises(TypeError):
        ag.device(None)


def test_cpu_tensors_report_their_device():
    t = ag.zeros(2, device="cpu")
    assert t.device == ag.device("cpu") == "cpu"
    assert t.device.type == "cpu" and t.device.index is None
    assert not t.is_cuda
    assert ag.ones(1, device=ag.device("cpu")).device == "cpu"
    assert ag.tensor([1.0]).__dlpack_device__()[0] == 1  # kDLCPU


# ------------------------------------------------------------------------- no CUDA here
@needs_no_cuda
def test_cuda_is_unavailable_with_a_reason():
    assert ag.cuda.is_available() is False
    assert ag.cuda.device_count() == 0
    reason = ag.cuda.unavailable_reason()
    assert reason
    assert "CuPy" in reason or "CUDA" in reason


@needs_no_cuda
@pytest.mark.parametrize(
    "make",
    [lambda: ag.tensor([1.0], device="cuda"), lambda: ag.zeros(2, device="cuda"),
     lambda: ag.randn(2, device="cuda:0"), lambda: ag.arange(3, device="cuda"),
     lambda: ag.ones(2).to("cuda"), lambda: ag.ones(2).cuda()],
    ids=["tensor", "zeros", "randn", "arange", "to", "cuda"],
)
def test_asking_for_cuda_without_it_says_how_to_install(make):
    with pytest.raises(RuntimeError, match="CUDA is not available") as info:
        make()
    message = str(info.value)
    if "not installed" in message:
        assert "pip install" in message and "cupy" in message.lower()


@needs_no_cuda
def test_cuda_helpers_raise_without_cuda():
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        ag.cuda.synchronize()
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        ag.cuda.current_device()
    ag.cuda.manual_seed(0)  # a no-op without CUDA, as in PyTorch


# ---------------------------------------------------------------------- fake CUDA device
def test_fake_cuda_is_installed_and_removed():
    before = ag.cuda.is_available()
    with installed() as backend:
        assert ag.cuda.is_available()
        assert ag.cuda.device_count() == 1
        assert ag.cuda.current_device() == 0
        assert "Fake" in ag.cuda.get_device_name()
        assert _backend.backend_for(ag.device("cuda")) is backend
        ag.cuda.synchronize()
        ag.cuda.synchronize("cuda:0")
        with pytest.raises(ValueError, match="Expected a cuda device"):
            ag.cuda.synchronize("cpu")
    assert ag.cuda.is_available() == before
    assert FakeArray not in _backend._by_type


@pytest.mark.usefixtures("fake_cuda")
def test_fake_cuda_tensor_device():
    t = ag.ones(2, 3, device="cuda")
    assert type(t._data) is FakeArray
    assert t.device == ag.device("cuda", 0) == "cuda:0"
    assert t.device.type == "cuda" and t.device.index == 0
    assert t.is_cuda
    assert ag.zeros(1, device="cuda:0").device == "cuda:0"
    assert ag.zeros(1, device=ag.device("cuda", 0)).device == "cuda:0"
    assert t.__dlpack_device__() == (2, 0)  # kDLCUDA


@pytest.mark.usefixtures("fake_cuda")
def test_fake_cuda_device_that_does_not_exist():
    with pytest.raises(RuntimeError, match="cuda:1"):
        ag.zeros(2, device="cuda:1")


@pytest.mark.usefixtures("fake_cuda")
def test_numpy_cannot_read_a_cuda_tensor():
    t = ag.ones(3, device="cuda")
    with pytest.raises(TypeError, match=r"cpu\(\)"):
        t.numpy()
    with pytest.raises(TypeError, match=r"cpu\(\)"):
        np.asarray(t)
    with pytest.raises((BufferError, RuntimeError, TypeError)):
        np.from_dlpack(t)


@pytest.mark.usefixtures("fake_cuda")
def test_dlpack_between_cuda_tensors_shares_memory():
    t = ag.zeros(3, device="cuda")
    u = ag.from_dlpack(t)
    assert u.device == "cuda:0"
    u._data[1] = 5.0
    assert t.tolist() == [0.0, 5.0, 0.0]


# ------------------------------------------------------------------ zero-copy with NumPy
def test_from_numpy_shares_memory():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = ag.from_numpy(a)
    assert t.dtype == ag.float32 and t.shape == (2, 3)
    a[0, 0] = 100.0
    assert t.tolist()[0][0] == 100.0
    assert np.shares_memory(t.numpy(), a)
    strided = a[:, ::2]
    assert ag.from_numpy(strided).tolist() == strided.tolist()


def test_from_numpy_keeps_numpy_dtypes():
    for np_dtype, dtype in [(np.float64, ag.float64), (np.float16, ag.float16),
                            (np.int32, ag.int32), (np.int64, ag.int64), (np.bool_, ag.bool)]:
        assert ag.from_numpy(np.zeros(2, dtype=np_dtype)).dtype == dtype


def test_from_numpy_refuses_other_things():
    with pytest.raises(TypeError, match="expected np.ndarray"):
        ag.from_numpy([1.0, 2.0])
    with pytest.raises(TypeError):
        ag.from_numpy(np.zeros(2, dtype=np.uint64))  # no uint64 tensors (PyTorch has them)
    assert ag.from_numpy(np.zeros(2, dtype=np.complex64)).dtype == ag.complex64


def test_numpy_from_dlpack_of_a_tensor_shares_memory():
    t = ag.tensor([1.0, 2.0, 3.0])
    a = np.from_dlpack(t)
    assert a.dtype == np.float32
    assert np.shares_memory(a, t.numpy())
    t.numpy()[0] = -1.0
    assert a[0] == -1.0


def test_from_dlpack_of_a_numpy_array_shares_memory():
    a = np.arange(4, dtype=np.float64)
    t = ag.from_dlpack(a)
    assert t.dtype == ag.float64 and t.device == "cpu"
    a[2] = 42.0
    assert t.tolist() == [0.0, 1.0, 42.0, 3.0]
    assert np.shares_memory(t.numpy(), a)


def test_dlpack_round_trip_with_pytorch():
    torch = pytest.importorskip("torch")
    t = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
    pt = torch.from_dlpack(t)
    assert pt.dtype == torch.float32 and tuple(pt.shape) == (2, 2)
    pt[0, 0] = 10.0
    assert t.tolist()[0][0] == 10.0

    source = torch.arange(5, dtype=torch.int64)
    back = ag.from_dlpack(source)
    assert back.dtype == ag.int64
    source[4] = 99
    assert back.tolist() == [0, 1, 2, 3, 99]
