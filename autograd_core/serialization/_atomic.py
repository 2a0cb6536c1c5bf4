"""Atomic, concurrent-safe writing of a file: all of it or none of it.

The bytes go to a temporary file in the destination's directory (so the final rename never
crosses file systems), are flushed and fsynced, and the file is renamed over the
destination with `os.replace`, which is atomic: a reader sees the old file or the new one,
never a mix. Each save has its own temporary file, so two threads or processes saving to
one path both produce whole files and the last rename wins. On failure the temporary file
is removed. On Linux it has no name until it is complete (``O_TMPFILE``), so even a save
killed with SIGKILL leaves nothing behind; elsewhere it is a hidden
``.NAME.HOST-PID.RANDOM.tmp``, and the next save to the same path removes those whose
process is gone. A symbolic link is written through: the file it points to is replaced and
the link stays.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from collections.abc import Callable
from typing import IO

_TMPFILE = getattr(os, "O_TMPFILE", 0)
_BINARY = getattr(os, "O_BINARY", 0)


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write(file)`` on a fresh temporary file and move it onto ``path`` when done.

    ``write`` may be called a second time, on a named temporary file, if the file system
    turns out not to let an unnamed one be linked into place.
    """
    target = os.path.realpath(os.fspath(path))
    directory, base = os.path.split(target)
    try:
        mode = os.stat(target).st_mode & 0o7777  # an existing file keeps its permissions
    except OSError:
        mode = None
    if _unnamed_files_work(directory):
        try:
            fd = os.open(directory or ".", _TMPFILE | os.O_WRONLY, 0o666)
        except OSError:
            _UNNAMED_WORKS[directory] = False
        else:
            if _finish(fd, None, directory, base, target, mode, write):
                return
            _UNNAMED_WORKS[directory] = False
    _remove_abandoned(directory, base)
    name = _unique_name(directory, base)
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o666)
    _finish(fd, name, directory, base, target, mode, write)


_UNNAMED_WORKS: dict[str, bool] = {}  # directory -> whether an O_TMPFILE can be linked there


def _unnamed_files_work(directory: str) -> bool:
    """Whether ``directory`` takes unnamed temporary files that can later be linked in:
    tried once per directory with an empty one, so a big checkpoint is written only once."""
    if not _TMPFILE or not os.path.isdir("/proc/self/fd"):
        return False
    works = _UNNAMED_WORKS.get(directory)
    if works is None:
        works = False
        try:
            fd = os.open(directory or ".", _TMPFILE | os.O_WRONLY, 0o666)
        except OSError:
            pass
        else:
            name = _unique_name(directory, "probe")
            try:
                os.link(f"/proc/self/fd/{fd}", name, follow_symlinks=True)
                os.unlink(name)
                works = True
            except OSError:
                pass
            finally:
                os.close(fd)
        _UNNAMED_WORKS[directory] = works
    return works


def _finish(fd: int, temp_name: str | None, directory: str, base: str, target: str,
            mode: int | None, write: Callable[[IO[bytes]], None]) -> bool:
    """Write, fsync and rename one temporary file; ``False`` if an unnamed one (``temp_name``
    None) could not be given a name. Any other failure removes the file and raises."""
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
            if temp_name is None:  # an O_TMPFILE: it gets a name only now that it is whole
                name = _unique_name(directory, base)
                try:
                    os.link(f"/proc/self/fd/{f.fileno()}", name, follow_symlinks=True)
                except OSError:
                    return False  # closing the descriptor frees the unnamed file
                temp_name = name
        os.replace(temp_name, target)
        temp_name = None
        _fsync_directory(directory)
        return True
    finally:
        if temp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)


def _prefix(base: str) -> str:
    return f".{base}.{socket.gethostname()}-"


def _unique_name(directory: str, base: str) -> str:
    return os.path.join(directory, f"{_prefix(base)}{os.getpid()}.{secrets.token_hex(8)}.tmp")


def _remove_abandoned(directory: str, base: str) -> None:
    """Remove temporary files of saves to ``base`` whose process (on this host) is gone."""
    if os.name != "posix":
        return
    prefix = _prefix(base)
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid = name[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, name))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists but belongs to someone else
    return True


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); where directories can't be opened, skip."""
    try:
        fd = os.open(directory or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
