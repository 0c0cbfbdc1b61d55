"""One writer at a time per archive: an advisory lock next to the database.

`flock` is released by the kernel when the holding process ends, however it
ends (even SIGKILL), so a crashed run never leaves the archive locked; the
pid and start time written into the lock file only serve the message.
"""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path


class ArchiveLocked(Exception):
    """Another process is writing this archive."""


def pid_alive(pid: int) -> bool:
    """Whether a process `pid` runs on this machine (one of another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def child_pids(pid: int) -> list[int]:
    """The processes `pid` started that still run (for the tests and
    benchmarks that watch a command's writer or workers)."""
    listed = list(Path(f"/proc/{pid}/task").glob("*/children"))  # Linux with CONFIG_PROC_CHILDREN: quick
    if listed:
        found = []
        for children in listed:
            try:
                found += [int(child) for child in children.read_text().split()]
            except (OSError, ValueError):
                continue
        return found
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):  # every process's parent
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def lock_path(db_path: str | os.PathLike) -> Path:
    return Path(f"{db_path}.lock")


@contextmanager
def archive_lock(db_path: str | os.PathLike, purpose: str = "crawl") -> Iterator[None]:
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 512, 0).decode("utf-8", "replace").strip() or "another process"
            raise ArchiveLocked(f"{db_path} is being written by {holder}") from None
        started = datetime.now(UTC).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{purpose} pid {os.getpid()} on {socket.gethostname()}, started {started}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock
