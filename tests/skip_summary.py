"""The end of a test run, readable: skipped tests grouped by reason, one line per reason
with its count (instead of one ``SKIPPED`` line per test). ``conftest.py`` imports the hook;
pyproject's ``-r`` flags keep the per-test lines for failures, errors and unexpected passes."""

from __future__ import annotations

from collections import Counter

import pytest

MAX_REASON = 160


def _reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    text = " ".join(text.removeprefix("Skipped: ").split())
    return text if len(text) <= MAX_REASON else text[:MAX_REASON - 3] + "..."


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    counts = Counter(_reason(r) for r in skipped)
    terminalreporter.write_sep("-", f"{len(skipped)} skipped, by reason")
    for reason, n in counts.most_common():
        terminalreporter.write_line(f"{n:5d}  {reason}")
