"""Conformance of `fft` and of the complex-number entries with PyTorch, on the samples of its
OpInfo database: for every ``fft.*`` entry, the complex entries (``complex``, ``polar``,
``view_as_real``, ``cfloat``, ...), ``linalg.eig``/``eigvals`` and ``stft``/``istft``, each
float32 and complex64 CPU sample's values, its vector-Jacobian product for a fixed random
real loss (complex outputs read as (Re, Im) pairs, complex inputs' gradients as PyTorch gives
them), and the error class of each error input are compared with torch.

Counts are printed by ``test_conformance_counts`` (run with ``-s``).
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import autograd_core as ag

torch = pytest.importorskip("torch")

from test_opinfo_linalg import _import_methods  # noqa: E402  (after the importorskip)

FFT = ["fft", "fft2", "fftn", "hfft", "hfft2", "hfftn", "rfft", "rfft2", "rfftn", "ifft",
       "ifft2", "ifftn", "ihfft", "ihfft2", "ihfftn", "irfft", "irfft2", "irfftn", "fftshift",
       "ifftshift"]
COMPLEX = ["abs", "angle", "conj", "conj_physical", "resolve_conj", "real", "imag",
           "view_as_real", "view_as_complex", "complex", "polar", "cfloat", "cdouble"]
NAMES = [f"fft.{n}" for n in FFT] + COMPLEX + ["linalg.eig", "linalg.eigvals", "stft", "istft"]
METHODS = {"cfloat": lambda x, *a, **k: x.cfloat(*a, **k),
           "cdouble": lambda x, *a, **k: x.cdouble(*a, **k),
           "chalf": lambda x, *a, **k: x.chalf(*a, **k)}
DTYPES = (torch.float32, torch.complex64)
MAX_SAMPLES = int(os.environ.get("OPINFO_MAX_SAMPLES", "12"))


@pytest.fixture(scope="module")
def op_db() -> list:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield _import_methods().op_db
    torch.set_num_threads(threads)


def _ours(name: str):
    if name in METHODS:
        return METHODS[name]
    obj = ag
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _to_ours(value, seen: dict):
    if isinstance(value, torch.Tensor):
        if id(value) not in seen:
            t = ag.tensor(value.detach().resolve_conj().numpy().copy())
            if value.requires_grad:
                t.requires_grad_(True)
            seen[id(value)] = t
        return seen[id(value)]
    if isinstance(value, torch.dtype):
        return getattr(ag, str(value).split(".")[1])
    if isinstance(value, (list, tuple)) and not isinstance(value, torch.Size):
        return type(value)(_to_ours(v, seen) for v in value)
    if isinstance(value, dict):
        return {k: _to_ours(v, seen) for k, v in value.items()}
    return value


def _flat(out) -> list:
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in _flat(o)]
    return [out]


def _numpy(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().resolve_conj().numpy()
    if isinstance(t, ag.Tensor):
        return t.detach().numpy()
    return np.asarray(t)


def _agree(a, b, rtol=1e-3, atol=1e-4) -> bool:
    a, b = _numpy(a), _numpy(b)
    if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
        return False
    if a.size == 0:
        return True
    if a.dtype.kind in "biu":
        return bool((a == b).all())
    scale = max(1.0, float(np.nanmax(np.abs(np.where(np.isfinite(b), b, 0)))))
    return bool(np.allclose(a, b, rtol=rtol, atol=atol * scale, equal_nan=True))


def _phase_fixed(v: np.ndarray) -> np.ndarray:
    """Each column scaled by the unit number that makes its largest entry real positive."""
    if v.size == 0:
        return v
    k = np.abs(v).argmax(axis=-2)[..., None, :]
    top = np.take_along_axis(v, k, axis=-2)
    return v * (np.abs(top) / np.where(top == 0, 1, top))


def _real_parts(t, lib):
    if lib is torch:
        t = t.resolve_conj()
    return lib.view_as_real(t) if t.is_complex() else t


def _check_sample(info, fn, sample) -> str | None:
    seen: dict = {}
    theirs_in = [sample.input, *sample.args]
    ours_in = _to_ours(theirs_in, seen)
    ours_kwargs = _to_ours(dict(sample.kwargs), seen)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = info.op(*theirs_in, **sample.kwargs)
        try:
            with np.errstate(all="ignore"):
                out = fn(*ours_in, **ours_kwargs)
        except Exception as exc:  # noqa: BLE001 - reported as the disagreement
            return f"raised {type(exc).__name__}: {exc}"
        ref_p, out_p = _flat(ref), _flat(out)
        if len(ref_p) != len(out_p):
            return f"{len(out_p)} outputs, torch has {len(ref_p)}"
        for i, (a, b) in enumerate(zip(out_p, ref_p)):
            if info.name == "linalg.eig" and i == 1:  # eigenvectors: each up to a phase
                a, b = _phase_fixed(_numpy(a)), _phase_fixed(_numpy(b))
            if not _agree(a, b):
                return f"output {i} differs"
        if not info.supports_autograd:
            return None
        return _check_vjp(theirs_in, seen, out_p, ref_p)


def _check_vjp(theirs_in, seen, out_p, ref_p) -> str | None:
    t_leaves = [t for t in _flat(theirs_in) if isinstance(t, torch.Tensor) and t.requires_grad]
    o_leaves = [seen[id(t)] for t in t_leaves]
    pairs = [(o, r) for o, r in zip(out_p, ref_p) if isinstance(r, torch.Tensor)
             and r.requires_grad and r.numel()]
    if not t_leaves or not pairs:
        return None
    rng = np.random.default_rng(0)
    cots = [rng.normal(size=tuple(_real_parts(r, torch).shape)) for _, r in pairs]
    t_loss = sum((_real_parts(r, torch) * torch.tensor(c, dtype=_real_parts(r, torch).dtype)).sum()
                 for (_, r), c in zip(pairs, cots))
    try:
        t_grads = torch.autograd.grad(t_loss, t_leaves, allow_unused=True)
    except RuntimeError:  # e.g. eig: a loss depending on the eigenvectors' phase is refused
        return None
    o_terms = [(_real_parts(o, ag) * ag.tensor(c, dtype=_real_parts(o, ag).dtype)).sum()
               for (o, _), c in zip(pairs, cots) if isinstance(o, ag.Tensor) and o.requires_grad]
    o_grads = [None] * len(o_leaves)
    if o_terms:
        try:
            with np.errstate(all="ignore"):
                o_grads = ag.autograd.grad(sum(o_terms), o_leaves, allow_unused=True)
        except Exception as exc:  # noqa: BLE001
            return f"backward raised {type(exc).__name__}: {exc}"
    for i, (a, b) in enumerate(zip(o_grads, t_grads)):
        like = t_leaves[i].detach().resolve_conj().numpy()
        a = np.zeros_like(like) if a is None else a
        b = np.zeros_like(like) if b is None else b
        if not _agree(a, b, rtol=2e-3, atol=2e-4):
            return f"gradient {i} differs"
    return None


def _check_error(fn, error_input) -> str | None:
    sample = error_input.sample_input
    seen: dict = {}
    args = _to_ours([sample.input, *sample.args], seen)
    kwargs = _to_ours(dict(sample.kwargs), seen)
    try:
        with np.errstate(all="ignore"):
            fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001
        want = error_input.error_type
        if isinstance(exc, want):
            return None
        return f"raised {type(exc).__name__}, torch raises {want.__name__}"
    return f"no error; torch raises {error_input.error_type.__name__}"


def _entry_results(info) -> tuple[int, list[str]]:
    fn = _ours(info.name)
    problems, total = [], 0
    for dtype in DTYPES:
        if dtype not in info.dtypes:
            continue
        samples = list(info.sample_inputs("cpu", dtype, requires_grad=info.supports_autograd))
        for k, sample in enumerate(samples[:MAX_SAMPLES]):
            total += 1
            why = _check_sample(info, fn, sample)
            if why:
                problems.append(f"{dtype} sample {k}: {why}")
    if info.error_inputs_func is not None:
        for k, err in enumerate(info.error_inputs("cpu")):
            total += 1
            why = _check_error(fn, err)
            if why:
                problems.append(f"error input {k}: {why}")
    return total, problems


_RESULTS: dict = {}


@pytest.mark.parametrize("name", NAMES)
def test_samples_match_torch(name, op_db):
    infos = [op for op in op_db if op.name == name]
    assert infos, f"{name} is not in PyTorch's op_db"
    assert _ours(name) is not None, f"no counterpart for {name}"
    failures = []
    for info in infos:
        total, problems = _entry_results(info)
        _RESULTS[(info.name, info.variant_test_name)] = (total, problems)
        failures += [f"{info.name}[{info.variant_test_name}] {p}" for p in problems]
    assert not failures, "\n".join(failures)


def test_conformance_counts(op_db, capsys):
    """The fft namespace's coverage: entries with a counterpart, and samples agreeing."""
    entries = [op for op in op_db if op.name.startswith("fft.")]
    covered = [op for op in entries if _ours(op.name) is not None]
    for name in NAMES:
        for info in (op for op in op_db if op.name == name):
            key = (info.name, info.variant_test_name)
            if key not in _RESULTS:
                _RESULTS[key] = _entry_results(info)
    total = sum(n for n, _ in _RESULTS.values())
    bad = sum(len(p) for _, p in _RESULTS.values())
    with capsys.disabled():
        print(f"\nfft entries with a counterpart: {len(covered)} / {len(entries)}; samples and "
              f"error inputs agreeing (these and {len(COMPLEX)} complex entries, float32 and "
              f"complex64, first {MAX_SAMPLES} samples each): {total - bad} / {total}")
    assert len(covered) == len(entries)
    assert bad == 0
