"""Loopback helpers shared by the test support modules."""

from __future__ import annotations

import itertools
import os
import random
import socket

#: Under pytest-xdist each worker hands out ports from its own block, below Linux's ephemeral range
#: (32768-60999, where bind(0) and every outgoing connection take theirs): two workers of one run never
#: pick the same port in the moment between choosing it and a server binding it.
_BLOCK_START, _BLOCK_SIZE, _BLOCKS = 10000, 1000, 22


def worker_block() -> range | None:
    """This xdist worker's block of ports (all below the ephemeral range), or None outside xdist."""
    return _block


def _worker_block() -> range | None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ... set by xdist in each worker
    if not worker.startswith("gw") or not worker[2:].isdigit():
        return None
    start = _BLOCK_START + (int(worker[2:]) % _BLOCKS) * _BLOCK_SIZE
    return range(start, start + _BLOCK_SIZE)


_block = _worker_block()
# A random start within the block: another run of the suite on the same machine starts elsewhere in it.
_candidates = itertools.cycle(
    [*_block[(offset := random.randrange(len(_block))) :], *_block[:offset]] if _block else [0]
)


def free_port() -> int:
    """A TCP port nobody listens on right now (a small race with other programs is accepted in tests)."""
    for _ in range(_BLOCK_SIZE):
        candidate = next(_candidates)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue  # taken: try the next one of the block
            return sock.getsockname()[1]
    raise OSError("no free port left in this test worker's block")
