"""PyTorch's ModuleInfo database, sample by sample (see `module_db_harness`).

One test per drawn sample of every module we have (float64 here, to keep the file fast;
``python tests/module_db_harness.py`` also runs float32). A module we lack is one skipped
test that says "missing", so the count rises as layers are added. Samples known to
disagree are xfailed with the reason, not hidden: when one starts to pass, pytest reports
it as XPASS and its entry here should go.
"""

from __future__ import annotations

import re
import warnings

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")  # torch.testing._internal needs it

import module_db_harness as harness  # noqa: E402

harness.DTYPES = ("float64",)

# (module name pattern, kind, sample description or index) -> why it disagrees
KNOWN_FAILURES: list = []  # (pattern, kind, desc or index, reason): none at present


def _known_failure(sample) -> str | None:
    for pattern, kind, which, reason in KNOWN_FAILURES:
        if not re.fullmatch(pattern, sample.module_name) or kind != sample.kind:
            continue
        if which == sample.desc or which == sample.index:
            return reason
    return None


def _params():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        db = harness.module_db()
        out = []
        for info in db:
            name = info.module_cls.__name__
            if not harness.has_counterpart(info):
                out.append(pytest.param(None, id=f"{name}-missing",
                                        marks=pytest.mark.skip(reason=f"missing: no nn.{name}")))
                continue
            for sample in harness.samples_of(info):
                reason = _known_failure(sample)
                marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason else []
                out.append(pytest.param(sample, id=sample.id, marks=marks))
    return out


@pytest.mark.parametrize("sample", _params())
def test_module_db_sample(sample):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        harness.run_sample(sample)


def test_module_db_coverage_does_not_shrink():
    """At least the 60 modules of the first measurement have a counterpart."""
    db = harness.module_db()
    present = sum(harness.has_counterpart(info) for info in db)
    assert len(db) >= 114
    assert present >= 60, f"only {present} of {len(db)} module_db modules have a counterpart"
