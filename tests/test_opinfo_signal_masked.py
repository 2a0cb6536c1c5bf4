"""Conformance of `signal.windows` and `masked` with PyTorch, on the samples of PyTorch's
OpInfo database: the same comparisons as `test_opinfo_linalg` (values, the vector-Jacobian
product for a fixed random cotangent, error classes), whose machinery this file reuses, for
every ``signal.*`` and ``masked.*`` entry (float32, CPU).

An entry's samples are taken evenly spaced through its list (the masked entries list dozens
to hundreds, the masks coming after the unmasked ones); ``OPINFO_MAX_SAMPLES`` raises how
many. Error inputs in a dtype we lack (bfloat16) are left out and counted apart. Counts are
printed by ``test_conformance_counts`` (run with ``-s``).
"""

from __future__ import annotations

import math
import os

import pytest

import autograd_core as ag

torch = pytest.importorskip("torch")

from test_opinfo_linalg import (  # noqa: E402  (needs torch)
    _check_error,
    _check_sample,
    _import_methods,
    _ours,
)

FAMILIES = ("signal", "masked")

# Samples known to disagree, by (entry, variant): the reason. None at present.
XFAIL: dict[tuple, str] = {}

MAX_SAMPLES = int(os.environ.get("OPINFO_MAX_SAMPLES", "12"))


@pytest.fixture(scope="module")
def op_db() -> list:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield _import_methods().op_db
    torch.set_num_threads(threads)


def _family(info) -> str:
    return info.name.split(".")[0]


def _spread(items: list, n: int) -> list:
    """n items evenly spaced through the list (all of them when there are at most n)."""
    if len(items) <= n:
        return items
    return [items[(k * len(items)) // n] for k in range(n)]


def _convertible(value) -> bool:
    """False when the value holds a torch dtype with no counterpart here."""
    if isinstance(value, torch.dtype):
        return hasattr(ag, str(value).split(".")[1])
    if isinstance(value, (list, tuple)):
        return all(_convertible(v) for v in value)
    if isinstance(value, dict):
        return all(_convertible(v) for v in value.values())
    return True


def _entry_results(info) -> tuple[int, list[str], int]:
    """(comparisons made, what disagreed, error inputs left out for a missing dtype)."""
    fn = _ours(info.name)
    samples = list(info.sample_inputs("cpu", torch.float32,
                                      requires_grad=info.supports_autograd))
    problems, total, left_out = [], 0, 0
    for k, sample in enumerate(_spread(samples, MAX_SAMPLES)):
        total += 1
        why = _check_sample(info, fn, sample)
        if why:
            problems.append(f"sample {k}: {why}")
    if info.error_inputs_func is not None:
        for k, err in enumerate(info.error_inputs("cpu")):
            s = err.sample_input
            if not _convertible([s.input, s.args, s.kwargs]):
                left_out += 1
                continue
            total += 1
            why = _check_error(fn, err)
            if why:
                problems.append(f"error input {k}: {why}")
    return total, problems, left_out


_RESULTS: dict = {}  # (name, variant) -> (comparisons, problems, left out)


def _names(op_db) -> list[str]:
    return sorted({op.name for op in op_db if _family(op) in FAMILIES})


def _all_names() -> list[str]:
    # the entries of the two families in PyTorch 2.13's op_db (the test below checks the list)
    windows = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
               "general_hamming", "hamming", "hann", "kaiser", "nuttall"]
    masked = ["amax", "amin", "argmax", "argmin", "cumprod", "cumsum", "log_softmax",
              "logaddexp", "logsumexp", "mean", "median", "norm", "normalize", "prod",
              "softmax", "softmin", "std", "sum", "var"]
    return [f"signal.windows.{n}" for n in windows] + [f"masked.{n}" for n in masked]


def test_entry_list_is_current(op_db):
    assert set(_names(op_db)) <= set(_all_names()), "op_db lists new entries: add them"


@pytest.mark.parametrize("name", _all_names())
def test_samples_match_torch(name, op_db):
    infos = [op for op in op_db if op.name == name]
    if not infos:
        pytest.skip(f"{name} is not in this PyTorch's op_db")
    assert _ours(name) is not None, f"no counterpart for {name}"
    failures = []
    for info in infos:
        key = (info.name, info.variant_test_name)
        _RESULTS[key] = _entry_results(info)
        if key in XFAIL:
            assert _RESULTS[key][1], f"{key} is listed as failing but agrees now: unlist it"
            continue
        failures += [f"{info.name}[{info.variant_test_name}] {p}" for p in _RESULTS[key][1]]
    assert not failures, "\n".join(failures)


def test_conformance_counts(op_db, capsys):
    """The families' coverage: entries with a counterpart, and samples agreeing."""
    entries = [op for op in op_db if _family(op) in FAMILIES]
    covered = [op for op in entries if _ours(op.name) is not None]
    for info in covered:  # (when run alone)
        key = (info.name, info.variant_test_name)
        if key not in _RESULTS:
            _RESULTS[key] = _entry_results(info)
    total = sum(r[0] for r in _RESULTS.values())
    bad = sum(len(r[1]) for r in _RESULTS.values())
    left_out = sum(r[2] for r in _RESULTS.values())
    with capsys.disabled():
        print(f"\nsignal/masked entries with a counterpart: {len(covered)} / {len(entries)}; "
              f"samples and error inputs agreeing (up to {MAX_SAMPLES} samples each): "
              f"{total - bad} / {total}; error inputs left out (bfloat16): {left_out}")
    assert len(covered) >= math.ceil(0.9 * len(entries))
    assert bad <= sum(len(r[1]) for k, r in _RESULTS.items() if k in XFAIL)
