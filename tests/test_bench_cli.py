"""The benchmark command: it runs, writes its files, cross-checks devices and peers, and
refuses bad requests clearly. Nothing here asserts a timing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fake_cupy import installed

import autograd_core as ag
from bench import cli, report
from bench.report import Measurement, Results
from bench.timing import compare
from bench.workloads import OURS, REGISTRY, Config, select
from bench.workloads.mlp import MLP

ROOT = Path(__file__).resolve().parent.parent
MEASUREMENT_KEYS = {"workload", "size", "variant", "label", "device", "contender", "median_s", "min_s", "max_s",
                    "runs", "samples_per_s", "gflops_per_s", "loss", "checksum", "ours_over_peer", "gpu_speedup",
                    "gpu_speedup_all_cores"}


def _run(argv: list[str]) -> int:
    """The command in this process (no re-exec), leaving PyTorch's thread count as it was."""
    torch = sys.modules.get("torch")
    threads = torch.get_num_threads() if torch is not None else None
    try:
        return cli.main(["--quiet", *argv], restart=False)
    finally:
        if threads is not None:
            torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def quick_cpu(tmp_path_factory):
    """One ``--quick --device cpu`` run of every workload, with all three output files."""
    out = tmp_path_factory.mktemp("bench")
    paths = {"json": out / "r.json", "markdown": out / "r.md", "plot": out / "r.png"}
    rc = _run(["--quick", "--device", "cpu", "--repeats", "2", "--json", str(paths["json"]),
               "--markdown", str(paths["markdown"]), "--plot", str(paths["plot"])])
    return rc, paths, json.loads(paths["json"].read_text())


def test_quick_cpu_run_writes_json_with_every_measurement(quick_cpu):
    rc, _, data = quick_cpu
    assert rc == 0
    assert {"command", "environment", "settings", "checks", "measurements", "notes", "errors"} <= set(data)
    assert data["errors"] == []
    env = data["environment"]
    assert {"cpu", "cores", "blas", "threads", "python", "numpy", "gpu"} <= set(env)
    # BLAS threads are set only by restarting; in-process the block says so
    blas_set = all(os.environ.get(v) == "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"))
    assert env["threads"].startswith("1 (BLAS") if blas_set else env["threads"].startswith("PyTorch 1 ")
    ours = [m for m in data["measurements"] if m["contender"] == OURS]
    assert {m["workload"] for m in ours} == set(REGISTRY)
    for name, workload in REGISTRY.items():
        expected = [c.size for c in workload.configs("cpu", quick=True, gpu=False)]
        assert [m["size"] for m in ours if m["workload"] == name] == expected
    for m in data["measurements"]:
        assert MEASUREMENT_KEYS <= set(m)
        assert m["device"] == "cpu" and m["runs"] == 2
        assert 0 < m["min_s"] <= m["median_s"] <= m["max_s"]
        assert m["samples_per_s"] == pytest.approx(m["samples"] / m["median_s"])
        assert np.isfinite(m["loss"])
        if m["contender"] != OURS:
            assert m["ours_over_peer"] > 0
        assert m["gpu_speedup"] is None
    mlp = [m for m in ours if m["workload"] in ("mlp", "cnn", "lstm", "gan", "elementwise")]
    assert all(m["checksum"] > 0 for m in mlp)  # gradient norms


def test_quick_cpu_run_writes_markdown_and_png(quick_cpu):
    _, paths, data = quick_cpu
    text = paths["markdown"].read_text()
    assert "## Environment" in text and f"| blas | {data['environment']['blas']} |" in text
    for name in REGISTRY:
        assert f"## {name}: " in text
        assert f"\n- {name}: " in text  # its verdict in words
    assert "| check: rms(C) |" in text and "| first loss |" in text and "**ours/peer**" in text
    first = next(m for m in data["measurements"] if m["workload"] == "mlp" and m["contender"] == OURS)
    assert f"| {first['size']} | cpu | {OURS} |" in text
    png = paths["plot"].read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_peers_first_step_losses_match_ours(quick_cpu):
    pytest.importorskip("torch")
    _, _, data = quick_cpu
    checks = [c for c in data["checks"] if c["contender"] == "pytorch"]
    assert {c["workload"] for c in checks} == set(REGISTRY)
    for c in checks:
        assert c["ok"], c
        assert c["loss"] == pytest.approx(c["reference_loss"], rel=1e-4)
        assert c["checksum"] == pytest.approx(c["reference_checksum"], rel=1e-3)
    hand = [c for c in data["checks"] if c["contender"] == "numpy (by hand)"]
    assert len(hand) == len(MLP().configs("cpu", quick=True, gpu=False))
    assert all(c["ok"] and c["loss"] == pytest.approx(c["reference_loss"], rel=1e-5) for c in hand)


def test_fake_cuda_run_checks_both_devices_and_filters_workloads(tmp_path):
    path = tmp_path / "r.json"
    with installed():
        rc = _run(["--quick", "--device", "all", "--workloads", "mlp,cnn", "--repeats", "1", "--strict",
                   "--json", str(path)])
    assert rc == 0
    data = json.loads(path.read_text())
    assert {m["workload"] for m in data["measurements"]} == {"mlp", "cnn"}
    assert data["settings"]["devices"] == ["cpu", "cuda"]
    gpu_checks = [c for c in data["checks"] if c["device"] == "cuda" and c["contender"] == OURS]
    assert len(gpu_checks) == 4  # two sizes of each workload
    for c in gpu_checks:
        assert c["ok"] and c["reference"] == f"{OURS} on cpu"
        assert c["loss"] == pytest.approx(c["reference_loss"], rel=1e-5)
    cuda_rows = [m for m in data["measurements"] if m["device"] == "cuda"]
    assert cuda_rows and all(m["gpu_speedup"] > 0 for m in cuda_rows)


def test_cuda_only_run_still_checks_against_the_cpu(tmp_path):
    path = tmp_path / "r.json"
    with installed():
        rc = _run(["--quick", "--device", "cuda", "--workloads", "elementwise", "--repeats", "1", "--json",
                   str(path)])
    assert rc == 0
    data = json.loads(path.read_text())
    assert {m["device"] for m in data["measurements"]} == {"cuda"}
    ours = [c for c in data["checks"] if c["contender"] == OURS]
    assert len(ours) == 2 and all(c["ok"] for c in ours)


class _Perturbed(MLP):
    """A tiny MLP whose GPU side reports a loss 1% off."""

    name = "perturbed"

    def configs(self, device, quick, gpu):
        return [Config(8, 8, params={"hidden": 16})]

    def contender(self, lib, config, device):
        contender = super().contender(lib, config, device)
        if device != "cpu":
            loss = contender.loss
            contender.loss = lambda out: loss(out) * 1.01
        return contender


def test_a_disagreement_is_reported_and_fails_strict(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(REGISTRY, "perturbed", _Perturbed())
    monkeypatch.setattr(cli, "RESULTS_DIR", tmp_path)
    with installed():
        rc_strict = _run(["--workloads", "perturbed", "--repeats", "1", "--no-peers", "--strict", "--json"])
        err = capsys.readouterr().err
        rc_lenient = _run(["--workloads", "perturbed", "--repeats", "1", "--no-peers"])
    assert rc_strict == 1 and rc_lenient == 0
    assert "DISAGREE" in err and "perturbed 8: autograd_core on cuda" in err
    data = json.loads((tmp_path / "gpu.json").read_text())  # --json without a file: the output directory
    (bad,) = [c for c in data["checks"] if not c["ok"]]
    assert bad["device"] == "cuda" and bad["loss"] == pytest.approx(1.01 * bad["reference_loss"])


class _Failing(_Perturbed):
    """Two tiny sizes; a peer that fails, and Ctrl-C at the second size."""

    name = "failing"

    def configs(self, device, quick, gpu):
        return [Config(4, 4, params={"hidden": 8}), Config(8, 8, params={"hidden": 8})]

    def extra_peers(self, config, device):
        if config.size == 8:
            raise KeyboardInterrupt
        raise RuntimeError("out of memory (simulated)")


def test_a_failing_peer_is_an_error_and_ctrl_c_keeps_what_was_measured(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(REGISTRY, "failing", _Failing())
    path = tmp_path / "r.json"
    rc = _run(["--workloads", "failing", "--device", "cpu", "--repeats", "1", "--json", str(path)])
    assert rc == 130
    err = capsys.readouterr().err
    assert "peers failed: RuntimeError: out of memory (simulated)" in err and "interrupted" in err
    data = json.loads(path.read_text())
    assert data["interrupted"] and len(data["errors"]) == 1
    assert {m["size"] for m in data["measurements"]} == {4}  # the first size, timed without the failed peer
    assert OURS in {m["contender"] for m in data["measurements"]}


def test_agree_uses_relative_and_absolute_tolerance():
    assert cli.agree(1.0, 1.0 + 5e-5, rtol=1e-4)
    assert not cli.agree(1.0, 1.0 + 5e-4, rtol=1e-4)
    assert cli.agree(0.0, 5e-7, rtol=1e-4)
    assert not cli.agree(float("nan"), float("nan"), rtol=1e-4)


@pytest.mark.skipif(ag.cuda.is_available(), reason="a GPU is present")
def test_device_cuda_without_gpu_exits_2_with_one_line():
    proc = subprocess.run([sys.executable, "-m", "bench", "--device", "cuda", "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "CUDA is not available" in lines[0]
    assert ag.cuda.unavailable_reason() in lines[0]
    assert proc.stdout == ""


def test_unknown_workload_lists_the_valid_names(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--workloads", "mlp,resnet"], restart=False)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "'resnet'" in err
    assert all(name in err for name in REGISTRY)


def test_plot_without_matplotlib_is_refused_before_running(monkeypatch, capsys):
    monkeypatch.setattr(report, "matplotlib_missing", lambda: "--plot needs matplotlib: pip install matplotlib")
    with pytest.raises(SystemExit) as exc:
        cli.main(["--plot", "x.png"], restart=False)
    assert exc.value.code == 2 and "pip install matplotlib" in capsys.readouterr().err


def test_select_keeps_order_and_drops_repeats():
    assert [w.name for w in select("cnn, mlp,cnn")] == ["cnn", "mlp"]
    assert [w.name for w in select("all")] == list(REGISTRY)


def test_plan_caps_cpu_sizes_and_adds_the_wide_mlp_with_a_gpu():
    tasks = cli.plan([REGISTRY["matmul"], REGISTRY["mlp"]], ["cpu", "cuda"], quick=False)
    matmul = {d: [c.size for w, c, dev in tasks if w.name == "matmul" and dev == d] for d in ("cpu", "cuda")}
    assert max(matmul["cpu"]) == 2048 and max(matmul["cuda"]) == 8192
    wide = [(c.size, dev) for w, c, dev in tasks if c.variant == "hidden 4096"]
    assert wide == [(4096, "cpu"), (4096, "cuda")]
    cpu_only = cli.plan([REGISTRY["mlp"]], ["cpu"], quick=False)
    assert all(c.variant != "hidden 4096" for _, c, _ in cpu_only)
    first_gpu = next(i for i, (_, _, d) in enumerate(tasks) if d == "cuda")
    assert tasks[first_gpu - 1][2] == "cpu" and tasks[first_gpu - 1][1].key == tasks[first_gpu][1].key


def test_annotate_computes_ratios_of_medians():
    def m(device, contender, median):
        return Measurement("mlp", 32, "", device, contender, median, median, median, 3, 32, None, 1.0, 1.0)

    results = Results("cmd", {}, {}, measurements=[m("cpu", OURS, 2.0), m("cpu", "pytorch", 1.0),
                                                   m("cuda", OURS, 0.5), m("cuda", "pytorch", 0.25)])
    report.annotate(results)
    cpu_ours, cpu_torch, gpu_ours, gpu_torch = results.measurements
    assert cpu_ours.ours_over_peer is None and cpu_torch.ours_over_peer == 2.0
    assert gpu_ours.gpu_speedup == 4.0 and gpu_torch.gpu_speedup == 4.0 and gpu_torch.ours_over_peer == 2.0
    assert cpu_ours.gpu_speedup is None


def test_compare_budget_cuts_repeats_but_not_below_the_minimum():
    calls = {"a": 0}

    def slow():
        calls["a"] += 1
        sum(range(20_000))

    timings = compare({"a": slow}, repeats=50, warmup=1, max_seconds=1e-9, min_repeats=3)
    assert timings["a"].runs == 3 and calls["a"] == 4
    synced = []
    compare({"a": slow}, repeats=2, warmup=0, sync={"a": lambda: synced.append(1)})
    assert len(synced) == 4  # before and after each timed run


def test_op_overhead_chain_times_recording_and_backward():
    import time

    from bench import op_overhead

    forward, backward, graphed = op_overhead._chain("autograd_core", 200, time.perf_counter)
    assert forward > 0 and backward > 0 and graphed > 0


def test_limits_measure_the_mlp_forward_four_ways_and_the_lstm_three():
    from bench import limits

    forward = limits.mlp_forward(repeats=2)
    assert len(forward) == 4 and all(ms > 0 for ms in forward.values())
    phases = limits.mlp_step_phases(repeats=2)
    assert set(phases) == {"by hand, PyTorch's layout", "ours"}
    assert all(set(p) == {"forward", "loss", "backward", "update"} for p in phases.values())
    fixed = limits.mlp_step_phases(repeats=2, batch=1, hidden=8)  # the fixed cost per step
    assert all(ms >= 0 for p in fixed.values() for ms in p.values())
    pytest.importorskip("torch")
    lstm = limits.lstm_steps(repeats=1, batches=(4,))
    assert set(lstm[4]) == {"ours", "pytorch (oneDNN LSTM)", "pytorch (oneDNN off)"}
    assert all(ms > 0 for ms in lstm[4].values())
