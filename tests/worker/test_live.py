"""The live sink and the worker's live port, with real H.264 packets and real HTTP.

Nobody watching costs nothing (no packet passes the gate, no muxer); a viewer gets the init segment and
fragments from a keyframe on, which a real demuxer decodes; a slow viewer is dropped, the viewer limit
holds; the port refuses a missing or wrong key before streaming, and a closed connection detaches its
viewer at once.
"""

from __future__ import annotations

import io
import socket
from pathlib import Path

import av
import numpy as np
import pytest
import requests
from prometheus_client import CollectorRegistry

from cctv_worker.capture.live import LiveGate, LiveSink, mse_codec
from cctv_worker.capture.packets import TimedPacket
from cctv_worker.live_server import LiveServer
from cctv_worker.metrics import WorkerMetrics

from .helpers import wait_for

GOP = 10


@pytest.fixture(scope="module")
def h264(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("live") / "gop10.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        stream.options = {"g": str(GOP), "bf": "0", "tune": "zerolatency"}
        for i in range(40):
            frame = av.VideoFrame.from_ndarray(np.full((96, 160, 3), i * 6, np.uint8), format="rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


class Stream:
    """The file's packets as the capture thread hands them over, and its video stream (the template)."""

    def __init__(self, path: Path) -> None:
        self.container = av.open(str(path))
        self.template = self.container.streams.video[0]
        self.packets = [
            TimedPacket(p, float(i), p.dts, p.pts, p.time_base, p.is_keyframe, p.size)
            for i, p in enumerate(self.container.demux(self.template))
            if p.dts is not None
        ]

    def close(self) -> None:
        self.container.close()


@pytest.fixture
def stream(h264):
    opened = Stream(h264)
    yield opened
    opened.close()


def drain(viewer) -> bytes:
    data = b""
    while chunk := viewer.next_chunk(0):
        data += chunk
    return data


def decoded_frames(data: bytes) -> int:
    with av.open(io.BytesIO(data), format="mp4") as container:
        return sum(1 for _ in container.decode(video=0))


class Counting(LiveSink):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.packets = 0

    def on_packet(self, item) -> None:
        self.packets += 1
        super().on_packet(item)


def test_nobody_watching_no_packet_passes_the_gate_and_no_muxer_exists(stream):
    live = Counting(max_viewers=2)
    gate = LiveGate(live, live)
    gate.on_connect(stream.template)
    for item in stream.packets:
        gate.on_packet(item)
    assert live.packets == 0 and live._muxer is None
    assert live.codec is not None and live.codec.startswith("avc1.")


def test_a_viewer_gets_the_init_segment_then_fragments_from_a_keyframe_that_decode(stream):
    live = LiveSink(max_viewers=2)
    live.on_connect(stream.template)
    viewer = live.attach()
    assert viewer is not None
    for item in stream.packets[3:]:  # attached mid-group: starts at the next keyframe
        live.on_packet(item)
    data = drain(viewer)
    assert data[4:8] == b"ftyp"
    frames = decoded_frames(data)
    # From the keyframe at packet 10 on, less the last one (its fragment is written by the next packet).
    assert frames == len(stream.packets) - GOP - 1


def test_a_viewer_attaching_later_waits_for_the_next_keyframe(stream):
    live = LiveSink(max_viewers=2)
    live.on_connect(stream.template)
    first = live.attach()
    for item in stream.packets[:15]:
        live.on_packet(item)
    second = live.attach()
    for item in stream.packets[15:]:
        live.on_packet(item)
    assert decoded_frames(drain(second)) == len(stream.packets) - 2 * GOP - 1
    assert decoded_frames(drain(first)) == len(stream.packets) - 1


def test_when_the_last_viewer_leaves_the_muxer_is_closed(stream):
    live = LiveSink(max_viewers=2)
    live.on_connect(stream.template)
    viewer = live.attach()
    for item in stream.packets[:12]:
        live.on_packet(item)
    assert live._muxer is not None
    live.detach(viewer)
    live.on_packet(stream.packets[12])
    assert live._muxer is None and not live.watched


def test_after_the_last_viewer_the_gate_passes_one_packet_more_which_closes_the_muxer(stream):
    live = Counting(max_viewers=2)
    gate = LiveGate(live, live)
    gate.on_connect(stream.template)
    viewer = live.attach()
    for item in stream.packets[:12]:
        gate.on_packet(item)
    live.detach(viewer)
    for item in stream.packets[12:]:
        gate.on_packet(item)
    assert live._muxer is None and live.packets == 13


def test_a_slow_viewer_is_dropped_and_the_others_keep_watching(stream):
    live = LiveSink(max_viewers=2, max_buffer_bytes=4000)
    live.on_connect(stream.template)
    slow, fast = live.attach(), live.attach()
    for item in stream.packets:
        live.on_packet(item)
        drain(fast)
    assert slow.dropped and slow.next_chunk(0) is None
    assert not fast.dropped


def test_the_viewer_limit_holds_and_a_freed_place_can_be_taken(stream):
    live = LiveSink(max_viewers=1)
    first = live.attach()
    assert live.attach() is None
    live.detach(first)
    assert live.attach() is not None


def test_a_disconnect_ends_every_viewer(stream):
    live = LiveSink(max_viewers=2)
    live.on_connect(stream.template)
    viewer = live.attach()
    live.on_packet(stream.packets[0])
    live.on_disconnect()
    drain(viewer)
    assert viewer.next_chunk(0) is None and live.codec is None


def test_mse_codec_names_h264_by_profile_and_level(stream):
    assert mse_codec(stream.template) == "avc1." + stream.template.codec_context.extradata[1:4].hex()


# ---- the live port over real HTTP ----


@pytest.fixture
def served(stream):
    registry = CollectorRegistry()
    metrics = WorkerMetrics(registry, 7)
    live = LiveSink(max_viewers=1)
    server = LiveServer("127.0.0.1", 0, live, "right-key", metrics)
    server.start()
    yield live, f"http://127.0.0.1:{server.port}/live", registry
    server.stop()


def sessions(registry, result: str) -> float:
    return registry.get_sample_value("cctv_live_sessions_total", {"camera": "7", "result": result}) or 0.0


def test_the_live_port_refuses_a_missing_or_wrong_key_and_other_paths(served, stream):
    live, url, registry = served
    live.on_connect(stream.template)
    assert requests.get(url, timeout=5).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer wrong"}, timeout=5).status_code == 401
    assert requests.get(url + "?key=right-key", timeout=5).status_code == 401  # never in the URL
    other_path = requests.get(url[:-4] + "x", headers={"Authorization": "Bearer right-key"}, timeout=5)
    assert other_path.status_code == 404
    assert sessions(registry, "unauthorized") == 3 and not live.watched


def test_the_live_port_says_down_while_the_stream_is_disconnected(served):
    _live, url, _registry = served
    response = requests.get(url, headers={"Authorization": "Bearer right-key"}, timeout=5)
    assert response.status_code == 503 and response.json() == {"state": "down"}


def test_the_live_port_streams_refuses_past_the_limit_and_a_closed_connection_detaches(served, stream):
    live, url, registry = served
    live.on_connect(stream.template)
    headers = {"Authorization": "Bearer right-key"}
    with requests.get(url, headers=headers, stream=True, timeout=5) as response:
        assert response.status_code == 200 and response.headers["X-Codec"].startswith("avc1.")
        wait_for(lambda: live.watched, what="the viewer attached")
        busy = requests.get(url, headers=headers, timeout=5)
        assert busy.status_code == 503 and busy.json() == {"state": "busy"}
        for item in stream.packets:
            live.on_packet(item)
        head = response.raw.read(8)
        assert head[4:8] == b"ftyp"
    # The client closed: the next write fails and the viewer is detached.
    for item in stream.packets:
        live.on_packet(item)
    wait_for(lambda: not live.watched, what="the viewer detached")
    assert sessions(registry, "started") == 1 and sessions(registry, "busy") == 1


def test_a_client_that_never_finishes_its_request_is_cut_off(served):
    _live, url, _registry = served
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"GET /live HTTP/1.1\r\nHost: x\r\n")  # and nothing more
        sock.settimeout(30)
        assert sock.recv(100) == b""  # closed by the server's request timeout


def test_an_oversized_or_malformed_request_head_is_refused_before_any_key_check(served, stream):
    # Read before authentication: only the request head, bounded by http.server (64 KiB a line, 100
    # headers). Past those, or garbage, the answer is an error and the port keeps serving.
    live, url, registry = served
    live.on_connect(stream.template)
    port = int(url.rsplit(":", 1)[1].split("/")[0])

    def answer(request: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(request)
            return sock.recv(4096)

    assert b" 414 " in answer(b"GET /live?" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n")
    assert b" 431 " in answer(b"GET /live HTTP/1.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n")
    many = b"".join(b"X-%d: 1\r\n" % index for index in range(150))
    assert b" 431 " in answer(b"GET /live HTTP/1.1\r\n" + many + b"\r\n")
    # Not HTTP/1.x: http.server answers as to HTTP/0.9, an error page without a status line.
    assert b"Error code: 400" in answer(b"\x00\xff garbage\r\n\r\n")
    assert not live.watched and sessions(registry, "started") == 0
    ok = requests.get(url, headers={"Authorization": "Bearer right-key"}, stream=True, timeout=5)
    assert ok.status_code == 200
    ok.close()


def test_the_live_port_serves_the_sub_stream_at_live_sub_and_the_main_one_at_live(stream):
    registry = CollectorRegistry()
    main, sub = LiveSink(max_viewers=1), LiveSink(max_viewers=1)
    server = LiveServer("127.0.0.1", 0, main, "right-key", WorkerMetrics(registry, 7), sub=sub)
    server.start()
    headers = {"Authorization": "Bearer right-key"}
    try:
        base = f"http://127.0.0.1:{server.port}/live"
        sub.on_connect(stream.template)
        # The sub-stream is connected, the main one not (yet): each path answers for its own stream.
        assert requests.get(base, headers=headers, timeout=5).json() == {"state": "down"}
        with requests.get(base + "/sub", headers=headers, stream=True, timeout=5) as response:
            assert response.status_code == 200
            wait_for(lambda: sub.watched, what="the sub-stream's viewer attached")
            assert not main.watched
        assert requests.get(base + "/sub/x", headers=headers, timeout=5).status_code == 404
    finally:
        server.stop()


def test_without_a_sub_stream_of_its_own_live_sub_serves_the_main_stream(served, stream):
    live, url, _registry = served
    live.on_connect(stream.template)
    headers = {"Authorization": "Bearer right-key"}
    with requests.get(url + "/sub", headers=headers, stream=True, timeout=5) as response:
        assert response.status_code == 200
        wait_for(lambda: live.watched, what="the viewer attached to the one stream")
