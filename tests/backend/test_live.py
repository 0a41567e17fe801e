"""The live view's API: the worker's reported address (kept only inside LIVE_WORKER_NETWORKS), the
describing route, and who may open the stream. The relay itself runs over real HTTP in
tests/dashboard/test_live_browser.py (it needs the ASGI server)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest

from surveillance.cameras import live, services

KEY = "k" * 32


def heartbeat(client, camera, **live_report):
    body = {"stream_state": "up", "fps": 10}
    if live_report:
        report = {"url": "http://127.0.0.1:9110/live", "key": KEY, "codec": "avc1.64001f"}
        body["live"] = {**report, **live_report}
    return client.post(f"/api/cameras/{camera.pk}/heartbeat/", body, format="json")


def test_a_heartbeat_stores_the_live_address_and_one_without_clears_it(camera_client, alice_camera):
    assert heartbeat(camera_client, alice_camera, url="http://10.1.2.3:9110/live").status_code == 204
    alice_camera.refresh_from_db()
    assert (alice_camera.live_host, alice_camera.live_port) == ("10.1.2.3", 9110)
    assert (alice_camera.live_key, alice_camera.live_codec) == (KEY, "avc1.64001f")
    assert heartbeat(camera_client, alice_camera).status_code == 204
    alice_camera.refresh_from_db()
    assert alice_camera.live_host is None and alice_camera.live_key == ""


def test_only_the_cameras_ingest_token_may_report_a_live_address(alice_client, alice_camera):
    assert heartbeat(alice_client, alice_camera, url="http://10.1.2.3:9110/live").status_code == 204
    alice_camera.refresh_from_db()
    assert alice_camera.live_host is None and alice_camera.stream_state == "up"


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254:80/live",  # cloud metadata: link-local is not a worker network
        "http://8.8.8.8:9110/live",
        "http://worker.example:9110/live",  # names are not dialled
        "http://127.0.0.1:9110/other",
        "http://127.0.0.1:9110/live?x=1",
        "http://user:pw@127.0.0.1:9110/live",
        "https://127.0.0.1:9110/live",
        "http://127.0.0.1/live",
        "http://[::1:9110/live",
    ],
)
def test_a_live_address_the_backend_may_not_dial_is_ignored(camera_client, alice_camera, url):
    assert heartbeat(camera_client, alice_camera, url=url).status_code == 204
    alice_camera.refresh_from_db()
    assert alice_camera.live_host is None and alice_camera.live_key == ""


@pytest.mark.parametrize(
    "report", [{"key": "short"}, {"codec": "avc1;<script>"}, {"url": "x" * 301}, {"key": "k" * 129}]
)
def test_a_malformed_live_report_is_refused(camera_client, alice_camera, report):
    assert heartbeat(camera_client, alice_camera, **report).status_code == 400


def test_the_live_route_describes_the_stream_with_absolute_urls(alice_client, camera_client, alice_camera):
    body = alice_client.get(f"/api/cameras/{alice_camera.pk}/live/").json()
    assert body == {
        "state": "down",
        "codec": None,
        "mse": f"ws://testserver/api/cameras/{alice_camera.pk}/live/ws/",
        "http": f"http://testserver/api/cameras/{alice_camera.pk}/live/stream/",
        "hls": f"http://testserver/api/cameras/{alice_camera.pk}/live/hls/index.m3u8",
        "sub": None,  # no detection sub-stream
    }
    heartbeat(camera_client, alice_camera)
    heartbeat(camera_client, alice_camera, url="http://127.0.0.1:9110/live")
    body = alice_client.get(f"/api/cameras/{alice_camera.pk}/live/").json()
    assert body["state"] == "live" and body["codec"] == "avc1.64001f"
    assert KEY not in str(body)  # the worker's key never leaves the backend


def test_a_camera_with_a_sub_stream_describes_it_and_its_codec(alice_client, camera_client, alice_camera):
    alice_camera.detect_rtsp_url = "rtsp://10.0.0.5:554/sub"
    alice_camera.save()
    assert alice_client.get(f"/api/cameras/{alice_camera.pk}/live/").json()["sub"] == {
        "codec": None,
        "mse": f"ws://testserver/api/cameras/{alice_camera.pk}/live/sub/ws/",
        "http": f"http://testserver/api/cameras/{alice_camera.pk}/live/sub/stream/",
        "hls": f"http://testserver/api/cameras/{alice_camera.pk}/live/sub/hls/index.m3u8",
    }
    heartbeat(camera_client, alice_camera, url="http://127.0.0.1:9110/live", sub_codec="avc1.42c01e")
    body = alice_client.get(f"/api/cameras/{alice_camera.pk}/live/").json()
    assert (body["codec"], body["sub"]["codec"]) == ("avc1.64001f", "avc1.42c01e")
    # A worker reading one stream only serves it on both paths: the sub-stream's codec is the main one's.
    heartbeat(camera_client, alice_camera, url="http://127.0.0.1:9110/live")
    assert alice_client.get(f"/api/cameras/{alice_camera.pk}/live/").json()["sub"]["codec"] == "avc1.64001f"


def test_behind_https_the_websocket_url_is_wss(alice_client, alice_camera, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    body = alice_client.get(f"/api/cameras/{alice_camera.pk}/live/", HTTP_X_FORWARDED_PROTO="https").json()
    assert body["mse"].startswith("wss://") and body["http"].startswith("https://")


def test_a_malformed_sub_stream_codec_is_refused(camera_client, alice_camera):
    assert heartbeat(camera_client, alice_camera, sub_codec="avc1;<script>").status_code == 400


def test_an_inactive_camera_is_inactive(alice_client, alice_camera):
    services.camera_set_active(camera=alice_camera, active=False)
    assert alice_client.get(f"/api/cameras/{alice_camera.pk}/live/").json()["state"] == "inactive"


@pytest.mark.parametrize(
    "path",
    [
        "live/",
        "live/stream/",
        "live/sub/stream/",
        "live/hls/index.m3u8",
        "live/sub/hls/seg-3.m4s",
        "live/detections/",
    ],
)
def test_only_the_owner_may_watch(path, alice_camera, bob_client, anonymous_client, camera_client):
    url = f"/api/cameras/{alice_camera.pk}/{path}"
    assert anonymous_client.get(url).status_code == 401
    assert bob_client.get(url).status_code == 404
    assert camera_client.get(url).status_code == 403  # a camera's ingest token never watches


def test_the_stream_of_a_camera_that_is_down_answers_503_down(alice_client, alice_camera):
    response = alice_client.get(f"/api/cameras/{alice_camera.pk}/live/stream/")
    assert response.status_code == 503 and response.json()["state"] == "down"


class OneAnswer:
    """A TCP server that reads a request and answers ``answer``: what a worker (or not one) says."""

    def __init__(self, answer: bytes) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.requests: list[bytes] = []
        self.answer = answer
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with self.sock:
            conn, _ = self.sock.accept()
            with conn:
                self.requests.append(conn.recv(4096))
                conn.sendall(self.answer)


@pytest.mark.parametrize(
    ("answer", "status", "state"),
    [
        (b'HTTP/1.0 503 X\r\n\r\n{"state": "busy"}', 503, "busy"),
        (b'HTTP/1.0 503 X\r\n\r\n{"state": "down"}', 503, "down"),
        (b"HTTP/1.0 401 X\r\n\r\n", 502, "down"),
        (b"garbage", 502, "down"),
        (b"HTTP/1.0 200 OK\r\n" + b"X: " + b"y" * 9000 + b"\r\n\r\n", 502, "down"),
    ],
)
def test_what_the_worker_answers_becomes_the_viewers_status(
    alice_client, camera_client, alice_camera, answer, status, state
):
    worker = OneAnswer(answer)
    heartbeat(camera_client, alice_camera, url=f"http://127.0.0.1:{worker.port}/live")
    response = alice_client.get(f"/api/cameras/{alice_camera.pk}/live/stream/")
    assert response.status_code == status and response.json()["state"] == state
    # The key went in the Authorization header, never in the request line.
    request_line, _, headers = worker.requests[0].partition(b"\r\n")
    assert request_line == b"GET /live HTTP/1.0" and f"Authorization: Bearer {KEY}".encode() in headers


def test_a_worker_that_does_not_answer_is_a_502(alice_client, camera_client, alice_camera):
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    heartbeat(camera_client, alice_camera, url=f"http://127.0.0.1:{port}/live")
    assert alice_client.get(f"/api/cameras/{alice_camera.pk}/live/stream/").status_code == 502


def test_past_the_process_limit_a_viewer_gets_503_busy(
    alice_client, camera_client, alice_camera, monkeypatch
):
    places = threading.BoundedSemaphore(1)
    places.acquire()
    monkeypatch.setattr(live, "_session_places", lambda: places)
    heartbeat(camera_client, alice_camera, url="http://127.0.0.1:9/live")
    response = alice_client.get(f"/api/cameras/{alice_camera.pk}/live/stream/")
    assert response.status_code == 503 and response.json()["state"] == "busy"


def test_the_sub_stream_route_asks_the_worker_for_its_sub_stream(alice_client, camera_client, alice_camera):
    worker = OneAnswer(b'HTTP/1.0 503 X\r\n\r\n{"state": "down"}')
    heartbeat(camera_client, alice_camera, url=f"http://127.0.0.1:{worker.port}/live")
    response = alice_client.get(f"/api/cameras/{alice_camera.pk}/live/sub/stream/")
    assert response.status_code == 503
    assert worker.requests[0].partition(b"\r\n")[0] == b"GET /live/sub HTTP/1.0"


def test_the_detections_of_a_camera_that_is_down_answer_503_down(alice_client, alice_camera):
    response = alice_client.get(f"/api/cameras/{alice_camera.pk}/live/detections/")
    assert response.status_code == 503 and response.json()["state"] == "down"


def json_answer(body: bytes) -> bytes:
    return b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + body


def test_the_workers_detections_come_with_the_alert_types_label_and_nothing_else(
    alice_client, camera_client, alice_camera
):
    body = (
        b'{"captured_at": 1700000000.25, "extra": "dropped", "objects": [{"alert_type": "intrusion", '
        b'"confidence": 0.9, "track_id": 4, "box": [0.1, 0.2, 1.5, 0.8], "label": "Normal"}]}'
    )
    worker = OneAnswer(json_answer(body))
    heartbeat(camera_client, alice_camera, url=f"http://127.0.0.1:{worker.port}/live")
    response = alice_client.get(f"/api/cameras/{alice_camera.pk}/live/detections/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert response.json() == {
        "captured_at": 1700000000.25,
        "objects": [
            {"alert_type": "intrusion", "label": "Intrusion", "confidence": 0.9, "track_id": 4,
             "box": [0.1, 0.2, 1.0, 0.8]}
        ],
    }  # fmt: skip
    request_line, _, headers = worker.requests[0].partition(b"\r\n")
    assert request_line.startswith(b"GET /live/detections HTTP/")
    assert f"Authorization: Bearer {KEY}".encode() in headers  # the key in a header, never in the URL


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.0 401 X\r\n\r\n",
        b"garbage",
        json_answer(b"not json"),
        json_answer(b"[]"),
        json_answer(b'{"captured_at": 1, "objects": [{"alert_type": "a", "track_id": 1, "box": [0, 1]}]}'),
        json_answer(b'{"captured_at": NaN, "objects": []}'),
        json_answer(b'{"captured_at": 1, "objects": ["x"]}'),
        json_answer(b'{"captured_at": 1, "objects": [], "pad": "' + b"x" * live.MAX_DETECTIONS_BYTES + b'"}'),
    ],
)
def test_a_worker_answering_anything_else_is_a_502_down(alice_client, camera_client, alice_camera, answer):
    worker = OneAnswer(answer)
    heartbeat(camera_client, alice_camera, url=f"http://127.0.0.1:{worker.port}/live")
    response = alice_client.get(f"/api/cameras/{alice_camera.pk}/live/detections/")
    assert response.status_code == 502 and response.json()["state"] == "down"


class Trickle(OneAnswer):
    """Answers ``head`` at once, then ``body`` a byte every 50 ms: a worker (or whatever holds its address)
    that keeps the backend's request thread by never quite answering."""

    def __init__(self, head: bytes, body: bytes) -> None:
        self.head, self.body = head, body
        super().__init__(b"")

    def _serve(self) -> None:
        with self.sock:
            conn, _ = self.sock.accept()
            with conn, contextlib.suppress(OSError):  # the backend gives up and closes
                self.requests.append(conn.recv(4096))
                conn.sendall(self.head)
                for byte in self.body:
                    conn.sendall(bytes([byte]))
                    time.sleep(0.05)


@pytest.mark.parametrize(
    ("path", "head", "body"),
    [
        # The head itself trickled (each byte well inside the timeout; the whole never).
        ("stream/", b"", b"HTTP/1.0 200 OK\r\n" + b"X: y\r\n" * 200 + b"\r\n"),
        ("detections/", b"", b"HTTP/1.0 200 OK\r\n" + b"X: y\r\n" * 200 + b"\r\n"),
        # The head at once, the body trickled: the detections' body has the same deadline.
        ("detections/", json_answer(b""), b'{"captured_at": 1, "objects": [' + b" " * 400 + b"]}"),
    ],
)
def test_a_worker_that_trickles_its_answer_is_given_up_at_the_deadline(
    alice_client, camera_client, alice_camera, settings, path, head, body
):
    settings.LIVE_CONNECT_TIMEOUT_SECONDS = 1.0
    worker = Trickle(head, body)
    heartbeat(camera_client, alice_camera, url=f"http://127.0.0.1:{worker.port}/live")
    started = time.monotonic()
    response = alice_client.get(f"/api/cameras/{alice_camera.pk}/live/{path}")
    took = time.monotonic() - started
    assert response.status_code == 502 and response.json()["state"] == "down"
    # A deadline or two (the head's, and the body's), not the trickle's 20 to 60 s (nor 1 s per byte).
    assert took < 10, took
