"""The benchmark's verdict in words and its column legend (pure functions of the results)."""

from __future__ import annotations

from bench import report, verdict
from bench.report import Measurement, Results
from bench.workloads import OURS


def _results(rows, threads=1) -> Results:
    ms = [Measurement("mlp", size, "", device, who, t, t, t, 3, size, None, 1.0, 1.0) for size, device, who, t in rows]
    results = Results("cmd", {}, {"threads": threads}, measurements=ms)
    results.workloads = {"mlp": {"title": "MLP", "size_name": "batch", "check_name": "first loss"}}
    report.annotate(results)
    return results


def test_gpu_verdict_names_the_crossover_and_the_largest_speed_up():
    rows = []
    for size, cpu, gpu in ((16, 1.0, 2.0), (64, 4.0, 2.0), (2048, 110.0, 10.0)):
        rows += [(size, "cpu", OURS, cpu), (size, "cuda", OURS, gpu)]
    assert verdict.gpu_verdict(_results(rows), "mlp") == "GPU faster than one CPU thread from batch 64, 11x at 2048"
    assert "4 CPU threads" in verdict.gpu_verdict(_results(rows, threads=4), "mlp")


def test_gpu_verdict_when_the_gpu_always_or_never_wins():
    always = [(s, d, OURS, t) for s in (8, 16) for d, t in (("cpu", 3.0 * s), ("cuda", 1.0))]
    assert verdict.gpu_verdict(_results(always), "mlp") == (
        "GPU faster than one CPU thread at every batch measured: 24x at 8, 48x at 16")
    never = [(s, d, OURS, t) for s in (8, 16) for d, t in (("cpu", 1.0), ("cuda", 2.0 if s == 8 else 1.25))]
    assert verdict.gpu_verdict(_results(never), "mlp") == (
        "GPU slower than one CPU thread at every batch measured (best 0.80x at 16)")
    assert verdict.gpu_verdict(_results([(8, "cpu", OURS, 1.0)]), "mlp") is None


def test_peer_verdict_gives_the_range_of_ours_over_peer():
    rows = [(8, "cpu", OURS, 0.9), (8, "cpu", "pytorch", 1.0), (16, "cpu", OURS, 2.2), (16, "cpu", "pytorch", 2.0)]
    assert verdict.peer_verdicts(_results(rows), "mlp") == ["ours/pytorch on cpu: 0.90x-1.10x (about even)"]
    slow = [(8, "cpu", OURS, 3.0), (8, "cpu", "pytorch", 1.0)]
    assert verdict.peer_verdicts(_results(slow), "mlp") == ["ours/pytorch on cpu: 3.00x (ours slower)"]
    wide = [(8, "cpu", OURS, 1.0), (8, "cpu", "pytorch", 0.008), (16, "cpu", OURS, 1.0), (16, "cpu", "pytorch", 0.5)]
    assert verdict.peer_verdicts(_results(wide), "mlp") == ["ours/pytorch on cpu: 2.00x-125x (ours slower)"]
    faster = [(8, "cpu", OURS, 0.7), (8, "cpu", "pytorch", 1.0), (16, "cpu", OURS, 0.97), (16, "cpu", "pytorch", 1.0)]
    assert verdict.peer_verdicts(_results(faster), "mlp") == ["ours/pytorch on cpu: 0.70x-0.97x (ours faster)"]
    slower = [(8, "cpu", OURS, 1.05), (8, "cpu", "pytorch", 1.0), (16, "cpu", OURS, 1.2), (16, "cpu", "pytorch", 1.0)]
    assert verdict.peer_verdicts(_results(slower), "mlp") == ["ours/pytorch on cpu: 1.05x-1.20x (ours slower)"]
    mixed = [(8, "cpu", OURS, 0.8), (8, "cpu", "pytorch", 1.0), (16, "cpu", OURS, 1.2), (16, "cpu", "pytorch", 1.0)]
    assert verdict.peer_verdicts(_results(mixed), "mlp") == [
        "ours/pytorch on cpu: 0.80x-1.20x (faster at some sizes, slower at others)"]
    alone = verdict.verdicts(_results([(8, "cpu", OURS, 1.0)]))
    assert alone == {"mlp": ["no comparison: one device and no peers"]}


def test_markdown_has_the_verdict_and_the_legend():
    rows = [(8, "cpu", OURS, 0.5), (8, "cpu", "pytorch", 1.0), (8, "cuda", OURS, 0.25)]
    text = report.markdown(_results(rows))
    assert "## Verdict" in text and "- mlp: GPU faster than one CPU thread at every batch measured" in text
    assert "ours/pytorch on cpu: 0.50x (ours faster)" in text
    assert "## Columns" in text and "**ours/peer**" in text and "| first loss |" in text
    assert "ours/peer" in verdict.legend() and "GPU speed-up" in verdict.legend()
