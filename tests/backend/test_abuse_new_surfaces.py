"""Issue 20's findings replayed against the real server (gunicorn, two workers, as the chart runs it):
webhook URLs that parsers read differently, the channel test's answer, clip uploads sent before
authentication and trickled bodies, and crafted MP4s (with the serving process's peak memory measured).

The last test is the issue's measurement: the health probe's time while 50 slow bodies and 8 slow
webhook receivers are in flight, and the backend's peak memory for the crafted MP4 set (printed).
"""

from __future__ import annotations

import contextlib
import socket
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from support import mp4_bombs
from support.backend import server_database, start_backend
from support.clips import make_mp4
from support.net import free_port

pytestmark = pytest.mark.slow

BODY_GRACE = 4.0  # REQUEST_BODY_GRACE_SECONDS of the server under test
BODY_MIN_RATE = 2000  # REQUEST_BODY_MIN_RATE (bytes a second)
NOTIFY_TIMEOUT = 3.0  # NOTIFY_TIMEOUT_SECONDS
RSS_LIMIT = 100 * 2**20  # the bound on the backend's growth for a crafted MP4
EVENT_UPDATES_PER_MINUTE = 20
SECRET_BODY = b"internal-admin-page: db password hunter2"


class Target:
    """A loopback HTTP server that answers every POST with ``status`` and ``body``, each byte
    ``trickle`` seconds apart when set (a slow receiver). Counts what reached it."""

    def __init__(self, host: str, *, status: int = 200, body: bytes = b"", trickle: float = 0.0) -> None:
        self.hits: list[tuple[str, dict[str, str]]] = []
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                target.hits.append((self.path, dict(self.headers.items())))
                if trickle:
                    head = f"HTTP/1.1 {status} Slow\r\n".encode()
                    try:
                        for byte in head:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(trickle)
                    except OSError:
                        pass
                    return
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer((host, free_port()), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("surfaces")


@pytest.fixture(scope="module")
def backend(scratch: Path):
    spool = scratch / "spool"
    spool.mkdir()
    env = {
        "TMPDIR": str(spool),  # where Django spools request bodies
        "NOTIFY_ALLOWED_NETWORKS": "127.0.0.2/32",  # the review's setup: one loopback address allowed
        "NOTIFY_TIMEOUT_SECONDS": str(NOTIFY_TIMEOUT),
        "REQUEST_BODY_GRACE_SECONDS": str(BODY_GRACE),
        "REQUEST_BODY_MIN_RATE": str(BODY_MIN_RATE),
        "REQUEST_BODY_MAX_SECONDS": "30",
        "CHANNEL_TEST_CONCURRENCY": "2",
        "EVENT_UPDATE_RATE_PER_MINUTE": str(EVENT_UPDATES_PER_MINUTE),
    }
    with (
        server_database(prefix="cctv_surfaces") as database_url,
        start_backend(scratch / "backend", database_url=database_url, workers=2, env=env) as running,
    ):
        running.spool = spool  # type: ignore[attr-defined]
        yield running


@pytest.fixture(scope="module")
def camera(backend) -> dict:
    return backend.create_camera("Surfaces", "rtsp://10.9.8.7/surfaces")


def open_event(backend, camera: dict, key: str) -> None:
    from backend.images import jpeg_base64

    body = {
        "camera_id": camera["id"], "alert_type": "person", "confidence": 0.9, "idempotency_key": key,
        "status": "open", "revision": 1, "image_base64": jpeg_base64(width=16, height=16),
    }  # fmt: skip
    answer = requests.post(
        f"{backend.url}/api/send-alert/",
        json=body,
        headers={"Authorization": f"Token {camera['ingest_token']}"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text


# ---- High 2: webhook URLs that parsers read differently ----------------------------------------------


def test_a_webhook_url_with_a_backslash_userinfo_or_control_character_is_refused_and_reaches_nothing(
    backend,
) -> None:
    inner = Target("127.0.0.1")  # an "internal service": not an allowed target
    try:
        urls = [
            f"http://127.0.0.1:{inner.port}\\@127.0.0.2/../internal/admin?x=1",  # the reviewed request
            f"http://user@127.0.0.2:{inner.port}/",
            f"http://127.0.0.2:{inner.port}/\r\nX-Injected: 1",
            f"http://127.0.0.2:{inner.port}/a\tb",
        ]
        for url in urls:
            answer = backend.request(
                "POST",
                "/api/notifications/channels/",
                json={"kind": "webhook", "name": "hook", "url": url, "secret": "s3cret"},
            )
            assert answer.status_code == 400, (url, answer.status_code, answer.text)
            assert "plain http(s) URL" in answer.json()["url"][0]
        assert backend.request("GET", "/api/notifications/channels/").json()["count"] == 0
        assert inner.hits == []
    finally:
        inner.close()


def test_the_channel_test_answers_a_status_and_reason_never_the_targets_body(backend) -> None:
    target = Target("127.0.0.2", status=500, body=SECRET_BODY)
    try:
        created = backend.request(
            "POST",
            "/api/notifications/channels/",
            json={
                "kind": "webhook",
                "name": "echo",
                "url": f"http://127.0.0.2:{target.port}/hook",
                "secret": "s3cret",
            },
        )
        assert created.status_code == 201, created.text
        answer = backend.request("POST", f"/api/notifications/channels/{created.json()['id']}/test/")
        assert answer.status_code == 200, answer.text
        assert answer.json()["last_error"] == "HTTP 500 Internal Server Error"
        assert (
            b"hunter2" not in answer.content
            and "hunter2" not in backend.request("GET", "/api/notifications/deliveries/").text
        )
        # The request went to the checked address with the URL's host in its Host header.
        assert [(path, headers["Host"]) for path, headers in target.hits] == [
            ("/hook", f"127.0.0.2:{target.port}")
        ]
        backend.request("DELETE", f"/api/notifications/channels/{created.json()['id']}/")
    finally:
        target.close()


# ---- High 4: clip bodies before authentication, and bodies' pace ---------------------------------------


def send_head(backend, path: str, headers: dict[str, str]) -> socket.socket:
    host, port = backend.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    lines = [f"PUT {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def read_answer(sock: socket.socket, timeout: float) -> tuple[int, bytes]:
    """The status and the whole answer (head and body) of a raw request, or 0 when none came."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n\r\n" not in data or len(data) < _answer_length(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (TimeoutError, ConnectionError):
        pass
    if not data.startswith(b"HTTP/1.1 "):
        return 0, data
    return int(data[9:12]), data


def _answer_length(data: bytes) -> int:
    head, _, _ = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(head) + 4 + int(value)
    return len(data)


def spooled_bytes(backend) -> int:
    return sum(p.stat().st_size for p in backend.spool.rglob("*") if p.is_file())


def test_a_clip_body_without_the_cameras_token_gets_the_small_limit_before_a_byte_is_read(
    backend, camera
) -> None:
    other = backend.create_camera("Other", "rtsp://10.9.8.8/other")
    open_event(backend, camera, "spool-1")
    path = f"/api/cameras/{camera['id']}/events/spool-1/clips/0/"
    declared = 190 * 2**20
    for authorization in (None, f"Token {other['ingest_token']}", "Token cam_1_" + "0" * 64):
        headers = {"Content-Type": "video/mp4", "Content-Length": str(declared)}
        if authorization:
            headers["Authorization"] = authorization
        sock = send_head(backend, path, headers)
        with contextlib.suppress(OSError):  # the server may answer and close first
            sock.sendall(b"\0" * 2**20)  # what the reviewed clients sent before stalling
        status, answer = read_answer(sock, 10)
        sock.close()
        assert status == 413, (authorization, answer[:300])
        assert b"without the camera's ingest token" in answer
    assert spooled_bytes(backend) == 0

    # The camera's own token gets the clip limit: the server reads (and here times the body out).
    sock = send_head(
        backend,
        path,
        {
            "Content-Type": "video/mp4",
            "Content-Length": str(declared),
            "Authorization": f"Token {camera['ingest_token']}",
        },
    )
    sock.sendall(b"\0" * 2**20)
    status, answer = read_answer(sock, BODY_GRACE + 30)
    sock.close()
    assert status == 408, answer[:300]


def test_a_body_that_stalls_or_trickles_gets_408_after_the_grace_period(backend, camera) -> None:
    open_event(backend, camera, "pace-1")
    path = f"/api/cameras/{camera['id']}/events/pace-1/clips/0/"
    headers = {
        "Content-Type": "video/mp4",
        "Content-Length": str(10 * 2**20),
        "Authorization": f"Token {camera['ingest_token']}",
    }
    stalled = send_head(backend, path, headers)
    trickling = send_head(backend, path, headers)
    started = time.monotonic()
    closed: dict[str, float] = {}
    while len(closed) < 2 and time.monotonic() - started < BODY_GRACE + 20:
        if "trickling" not in closed:
            try:
                trickling.send(b"\0" * 100)  # 1 KB/s: under the minimum rate
            except OSError:
                closed["trickling"] = time.monotonic() - started
        for name, sock in (("stalled", stalled), ("trickling", trickling)):
            if name in closed:
                continue
            sock.settimeout(0.01)
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            except ConnectionError:
                data = b""
            assert not data or data.startswith(b"HTTP/1.1 408"), data[:200]
            closed[name] = time.monotonic() - started
        time.sleep(0.1)
    stalled.close()
    trickling.close()
    assert set(closed) == {"stalled", "trickling"}, closed
    assert all(BODY_GRACE - 0.5 <= seconds <= BODY_GRACE + 10 for seconds in closed.values()), closed
    assert spooled_bytes(backend) == 0


# ---- High 3: MP4 bombs ----------------------------------------------------------------------------------


def worker_pids(backend) -> list[int]:
    children = Path(f"/proc/{backend.pid}/task/{backend.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class PeakRss:
    """Samples the RSS of the given processes every 10 ms in a thread; ``peak`` per pid."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.peak = {pid: rss(pid) for pid in pids}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], rss(pid))
            self.stop.wait(0.01)

    def __enter__(self) -> PeakRss:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()


def upload_bombs(backend, camera: dict, clip: Path, folder: Path) -> dict[str, tuple[int, str]]:
    answers = {}
    for index, name in enumerate(mp4_bombs.BOMBS):
        key = f"bomb-{index}"
        open_event(backend, camera, key)
        data = mp4_bombs.build(name, clip, folder / f"{name}.mp4").read_bytes()
        answer = requests.put(
            f"{backend.url}/api/cameras/{camera['id']}/events/{key}/clips/0/",
            data=data,
            headers={"Authorization": f"Token {camera['ingest_token']}", "Content-Type": "video/mp4"},
            timeout=60,
        )
        answers[name] = (answer.status_code, answer.text)
    return answers


def test_crafted_mp4s_are_refused_and_the_backend_grows_less_than_100_mb(
    backend, camera, scratch: Path
) -> None:
    clip = make_mp4(scratch / "real.mp4", seconds=2.0, fps=10)
    pids = worker_pids(backend)
    idle = {pid: rss(pid) for pid in pids}
    with PeakRss(pids) as peaks:
        answers = upload_bombs(backend, camera, clip, scratch)
    growth = max(peaks.peak[pid] - idle[pid] for pid in pids)
    print(f"\nbackend peak RSS growth over the crafted MP4 set: {growth / 2**20:.1f} MiB (idle {idle})")
    assert growth < RSS_LIMIT, f"{growth / 2**20:.1f} MiB"
    refused = {name: status for name, (status, _) in answers.items()}
    assert set(refused.values()) == {400}, answers
    assert "stsz declares 20000000 samples" in answers["stsz-constant"][1]
    # A real clip still goes through.
    open_event(backend, camera, "real-1")
    answer = requests.put(
        f"{backend.url}/api/cameras/{camera['id']}/events/real-1/clips/0/",
        data=clip.read_bytes(),
        headers={"Authorization": f"Token {camera['ingest_token']}", "Content-Type": "video/mp4"},
        timeout=60,
    )
    assert answer.status_code == 201, answer.text


# ---- The measurement -----------------------------------------------------------------------------


def test_health_answers_under_a_second_while_50_slow_bodies_and_8_slow_receivers_are_in_flight(
    backend, camera
) -> None:
    slow = [Target("127.0.0.2", trickle=1.0) for _ in range(8)]
    channels = []
    for index, target in enumerate(slow):
        created = backend.request(
            "POST",
            "/api/notifications/channels/",
            json={
                "kind": "webhook",
                "name": f"slow-{index}",
                "url": f"http://127.0.0.2:{target.port}/",
                "secret": "s",
            },
        )
        assert created.status_code == 201, created.text
        channels.append(created.json()["id"])
    host, port = backend.url.removeprefix("http://").split(":")
    bodies = []
    for _ in range(50):
        sock = socket.create_connection((host, int(port)), timeout=10)
        sock.sendall(
            (
                f"PUT /api/cameras/{camera['id']}/events/spool-1/clips/1/ HTTP/1.1\r\nHost: x\r\n"
                "Content-Type: video/mp4\r\nContent-Length: 1000000\r\n\r\n"
            ).encode()
            + b"\0"
        )
        bodies.append(sock)
    tests: list[int] = []
    threads = [
        threading.Thread(
            target=lambda pk=pk: tests.append(
                backend.request("POST", f"/api/notifications/channels/{pk}/test/", timeout=30).status_code
            )
        )
        for pk in channels
    ]
    for thread in threads:
        thread.start()
    probes = []
    started = time.monotonic()
    while time.monotonic() - started < BODY_GRACE - 0.5:
        began = time.monotonic()
        status = requests.get(f"{backend.url}/healthz", timeout=5).status_code
        probes.append((round(time.monotonic() - began, 3), status))
        time.sleep(0.2)
    for thread in threads:
        thread.join(30)
    for sock in bodies:
        sock.close()
    for target in slow:
        target.close()
    worst = max(seconds for seconds, _ in probes)
    print(f"\nhealth probe with 50 slow bodies and 8 slow receivers in flight: worst {worst:.3f} s", probes)
    assert {status for _, status in probes} == {200}, probes
    # The goal is every probe under a second (before the fix they timed out at 5 s). As in the slow-client
    # test, the median must meet it and one probe may take up to two on a loaded CI machine (a scheduling
    # hiccup of six test workers on two cores is not starvation).
    assert statistics.median(seconds for seconds, _ in probes) < 1.0, probes
    assert worst < 2.0, probes
    # Two tests per process ran (and timed out at NOTIFY_TIMEOUT_SECONDS); the rest were told to retry.
    assert sorted(set(tests)) <= [200, 503] and 200 in tests, tests
    for pk in channels:
        backend.request("DELETE", f"/api/notifications/channels/{pk}/")


# ---- Medium 4 and the Low 500s: every timestamp checked one way; malformed input is a 4xx ------------------


def an_object(**times: str) -> dict:
    return {"track_id": 1, "label": "person", "alert_type": "person", "confidence": 0.9, "zones": [],
            "first_seen": "2026-12-06T04:00:00Z", "last_seen": "2026-12-06T04:00:01Z", **times}  # fmt: skip


BAD_TIMES = {
    "impossible date": {"first_seen": "2024-02-30T10:00:00"},
    "no time zone": {"last_seen": "2026-12-06T04:00:02"},
    "overflows in UTC": {"last_seen": "0001-01-01T00:00:00+05:00"},
    "year 9999": {"last_seen": "9999-12-31T00:00:00Z"},
}


def test_bad_event_times_answer_400_on_send_alert_event_update_and_clip_upload(backend, camera) -> None:
    from backend.images import jpeg_base64

    token = {"Authorization": f"Token {camera['ingest_token']}"}
    base = {"camera_id": camera["id"], "alert_type": "person", "confidence": 0.9, "status": "open",
            "revision": 1, "image_base64": jpeg_base64(width=16, height=16)}  # fmt: skip
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for name, times in BAD_TIMES.items():
        answer = requests.post(
            f"{backend.url}/api/send-alert/",
            json={**base, "idempotency_key": f"times-{len(name)}", "objects": [an_object(**times)]},
            headers=token,
            timeout=10,
        )
        assert answer.status_code == 400, (name, answer.status_code, answer.text[:300])
    for field in ("started_at", "ended_at"):
        answer = requests.post(
            f"{backend.url}/api/send-alert/",
            json={**base, "idempotency_key": f"far-{field}", field: "9999-12-31T00:00:00Z"},
            headers=token,
            timeout=10,
        )
        assert answer.status_code == 400 and field in answer.json(), answer.text[:300]
    open_event(backend, camera, "times-update")
    update = {"status": "open", "confidence": 0.9, "description": "1 person", "peak_count": 1, "revision": 2}
    for name, times in BAD_TIMES.items():
        answer = requests.put(
            f"{backend.url}/api/cameras/{camera['id']}/events/times-update/",
            json={**update, "objects": [an_object(**times)]},
            headers=token,
            timeout=10,
        )
        assert answer.status_code == 400, (name, answer.status_code, answer.text[:300])
    answer = requests.put(
        f"{backend.url}/api/cameras/{camera['id']}/events/times-update/",
        json={**update, "objects": [an_object(first_seen=now, last_seen=now)]},
        headers=token,
        timeout=10,
    )
    assert answer.status_code == 200, answer.text[:300]
    for started in ("2024-02-30T10:00:00Z", "2026-12-06T04:00:00", "9999-12-31T00:00:00Z"):
        answer = requests.put(
            f"{backend.url}/api/cameras/{camera['id']}/events/times-update/clips/0/",
            data=b"\0" * 100,
            headers={**token, "X-Clip-Started-At": started, "Content-Type": "video/mp4"},
            timeout=10,
        )
        assert answer.status_code == 400 and "X-Clip-Started-At" in answer.json(), answer.text[:300]


def test_a_range_with_thousands_of_digits_is_answered_not_a_500(backend, camera, scratch: Path) -> None:
    open_event(backend, camera, "range-1")
    clip = make_mp4(scratch / "range.mp4", seconds=1.0, fps=10)
    stored = requests.put(
        f"{backend.url}/api/cameras/{camera['id']}/events/range-1/clips/0/",
        data=clip.read_bytes(),
        headers={"Authorization": f"Token {camera['ingest_token']}", "Content-Type": "video/mp4"},
        timeout=60,
    )
    assert stored.status_code == 201, stored.text
    url = stored.json()["url"]
    size = clip.stat().st_size
    whole = requests.get(url, headers={**backend.headers(), "Range": "bytes=0-" + "9" * 4400}, timeout=10)
    assert whole.status_code == 206 and len(whole.content) == size
    beyond = requests.get(
        url, headers={**backend.headers(), "Range": "bytes=" + "9" * 4400 + "-"}, timeout=10
    )
    assert beyond.status_code == 416


# ---- Medium 3: event updates are rate-limited like alerts -------------------------------------------------


def test_event_updates_past_the_rate_answer_429_with_retry_after(backend) -> None:
    camera = backend.create_camera("Updates", "rtsp://10.9.8.9/updates")
    open_event(backend, camera, "flood-1")
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    answers = []
    for revision in range(2, 2 + EVENT_UPDATES_PER_MINUTE + 10):  # the review sent 100 in 2 s
        answer = requests.put(
            f"{backend.url}/api/cameras/{camera['id']}/events/flood-1/",
            json={"status": "open", "confidence": 0.9, "description": "1 person", "peak_count": 1,
                  "revision": revision, "objects": [an_object(first_seen=now, last_seen=now)]},
            headers={"Authorization": f"Token {camera['ingest_token']}"},
            timeout=10,
        )  # fmt: skip
        answers.append((answer.status_code, answer.headers.get("Retry-After"), answer.text[:200]))
    statuses = [status for status, _, _ in answers]
    assert statuses == [200] * EVENT_UPDATES_PER_MINUTE + [429] * 10, answers
    assert all(0 < int(retry) <= 61 for _, retry, _ in answers[EVENT_UPDATES_PER_MINUTE:])
    assert "EVENT_UPDATE_RATE_PER_MINUTE" in answers[-1][2]
