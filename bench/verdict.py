"""The benchmark's conclusions in words: one short verdict per workload, and the legend of
the tables' columns. Both go to the terminal and into the markdown report."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .workloads import OURS

if TYPE_CHECKING:
    from .report import Measurement, Results

LEGEND = [
    ("median / min / max ms", "time of one step over the timed runs, after warm-up"),
    ("runs", "how many timed runs (cut short by --budget)"),
    ("throughput", "samples per second at the median (GFLOP/s for a single product)"),
    ("ours/peer", "on a peer's row: our median time over that peer's, same device and size; below 1 we are "
                  "faster (0.50x: twice as fast), above 1 slower"),
    ("GPU speed-up", "on a GPU row: that contender's CPU time over its GPU time at the same size; above 1 the "
                     "GPU is faster"),
    ("GPU speed-up (CPU: all N cores)", "the same, against the CPU with all its cores (timed in a second "
                                        "process); the column before divides the CPU time with the "
                                        "run's threads"),
    ("first loss / check", "what the first step computed (a loss, or a check value for matmul and "
                           "elementwise), compared across contenders and devices before any timing"),
]


def legend() -> str:
    """The legend as plain text lines."""
    width = max(len(name) for name, _ in LEGEND)
    return "\n".join(["Columns:"] + [f"  {name:<{width}}  {text}" for name, text in LEGEND])


def _x(value: float) -> str:
    return f"{value:.0f}x" if value >= 10 else f"{value:.2f}x"


def _main_line(results: Results, workload: str, device: str, contender: str) -> list[Measurement]:
    rows = [m for m in results.measurements if m.workload == workload and m.device == device
            and m.contender == contender and not m.variant]
    return sorted(rows, key=lambda m: m.size)


def _cpu_name(results: Results) -> str:
    threads = results.settings.get("threads")
    return "one CPU thread" if threads == 1 else f"{threads} CPU threads" if threads else "the CPU"


def gpu_verdict(results: Results, workload: str) -> str | None:
    """Where our GPU step starts beating our CPU step, and by how much at the largest size
    both ran (None without GPU rows)."""
    rows = [m for m in results.measurements if m.workload == workload and m.contender == OURS and not m.variant
            and m.device != "cpu" and m.gpu_speedup is not None]
    if not rows:
        return None
    rows.sort(key=lambda m: m.size)
    size_name = results.workloads[workload].get("size_name", "size")
    cpu, last = _cpu_name(results), rows[-1]
    winning = [m.gpu_speedup > 1 for m in rows]
    if all(winning):
        return (f"GPU faster than {cpu} at every {size_name} measured: {_x(rows[0].gpu_speedup)} at "
                f"{rows[0].size}, {_x(last.gpu_speedup)} at {last.size}")
    if not any(winning):
        best = max(rows, key=lambda m: m.gpu_speedup)
        return (f"GPU slower than {cpu} at every {size_name} measured (best {_x(best.gpu_speedup)} at "
                f"{best.size})")
    first = next(i for i in range(len(rows)) if all(winning[i:])) if winning[-1] else None
    if first is None:
        wins = [m.size for m, w in zip(rows, winning) if w]
        return f"GPU faster than {cpu} only at {size_name} {', '.join(map(str, wins))}"
    return (f"GPU faster than {cpu} from {size_name} {rows[first].size}, {_x(last.gpu_speedup)} at "
            f"{last.size}")


def peer_verdicts(results: Results, workload: str) -> list[str]:
    """Ours against each peer, per device: the range of ours/peer over the sizes."""
    out = []
    peers = dict.fromkeys((m.contender, m.device) for m in results.measurements
                          if m.workload == workload and m.contender != OURS and m.ours_over_peer is not None)
    for contender, device in peers:
        ratios = [m.ours_over_peer for m in _main_line(results, workload, device, contender)]
        if not ratios:
            continue
        low, high = min(ratios), max(ratios)
        span = _x(low) if f"{low:.2f}" == f"{high:.2f}" else f"{_x(low)}-{_x(high)}"
        # within 10% either way at every size is noise on a shared machine: "about even";
        # otherwise the side we are on at every size, or both
        side = ("about even" if low >= 0.9 and high <= 1.1 else "ours faster" if high < 1.0
                else "ours slower" if low > 1.0 else "faster at some sizes, slower at others")
        out.append(f"ours/{contender} on {device}: {span} ({side})")
    return out


def verdicts(results: Results) -> dict[str, list[str]]:
    """Workload name -> its verdict lines (workloads without measurements are left out)."""
    out = {}
    for name in results.workloads:
        if not any(m.workload == name for m in results.measurements):
            continue
        gpu = gpu_verdict(results, name)
        lines = ([gpu] if gpu else []) + peer_verdicts(results, name)
        out[name] = lines or ["no comparison: one device and no peers"]
    return out


def summary(results: Results) -> str:
    """The verdicts as text lines, one workload per line."""
    return "\n".join(f"  {name}: {'; '.join(lines)}" for name, lines in verdicts(results).items())
