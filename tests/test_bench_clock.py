"""``--clock cpu``: timed runs read the process's CPU time (CPU work only); nothing here
asserts a timing, only which clock is read and what is refused."""

from __future__ import annotations

import time

import pytest

from bench import cli, timing


def test_cpu_clock_needs_the_cpu_device(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--clock", "cpu", "--device", "all", "--quiet"], restart=False)
    assert exc.value.code == 2
    assert "--clock cpu" in capsys.readouterr().err


def test_set_clock_picks_what_compare_reads(monkeypatch):
    reads = []
    monkeypatch.setitem(timing.CLOCKS, "cpu", lambda: reads.append(1) or float(len(reads)))
    try:
        timing.set_clock("cpu")
        result = timing.compare({"f": lambda: None}, repeats=3, warmup=1)
        assert len(reads) == 8 and result["f"].median == 1.0  # two reads per run, 1 apart
    finally:
        timing.set_clock("wall")
    assert timing._clock["now"] is time.perf_counter
