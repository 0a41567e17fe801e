"""HLS for players without MSE: the segmenter (pure: real H.264 packets in, segments and a playlist out)
and the worker's live port serving it over real HTTP. Segments start at keyframes and are kept bounded;
the playlist is valid HLS (parsed by the ``m3u8`` library, as a player would) whose init segment and
segments decode in sequence; a playlist request starts a session that ends after its idle timeout.
"""

from __future__ import annotations

import io
import itertools
import socket
import threading
import time

import av
import m3u8
import numpy as np
import pytest
import requests
from prometheus_client import CollectorRegistry

from cctv_worker import live_server
from cctv_worker.capture.hls import MAX_SEGMENT_FACTOR, HlsViewer, Segmenter
from cctv_worker.capture.live import LiveSink
from cctv_worker.live_server import BLOCK_WAIT, LiveServer
from cctv_worker.metrics import WorkerMetrics

from .helpers import wait_for
from .test_live import GOP, Stream, h264, stream  # noqa: F401 - the same real H.264 file and its packets

KEY = {"Authorization": "Bearer right-key"}


def fed(stream: Stream, repeats: int = 1, *, keep: int = 6) -> Segmenter:  # noqa: F811
    live = LiveSink(max_viewers=1)
    segmenter = Segmenter(target=1.0, keep=keep)
    assert live.attach_viewer(HlsViewer(segmenter))
    live.on_connect(stream.template)
    for _ in range(repeats):
        for item in stream.packets:
            live.on_packet(item)
    return segmenter


def complete(playlist: m3u8.M3U8) -> list:
    """The playlist's complete segments (m3u8 lists the parts of the one being built as one without a URI)."""
    return [segment for segment in playlist.segments if segment.uri]


def decoded_pts(data: bytes) -> list[int]:
    with av.open(io.BytesIO(data), format="mp4") as container:
        return [frame.pts for frame in container.decode(video=0)]


def test_segments_start_at_keyframes_and_the_playlist_is_valid_hls_that_decodes(stream):  # noqa: F811
    segmenter = fed(stream)
    text = segmenter.playlist()
    assert text is not None
    playlist = m3u8.loads(text)
    assert playlist.version == 9 and playlist.segment_map[0].uri == "init.mp4"
    assert playlist.target_duration >= 1 and not playlist.is_endlist
    # 40 frames, a keyframe every 10 at 10 fps: 1 s segments; the last one is still being built.
    assert [round(s.duration, 1) for s in complete(playlist)] == [1.0, 1.0, 1.0]
    assert all(s.program_date_time is not None for s in complete(playlist))
    data = segmenter.init_segment
    for segment in complete(playlist):
        chunk = segmenter.segment(int(segment.uri.removeprefix("seg-").removesuffix(".m4s")))
        assert chunk is not None and chunk[4:8] == b"moof"
        data += chunk
    pts = decoded_pts(data)
    assert len(pts) == 3 * GOP and pts == sorted(pts) and len(set(pts)) == len(pts)


def test_partial_segments_are_listed_and_each_segments_parts_make_it_up(stream):  # noqa: F811
    segmenter = fed(stream)
    playlist = m3u8.loads(segmenter.playlist() or "")
    assert playlist.server_control.can_block_reload == "YES"
    assert playlist.part_inf.part_target == pytest.approx(0.3)
    # The last two complete segments list their parts; the segment being built lists those it has.
    listed = [s for s in complete(playlist) if s.parts]
    assert [s.uri for s in listed] == ["seg-1.m4s", "seg-2.m4s"]
    for segment in listed:
        assert segment.parts[0].independent == "YES" and all(p.duration <= 0.3 for p in segment.parts)
        sequence = int(segment.uri.removeprefix("seg-").removesuffix(".m4s"))
        parts = [segmenter.partial(sequence, i) for i in range(len(segment.parts))]
        assert b"".join(p or b"" for p in parts) == segmenter.segment(sequence)
    assert playlist.segments[0].parts == [] and len(playlist.rendition_reports) == 0
    assert 'URI="part-3.0.m4s",INDEPENDENT=YES' in (segmenter.playlist() or "")
    data = segmenter.init_segment + (segmenter.partial(3, 0) or b"")
    assert len(decoded_pts(data)) >= 1  # a part that starts at a keyframe decodes after the init segment


def test_only_the_last_segments_are_kept(stream):  # noqa: F811
    segmenter = fed(stream, keep=2)
    playlist = m3u8.loads(segmenter.playlist() or "")
    assert playlist.media_sequence == 1 and len(complete(playlist)) == 2
    assert segmenter.segment(0) is None and segmenter.segment(2) is not None


def test_without_keyframes_segments_are_still_cut_and_memory_stays_bounded() -> None:
    # Opaque fragments (the segmenter never looks inside): one keyframe, then none for a long time.
    segmenter = Segmenter(target=1.0, keep=3)
    for index in range(10 * 60):  # a minute at 10 fps
        segmenter.add(b"init", index == 0, index / 10, 1000.0 + index / 10, b"f" * 1000)
    playlist = m3u8.loads(segmenter.playlist() or "")
    durations = [round(s.duration, 1) for s in complete(playlist)]
    assert durations == [MAX_SEGMENT_FACTOR * 1.0] * 3  # cut at any frame after four targets
    assert playlist.target_duration == MAX_SEGMENT_FACTOR
    sequences = range(playlist.media_sequence, playlist.media_sequence + 3)
    kept = sum(len(segmenter.segment(sequence) or b"") for sequence in sequences)
    assert kept == 3 * MAX_SEGMENT_FACTOR * 10 * 1000  # three segments' fragments, nothing older
    assert segmenter.segment(0) is None


def test_no_playlist_before_the_first_segment_is_complete() -> None:
    assert Segmenter().playlist() is None


# ---- the live port over real HTTP ----


@pytest.fixture
def serve():
    servers = []

    def start(idle: float) -> tuple[LiveSink, str]:
        live = LiveSink(max_viewers=1)
        server = LiveServer(
            "127.0.0.1", 0, live, "right-key", WorkerMetrics(CollectorRegistry(), 7), hls_idle_seconds=idle
        )
        server.start()
        servers.append(server)
        return live, f"http://127.0.0.1:{server.port}/hls/"

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def served(serve):
    return serve(1.0)


def test_a_playlist_request_starts_a_session_whose_segments_are_served(served, stream):  # noqa: F811
    live, url = served
    live.on_connect(stream.template)
    assert requests.get(url + "index.m3u8", timeout=5).status_code == 401  # the key, as for /live
    assert requests.get(url + "init.mp4", headers=KEY, timeout=5).status_code == 404  # no session yet
    answer: dict[str, requests.Response] = {}
    asking = threading.Thread(
        target=lambda: answer.update(r=requests.get(url + "index.m3u8", headers=KEY, timeout=15))
    )
    asking.start()
    wait_for(lambda: live.watched, what="the playlist request started a session")
    for item in stream.packets:
        live.on_packet(item)
    asking.join()
    response = answer["r"]
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    assert len(complete(m3u8.loads(response.text))) >= 1  # sent as soon as the first segment was complete
    playlist = m3u8.loads(requests.get(url + "index.m3u8", headers=KEY, timeout=5).text)
    data = requests.get(url + "init.mp4", headers=KEY, timeout=5).content
    for segment in complete(playlist):
        got = requests.get(url + segment.uri, headers=KEY, timeout=5)
        assert got.status_code == 200 and got.headers["Content-Type"] == "video/iso.segment"
        data += got.content
    assert len(decoded_pts(data)) == 3 * GOP
    for name in ("seg-99.m4s", "seg-x.m4s", "sub/seg-0.m4s.x", "index.m3u8.bak"):
        assert requests.get(url + name, headers=KEY, timeout=5).status_code == 404
    # Nobody asks for anything: the session ends and its segments go with it.
    wait_for(lambda: not live.watched, timeout=5, what="the idle session ended")
    assert requests.get(url + "seg-0.m4s", headers=KEY, timeout=5).status_code == 404


def test_a_blocking_reload_waits_for_the_part_it_asks_for_and_no_longer_than_its_bound(serve, stream):  # noqa: F811
    live, url = serve(BLOCK_WAIT + 5)  # the session outlives the longest wait
    live.on_connect(stream.template)
    packets = iter(stream.packets)
    answer: dict[str, requests.Response] = {}
    first = threading.Thread(
        target=lambda: answer.update(r=requests.get(url + "index.m3u8", headers=KEY, timeout=15))
    )
    first.start()
    wait_for(lambda: live.watched, what="the playlist request started a session")
    for item in list(itertools.islice(packets, 25)):
        live.on_packet(item)
    first.join()
    assert answer["r"].status_code == 200
    # Segment 2 is being built: ask for its part 2, which needs more packets.
    asking = threading.Thread(
        target=lambda: answer.update(
            r=requests.get(url + "index.m3u8?_HLS_msn=2&_HLS_part=2", headers=KEY, timeout=15)
        )
    )
    asking.start()
    time.sleep(0.3)  # the request is waiting (nothing else would make it answer; not a timing check)
    assert asking.is_alive()
    for item in packets:
        live.on_packet(item)
    asking.join()
    assert 'URI="part-2.2.m4s"' in answer["r"].text
    # Too far ahead: refused at once. A part that never comes: the playlist as it is, after BLOCK_WAIT.
    assert requests.get(url + "index.m3u8?_HLS_msn=9", headers=KEY, timeout=5).status_code == 400
    assert requests.get(url + "index.m3u8?_HLS_msn=x", headers=KEY, timeout=5).status_code == 400
    started = time.monotonic()
    waited = requests.get(url + "index.m3u8?_HLS_msn=3&_HLS_part=9", headers=KEY, timeout=15)
    assert waited.status_code == 200 and BLOCK_WAIT - 0.5 <= time.monotonic() - started <= BLOCK_WAIT + 2


def test_a_playlist_of_a_stream_that_is_down_answers_503(served):
    _live, url = served
    response = requests.get(url + "index.m3u8", headers=KEY, timeout=5)
    assert response.status_code == 503 and response.json() == {"state": "down"}


def test_an_hls_session_counts_against_the_viewer_limit(served, stream):  # noqa: F811
    live, url = served
    live.on_connect(stream.template)
    assert live.attach() is not None  # an MSE viewer takes the one place
    response = requests.get(url + "index.m3u8", headers=KEY, timeout=5)
    assert response.status_code == 503 and response.json() == {"state": "busy"}


@pytest.fixture(scope="module")
def noisy_h264(tmp_path_factory):
    """Noise at 1280x720: every frame is large, so one segment is megabytes, more than the sockets buffer."""
    path = tmp_path_factory.mktemp("noisy") / "noise.mp4"
    random = np.random.default_rng(7)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=10)
        video.width, video.height, video.pix_fmt = 1280, 720, "yuv420p"
        video.options = {"g": "10", "bf": "0", "tune": "zerolatency", "preset": "ultrafast", "crf": "0"}
        for _ in range(25):
            pixels = random.integers(0, 256, (720, 1280, 3), dtype=np.uint8)
            out.mux(video.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        out.mux(video.encode())
    return path


def test_a_client_that_does_not_read_a_segment_holds_a_thread_only_until_the_write_timeout(
    serve, noisy_h264, monkeypatch
):
    """Answers come from memory with a Content-Length; a client that asks for a segment of megabytes and
    never reads it blocks the answer's write, which gives up after WRITE_TIMEOUT (1 s here): its thread
    ends, and the others were answered meanwhile."""
    monkeypatch.setattr(live_server, "WRITE_TIMEOUT", 1.0)
    live, url = serve(30.0)
    noisy = Stream(noisy_h264)
    live.on_connect(noisy.template)
    asking = threading.Thread(target=lambda: requests.get(url + "index.m3u8", headers=KEY, timeout=15))
    asking.start()
    wait_for(lambda: live.watched, what="the playlist request started a session")
    for item in noisy.packets:
        live.on_packet(item)
    asking.join()
    segment = requests.get(url + "seg-0.m4s", headers=KEY, timeout=5).content
    assert len(segment) > 4 * 1024 * 1024  # more than the two sockets' buffers hold
    port = int(url.split(":")[2].split("/")[0])
    baseline = threading.active_count()
    stalled = []
    for _ in range(8):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: a small window
        sock.connect(("127.0.0.1", port))
        sock.sendall(b"GET /hls/seg-0.m4s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer right-key\r\n\r\n")
        stalled.append(sock)  # and never read
    try:
        wait_for(lambda: threading.active_count() >= baseline + 8, what="each stalled answer holds a thread")
        started = time.monotonic()
        assert requests.get(url + "init.mp4", headers=KEY, timeout=5).status_code == 200
        assert time.monotonic() - started < 1.0  # answered beside them, not after them
        wait_for(lambda: threading.active_count() <= baseline, timeout=10, what="the stalled writes gave up")
    finally:
        for sock in stalled:
            sock.close()
        noisy.close()
