"""The one module that talks HTTP to the Django backend: it fetches the active cameras.

Every failure becomes a `BackendError` with a short `reason` (a metrics label value), so the
sync can count it and back off; nothing here decides what a failure means for the cameras.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

ACTIVE_CAMERAS_PATH = "/api/active-cameras/"
#: Values of the `reason` label; pre-initialised in the metrics.
REASONS = ("unreachable", "timeout", "unauthorized", "http_error", "bad_json")


class BackendError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class BackendClient:
    def __init__(self, base_url: str, token: str, *, timeout: float) -> None:
        self._url = base_url.rstrip("/") + ACTIVE_CAMERAS_PATH
        self._headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def fetch_active_cameras(self) -> Any:
        """The decoded JSON answer (not yet validated); raises `BackendError`."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout, headers=self._headers)
        try:
            async with self._session.get(self._url) as response:
                body = await response.read()
                status = response.status
        except TimeoutError:
            raise BackendError(
                "timeout", f"no answer from {self._url} within {self._timeout.total} s"
            ) from None
        except aiohttp.ClientError as exc:
            raise BackendError("unreachable", f"{self._url}: {exc.__class__.__name__}: {exc}") from None
        if status in (401, 403):
            raise BackendError("unauthorized", f"{self._url} answered {status}: check DJANGO_API_TOKEN")
        if status != 200:
            raise BackendError("http_error", f"{self._url} answered {status}: {body[:200]!r}")
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BackendError("bad_json", f"{self._url} answered 200 with invalid JSON: {exc}") from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
            await asyncio.sleep(0)  # let aiohttp close its connector's transports
