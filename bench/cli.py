"""``autograd-bench`` / ``python -m bench``: what a GPU buys, and how this library compares.

Each workload runs over a size sweep on the CPU (NumPy) and, when there is one, the GPU
(CuPy), with its peers (PyTorch on the same device, and bare or hand-written NumPy where it
has one). For every size and device:

1. each contender is built from the same seeded weights and takes one step; its loss and
   a checksum (the norm of its gradients) must agree with ours on the CPU (for our GPU
   step) or with ours on the same device (for a peer) within float32 tolerance;
2. the steps are timed: warm-up, then interleaved runs with a device synchronise around
   each, reporting the median, min and max.

A disagreement is printed loudly and recorded; with ``--strict`` it (or a contender that
fails) makes the exit status 1. ``--device cuda`` without a usable GPU exits with status 2;
Ctrl-C stops the run, writes what was measured and exits with status 130.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import autograd_core as ag

from . import peers, readme_table, report, verdict
from .peers import load_torch
from .report import Check, Measurement, Results
from .timing import (
    THREAD_VARS,
    compare,
    cuda_environment,
    environment,
    limit_threads,
    set_clock,
    tf32_enabled,
    torch_environment,
)
from .workloads import OURS, OURS_LIBRARY, REGISTRY, Config, Contender, Library, Workload, select

# Where --save and a bare --json/--markdown/--plot write: the current directory (never the
# installed package); --output-dir changes it.
RESULTS_DIR = Path(".")
DEFAULT_OUTPUT = "<output dir>"
# How the user started us: `python -m bench` in a checkout, the installed command otherwise.
PROG = "python -m bench" if __package__ == "bench" else "autograd-bench"

# Agreement of first steps: |a - b| <= atol + rtol * max(|a|, |b|).
LOSS_RTOL, CHECKSUM_RTOL, ATOL = 1e-4, 1e-3, 1e-6
TF32_RTOL = 1e-2  # TF32 GEMMs keep 10 mantissa bits


@dataclass
class Tolerance:
    loss_rtol: float = LOSS_RTOL
    checksum_rtol: float = CHECKSUM_RTOL
    atol: float = ATOL


def agree(a: float, b: float, rtol: float, atol: float = ATOL) -> bool:
    """Whether two first-step numbers agree (NaN never does)."""
    return math.isfinite(a) and math.isfinite(b) and abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autograd-bench",
        description="Time the same training code on the CPU (NumPy) and the GPU (CuPy), against PyTorch "
                    "and hand-written NumPy, after checking that all of them compute the same numbers.",
        epilog="Exit status: 0 done; 1 with --strict when a check disagrees or a contender fails; "
               "2 for bad arguments or --device cuda without a GPU; 130 when interrupted (what was "
               "measured is still written).")
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats (a smoke test: seconds)")
    parser.add_argument("--device", choices=["cpu", "cuda", "all"], default="all",
                        help="where to run: cpu, cuda, or all (the CPU, plus the GPU when one is usable; default)")
    parser.add_argument("--workloads", default="all", metavar="NAMES",
                        help=f"comma-separated, from: {', '.join(REGISTRY)} (default: all)")
    parser.add_argument("--repeats", type=int, default=None, metavar="N",
                        help="timed runs per contender and size (default 10; 3 with --quick)")
    parser.add_argument("--warmup", type=int, default=None, metavar="N",
                        help="untimed runs first (default 2; 1 with --quick), after the checked first step")
    parser.add_argument("--budget", type=float, default=None, metavar="SECONDS",
                        help="cut the timed runs of one size to about this long, but never below 3 "
                             "(default 2; 0.5 with --quick; 0 for no limit)")
    parser.add_argument("--threads", type=int, default=1, metavar="N",
                        help="BLAS and PyTorch threads (default 1: two threaded libraries in one process "
                             "oversubscribe a small machine; 0 keeps each library's default)")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="what a timed run reads: wall-clock time (default) or the process's CPU time "
                             "(user + system), steadier on a busy shared machine; cpu needs --device cpu")
    parser.add_argument("--no-peers", action="store_true", help="time only autograd_core (no PyTorch, no NumPy)")
    parser.add_argument("--no-all-cores", action="store_true",
                        help="with a GPU, skip the second CPU run with all cores (the 'GPU speed-up (CPU: all "
                             "N cores)' column)")
    # (the all-core CPU run: plan the CPU sizes as if a GPU were measured too)
    parser.add_argument("--plan-for-gpu", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 1 when a correctness check disagrees or a contender fails")
    parser.add_argument("--json", nargs="?", const=DEFAULT_OUTPUT, metavar="FILE",
                        help="write the environment and every measurement as JSON "
                             "(default <cpu|gpu>.json in the output directory)")
    parser.add_argument("--markdown", nargs="?", const=DEFAULT_OUTPUT, metavar="FILE",
                        help="write the tables as markdown (default <cpu|gpu>.md in the output directory)")
    parser.add_argument("--plot", nargs="?", const=DEFAULT_OUTPUT, metavar="FILE",
                        help="draw time against size as a PNG, needs matplotlib (default <cpu|gpu>.png in the "
                             "output directory)")
    parser.add_argument("--readme-table", type=Path, default=None, metavar="FILE",
                        help="write the CPU table (machine, versions, threads, command) into FILE between "
                             "'<!-- bench-table cpu threads=N -->' markers, replacing that thread count's block "
                             "(this project's README.md is written this way)")
    parser.add_argument("--save", action="store_true",
                        help="all three of --json, --markdown, --plot, in the output directory")
    parser.add_argument("--output-dir", type=Path, default=RESULTS_DIR, metavar="DIR",
                        help="where --save and a bare --json/--markdown/--plot write (default: the current "
                             "directory; this project's saved runs use bench/results)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--list", action="store_true", help="list the workloads and exit")
    return parser


def pick_devices(choice: str) -> tuple[list[str], str]:
    """The devices to measure and, when CUDA is not usable, why (an empty list: refused)."""
    if choice == "cpu":
        return ["cpu"], ""
    if ag.cuda.is_available():
        return (["cuda"] if choice == "cuda" else ["cpu", "cuda"]), ""
    reason = ag.cuda.unavailable_reason()
    return ([] if choice == "cuda" else ["cpu"]), reason


def main(argv: list[str] | None = None, *, restart: bool = True) -> int:
    """Run the command; returns the exit status. ``restart=False`` skips re-executing the
    process to set the BLAS thread variables (for callers inside another program)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list:
        for name, workload in REGISTRY.items():
            print(f"{name:12} {workload.title}")
        return 0
    try:
        workloads = select(args.workloads)
    except ValueError as exc:
        parser.error(str(exc))
    for name in ("repeats", "warmup", "budget", "threads"):
        if getattr(args, name) is not None and getattr(args, name) < 0:
            parser.error(f"--{name} must be >= 0, got {getattr(args, name)}")
    if args.repeats == 0:
        parser.error("--repeats must be >= 1")
    if args.save:
        args.json = args.json or DEFAULT_OUTPUT
        args.markdown = args.markdown or DEFAULT_OUTPUT
    plot_problem = report.matplotlib_missing() if (args.plot or args.save) else ""
    if args.plot and plot_problem:
        parser.error(plot_problem)
    if args.save and not plot_problem:
        args.plot = args.plot or DEFAULT_OUTPUT
    if args.clock == "cpu" and args.device != "cpu":
        parser.error(f"--clock cpu measures CPU work only: use --device cpu (got --device {args.device})")
    set_clock(args.clock)
    devices, gpu_problem = pick_devices(args.device)
    if not devices:
        print(f"autograd-bench: error: --device cuda: CUDA is not available: {gpu_problem}", file=sys.stderr)
        return 2
    if restart and args.threads:
        limit_threads(args.threads, __package__, argv)  # re-executes unless the variables are set
    results = run(args, workloads, devices, gpu_problem, command=f"{PROG} " + shlex.join(argv))
    if restart and any(d != "cpu" for d in devices) and not args.no_all_cores and not results.interrupted:
        all_core_baseline(args, workloads, results)
    if args.save and plot_problem:
        print(f"(no plot: {plot_problem})")
    tag = "gpu" if any(d != "cpu" for d in devices) else "cpu"
    for option, suffix, write in (("json", "json", report.write_json), ("markdown", "md", report.write_markdown),
                                  ("plot", "png", report.write_plot)):
        target = getattr(args, option)
        if target:
            path = args.output_dir / f"{tag}.{suffix}" if target == DEFAULT_OUTPUT else Path(target)
            write(path, results)
            print(f"wrote {path}")
    if args.readme_table is not None and not results.interrupted:
        readme_table.update(args.readme_table, results)
        print(f"wrote the table into {args.readme_table}")
    if results.interrupted:
        return 130
    failed = bool(results.disagreements or results.errors)
    return 1 if args.strict and failed else 0


def _settings(args, devices: list[str], workloads: list[Workload], tolerance: Tolerance) -> dict[str, object]:
    quick = args.quick
    return {
        "quick": quick,
        "devices": devices,
        "workloads": [w.name for w in workloads],
        "repeats": args.repeats or (3 if quick else 10),
        "warmup": args.warmup if args.warmup is not None else (1 if quick else 2),
        "budget_s": args.budget if args.budget is not None else (0.5 if quick else 2.0),
        "threads": args.threads,
        "clock": getattr(args, "clock", "wall"),
        "peers": not args.no_peers,
        "strict": args.strict,
        "tolerance": (f"loss rtol {tolerance.loss_rtol:g}, gradient checksum rtol {tolerance.checksum_rtol:g}, "
                      f"atol {tolerance.atol:g}"),
    }


def plan(workloads: list[Workload], devices: list[str], quick: bool,
         gpu: bool | None = None) -> list[tuple[Workload, Config, str]]:
    """Every (workload, size, device) to measure: per workload, size by size, the CPU first.
    ``gpu``: plan the sizes of a run with a GPU (default: whether ``devices`` has one)."""
    gpu = any(d != "cpu" for d in devices) if gpu is None else gpu
    tasks = []
    for workload in workloads:
        per_device = {d: {c.key: c for c in workload.configs(d, quick, gpu)} for d in devices}
        keys = list(dict.fromkeys(k for d in devices for k in per_device[d]))
        keys.sort(key=lambda k: (k[0] != "", k))  # the main line first, then the variants
        tasks += [(workload, per_device[d][k], d) for k in keys for d in devices if k in per_device[d]]
    return tasks


def run(args, workloads: list[Workload], devices: list[str], gpu_problem: str = "",
        command: str = PROG) -> Results:
    """Measure every workload on every device; print the tables; return the results."""
    from tqdm import tqdm

    tolerance = Tolerance(loss_rtol=TF32_RTOL, checksum_rtol=TF32_RTOL) if tf32_enabled() else Tolerance()
    settings = _settings(args, devices, workloads, tolerance)
    torch_lib = None if args.no_peers else load_torch(args.threads)
    libraries: list[Library] = [OURS_LIBRARY] + ([torch_lib] if torch_lib is not None else [])

    env = environment()
    blas_set = all(os.environ.get(v) == str(args.threads) for v in THREAD_VARS)
    if not args.threads:
        env["threads"] = "each library's default"
    elif blas_set:
        env["threads"] = f"{args.threads} (BLAS via OMP/OPENBLAS/MKL_NUM_THREADS, PyTorch via set_num_threads)"
    else:  # run in-process (restart=False): the BLAS kept the threads it was loaded with
        env["threads"] = (f"PyTorch {args.threads} via set_num_threads; BLAS as loaded (see the blas line: "
                          "run as `python -m bench` to set it)")
    env["autograd_core"] = ag.__version__
    env["host_memory"] = ("freed memory kept for reuse (glibc mallopt, process-wide)"
                          if ag.backends.cpu.keeps_freed_memory() else "allocator defaults")
    env.update(cuda_environment())
    if torch_lib is not None:
        env.update(torch_environment(torch_lib.torch))
    env["date"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    if hasattr(os, "getloadavg"):  # how busy the machine was: other work skews the timings
        env["load_average"] = ", ".join(f"{v:.2f}" for v in os.getloadavg()) + " (1, 5, 15 min, at the start)"
    results = Results(command, env, settings)
    results.workloads = {w.name: {"title": w.title, "size_name": w.size_name, "sample_name": w.sample_name,
                                  "check_name": w.check_name} for w in workloads}
    if gpu_problem:
        results.notes.append(f"GPU skipped: {gpu_problem}")
    if not args.no_peers and torch_lib is None:
        results.notes.append(f"PyTorch is not installed: no PyTorch columns ({peers.torch_install_hint()})")
    elif torch_lib is not None and "cuda" in devices and not torch_lib.supports("cuda"):
        results.notes.append("PyTorch sees no GPU (a CPU build?): no PyTorch CUDA column")
    for workload in workloads:
        results.notes += workload.notes(devices, args.quick)

    print("\n".join(f"{k:>14}: {v}" for k, v in env.items()))
    for note in results.notes:
        print(f"  note: {note}")
    tasks = plan(workloads, devices, args.quick, gpu=True if getattr(args, "plan_for_gpu", False) else None)
    print(f"{len(tasks)} measurements: {', '.join(w.name for w in workloads)} on {' and '.join(devices)}\n",
          flush=True)

    start = time.perf_counter()
    progress = tqdm(total=len(tasks), file=sys.stderr, unit="size", dynamic_ncols=True,
                    disable=args.quiet or not sys.stderr.isatty())
    references: dict[tuple, tuple[float, float | None]] = {}
    for k, (workload, config, device) in enumerate(tasks):
        progress.set_description(f"{workload.name} {config.label} {device}")
        try:
            _measure(results, workload, config, device, libraries, not args.no_peers, references, tolerance,
                     settings, progress)
        except KeyboardInterrupt:  # keep (and write) what was measured so far
            results.interrupted = True
            results.notes.append(f"interrupted during {workload.name} {config.label} on {device}, "
                                 f"after {k} of {len(tasks)} measurements")
        finally:
            _release_memory(device)
        progress.update()
        last_of_workload = k + 1 == len(tasks) or tasks[k + 1][0] is not workload
        if last_of_workload or results.interrupted:
            report.annotate(results)
            if any(m.workload == workload.name for m in results.measurements):
                progress.write(report.table(results, workload.name) + "\n", file=sys.stdout)
        if results.interrupted:
            break
    progress.close()
    report.annotate(results)

    print(verdict.legend())
    print("Verdict:")
    print(verdict.summary(results))
    summary = report.correctness_summary(results)
    if results.disagreements:
        print("!" * 78, file=sys.stderr)
        print(f"!! {summary}", file=sys.stderr)
        for check in results.disagreements:
            print(f"!! DISAGREE: {check.describe()}", file=sys.stderr)
        print("!" * 78, file=sys.stderr)
    else:
        print(summary)
    for error in results.errors:
        print(f"!! error: {error}", file=sys.stderr)
    if results.interrupted:
        print(f"!! {results.notes[-1]}", file=sys.stderr)
    print(f"total {time.perf_counter() - start:.1f} s")
    return results


def _measure(results: Results, workload: Workload, config: Config, device: str, libraries: list[Library],
             peers: bool, references: dict, tolerance: Tolerance, settings: dict, progress) -> None:
    """Build, cross-check and time every contender of one size on one device."""
    where = f"{workload.name} {config.label} on {device}"
    contenders: list[Contender] = []
    builders = [(lib.name, lambda lib=lib: [workload.contender(lib, config, device)])
                for lib in libraries if lib.supports(device)]
    if peers:
        builders.append(("peers", lambda: workload.extra_peers(config, device)))
    firsts: dict[str, tuple[float, float | None]] = {}
    for name, build in builders:
        try:
            for contender in build():
                firsts[contender.name] = contender.first_step()
                contenders.append(contender)
        except Exception as exc:  # one library failing (out of memory, say) must not stop the run
            results.errors.append(f"{where}: {name} failed: {type(exc).__name__}: {exc}")
            progress.write(f"!! {results.errors[-1]}", file=sys.stderr)
    if OURS not in firsts:
        return

    def check(contender: str, reference: str, ours: tuple, theirs: tuple) -> None:
        (loss, checksum), (ref_loss, ref_checksum) = ours, theirs
        ok = agree(loss, ref_loss, tolerance.loss_rtol, tolerance.atol)
        if checksum is not None and ref_checksum is not None:
            ok = ok and agree(checksum, ref_checksum, tolerance.checksum_rtol, tolerance.atol)
        results.checks.append(Check(workload.name, config.label, device, contender, reference, loss, ref_loss,
                                    checksum, ref_checksum, ok))
        if not ok:
            progress.write(f"!! DISAGREE: {results.checks[-1].describe()}", file=sys.stderr)

    key = (workload.name, config.key)
    if device == "cpu":
        references[key] = firsts[OURS]
    else:
        if key not in references:  # a size the CPU sweep skips (or where it failed): one untimed CPU step
            try:
                references[key] = workload.contender(OURS_LIBRARY, config, "cpu").first_step()
            except Exception as exc:
                results.errors.append(f"{where}: the CPU reference step failed: {type(exc).__name__}: {exc}")
                progress.write(f"!! {results.errors[-1]}", file=sys.stderr)
        if key in references:
            check(OURS, f"{OURS} on cpu", firsts[OURS], references[key])
    for name, first in firsts.items():
        if name != OURS:
            check(name, f"{OURS} on {device}", first, firsts[OURS])

    budget = settings["budget_s"] or None
    try:
        timings = compare({c.name: c.step for c in contenders}, repeats=settings["repeats"],
                          warmup=settings["warmup"], sync={c.name: c.sync for c in contenders},
                          max_seconds=budget)
    except Exception as exc:
        results.errors.append(f"{where}: timing failed: {type(exc).__name__}: {exc}")
        progress.write(f"!! {results.errors[-1]}", file=sys.stderr)
        return
    for c in contenders:
        t = timings[c.name]
        loss, checksum = firsts[c.name]
        results.measurements.append(Measurement(workload.name, config.size, config.variant, device, c.name,
                                                t.median, t.minimum, t.maximum, t.runs, config.samples,
                                                config.flops, loss, checksum))


def _release_memory(device: str) -> None:
    """Free what the last size left behind, so the next (larger) one has the device's memory."""
    if device == "cpu":
        return
    gc.collect()
    import autograd_core as ag

    ag.cuda.empty_cache()
    if "torch" in sys.modules and sys.modules["torch"].cuda.is_available():
        sys.modules["torch"].cuda.empty_cache()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


# ----------------------------------------------------------------------------- all-core CPU
def all_core_command(args, workloads: list[Workload], cores: int, output: Path) -> list[str]:
    """The second process measuring the CPU with all ``cores`` threads, over the sizes a GPU
    run plans (BLAS reads its thread count at load time, hence a process of its own)."""
    command = [sys.executable, "-m", "bench", "--device", "cpu", "--threads", str(cores), "--plan-for-gpu",
               "--workloads", ",".join(w.name for w in workloads), "--quiet", "--json", str(output)]
    command += ["--quick"] if args.quick else []
    command += ["--no-peers"] if args.no_peers else []
    for name in ("repeats", "warmup", "budget"):
        if getattr(args, name) is not None:
            command += [f"--{name}", str(getattr(args, name))]
    return command


def all_core_baseline(args, workloads: list[Workload], results: Results, cores: int | None = None) -> None:
    """Measure the CPU with all its cores in a second process and fill in the 'GPU speed-up
    (CPU: all N cores)' column; a failure becomes a note, never the run's failure."""
    import json
    import subprocess
    import tempfile

    cores = cores or os.cpu_count() or 1
    print(f"\nthe CPU with all {cores} cores, for the GPU speed-up over it (--no-all-cores skips this)",
          flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "cpu_all_cores.json"
        done = subprocess.run(all_core_command(args, workloads, cores, output), capture_output=True, text=True)
        if not output.exists():
            results.notes.append(f"the all-core CPU run failed (exit {done.returncode}): {done.stderr[-500:]}")
            return
        data = json.loads(output.read_text())
    results.all_cores = cores
    results.cpu_all_cores = {(m["workload"], m["variant"], m["size"], m["contender"]): m["median_s"]
                             for m in data["measurements"] if m["device"] == "cpu"}
    report.annotate(results)
    for workload in workloads:
        if any(m.workload == workload.name for m in results.measurements):
            print(report.table(results, workload.name) + "\n")
