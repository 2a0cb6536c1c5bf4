"""Saving to a path: atomic, safe under concurrent saves, through symlinks, fsynced, and
leaving no temporary file behind (not even after a save killed half-way)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.serialization import _atomic, _safetensors, load, save

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["default", "named"])
def temp_kind(request, monkeypatch):
    """Both ways of making the temporary file: the system's default (an unnamed O_TMPFILE
    where the kernel and file system allow it) and a named hidden file."""
    if request.param == "named":
        monkeypatch.setattr(_atomic, "_unnamed_files_work", lambda directory: False)
    return request.param


def obj_of(who: str, n: int = 20_000) -> dict:
    return {"who": who, "w": ag.full((n,), float(ord(who)))}


def check_whole(out: dict) -> None:
    assert out["who"] in ("A", "B")
    np.testing.assert_array_equal(out["w"].numpy(), np.full(20_000, float(ord(out["who"])), dtype=np.float32))


def test_two_threads_saving_to_one_path_never_corrupt_it(tmp_path, temp_kind):
    path = tmp_path / "ckpt.safetensors"
    save(obj_of("A"), path)
    errors: list[BaseException] = []
    done = threading.Event()

    def saver(who: str) -> None:
        try:
            for _ in range(25):
                save(obj_of(who), path)
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    def reader() -> None:
        try:
            while not done.is_set():
                check_whole(load(path))  # a reader sees an old or a new file, never a mix
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=saver, args=(w,)) for w in "AB"]
    watcher = threading.Thread(target=reader)
    watcher.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    watcher.join()
    assert not errors, errors[:3]
    check_whole(load(path))
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_saving_through_a_symlink_replaces_the_target_and_keeps_the_link(tmp_path, temp_kind):
    (tmp_path / "runs").mkdir()
    target = tmp_path / "runs" / "epoch3.safetensors"
    save({"epoch": 3}, target)
    link = tmp_path / "latest.safetensors"
    link.symlink_to(target)
    save({"epoch": 4}, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert load(target) == {"epoch": 4} and load(link) == {"epoch": 4}
    assert sorted(os.listdir(tmp_path / "runs")) == ["epoch3.safetensors"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, temp_kind, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    save({"epoch": 1, "w": ag.ones(3)}, path)
    real_write = _safetensors.write

    def failing_write(out, arrays, metadata):
        real_write(out, arrays, metadata)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_safetensors, "write", failing_write)
    with pytest.raises(OSError, match="No space"):
        save({"epoch": 2, "w": ag.zeros(3)}, path)
    assert load(path)["epoch"] == 1
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_file_and_directory_are_fsynced(tmp_path, temp_kind, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    save({"a": 1}, tmp_path / "c.safetensors")
    assert False in synced  # the file
    assert synced[-1] is True  # then the directory, so the rename survives a crash


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_permissions_are_kept_for_an_existing_file_and_follow_umask_for_a_new_one(tmp_path, temp_kind):
    path = tmp_path / "c.safetensors"
    save({"a": 1}, path)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask
    os.chmod(path, 0o640)
    save({"a": 2}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError):
        save({"a": 1}, tmp_path / "nope" / "c.safetensors")
    assert os.listdir(tmp_path) == []


_KILLED_SAVE = """
import os, signal, sys
import autograd_core as ag
from autograd_core.serialization import _safetensors
real_write = _safetensors.write
def write_then_die(out, arrays, metadata):
    real_write(out, arrays, metadata)
    out.flush()
    os.kill(os.getpid(), signal.SIGKILL)
_safetensors.write = write_then_die
ag.save({"epoch": 2, "w": ag.zeros(1000)}, sys.argv[1])
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_killed_save_leaves_the_old_file_and_no_lasting_temporary(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    save({"epoch": 1}, path)
    child = subprocess.run([sys.executable, "-c", _KILLED_SAVE, str(path)], cwd=ROOT,
                           capture_output=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
    assert load(path) == {"epoch": 1}
    # With O_TMPFILE nothing is left; a named temporary file of a dead process is removed
    # by the next save to the same path.
    save({"epoch": 3}, path)
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]
    assert load(path) == {"epoch": 3}


def test_temporaries_of_live_processes_and_other_files_are_left_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(_atomic, "_unnamed_files_work", lambda directory: False)
    live = tmp_path / f"{_atomic._prefix('c.safetensors')}{os.getpid()}.0123456789abcdef.tmp"
    live.write_bytes(b"another thread's save in progress")
    other = tmp_path / ".c.safetensors.otherhost-1.0123456789abcdef.tmp"
    other.write_bytes(b"a save from another machine sharing the directory")
    save({"a": 1}, tmp_path / "c.safetensors")
    assert live.exists() and other.exists()
