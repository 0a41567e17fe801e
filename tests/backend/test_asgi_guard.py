"""The ASGI request guard (cctv_backend/asgi_guard.py) with a stand-in application, and the body limit
of each route (surveillance/body_limits.py). Over real HTTP: test_abuse_slow_clients, test_abuse_http."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass

import pytest
from asgiref.sync import ThreadSensitiveContext, sync_to_async

from cctv_backend.asgi_guard import BodyPace, RequestGuard
from surveillance import body_limits


@dataclass(frozen=True)
class Limit:
    max_bytes: int

    def detail(self, size: str | int) -> str:
        return f"{size} over {self.max_bytes}"


class Client:
    """An ASGI server's side of one request: queued receive messages, recorded sends."""

    def __init__(self, path: str = "/api/x/", headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.scope = {"type": "http", "path": path, "headers": headers or []}
        self.incoming: asyncio.Queue = asyncio.Queue()
        self.sent: list[dict] = []

    async def receive(self) -> dict:
        return await self.incoming.get()

    async def send(self, message: dict) -> None:
        self.sent.append(message)

    def body(self, data: bytes, more: bool) -> None:
        self.incoming.put_nowait({"type": "http.request", "body": data, "more_body": more})

    @property
    def status(self) -> int | None:
        starts = [m["status"] for m in self.sent if m["type"] == "http.response.start"]
        return starts[0] if starts else None


async def reading_app(scope, receive, send) -> None:
    """Reads the body as Django's ASGI handler does (until its end or a disconnect), then answers 200."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


PATIENT = BodyPace(grace=60, min_rate=1, max_seconds=600)


def guard(
    app=reading_app,
    *,
    max_bytes: int = 10,
    concurrency: int = 4,
    refused: list | None = None,
    pace: BodyPace = PATIENT,
):
    async def limit_for(scope) -> Limit:
        return Limit(max_bytes)

    return RequestGuard(
        app,
        limit_for=limit_for,
        declared_too_large=body_limits.declared_too_large,
        on_refused=lambda path, limit: (refused if refused is not None else []).append(path),
        concurrency=concurrency,
        pace=pace,
    )


async def test_a_declared_length_over_the_limit_is_refused_before_the_app_runs() -> None:
    called = []

    async def app(scope, receive, send) -> None:
        called.append(scope)

    refused: list[str] = []
    client = Client(headers=[(b"content-length", b"11")])
    await guard(app, refused=refused)(client.scope, client.receive, client.send)

    assert called == [] and refused == ["/api/x/"]
    assert client.status == 413
    assert json.loads(client.sent[1]["body"]) == {"detail": "11 over 10"}


async def test_counted_bytes_over_the_limit_are_refused_and_the_app_sees_a_disconnect() -> None:
    seen: list[dict] = []

    async def app(scope, receive, send) -> None:
        while (message := await receive())["type"] == "http.request":
            seen.append(message)
        seen.append(message)
        await send({"type": "http.response.start", "status": 200, "headers": []})  # dropped

    client = Client()  # chunked: no Content-Length
    client.body(b"123456", more=True)
    client.body(b"78901", more=True)
    await guard(app)(client.scope, client.receive, client.send)

    assert [m["type"] for m in seen] == ["http.request", "http.disconnect"]
    assert client.status == 413 and len(client.sent) == 2
    assert (b"connection", b"close") in client.sent[0]["headers"]


async def test_a_body_within_the_limit_reaches_the_app() -> None:
    client = Client(headers=[(b"content-length", b"10")])
    client.body(b"12345", more=True)
    client.body(b"67890", more=False)
    await guard()(client.scope, client.receive, client.send)
    assert client.status == 200


async def test_a_slot_is_taken_only_once_the_body_is_complete_and_freed_when_the_answer_starts() -> None:
    running = 0
    most = 0

    async def app(scope, receive, send) -> None:
        nonlocal running, most
        while (await receive()).get("more_body"):
            pass
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)  # Django's code, in its thread
        running -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await asyncio.sleep(0.05)  # a slow reader of the answer: holds no slot
        await send({"type": "http.response.body", "body": b"ok"})

    protected = guard(app, concurrency=2)
    slow_senders = [Client() for _ in range(5)]
    for client in slow_senders:
        client.body(b"1", more=True)  # and nothing more: waiting for the rest of the body
    quick = [Client() for _ in range(6)]
    for client in quick:
        client.body(b"", more=False)
    slow_tasks = [asyncio.create_task(protected(c.scope, c.receive, c.send)) for c in slow_senders]
    await asyncio.wait_for(asyncio.gather(*(protected(c.scope, c.receive, c.send) for c in quick)), 2)

    assert [c.status for c in quick] == [200] * 6
    assert most == 2
    for task in slow_tasks:
        task.cancel()
    await asyncio.gather(*slow_tasks, return_exceptions=True)


async def test_synchronous_code_runs_in_the_slots_long_lived_threads() -> None:
    """As Django's ASGI handler does: a ThreadSensitiveContext of its own around reading the body and
    the thread-sensitive view. The view runs in one of the guard's threads, the same one each time (its
    database connection is kept), not in a new thread per request."""
    threads: list[str] = []

    async def django_like(scope, receive, send) -> None:
        async with ThreadSensitiveContext():
            while (await receive()).get("more_body"):
                pass

            async def view() -> None:
                threads.append(await sync_to_async(lambda: threading.current_thread().name)())
                await send({"type": "http.response.start", "status": 200, "headers": []})

            await asyncio.create_task(view())

    protected = guard(django_like, concurrency=1)
    for _ in range(3):
        client = Client()
        client.body(b"", more=False)
        await protected(client.scope, client.receive, client.send)
        assert client.status == 200

    assert len(set(threads)) == 1 and threads[0].startswith("request-0"), threads


@pytest.mark.parametrize(
    ("length", "refused"),
    [(None, False), ("", False), ("0", False), ("10", False), ("11", True), ("1e3", True), ("²", True),
     ("9" * 30, True)],
)  # fmt: skip
def test_declared_lengths(length, refused) -> None:
    assert body_limits.declared_too_large(length, Limit(10)) is refused


async def test_a_body_that_stalls_past_the_grace_period_answers_408_and_the_app_sees_a_disconnect() -> None:
    seen = []

    async def app(scope, receive, send) -> None:
        while True:
            message = await receive()
            seen.append(message["type"])
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                return

    client = Client(headers=[(b"content-length", b"5")])
    client.body(b"ab", more=True)  # then nothing
    pace = BodyPace(grace=0.2, min_rate=1000, max_seconds=10)
    await asyncio.wait_for(guard(app, pace=pace)(client.scope, client.receive, client.send), timeout=5)
    assert client.status == 408 and seen == ["http.request", "http.disconnect"]
    assert b"REQUEST_BODY_MIN_RATE" in client.sent[1]["body"]


def test_a_pace_allows_the_grace_period_then_the_minimum_rate_and_never_past_the_deadline() -> None:
    pace = BodyPace(grace=10, min_rate=100, max_seconds=60)
    assert pace.allowed_until(1000, 0) == 1010
    assert pace.allowed_until(1000, 2000) == 1030  # 2000 bytes buy 20 s more
    assert pace.allowed_until(1000, 10**9) == 1060


@pytest.mark.django_db
def test_a_large_clip_gets_the_clip_limit_only_with_a_token_for_the_addressed_camera(
    settings, alice, alice_camera, bob_camera
) -> None:
    from rest_framework.authtoken.models import Token

    from surveillance.cameras import selectors

    settings.CLIP_MAX_BYTES = 300 * 1024 * 1024
    path = f"/api/cameras/{alice_camera.pk}/events/abc/clips/0/"
    large = str(50 * 1024 * 1024)
    alice_token = f"Token {Token.objects.get_or_create(user=alice)[0].key}"
    for authorization in (
        f"Token {selectors.camera_ingest_token(camera=alice_camera)}",
        alice_token,
    ):
        clip = body_limits.limit_for(path, authorization=authorization, content_length=large)
        assert clip.is_clip and clip.max_bytes == settings.CLIP_MAX_BYTES
        assert "CLIP_MAX_BYTES" in clip.detail(5)
    for authorization in (
        None,
        "Token nonsense",
        f"Token {selectors.camera_ingest_token(camera=bob_camera)}",
        f"Bearer {selectors.camera_ingest_token(camera=alice_camera)}",
    ):
        small = body_limits.limit_for(path, authorization=authorization, content_length=large)
        assert not small.is_clip and small.max_bytes == settings.DATA_UPLOAD_MAX_MEMORY_SIZE, authorization
        assert "without the camera's ingest token" in small.detail(large)
    other = f"/api/cameras/{bob_camera.pk}/events/abc/clips/0/"
    assert not body_limits.limit_for(other, authorization=alice_token, content_length=large).is_clip
    # A small clip needs no token check: it is no larger than any other body.
    assert body_limits.limit_for(path, content_length="1000").is_clip


def test_every_other_route_has_the_upload_limit(settings) -> None:
    for path in ("/api/send-alert/", "/api/cameras/7/", "/api/cameras/7/events/abc/", "/nowhere/"):
        limit = body_limits.limit_for(path, authorization="Token x", content_length="10")
        assert not limit.is_clip and limit.max_bytes == settings.DATA_UPLOAD_MAX_MEMORY_SIZE, path
