"""What a user who runs ``pip install .`` gets: a wheel built from this checkout, installed
into a fresh virtual environment outside it, claims one top-level name (``autograd_core``,
with ``autograd_core.nn``/``autograd_core.optim`` inside), runs ``autograd-bench`` and
writes the benchmark's JSON into the current directory, never into site-packages.

The fresh environment gets its dependencies (NumPy, ...) from the running interpreter's
site-packages through a ``.pth`` line, so the test needs no network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from bench.workloads import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["autograd_core", "nn", "optim", "bench", "setup.py", "pyproject.toml", "README.md", "LICENSE"]

pytestmark = pytest.mark.slow


def _run(cmd: list[str], cwd: Path, **kw) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")}
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=180, env=env, **kw)
    assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(python, site-packages, wheel) of a fresh venv with the wheel of this checkout installed."""
    pytest.importorskip("setuptools", reason="building the wheel needs setuptools (pip install -e '.[test]')")
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"  # a copy, so the build leaves no build/ or egg-info in the checkout
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "results"))
        elif (ROOT / name).exists():
            src.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    _run([*pip, "wheel", "--no-deps", "--no-build-isolation", str(src), "-w", str(tmp / "dist")], cwd=tmp)
    (wheel,) = (tmp / "dist").glob("autograd_core-*.whl")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    _run([*pip, "--python", str(python), "install", "--no-deps", str(wheel)], cwd=tmp)
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                     cwd=tmp).stdout.strip())
    (site / "_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")  # NumPy etc. from here
    return python, site, wheel


def test_the_wheel_claims_only_autograd_core(installed):
    _, site, wheel = installed
    with zipfile.ZipFile(wheel) as zf:
        tops = {name.split("/")[0] for name in zf.namelist()}
        entry_points = zf.read(next(n for n in zf.namelist() if n.endswith("entry_points.txt"))).decode()
    assert {t for t in tops if not t.endswith(".dist-info")} == {"autograd_core"}
    assert "autograd-bench = autograd_core._bench.__main__:main" in entry_points
    assert (site / "autograd_core" / "nn" / "functional").is_dir()
    assert not any((site / name).exists() for name in ("nn", "optim", "bench"))


def test_installed_package_imports_outside_the_checkout(installed, tmp_path):
    python, site, wheel = installed
    code = (
        "import importlib.util, sys, autograd_core as ag\n"
        "import autograd_core.nn.functional as F\n"
        "from autograd_core import nn, optim\n"
        "import autograd_core.fused\n"
        "m = ag.nn.Linear(3, 2); opt = optim.SGD(m.parameters(), lr=0.1)\n"
        "m(ag.ones(4, 3)).sum().backward(); opt.step()\n"
        "assert F is nn.functional and nn.Linear is ag.nn.Linear\n"
        "assert importlib.util.find_spec('nn') is None and 'nn' not in sys.modules\n"
        "print(ag.__file__, ag.__version__)\n"
    )
    out = _run([str(python), "-c", code], cwd=tmp_path).stdout.split()
    assert Path(out[0]).resolve() == (site / "autograd_core" / "__init__.py").resolve()
    assert out[1] == wheel.name.split("-")[1]  # __version__ from the installed metadata


def test_autograd_bench_writes_into_the_current_directory_only(installed, tmp_path):
    python, site, _ = installed
    script = python.parent / ("autograd-bench.exe" if os.name == "nt" else "autograd-bench")
    before = _files(site)
    _run([str(script), "--quick", "--device", "cpu", "--no-peers", "--json", "out.json", "--markdown"], cwd=tmp_path)
    data = json.loads((tmp_path / "out.json").read_text())
    assert {m["workload"] for m in data["measurements"]} == set(REGISTRY)
    assert data["command"].startswith("autograd-bench ")
    assert (tmp_path / "cpu.md").read_text().startswith("# autograd-bench results")
    assert _files(site) == before  # nothing written into the installed package (not even bytecode)
