"""The skip summary: one line per reason with its count, no per-test SKIPPED lines."""

from __future__ import annotations

pytest_plugins = ["pytester"]


def test_skips_are_grouped_by_reason(pytester):
    pytester.makeconftest("from skip_summary import pytest_terminal_summary\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("k", range(3))
        def test_gpu(k):
            pytest.skip("no GPU here")

        @pytest.mark.skipif(True, reason="PyTorch is not installed")
        def test_torch():
            pass

        def test_ok():
            pass
        """)
    result = pytester.runpytest("-q", "-rfEX")
    result.assert_outcomes(passed=1, skipped=4)
    result.stdout.fnmatch_lines(["*4 skipped, by reason*", "    3  no GPU here", "    1  PyTorch is not installed"])
    assert "SKIPPED [" not in result.stdout.str()
