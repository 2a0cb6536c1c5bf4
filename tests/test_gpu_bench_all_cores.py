"""The benchmark's GPU speed-up against the CPU with all its cores, beside one thread."""

from __future__ import annotations

import sys

from fake_cupy import installed

from bench import cli, report
from bench.report import Measurement, Results
from bench.workloads import OURS, select


def _m(device, contender, median):
    return Measurement("mlp", 32, "", device, contender, median, median, median, 3, 32, None, 1.0, 1.0)


def test_annotate_divides_the_all_core_cpu_time_by_the_gpu_time():
    results = Results("cmd", {}, {"threads": 1}, measurements=[_m("cpu", OURS, 2.0), _m("cuda", OURS, 0.5)])
    results.workloads = {"mlp": {"title": "MLP"}}
    results.cpu_all_cores, results.all_cores = {("mlp", "", 32, OURS): 1.0}, 16
    report.annotate(results)
    cpu, gpu = results.measurements
    assert gpu.gpu_speedup == 4.0 and gpu.gpu_speedup_all_cores == 2.0
    assert cpu.gpu_speedup_all_cores is None
    header = report.table(results, "mlp").splitlines()[1]
    assert "GPU speed-up (CPU: 1 thread)" in header and "GPU speed-up (CPU: all 16 cores)" in header
    assert "| 2.00x |" in report.markdown(results)


def test_without_the_all_core_run_the_column_says_not_measured():
    results = Results("cmd", {}, {"threads": 1}, measurements=[_m("cpu", OURS, 2.0), _m("cuda", OURS, 0.5)])
    results.workloads = {"mlp": {"title": "MLP"}}
    report.annotate(results)
    assert "all cores, not measured" in report.table(results, "mlp")
    assert results.measurements[1].gpu_speedup_all_cores is None


def test_the_all_core_command_plans_the_gpu_sizes_with_every_core(tmp_path):
    args = cli.build_parser().parse_args(["--quick", "--workloads", "mlp,cnn", "--repeats", "2"])
    command = cli.all_core_command(args, select("mlp,cnn"), 8, tmp_path / "x.json")
    assert command[:3] == [sys.executable, "-m", "bench"]
    joined = " ".join(command)
    assert "--device cpu --threads 8 --plan-for-gpu --workloads mlp,cnn" in joined
    assert "--quick" in command and "--repeats 2" in joined


def test_a_fake_gpu_run_gets_the_all_core_column(tmp_path):
    args = cli.build_parser().parse_args(["--quick", "--workloads", "elementwise", "--repeats", "1",
                                          "--no-peers", "--quiet"])
    workloads = select("elementwise")
    with installed():
        results = cli.run(args, workloads, ["cpu", "cuda"])
    cli.all_core_baseline(args, workloads, results, cores=2)
    assert results.all_cores == 2 and results.cpu_all_cores
    gpu_rows = [m for m in results.measurements if m.device == "cuda"]
    assert gpu_rows and all(m.gpu_speedup_all_cores > 0 for m in gpu_rows)
