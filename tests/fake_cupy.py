"""A test-only stand-in for CuPy: NumPy underneath, CuPy's strictness on top.

CI has no GPU, so the device-agnostic code (every primitive written with ``ctx.xp``, the
engine, ``nn``, ``optim``) is proved another way: this module plays CuPy. Its arrays
(`FakeArray`) hold a NumPy array but behave like device memory where it matters:

- no implicit conversion to NumPy: ``np.asarray(a)`` raises CuPy's TypeError, so a
  forgotten ``np.`` call on an array in device code fails here as it would on a GPU;
- no mixing with ``numpy.ndarray`` in operators, indexing or ``fake_cupy.*`` functions
  (TypeError); Python and NumPy scalars are fine, as in CuPy;
- moving data is explicit and copies: ``fake_cupy.asarray(host)`` uploads,
  ``a.get()`` / ``fake_cupy.asnumpy(a)`` download;
- reductions and scalar indexing give 0-d arrays, not NumPy scalars; no ``__index__``
  (``range(a)``, ``lst[a]`` raise TypeError, as with CuPy arrays);
- ``ufunc.at`` has CuPy's limits (no ``multiply.at``; ``add.at`` on some dtypes only), and
  ``linalg.cholesky`` returns CuPy's silent partial factor on a matrix that is not positive
  definite;
- its own random stream (Philox, not the CPU's PCG64): the same seed does not give the
  CPU's numbers, as on a GPU;
- ``ElementwiseKernel`` runs the CUDA body through an interpreter with CUDA's semantics
  (``_fake_cupy_kernels``), so code with a kernel path takes it here; ``RawKernel`` exists
  but refuses to launch; other CUDA-only APIs (``ReductionKernel``, ``RawModule``) are
  absent, and so are NumPy APIs that CuPy lacks (``errstate``);
- every transfer to the host (``get``, ``asnumpy``, ``item``, ``tolist``, ``bool``, ``int``,
  ``float``) is counted in ``HOST_SYNCS`` (a sync on a GPU), so tests can assert none
  happens inside a training step.

Where CuPy would silently copy from the host (``device_array[:] = host_array``) this
stand-in refuses: in library code such a copy is a leak worth seeing.

Use the `fake_cuda` fixture (``from fake_cupy import fake_cuda  # noqa: F401``) to make
the ``"cuda"`` device exist for one test, served by `FakeCupyBackend`.

The arrays (`FakeArray`, `Device`) live in ``_fake_cupy_array``; this module wraps NumPy's
namespace around them and installs the backend. Import everything from here.
"""

from __future__ import annotations

import contextlib
import os
import types

import numpy as np
import pytest
from _fake_cupy_array import (  # noqa: F401  (IMPLICIT_CONVERSION_MESSAGE: re-exported)
    _DEVICE_COUNT,
    _DLCUDA,
    HOST_SYNCS,
    IMPLICIT_CONVERSION_MESSAGE,
    RECORDING,
    Device,
    FakeArray,
    _HostView,
    _record,
    _unwrap,
    _wrap_result,
)
from _fake_cupy_kernels import ElementwiseKernel, RawKernel

from autograd_core import _backend


# ---------------------------------------------------------------------------- module wrapper
def _wrap_function(fn, qualname: str, allow_host: bool = False):
    def wrapper(*args, **kwargs):
        originals: list = []
        unwrapped: list = []
        raw_args, raw_kwargs = args, kwargs
        args = _unwrap(args, qualname, originals, unwrapped, allow_host)
        kwargs = _unwrap(kwargs, qualname, originals, unwrapped, allow_host)
        result = _wrap_result(fn(*args, **kwargs), originals, unwrapped)
        _record(qualname, raw_args, raw_kwargs)
        return result

    wrapper.__name__ = getattr(fn, "__name__", qualname)
    wrapper.__qualname__ = qualname
    wrapper.__doc__ = f"fake_cupy's {qualname}: numpy's, on device arrays."
    return wrapper


# CuPy 14's ``ufunc.at``: these ufuncs only, each for these dtypes of the target array;
# the others raise NotImplementedError (checked against real CuPy by tests/test_gpu_replay.py).
_AT_DTYPES = {
    "add": ("int32", "int64", "float16", "float32", "float64", "uint32", "uint64"),
    "maximum": ("int32", "int64", "float32", "float64", "uint32", "uint64"),
    "minimum": ("int32", "int64", "float32", "float64", "uint32", "uint64"),
    "subtract": ("int32", "uint32"),
    "bitwise_or": ("int32", "int64", "uint32", "uint64"),
    "bitwise_and": ("int32", "int64", "uint32", "uint64"),
    "bitwise_xor": ("int32", "int64", "uint32", "uint64"),
}


def _checked_at(np_ufunc: np.ufunc, run):
    name = np_ufunc.__name__

    def at(a, indices, b=None):
        supported = _AT_DTYPES.get(name)
        if supported is None:
            raise NotImplementedError(f"`cupy_{name}.at` is not supported yet")
        if getattr(a, "dtype", None) is None or a.dtype.name not in supported:
            raise TypeError(f"cupy.{name}.at only supports {', '.join(supported)} as data type")
        return run(a, indices) if b is None else run(a, indices, b)

    return at


class ufunc:  # noqa: N801  (CuPy's name)
    """A NumPy ufunc on device arrays; lists are refused as operands, as CuPy's ufuncs do."""

    def __init__(self, np_ufunc: np.ufunc) -> None:
        self._ufunc = np_ufunc
        self.__name__ = np_ufunc.__name__
        self.nin, self.nout, self.nargs = np_ufunc.nin, np_ufunc.nout, np_ufunc.nargs
        self.identity = np_ufunc.identity
        name = f"fake_cupy.{np_ufunc.__name__}"
        self._call = _wrap_function(np_ufunc, name)
        self.reduce = _wrap_function(np_ufunc.reduce, f"{name}.reduce")
        self.accumulate = _wrap_function(np_ufunc.accumulate, f"{name}.accumulate")
        self.reduceat = _wrap_function(np_ufunc.reduceat, f"{name}.reduceat")
        self.outer = _wrap_function(np_ufunc.outer, f"{name}.outer")
        self.at = _checked_at(np_ufunc, _wrap_function(np_ufunc.at, f"{name}.at"))

    def __call__(self, *args, **kwargs):
        for a in args:
            if isinstance(a, (list, tuple)):
                raise TypeError(f"Unsupported type {type(a)} in fake_cupy.{self.__name__}")
        return self._call(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<ufunc '{self.__name__}'>"


# NumPy names CuPy does not have (code using them would fail on a GPU).
_NOT_IN_CUPY = frozenset({"errstate", "seterr", "geterr", "seterrcall", "geterrcall"})
_CUDA_ONLY = frozenset({"ReductionKernel", "RawModule"})
# Functions that take host data and upload it (copying).
_UPLOADS = frozenset({"asarray", "array", "asanyarray"})


class _Namespace(types.ModuleType):
    """A NumPy (sub)module seen through CuPy's eyes: callables wrapped, constants as-is."""

    def __init__(self, name: str, np_module) -> None:
        super().__init__(name)
        self._np = np_module

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        if name in _NOT_IN_CUPY:
            raise AttributeError(f"module 'cupy' has no attribute {name!r} (NumPy-only API)")
        if name in _CUDA_ONLY:
            raise AttributeError(
                f"fake_cupy cannot run CUDA source ({name}); gate custom kernels on the real "
                "CuPy backend (backend.name == 'cupy') and keep a plain xp fallback"
            )
        try:
            obj = getattr(self._np, name)
        except AttributeError:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}") from None
        qualname = f"{self.__name__}.{name}"
        if isinstance(obj, np.ufunc):
            wrapped = ufunc(obj)
        elif isinstance(obj, types.ModuleType):
            wrapped = _Namespace(qualname, obj)
        elif isinstance(obj, type) or not callable(obj):
            wrapped = obj  # dtypes (float32), finfo, constants (pi, newaxis)
        else:
            wrapped = _wrap_function(obj, qualname, allow_host=name in _UPLOADS and
                                     self._np is np)
        setattr(self, name, wrapped)  # cache: __getattr__ is only hit once per name
        return wrapped


class _RandomState:
    """``cupy.random.RandomState``: samples of the requested dtype, made on the device."""

    def __init__(self, seed=None) -> None:
        self.seed(seed)

    def random_sample(self, size=None, dtype=float):
        return FakeArray(np.asarray(self._rng.random(size, dtype=np.dtype(dtype).type)))

    def standard_normal(self, size=None, dtype=float):
        return FakeArray(np.asarray(self._rng.standard_normal(size, dtype=np.dtype(dtype).type)))

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=float):
        return self.standard_normal(size, dtype) * scale + loc

    def uniform(self, low=0.0, high=1.0, size=None, dtype=float):
        return self.random_sample(size, dtype) * (high - low) + low

    def randint(self, low, high=None, size=None, dtype=int):
        if high is None:
            low, high = 0, low
        return FakeArray(np.asarray(self._rng.integers(low, high, size=size, dtype=dtype)))

    def permutation(self, num):
        if isinstance(num, FakeArray):
            return FakeArray(self._rng.permutation(num._a))
        return FakeArray(self._rng.permutation(int(num)))

    def seed(self, seed=None) -> None:
        # Philox, not the CPU's PCG64: a seed gives other numbers on the device, as CuPy's
        # XORWOW does, so no test can rely on both devices drawing the same values.
        self._rng = np.random.Generator(np.random.Philox(seed))


def _make_cuda_namespace() -> types.SimpleNamespace:
    def get_device_properties(index: int) -> dict:
        Device(index)
        return {"name": b"Fake CUDA device (NumPy)", "totalGlobalMem": 1 << 34,
                "multiProcessorCount": 1, "major": 9, "minor": 0}

    runtime = types.SimpleNamespace(getDeviceCount=lambda: _DEVICE_COUNT,
                                    getDeviceProperties=get_device_properties)
    return types.SimpleNamespace(Device=Device, runtime=runtime, is_available=lambda: True)


def _asnumpy(a, stream=None, order="C", out=None, blocking=True) -> np.ndarray:
    """Download to the host (a copy), as ``cupy.asnumpy``."""
    if isinstance(a, FakeArray):
        return a.get(order=order, out=out)
    return np.asarray(a, order=order)  # (already on the host: no transfer)


def _from_dlpack(x):
    """Zero-copy import of another device array (a DLPack producer on 'CUDA')."""
    dev_type, dev_id = x.__dlpack_device__()
    if int(dev_type) != _DLCUDA:
        raise BufferError(
            f"fake_cupy.from_dlpack: the producer's memory is on DLPack device type "
            f"{int(dev_type)}, not CUDA; upload host data with asarray()"
        )
    try:
        capsule = x.__dlpack__(stream=1, max_version=(1, 0))
    except TypeError:  # a producer without DLPack 1.0 support
        capsule = x.__dlpack__(stream=1)
    return FakeArray(np.from_dlpack(_HostView(capsule)), int(dev_id))


def _fuse(*args, **kwargs):
    """``cupy.fuse``: on the fake, the Python function runs as it is."""
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return lambda fn: fn


def _cholesky_like_cupy(a: np.ndarray) -> np.ndarray:
    """``cupy.linalg.cholesky`` under CuPy's default ``linalg='ignore'``: on a matrix that is
    not positive definite it neither raises nor writes NaN, it returns the factor as far as
    potrf got, the unfactored rest of the lower triangle left as it was in ``a``."""
    if a.ndim > 2:
        return np.stack([_cholesky_like_cupy(m) for m in a.reshape(-1, *a.shape[-2:])]
                        ).reshape(a.shape)
    factor = np.tril(a).astype(np.result_type(a.dtype, np.float32), copy=True)
    for j in range(a.shape[0]):
        pivot = factor[j, j] - factor[j, :j] @ factor[j, :j]
        if not pivot > 0:
            break
        factor[j, j] = np.sqrt(pivot)
        factor[j + 1:, j] = (factor[j + 1:, j] - factor[j + 1:, :j] @ factor[j, :j]) / factor[j, j]
    return factor


def _get_array_module(*args):
    return fake_cupy if any(isinstance(a, FakeArray) for a in args) else np


fake_cupy = _Namespace("fake_cupy", np)
fake_cupy.ndarray = FakeArray
fake_cupy.ufunc = ufunc
fake_cupy.asnumpy = _asnumpy
fake_cupy.from_dlpack = _from_dlpack
fake_cupy.fuse = _fuse
fake_cupy.get_array_module = _get_array_module
fake_cupy.cuda = _make_cuda_namespace()
fake_cupy.random = _Namespace("fake_cupy.random", np.random)
fake_cupy.random.RandomState = _RandomState
fake_cupy.linalg.cholesky = _wrap_function(_cholesky_like_cupy, "fake_cupy.linalg.cholesky")
fake_cupy.ElementwiseKernel = ElementwiseKernel
fake_cupy.RawKernel = RawKernel
fake_cupy.__version__ = "14.0.0+fake"


# ---------------------------------------------------------------------------- backend
class FakeCupyBackend(_backend.CupyBackend):
    """The ``cuda`` device served by `fake_cupy`, through the real CuPy backend's code."""

    name = "fake_cupy"

    def __init__(self) -> None:
        super().__init__(fake_cupy)
        self.array_types = (FakeArray,)


# ``AUTOGRAD_CORE_REAL_CUDA=1`` (set by ``python -m bench.gpu_check``): `installed` and the
# `fake_cuda` fixture hand out the real CUDA backend instead, so every fake-CUDA test runs on
# the GPU. Tests that inspect the fake itself carry `requires_fake`.
REAL_CUDA = os.environ.get("AUTOGRAD_CORE_REAL_CUDA") == "1"
requires_fake = pytest.mark.skipif(REAL_CUDA, reason="inspects the fake CuPy itself")


@contextlib.contextmanager
def installed():
    """Make ``"cuda"`` a device served by `FakeCupyBackend` inside the ``with`` block.

    Whatever served (or failed to serve) CUDA before is put back afterwards, real CuPy
    included. With ``AUTOGRAD_CORE_REAL_CUDA=1``, the real CUDA backend instead.
    """
    if REAL_CUDA:
        real = _backend.cuda_backend()
        if real is None:
            raise RuntimeError("AUTOGRAD_CORE_REAL_CUDA=1 but CUDA is not usable: "
                               + _backend.cuda_unavailable_reason())
        yield real
        return
    saved_by_type = dict(_backend._by_type)
    saved_by_device = dict(_backend._by_device_type)
    saved_tried, saved_problem = _backend._cupy_tried, _backend._cupy_problem
    backend = FakeCupyBackend()
    _backend.register_backend(backend)
    _backend._cupy_tried = True  # never try to import the real CuPy meanwhile
    try:
        yield backend
    finally:
        _backend.unregister_backend(backend)
        _backend._by_type.clear()
        _backend._by_type.update(saved_by_type)
        _backend._by_device_type.clear()
        _backend._by_device_type.update(saved_by_device)
        _backend._cupy_tried, _backend._cupy_problem = saved_tried, saved_problem


@contextlib.contextmanager
def recording():
    """Inside the block, record every successful call into `fake_cupy` (functions, ufuncs
    and their methods, array methods); yields the set of ``(qualname, args, kwargs)``."""
    calls: set = set()
    saved = RECORDING["calls"]
    RECORDING["calls"] = calls
    try:
        yield calls
    finally:
        RECORDING["calls"] = saved


@pytest.fixture
def fake_cuda():
    """For one test: a ``"cuda"`` device backed by `fake_cupy`; yields the backend."""
    with installed() as backend:
        yield backend
