"""CPU time and memory of a process with its descendants (gunicorn's workers, a worker's FFmpeg threads
are one process, a product's children): what the benches and the memory-bound tests measure."""

from __future__ import annotations

import contextlib

import psutil


def processes(pid: int | psutil.Process) -> list[psutil.Process]:
    root = pid if isinstance(pid, psutil.Process) else psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def cpu_seconds(pid: int | psutil.Process) -> float:
    """User and system CPU seconds of ``pid`` and its living descendants, and of the children they reaped."""
    total = 0.0
    for process in processes(pid):
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
    return total


def rss(pid: int | psutil.Process) -> int:
    """Resident bytes of ``pid`` and its living descendants."""
    total = 0
    for process in processes(pid):
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total
