"""Live views in the trail: one record when a stream is handed to a viewer, one when it ends.

The end comes from the response's close (the viewer left, the WebSocket relay ended, the worker ended the
session) or, failing that, from the stream being collected; whichever comes first records it, once. It
may come inside the event loop, where Django's database calls are refused, so there the record is
written from a short thread of its own.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable
from typing import Any

from django.db import connection

from audit.actions import AuditAction
from audit.services import audit_record

logger = logging.getLogger(__name__)


def watched(stream: Any, *, request: Any, camera: Any, sub: bool = False) -> WatchedStream:
    """``stream`` (a ``surveillance.cameras.live.WorkerStream``) with its start recorded now and its end
    when it closes. Call it once the stream is open: a refused one is no live view."""
    which = "sub-stream" if sub else "main stream"
    common = {
        "object_type": "camera", "object_id": camera.pk, "camera_id": camera.pk, "team_id": camera.team_id,
    }  # fmt: skip
    try:
        started = audit_record(request=request, action=AuditAction.LIVE_STARTED, summary=which, **common)
    except BaseException:
        stream.close()  # no view unrecorded: the viewer gets the error, the worker's session is freed
        raise
    opened = time.monotonic()
    user_id, username, address = started.user_id, started.username, started.client_address

    def stopped() -> None:
        summary = f"{which}, {time.monotonic() - opened:.0f} s"

        def write() -> None:
            try:
                audit_record(
                    request=None,
                    user=_Who(user_id, username),
                    address=address,
                    action=AuditAction.LIVE_STOPPED,
                    summary=summary,
                    **common,
                )
            except Exception:  # the stream is closed either way; a lost stop is logged, never raised into it
                logger.exception("audit: the end of a live view of camera %s was not recorded", camera.pk)

        _write_outside_the_loop(write)

    return WatchedStream(stream, stopped)


class WatchedStream:
    """Passes the stream's chunks on; its close (or its collection) records the end once."""

    def __init__(self, stream: Any, on_end: Callable[[], None]) -> None:
        self._stream = stream
        self.codec = stream.codec
        self.content_type = stream.content_type
        self._ended = weakref.finalize(self, on_end)
        # A process that exits writes no records on its way out. (typeshed lists no setter for the documented,
        # writable attribute.)
        self._ended.atexit = False  # type: ignore[misc]

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._stream:
                yield chunk
        finally:
            self.close()

    def close(self) -> None:
        self._stream.close()
        self._ended()


class _Who:
    """The viewer as the start's record named them (the request is gone by the end)."""

    is_authenticated = True

    def __init__(self, pk: int | None, username: str) -> None:
        self.pk = pk
        self._username = username

    def get_username(self) -> str:
        return self._username


def _write_outside_the_loop(write: Callable[[], object]) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        write()
        return

    def in_thread() -> None:
        try:
            write()
        finally:
            connection.close()  # this thread's own connection

    threading.Thread(target=in_thread, name="audit-live-stopped", daemon=True).start()
