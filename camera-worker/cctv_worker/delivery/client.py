"""The backend's HTTP API as the worker uses it: send-alert (an event opens), event updates, clip
uploads (the MP4 streamed from disk, never base64) and heartbeat. The only module that talks to the
backend.

``send_alert`` never raises for network or HTTP trouble; it classifies the outcome so that the
sender can decide: delivered, retry later (the alert stays spooled), or rejected for good.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import requests

from cctv_worker import __version__

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    status: int | None = None
    failure: str | None = None  # a cctv_alerts_failed_total{result} value
    detail: str = ""
    retry_after: float | None = None
    alert_id: object = None


def _iso(wall: float) -> str:
    """A Unix time as ISO 8601 UTC with milliseconds (what the backend's time headers take)."""
    return datetime.fromtimestamp(wall, tz=UTC).isoformat(timespec="milliseconds")


def _retry_after(response: requests.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


class BackendClient:
    def __init__(self, base_url: str, token: str, *, timeout: float, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers.update(
            {"Authorization": f"Token {token}", "User-Agent": f"cctv-worker/{__version__}"}
        )

    def send_alert(self, payload: dict[str, object]) -> SendResult:
        key = str(payload.get("idempotency_key", ""))
        return self._send(
            "POST",
            f"{self.base_url}/api/send-alert/",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
        )

    def send_event_update(self, payload: dict[str, object]) -> SendResult:
        return self._send(
            "PUT",
            f"{self.base_url}/api/cameras/{payload['camera_id']}/events/{payload['key']}/",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )

    def send_clip(self, payload: dict[str, object]) -> SendResult:
        event = f"{self.base_url}/api/cameras/{payload['camera_id']}/events/{payload['key']}"
        if "recordings" in payload:  # the recording segments hold it: its span, not its bytes
            body = {key: payload[key] for key in ("recordings", "duration", "size")}
            return self._send(
                "PUT",
                f"{event}/clips/{payload['segment']}/",
                data=json.dumps(body),
                headers={"Content-Type": "application/json"},
            )
        path = Path(str(payload["path"]))
        if not path.is_file():
            # Only a file deleted behind the worker's back gets here: nothing to retry.
            return SendResult(Outcome.REJECTED, failure="rejected", detail=f"clip file {path} is gone")
        url = f"{event}/clips/{payload['segment']}/"
        with path.open("rb") as body:  # streamed: requests sends the file in chunks with its Content-Length
            return self._send(
                "PUT",
                url,
                data=body,
                headers={
                    "Content-Type": "video/mp4",
                    "X-Clip-Started-At": str(payload.get("started_at") or ""),
                },
                timeout=max(self.timeout, 60.0),
            )

    def send_segment(self, camera_id: int, path: Path, *, start_us: int, end: float, kind: str) -> SendResult:
        """PUT one recording segment (issue 23). Its URL names camera and start (milliseconds): the
        backend stores a segment once however often it is sent."""
        if not path.is_file():
            return SendResult(Outcome.REJECTED, failure="rejected", detail=f"segment file {path} is gone")
        start_ms = start_us // 1000
        url = f"{self.base_url}/api/cameras/{camera_id}/recordings/segments/{start_ms}/"
        with path.open("rb") as body:  # streamed from disk with its Content-Length
            return self._send(
                "PUT",
                url,
                data=body,
                headers={
                    "Content-Type": "video/mp4",
                    "X-Segment-Ended-At": _iso(end),
                    "X-Segment-Kind": kind,
                },
                timeout=max(self.timeout, 60.0),
            )

    def _send(self, method: str, url: str, *, timeout: float | None = None, **kwargs: object) -> SendResult:
        try:
            response = self.session.request(method, url, timeout=timeout or self.timeout, **kwargs)
        except requests.Timeout:
            return SendResult(Outcome.RETRY, failure="timeout", detail="request timed out")
        except requests.RequestException as exc:
            return SendResult(Outcome.RETRY, failure="unreachable", detail=type(exc).__name__)
        status = response.status_code
        detail = response.text[:300]
        if status in (200, 201):
            try:
                alert_id = response.json().get("id")
            except (ValueError, AttributeError):
                alert_id = None
            return SendResult(Outcome.DELIVERED, status=status, alert_id=alert_id)
        if status in (401, 403):
            # A rotated or wrong token: keep the alert; it goes out once the token is fixed.
            return SendResult(Outcome.RETRY, status=status, failure="unauthorized", detail=detail)
        if status in (400, 404, 413, 422) and not (status == 404 and "/api/send-alert/" in url):
            # Retrying the same bytes cannot succeed (422: the key was used for another payload).
            return SendResult(Outcome.REJECTED, status=status, failure="rejected", detail=detail)
        if status == 429 or status >= 500:
            return SendResult(
                Outcome.RETRY,
                status=status,
                failure="server_error",
                detail=detail,
                retry_after=_retry_after(response),
            )
        # Anything else (404 from a wrong DJANGO_API_URL, 3xx, ...) is a deployment problem: keep and retry.
        return SendResult(Outcome.RETRY, status=status, failure="server_error", detail=detail)

    def answers(self, timeout: float) -> bool:
        """Whether the backend answers HTTP at all (any status): the cheap probe of a sender backing off."""
        try:
            self.session.head(f"{self.base_url}/", timeout=timeout, allow_redirects=False)
        except requests.RequestException:
            return False
        return True

    def heartbeat(
        self,
        camera_id: int,
        stream_state: str,
        fps: float,
        open_events: list[str] | None = None,
        *,
        problem: str = "",
        producible_types: list[str] | None = None,
        live: dict[str, object] | None = None,
    ) -> bool:
        # ``problem``: why this camera's events do not arrive ("" clears it), shown with the camera.
        body: dict[str, object] = {
            "stream_state": stream_state,
            "fps": round(fps, 2),
            "problem": problem[:300],
        }
        if producible_types is not None:
            body["producible_types"] = producible_types
        if open_events is not None:
            body["open_events"] = open_events
        if live is not None:  # where the backend proxies the live view from (url, key, codec)
            body["live"] = live
        try:
            response = self.session.post(
                f"{self.base_url}/api/cameras/{camera_id}/heartbeat/",
                json=body,
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            log.debug("heartbeat failed: %s", type(exc).__name__)
            return False
        if response.status_code >= 300:
            log.debug("heartbeat answered %s", response.status_code)
        return response.status_code < 300


#: A settings answer larger than this is refused (a worker reads a few KB; a broken proxy must not make it
#: hold megabytes).
SETTINGS_MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class SettingsAnswer:
    """``GET /api/cameras/<id>/settings/``: ``body`` None with ``not_modified`` (304: the ETag still holds)
    or when the backend could not be asked (``failure`` says why)."""

    body: dict[str, object] | None
    etag: str = ""
    not_modified: bool = False
    failure: str = ""


def read_settings(
    client: BackendClient, camera_id: int, *, etag: str = "", handover: bool = False
) -> SettingsAnswer:
    """The camera's live settings and fingerprints (docs/contracts.md, "Live and restart settings");
    never raises."""
    headers = {"If-None-Match": etag} if etag else {}
    params = {"handover": "1"} if handover else {}
    try:
        response = client.session.get(
            f"{client.base_url}/api/cameras/{camera_id}/settings/",
            headers=headers,
            params=params,
            timeout=client.timeout,
            stream=True,
        )
    except requests.RequestException as exc:
        return SettingsAnswer(None, failure=type(exc).__name__)
    with response:
        if response.status_code == 304:
            return SettingsAnswer(None, etag=etag, not_modified=True)
        if response.status_code != 200:
            return SettingsAnswer(None, failure=f"HTTP {response.status_code}")
        try:
            raw = response.raw.read(SETTINGS_MAX_BYTES + 1, decode_content=True)
        except (requests.RequestException, OSError) as exc:
            return SettingsAnswer(None, failure=type(exc).__name__)
    if len(raw) > SETTINGS_MAX_BYTES:
        return SettingsAnswer(None, failure="answer too large")
    try:
        body = json.loads(raw)
    except ValueError:
        return SettingsAnswer(None, failure="not JSON")
    if not isinstance(body, dict):
        return SettingsAnswer(None, failure="not a JSON object")
    return SettingsAnswer(body, etag=response.headers.get("ETag", ""))
