"""Running PyTorch's OpInfo samples through both libraries (used by tests/test_opinfo.py).

For one OpInfo entry: each sample's tensors are copied into ours (same values, dtypes and
``requires_grad``), the op runs in both libraries, and we compare

- the outputs (every tensor of a nested result: shape, dtype, values to ``rtol``);
- the gradients of every input that requires grad, by one vector-Jacobian product with the
  same random cotangents for every floating output that requires grad;
- for the entry's ``error_inputs``, that ours raises an instance of PyTorch's exception class.

A sample agrees when all of its comparisons pass. The harness is ours.
"""

from __future__ import annotations

import importlib
import inspect
import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

import autograd_core as ag
import nn.functional as F

torch = importlib.import_module("torch")

_DTYPES = {torch.float32: ag.float32, torch.float64: ag.float64, torch.float16: ag.float16,
           torch.bfloat16: ag.bfloat16, torch.int64: ag.int64, torch.int32: ag.int32,
           torch.int16: ag.int16, torch.int8: ag.int8, torch.uint8: ag.uint8, torch.bool: ag.bool,
           torch.complex64: ag.complex64, torch.complex128: ag.complex128}


def _numpy(t) -> np.ndarray:
    """A tensor's values as a NumPy array (bfloat16, which NumPy lacks, as its float32 values)."""
    if t.dtype in (torch.bfloat16, ag.bfloat16):
        t = t.float()
    return t.detach().resolve_conj().numpy()


SKIPPED = "skipped"  # a sample PyTorch itself refuses
_MAX_ELEMENTS = 1 << 20  # larger inputs (a few error inputs) are not copied over


class Unsupported(Exception):
    """A sample holds something with no counterpart here (a dtype, a layout)."""


@dataclass
class EntryResult:
    """Counts for one OpInfo entry (``name`` or ``name.variant``)."""

    name: str
    counterpart: bool
    samples: int = 0
    agree: int = 0
    errors: int = 0
    errors_agree: int = 0
    seconds: float = 0.0  # CPU time of this process (the machine may be shared)
    failures: list = field(default_factory=list)  # (sample number, what differed)


# ----------------------------------------------------------------------------- resolving
def resolve(name: str, aliases: dict):
    """Our callable ``f(input, *args, **kwargs)`` for the OpInfo op ``name``, or None."""
    name = aliases.get(name, name)
    if callable(name):
        return name
    if name.startswith("nn.functional."):
        return getattr(F, name[len("nn.functional."):], None)
    if "." in name:
        return None
    if name == "__getitem__":
        return lambda x, key: x[key]
    if not name.startswith("__") and hasattr(ag, name) and callable(getattr(ag, name)):
        return getattr(ag, name)
    attr = inspect.getattr_static(ag.Tensor, name, None)
    if attr is None:
        return None
    if isinstance(attr, property):
        return lambda x: getattr(x, name)
    if name.startswith("__"):  # OpInfo calls torch.Tensor.__radd__(x, ...) even for a number x
        return lambda x, *args, **kwargs: getattr(ag.Tensor, name)(x, *args, **kwargs)
    return lambda x, *args, **kwargs: getattr(x, name)(*args, **kwargs)


# ----------------------------------------------------------------------------- conversion
def _tensors_of(obj) -> list:
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [t for o in obj for t in _tensors_of(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _tensors_of(o)]
    return []


class _Converter:
    """Copies a sample's arguments into ours, remembering which of our tensors stands for
    which of PyTorch's (for the gradients). Tensors of the sample that share memory (an
    ``out=`` overlapping an input), none requiring grad, share memory here too."""

    def __init__(self, sample=None) -> None:
        self.pairs: dict = {}  # id(torch tensor) -> (torch tensor, ours)
        self.buffers: dict = {}  # storage address -> our copy of the whole storage
        self.shared: set = set()
        if sample is not None:
            tensors = _tensors_of([sample.input, list(sample.args), dict(sample.kwargs)])
            plain = [t for t in tensors if t.layout == torch.strided and not t.requires_grad]
            owners: dict = {}
            for t in plain:
                owners.setdefault(t.untyped_storage().data_ptr(), set()).add(id(t))
            self.shared = {ptr for ptr, ids in owners.items() if len(ids) > 1}

    def _shared_view(self, obj):
        """``obj`` as a NumPy view of one copy of its storage (same offset and strides)."""
        ptr = obj.untyped_storage().data_ptr()
        buffer = self.buffers.get(ptr)
        if buffer is None:
            size = obj.untyped_storage().nbytes() // obj.element_size()
            whole = torch.empty(0, dtype=obj.dtype).set_(obj.untyped_storage(), 0, (size,), (1,))
            buffer = self.buffers[ptr] = whole.numpy().copy()
        if buffer.dtype != obj.detach().numpy().dtype:
            raise Unsupported("tensors of two dtypes over one storage")
        view = np.lib.stride_tricks.as_strided(
            buffer[obj.storage_offset():], tuple(obj.shape),
            tuple(step * obj.element_size() for step in obj.stride()))
        return ag.from_numpy(view)

    def __call__(self, obj):
        if isinstance(obj, torch.Tensor):
            known = self.pairs.get(id(obj))
            if known is not None:
                return known[1]
            if obj.dtype not in _DTYPES or obj.layout != torch.strided:
                raise Unsupported(f"a {obj.dtype} {obj.layout} tensor")
            if not obj.requires_grad and obj.untyped_storage().data_ptr() in self.shared:
                ours = self._shared_view(obj)
                self.pairs[id(obj)] = (obj, ours)
                return ours
            if obj.numel() > _MAX_ELEMENTS:
                raise Unsupported(f"a tensor of {obj.numel()} elements (over the time budget)")
            expanded = not obj.requires_grad and obj.numel() > 1 and 0 in obj.stride()
            try:
                if expanded:  # an expanded tensor stays one (out= refuses it in PyTorch)
                    base = obj.detach()[tuple(slice(0, 1) if step == 0 else slice(None)
                                              for step in obj.stride())]
                    ours = ag.tensor(base.resolve_conj().numpy().copy(), dtype=_DTYPES[obj.dtype]).expand(
                        *obj.shape)
                else:
                    ours = ag.tensor(obj.detach().resolve_conj().numpy().copy(), dtype=_DTYPES[obj.dtype])
            except Exception as error:  # noqa: BLE001  (e.g. more dims than NumPy allows)
                raise Unsupported(f"a tensor NumPy cannot hold ({error})") from None
            if obj.requires_grad:
                ours.requires_grad_(True)
            self.pairs[id(obj)] = (obj, ours)
            return ours
        if isinstance(obj, torch.dtype):
            if obj not in _DTYPES:
                raise Unsupported(f"dtype {obj}")
            return _DTYPES[obj]
        if isinstance(obj, torch.Size):
            return tuple(obj)
        if isinstance(obj, torch.device):
            return str(obj)
        if isinstance(obj, torch.nn.PairwiseDistance):  # a distance_function argument
            import nn

            return nn.PairwiseDistance(obj.norm, obj.eps, obj.keepdim)
        if isinstance(obj, torch.memory_format):
            return getattr(ag, str(obj).replace("torch.", ""))
        if isinstance(obj, torch.layout):
            return getattr(ag, str(obj).replace("torch.", ""))
        if isinstance(obj, list):
            return [self(o) for o in obj]
        if isinstance(obj, tuple):
            return tuple(self(o) for o in obj)
        if isinstance(obj, dict):
            return {k: self(v) for k, v in obj.items()}
        if isinstance(obj, slice):
            return slice(self(obj.start), self(obj.stop), self(obj.step))
        return obj


def _flat(out) -> list:
    if isinstance(out, (list, tuple)):
        return [leaf for o in out for leaf in _flat(o)]
    return [out]


def _dtype_name(t) -> str:
    return str(t.dtype).replace("torch.", "")


def _compare_outputs(theirs: list, ours: list, rtol: float) -> str | None:
    if len(theirs) != len(ours):
        return f"{len(ours)} outputs, PyTorch has {len(theirs)}"
    for k, (t, o) in enumerate(zip(theirs, ours)):
        if isinstance(t, torch.Tensor):
            if not isinstance(o, ag.Tensor):
                return f"output {k} is {type(o).__name__}, not a tensor"
            if tuple(t.shape) != tuple(o.shape):
                return f"output {k} shape {list(o.shape)} != {list(t.shape)}"
            if _dtype_name(t) != o.dtype.name:
                return f"output {k} dtype {o.dtype.name} != {_dtype_name(t)}"
            if t.dtype in _DTYPES:
                a, b = _numpy(o), _numpy(t)
                if not np.allclose(a, b, rtol=rtol, atol=rtol * 0.1, equal_nan=True):
                    return f"output {k} values differ (max abs diff {_max_diff(a, b):.3g})"
        elif isinstance(t, (int, float, bool)) and not isinstance(o, ag.Tensor):
            if not (t == o or (isinstance(t, float) and math.isnan(t) and math.isnan(o))):
                return f"output {k}: {o!r} != {t!r}"
    return None


def _max_diff(a, b) -> float:
    with np.errstate(invalid="ignore"):
        d = np.abs(a.astype(np.complex128) - b.astype(np.complex128))
    return float(np.nanmax(d)) if d.size and not np.all(np.isnan(d)) else float("nan")


def _compare_grads(theirs: list, ours: list, conv: _Converter, rng, rtol: float) -> str | None:
    outs = [(k, t) for k, t in enumerate(theirs) if isinstance(t, torch.Tensor)
            and t.requires_grad and (t.is_floating_point() or t.is_complex())]
    leaves = [(t, o) for t, o in conv.pairs.values() if t.requires_grad]
    if not outs or not leaves:
        return None
    cots = [rng.standard_normal(tuple(t.shape)).astype(np.float32) for _, t in outs]
    cots = [c + 1j * rng.standard_normal(c.shape) if t.is_complex() else c for c, (_, t) in zip(cots, outs)]
    try:
        gt = torch.autograd.grad([t for _, t in outs], [t for t, _ in leaves],
                                 [torch.tensor(c, dtype=t.dtype) for c, (_, t) in zip(cots, outs)],
                                 allow_unused=True)
    except RuntimeError:  # no derivative in PyTorch either: nothing to compare
        return None
    mine = [ours[k] for k, _ in outs]
    if not all(isinstance(o, ag.Tensor) and o.requires_grad for o in mine):
        return "an output that requires grad in PyTorch does not here"
    try:
        go = ag.autograd.grad(mine, [o for _, o in leaves],
                              [ag.tensor(c, dtype=o.dtype) for c, o in zip(cots, mine)],
                              allow_unused=True)
    except Exception as error:  # noqa: BLE001  (any failure is a disagreement)
        return f"backward raised {type(error).__name__}: {str(error)[:120]}"
    for k, (a, b) in enumerate(zip(go, gt)):
        if a is None or b is None:
            other = b if a is None else a
            if other is not None and not (isinstance(other, torch.Tensor)
                                          and other._is_zerotensor()) and np.any(
                                              _numpy(other)):
                return f"gradient {k} is None on one side only"
            continue
        x = _numpy(a)
        y = np.zeros(tuple(b.shape), np.float32) if b._is_zerotensor() else _numpy(b)
        scale = max(1.0, float(np.nanmax(np.abs(y))) if y.size else 1.0)
        if x.shape != y.shape or not np.allclose(x, y, rtol=rtol, atol=rtol * scale,
                                                 equal_nan=True):
            return f"gradient {k} differs (max abs diff {_max_diff(x, y):.3g})"
    return None


# ----------------------------------------------------------------------------- one entry
def run_entry(op, ours, *, max_samples: int, rtol: float, values_only=False,
              seed: int = 0) -> EntryResult:
    """Run up to ``max_samples`` samples and error inputs of ``op`` through both libraries.
    ``values_only`` (a bool, or a test of the sample): compare only shapes and dtypes (random
    results)."""
    key = op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")
    result = EntryResult(key, ours is not None)
    if ours is None:
        return result
    start = time.process_time()
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        samples = op.sample_inputs("cpu", torch.float32, requires_grad=op.supports_autograd)
        for n, sample in enumerate(samples):
            if n >= max_samples:
                break
            try:
                random = values_only(sample) if callable(values_only) else values_only
                problem = _run_sample(op, ours, sample, rng, rtol, random)
            except Exception as error:  # noqa: BLE001  (e.g. a result we cannot read back)
                problem = f"comparing raised {type(error).__name__}: {str(error)[:120]}"
            if problem is SKIPPED:
                continue
            result.samples += 1
            if problem is None:
                result.agree += 1
            else:
                result.failures.append((n, problem))
        _run_errors(op, ours, result, max_samples)
    result.seconds = time.process_time() - start
    return result


def _run_sample(op, ours, sample, rng, rtol: float, values_only: bool) -> str | None:
    conv = _Converter()
    try:
        args = conv((sample.input,) + tuple(sample.args))
        kwargs = conv(dict(sample.kwargs))
    except Unsupported as why:
        return f"input not representable: {why}"
    try:
        theirs = _flat(op(sample.input, *sample.args, **sample.kwargs))
    except Exception:  # noqa: BLE001  (PyTorch itself refuses this sample: not counted)
        return SKIPPED
    try:
        mine = _flat(ours(*args, **kwargs))
    except Exception as error:  # noqa: BLE001
        return f"raised {type(error).__name__}: {str(error)[:120]}"
    if values_only:  # random ops: shapes and dtypes only
        theirs = [torch.zeros_like(t) if isinstance(t, torch.Tensor) else t for t in theirs]
        mine = [ag.zeros_like(m) if isinstance(m, ag.Tensor) else m for m in mine]
        return _compare_outputs(theirs, mine, rtol)
    problem = _compare_outputs(theirs, mine, rtol)
    if problem is None and op.supports_autograd:
        problem = _compare_grads(theirs, mine, conv, rng, rtol)
    return problem


def _torch_raises(op, sample, error_type) -> bool:
    try:
        op(sample.input, *sample.args, **sample.kwargs)
    except error_type:
        return True
    except Exception:  # noqa: BLE001  (another class: this input does not test the error)
        return False
    return False


def _run_errors(op, ours, result: EntryResult, max_samples: int) -> None:
    if op.error_inputs_func is None:
        return
    try:
        errors = list(op.error_inputs("cpu"))[:max_samples]
    except Exception:  # noqa: BLE001  (the database cannot build them on this build)
        return
    for err in errors:
        sample = err.sample_input
        conv = _Converter(sample)
        try:
            args = conv((sample.input,) + tuple(sample.args))
            kwargs = conv(dict(sample.kwargs))
        except Unsupported:
            continue
        if not _torch_raises(op, sample, err.error_type):
            continue  # (only the error inputs PyTorch itself refuses here are counted)
        result.errors += 1
        try:
            ours(*args, **kwargs)
        except err.error_type:
            result.errors_agree += 1
            continue
        except Exception as error:  # noqa: BLE001
            result.failures.append(("error", f"raised {type(error).__name__}, PyTorch raises "
                                             f"{err.error_type.__name__}"))
            continue
        result.failures.append(("error", f"no error, PyTorch raises {err.error_type.__name__}"))
