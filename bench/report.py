"""The benchmark's results and their four forms: terminal table, markdown, JSON, plot.

Ratio columns, all of medians measured in the same run:

- ours/peer, on a peer's row: our time over the peer's on the same device and size
  (below 1: we are faster);
- GPU speed-up, on a GPU row: that contender's CPU time over its GPU time at the same size,
  twice: against the CPU run of this process (``--threads``, default one thread) and, when
  measured, against the CPU with all its cores (a second process, see ``cli``); the headers
  say which.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import verdict
from .workloads import OURS


@dataclass
class Measurement:
    workload: str
    size: int
    variant: str
    device: str
    contender: str
    median_s: float
    min_s: float
    max_s: float
    runs: int
    samples: int
    flops: float | None
    loss: float | None
    checksum: float | None
    ours_over_peer: float | None = None
    gpu_speedup: float | None = None
    gpu_speedup_all_cores: float | None = None

    @property
    def label(self) -> str:
        return f"{self.size} ({self.variant})" if self.variant else str(self.size)

    @property
    def samples_per_s(self) -> float:
        return self.samples / self.median_s

    @property
    def gflops_per_s(self) -> float | None:
        return None if self.flops is None else self.flops / self.median_s / 1e9

    def as_dict(self) -> dict:
        d = asdict(self)
        d.update(label=self.label, samples_per_s=self.samples_per_s, gflops_per_s=self.gflops_per_s)
        return d


@dataclass
class Check:
    """A first-step comparison: ``contender`` on ``device`` against ``reference``."""

    workload: str
    label: str
    device: str
    contender: str
    reference: str
    loss: float
    reference_loss: float
    checksum: float | None
    reference_checksum: float | None
    ok: bool

    def describe(self) -> str:
        text = (f"{self.workload} {self.label}: {self.contender} on {self.device} vs {self.reference}: "
                f"loss {self.loss:.7g} vs {self.reference_loss:.7g}")
        if self.checksum is not None and self.reference_checksum is not None:
            text += f", gradient checksum {self.checksum:.7g} vs {self.reference_checksum:.7g}"
        return text


@dataclass
class Results:
    command: str
    environment: dict[str, str]
    settings: dict[str, object]
    workloads: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> title, size_name, ...
    notes: list[str] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    interrupted: bool = False
    # median seconds on the CPU with all its cores, by (workload, variant, size, contender),
    # measured by a second process (`cli.all_core_baseline`); and its thread count
    cpu_all_cores: dict = field(default_factory=dict)
    all_cores: int | None = None

    @property
    def disagreements(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


def annotate(results: Results) -> None:
    """Fill in the ours/peer and GPU speed-up ratios."""
    by_key = {(m.workload, m.variant, m.size, m.device, m.contender): m for m in results.measurements}
    for m in results.measurements:
        ours = by_key.get((m.workload, m.variant, m.size, m.device, OURS))
        m.ours_over_peer = ours.median_s / m.median_s if ours is not None and m.contender != OURS else None
        cpu = by_key.get((m.workload, m.variant, m.size, "cpu", m.contender))
        m.gpu_speedup = cpu.median_s / m.median_s if cpu is not None and m.device != "cpu" else None
        all_cores = results.cpu_all_cores.get((m.workload, m.variant, m.size, m.contender))
        m.gpu_speedup_all_cores = (all_cores / m.median_s if all_cores is not None and m.device != "cpu"
                                   else None)


# ----------------------------------------------------------------------------- tables
def _ms(seconds: float) -> str:
    ms = seconds * 1e3
    for limit, digits in ((100, 0), (10, 1), (1, 2)):
        if ms >= limit:
            return f"{ms:.{digits}f}"
    return f"{ms:.3f}"


def _rate(value: float, unit: str) -> str:
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:.3g}{prefix} {unit}/s"
    return f"{value:.3g} {unit}/s"


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}x"


HEADER = ("size", "device", "contender", "median ms", "min ms", "max ms", "runs", "throughput",
          "ours/peer", "GPU speed-up", "GPU speed-up (all cores)", "first loss")


def _rows(results: Results, workload: str) -> list[tuple[str, ...]]:
    info = results.workloads[workload]
    rows = []
    for m in results.measurements:
        if m.workload != workload:
            continue
        rate = (f"{m.gflops_per_s:.3g} GFLOP/s" if m.gflops_per_s is not None and m.samples == 1
                else _rate(m.samples_per_s, info.get("sample_name", "samples")))
        rows.append((m.label, m.device, m.contender, _ms(m.median_s), _ms(m.min_s), _ms(m.max_s), str(m.runs),
                     rate, _ratio(m.ours_over_peer), _ratio(m.gpu_speedup),
                     _ratio(m.gpu_speedup_all_cores), "" if m.loss is None else f"{m.loss:.6g}"))
    return rows


def _threads_label(threads) -> str:
    if not threads:
        return "CPU: library default threads"
    return f"CPU: {threads} thread{'s' if threads != 1 else ''}"


def _header(results: Results, workload: str) -> tuple[str, ...]:
    """The column names, the speed-ups labelled with the CPU thread counts they divide."""
    info = results.workloads[workload]
    one = f"GPU speed-up ({_threads_label(results.settings.get('threads', 1))})"
    every = (f"GPU speed-up (CPU: all {results.all_cores} cores)" if results.all_cores
             else "GPU speed-up (CPU: all cores, not measured)")
    return ((info.get("size_name", "size"),) + HEADER[1:9] + (one, every)
            + (info.get("check_name", HEADER[-1]),))


def table(results: Results, workload: str) -> str:
    """The terminal table of one workload."""
    rows = _rows(results, workload)
    header = _header(results, workload)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    left = {1, 2}  # device and contender read better left-aligned

    def line(cells) -> str:
        return "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    title = f"{workload}: {results.workloads[workload]['title']}"
    return "\n".join([title, line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def markdown(results: Results) -> str:
    out = ["# autograd-bench results", "", f"Command: `{results.command}`", "", "## Environment", "",
           "| | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in results.environment.items()]
    out += ["", "## Settings", ""]
    out += [f"- {k}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in results.settings.items()]
    if results.notes:
        out += ["", "## Notes", ""] + [f"- {n}" for n in results.notes]
    out += ["", "## Verdict", ""]
    out += [f"- {name}: {'; '.join(lines)}" for name, lines in verdict.verdicts(results).items()]
    out += ["", "## Correctness (first training step)", "", correctness_summary(results)]
    out += [f"- **DISAGREE**: {c.describe()}" for c in results.disagreements]
    out += [f"- error: {e}" for e in results.errors]
    for name, info in results.workloads.items():
        rows = _rows(results, name)
        if not rows:
            continue
        header = _header(results, name)
        out += ["", f"## {name}: {info['title']}", "", "| " + " | ".join(header) + " |",
                "|" + "|".join("---" if i in (1, 2) else "---:" for i in range(len(header))) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in rows]
    out += ["", "## Columns", ""] + [f"- **{name}**: {text}" for name, text in verdict.LEGEND] + [""]
    return "\n".join(out)


def correctness_summary(results: Results) -> str:
    n, bad = len(results.checks), len(results.disagreements)
    if n == 0:
        return "No cross-checks ran (one device and no peers)."
    if bad == 0:
        return f"All {n} first-step checks agree within float32 tolerance."
    return f"{bad} of {n} first-step checks DISAGREE."


def to_json(results: Results) -> dict:
    return {
        "command": results.command,
        "environment": results.environment,
        "settings": results.settings,
        "workloads": results.workloads,
        "notes": results.notes,
        "checks": [asdict(c) for c in results.checks],
        "errors": results.errors,
        "interrupted": results.interrupted,
        "all_cores": results.all_cores,
        "measurements": [m.as_dict() for m in results.measurements],
    }


def write_json(path: Path, results: Results) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_json(results), indent=2) + "\n")


def write_markdown(path: Path, results: Results) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(results))


# ----------------------------------------------------------------------------- plot
def matplotlib_missing() -> str:
    """'' when matplotlib imports, else what to install."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return "--plot needs matplotlib: pip install matplotlib (or pip install \"autograd-core[plot]\")"
    return ""


def write_plot(path: Path, results: Results) -> None:
    """Time per step against size, log-log: one panel per workload, one line per
    contender, device and variant."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = [n for n in results.workloads if any(m.workload == n for m in results.measurements)]
    cols = min(3, max(1, len(names)))
    rows = max(1, math.ceil(len(names) / cols))
    fig = Figure(figsize=(5.2 * cols, 4.0 * rows), layout="constrained")
    FigureCanvasAgg(fig)
    colours: dict[str, str] = {}
    for m in results.measurements:  # one colour per contender throughout; the device sets the line style
        colours.setdefault(m.contender, f"C{len(colours) % 10}")
    for k, name in enumerate(names):
        ax = fig.add_subplot(rows, cols, k + 1)
        series: dict[tuple[str, str, str], list[Measurement]] = {}
        for m in results.measurements:
            if m.workload == name:
                series.setdefault((m.contender, m.device, m.variant), []).append(m)
        for (contender, device, variant), points in series.items():
            points.sort(key=lambda m: m.size)
            label = f"{contender} ({device}{', ' + variant if variant else ''})"
            style = ("-" if device == "cpu" else "--") if len(points) > 1 else "none"
            marker = "s" if variant else "o" if contender == OURS else "."
            ax.plot([m.size for m in points], [m.median_s for m in points], label=label, color=colours[contender],
                    linestyle=style, marker=marker)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(results.workloads[name].get("size_name", "size"))
        ax.set_ylabel("median time per step (s)")
        ax.set_title(name)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="x-small")
    gpu = results.environment.get("gpu", "")
    gpu = "no GPU" if not gpu or gpu.startswith("none") else gpu
    fig.suptitle(f"autograd-bench: {results.environment.get('cpu', '')} ({results.environment.get('cores', '?')} "
                 f"cores), {gpu}", fontsize="small")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
