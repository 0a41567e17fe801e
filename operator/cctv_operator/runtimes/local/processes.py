"""Starting and stopping OS processes so that none outlives the product.

Children run in their own session (Ctrl-C reaches only the supervisor, which then stops them in order)
and are told by the kernel to exit if the supervisor dies without cleaning up (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


async def start_process(
    argv: Sequence[str], *, env: Mapping[str, str], log_path: Path | None = None, cwd: Path | None = None
) -> asyncio.subprocess.Process:
    """Starts ``argv`` in its own session, output appended to ``log_path`` (or inherited)."""
    output = None
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        output = log_path.open("ab")
    try:
        return await asyncio.create_subprocess_exec(
            *argv,
            env=dict(env),
            cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT if output else None,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    finally:
        if output is not None:
            output.close()  # the child holds its own descriptor


async def stop_process(process: asyncio.subprocess.Process, *, grace: float = 10.0) -> int | None:
    """SIGTERM to the process group, SIGKILL after ``grace`` seconds; returns the exit code."""
    if process.returncode is not None:
        return process.returncode
    _signal_group(process.pid, signal.SIGTERM)
    try:
        return await asyncio.wait_for(process.wait(), timeout=grace)
    except TimeoutError:
        log.warning("process %s ignored SIGTERM for %.0f s; killing it", process.pid, grace)
        _signal_group(process.pid, signal.SIGKILL)
        return await process.wait()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
