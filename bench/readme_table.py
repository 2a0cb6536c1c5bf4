"""The README's benchmark table, written by the benchmark itself (``--readme-table FILE``).

The table sits in the file between two marker lines, one pair per CPU thread count::

    <!-- bench-table cpu threads=1 -->
    ...written by `python -m bench --device cpu --readme-table README.md`...
    <!-- /bench-table cpu threads=1 -->

Each run replaces only the block of its own thread count (a block that is not there yet is
added at the end of the file), so the one-thread table and the ``--threads 2`` table live
side by side. The block names the machine (CPU model, cores), the library versions, the
thread count, the date, the load average and the command, so no number in it is typed by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

from .report import Results, _ms
from .workloads import OURS


def markers(threads: int) -> tuple[str, str]:
    """The opening and closing marker lines of the block for ``threads`` CPU threads."""
    key = f"cpu threads={threads}"
    return f"<!-- bench-table {key} -->", f"<!-- /bench-table {key} -->"


def block(results: Results) -> str:
    """The table of one CPU run: ours (median ms) and ours/peer for every peer, per size."""
    env = results.environment
    threads = results.settings.get("threads", 1)
    rows = [m for m in results.measurements if m.device == "cpu"]
    peers = list(dict.fromkeys(m.contender for m in rows if m.contender != OURS))
    header = ["workload", "size", "ours (median ms)"] + [f"ours / {p}" for p in peers]
    lines = [
        f"Measured on {env.get('cpu', '?')} ({env.get('cores', '?')} cores), "
        f"{threads or 'default'} thread{'s' if threads != 1 else ''} per library, "
        f"NumPy {env.get('numpy', '?')} ({env.get('blas', '?')}), "
        f"PyTorch {env.get('pytorch', 'absent')}, Python {env.get('python', '?')}, "
        f"{env.get('date', '?')}, load average {env.get('load_average', 'unknown')}, "
        f"by `{results.command}` (medians of interleaved runs, {_clock_words(results)}; "
        f"below 1x we are faster):",
        "",
        "| " + " | ".join(header) + " |",
        "|---|---|" + "---:|" * (len(header) - 2),
    ]
    ratio = {(m.workload, m.variant, m.size, m.contender): m.ours_over_peer for m in rows}
    for m in rows:
        if m.contender != OURS:
            continue
        title = results.workloads.get(m.workload, {}).get("title", m.workload)
        cells = [title, m.label, _ms(m.median_s)]
        for p in peers:
            r = ratio.get((m.workload, m.variant, m.size, p))
            cells.append("" if r is None else f"{r:.2f}x")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _clock_words(results: Results) -> str:
    if results.settings.get("clock") == "cpu":
        return "timed with the process's CPU time"
    return "timed with the wall clock"


def update(path: Path, results: Results) -> None:
    """Replace (or add) this run's block in the file at ``path``."""
    start, end = markers(results.settings.get("threads", 1))
    text = path.read_text() if path.exists() else ""
    new = f"{start}\n{block(results)}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: new, text, count=1)
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + new + "\n"
    path.write_text(text)
