"""Recording end to end (issue 23): a real RTSP server, the real worker process with RECORD_MODE=continuous,
the real backend (gunicorn, migrated database). Segments cover the time without gaps, each decodes in
PyAV, their bytes match the stream's bitrate; an unreachable backend loses nothing and duplicates
nothing; a SIGKILL loses at most the segment being written.

The stream's bitrate is measured by a second client reading the same server (packets only) for the
same kind of source: what the camera sends, independent of what the worker made of it.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pytest

from support.backend import RunningBackend, start_backend
from support.rtsp_server import RtspServer, start_rtsp_server
from support.tcp_proxy import TcpProxy
from support.worker_process import WorkerProcess, camera_env

from .helpers import assert_no_segment_dropped, wait_for

FPS = 10
SEGMENT_SECONDS = 10.0


@pytest.fixture
def real_backend(tmp_path: Path) -> Iterator[RunningBackend]:
    with start_backend(tmp_path / "backend") as backend:
        yield backend


@pytest.fixture
def rtsp() -> Iterator[RtspServer]:
    with start_rtsp_server("testsrc", fps=FPS, size=(640, 360)) as server:
        yield server


def _worker(
    backend_url: str, camera: dict, rtsp: RtspServer, model: Path, tmp_path: Path, name: str, **env: str
) -> WorkerProcess:
    return WorkerProcess(
        {
            **camera_env(camera, rtsp.url, backend_url),
            "MODEL_PATH": str(model),
            "RECORD_MODE": "continuous",
            "SEGMENT_SECONDS": str(SEGMENT_SECONDS),
            "DETECT_FPS": "0.5",  # recording is what is under test: keep the detector's CPU small
            "INFERENCE_THREADS": "1",
            "HEARTBEAT_INTERVAL": "2",
            "RETRY_MAX_DELAY": "1",
            "SHUTDOWN_GRACE": "20",
            "DATA_DIR": str(tmp_path / "data"),
            **env,
        },
        tmp_path / f"{name}.log",
    ).start()


def _recordings(backend: RunningBackend, camera_id: int, start: datetime, end: datetime) -> dict:
    response = backend.request(
        "GET",
        f"/api/cameras/{camera_id}/recordings/",
        params={"start": start.isoformat(), "end": end.isoformat()},
    )
    assert response.status_code == 200, response.text
    return response.json()


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _holes(segments: list[dict]) -> list[float]:
    """Seconds between one segment's end and the next one's start, where positive."""
    return [
        (_time(b["start"]) - _time(a["end"])).total_seconds()
        for a, b in itertools.pairwise(segments)
        if _time(b["start"]) > _time(a["end"])
    ]


def _overlaps(segments: list[dict]) -> list[float]:
    return [
        (_time(a["end"]) - _time(b["start"])).total_seconds()
        for a, b in itertools.pairwise(segments)
        if _time(b["start"]) < _time(a["end"]) - timedelta(milliseconds=2)
    ]


def _stream_bitrate(rtsp: RtspServer, seconds: float = 20.0) -> float:
    """Bytes per second of the camera's video, from its own packets' sizes over ``seconds`` of stream time."""
    with av.open(rtsp.url, options={"rtsp_transport": "tcp"}, timeout=10) as container:
        stream = container.streams.video[0]
        total, first, last = 0, None, None
        for packet in container.demux(stream):
            if packet.dts is None or packet.size == 0:
                continue
            at = float(packet.dts * stream.time_base)
            first = at if first is None else first
            if at - first >= seconds:
                break
            total, last = total + packet.size, at
    assert first is not None and last is not None
    return total / (last - first)


def _decoded_frames(backend: RunningBackend, url: str, scratch: Path) -> int:
    response = backend.request("GET", url.removeprefix(backend.url))
    assert response.status_code == 200, response.text
    scratch.write_bytes(response.content)
    with av.open(str(scratch)) as clip:
        frames = list(clip.decode(clip.streams.video[0]))
    assert frames and frames[0].key_frame
    return len(frames)


@pytest.mark.timeout(400)
@pytest.mark.slow
def test_a_minute_of_continuous_recording_is_contiguous_decodable_and_as_large_as_the_stream(
    real_backend: RunningBackend, rtsp: RtspServer, random_onnx: Path, tmp_path: Path
) -> None:
    camera = real_backend.create_camera("Yard", rtsp.url, record_mode="continuous")
    started = datetime.now(UTC)
    worker = _worker(real_backend.url, camera, rtsp, random_onnx, tmp_path, "worker")
    try:
        cam = str(camera["id"])
        wait_for(lambda: worker.value("cctv_segments_recorded_total", camera=cam) >= 6, 120, 0.5,
                 "six segments (a minute) recorded")  # fmt: skip
        assert worker.terminate() == 0, worker.output()  # the running segment is kept, shorter
        assert worker.value("cctv_segments_dropped_total", camera=cam, reason="spool_full") == 0
    finally:
        worker.close()
    found = _recordings(real_backend, camera["id"], started - timedelta(minutes=1), datetime.now(UTC))
    segments = found["segments"]
    assert len(segments) >= 6
    assert _holes(segments) == [] or max(_holes(segments)) <= 1.0, _holes(segments)
    assert _overlaps(segments) == []
    covered = (_time(segments[-1]["end"]) - _time(segments[0]["start"])).total_seconds()
    assert covered >= 55
    inner = [
        gap
        for gap in found["gaps"]
        if _time(gap["start"]) >= _time(segments[0]["start"])
        and _time(gap["end"]) <= _time(segments[-1]["end"])
    ]
    assert inner == []  # fmt: skip
    # Every whole one is about SEGMENT_SECONDS, from a keyframe to a keyframe (the first may hold more stream
    # time than wall time: a server sends what it buffered before the client's first read in a burst).
    durations = [segment["duration"] for segment in segments]
    assert all(SEGMENT_SECONDS - 0.5 <= d <= SEGMENT_SECONDS + 1.5 for d in durations[1:-1]), durations
    for index, segment in enumerate(segments):
        frames = _decoded_frames(real_backend, segment["url"], tmp_path / f"s{index}.mp4")
        assert abs(frames - segment["duration"] * FPS) <= 2, (frames, segment)
    measured = _stream_bitrate(rtsp)
    recorded = sum(segment["size"] for segment in segments) / sum(s["duration"] for s in segments)
    print(f"stream {measured * 8 / 1000:.0f} kbit/s, segments {recorded * 8 / 1000:.0f} kbit/s")
    assert abs(recorded - measured) <= 0.10 * measured, (recorded, measured)


@pytest.mark.timeout(400)
@pytest.mark.slow
def test_segments_wait_on_disk_while_the_backend_is_away_and_arrive_once_after(
    real_backend: RunningBackend, rtsp: RtspServer, random_onnx: Path, tmp_path: Path
) -> None:
    link = TcpProxy(int(real_backend.url.rsplit(":", 1)[1]))
    camera = real_backend.create_camera("Gate", rtsp.url, record_mode="continuous")
    started = datetime.now(UTC)
    worker = _worker(link.url, camera, rtsp, random_onnx, tmp_path, "worker")
    cam = str(camera["id"])
    try:
        wait_for(lambda: worker.value("cctv_segments_uploaded_total", camera=cam) >= 1, 90, 0.5)
        link.down()
        down_at = worker.value("cctv_segments_uploaded_total", camera=cam)
        wait_for(lambda: worker.value("cctv_segments_recorded_total", camera=cam) >= down_at + 3, 90, 0.5,
                 "three segments recorded while the backend is unreachable")  # fmt: skip
        assert worker.value("cctv_segment_spool_bytes", camera=cam) > 0
        spool = list((tmp_path / "data" / f"segments-camera-{cam}").glob("*-continuous.mp4"))
        assert len(spool) >= 3
        link.up()
        wait_for(lambda: worker.value("cctv_segment_spool_bytes", camera=cam) == 0, 90, 0.5, "spool emptied")
        recorded = worker.value("cctv_segments_recorded_total", camera=cam)
        uploaded = worker.value("cctv_segments_uploaded_total", camera=cam)
        assert worker.terminate() == 0
    finally:
        worker.close()
        link.close()
    assert_no_segment_dropped(worker, cam)
    segments = _recordings(real_backend, camera["id"], started - timedelta(minutes=1), datetime.now(UTC))[
        "segments"
    ]
    # Every segment recorded before the last scrape is there, once (the key is camera + start; the last,
    # cut short at shutdown, may have come after the scrape).
    assert uploaded >= recorded and len(segments) >= recorded
    assert len({segment["start"] for segment in segments}) == len(segments)
    assert _overlaps(segments) == [] and (not _holes(segments) or max(_holes(segments)) <= 1.0), _holes(
        segments
    )


@pytest.mark.timeout(400)
@pytest.mark.slow
def test_a_sigkill_loses_at_most_the_segment_being_written(
    real_backend: RunningBackend, rtsp: RtspServer, random_onnx: Path, tmp_path: Path
) -> None:
    link = TcpProxy(int(real_backend.url.rsplit(":", 1)[1]))
    camera = real_backend.create_camera("Door", rtsp.url, record_mode="continuous")
    cam = str(camera["id"])
    started = datetime.now(UTC)
    # The backend is unreachable: finished segments pile up on disk, and the kill must not lose them.
    link.down()
    first = _worker(link.url, camera, rtsp, random_onnx, tmp_path, "first")
    try:
        wait_for(lambda: first.value("cctv_segments_recorded_total", camera=cam) >= 2, 90, 0.5)
        finished = first.value("cctv_segments_recorded_total", camera=cam)
        time.sleep(SEGMENT_SECONDS / 2)  # into the next segment: the one the kill cuts off
        killed_at = datetime.now(UTC)
        first.kill()
    finally:
        first.close()
    folder = tmp_path / "data" / f"segments-camera-{cam}"
    assert len(list(folder.glob("*-continuous.mp4"))) >= finished
    link.up()
    second = _worker(link.url, camera, rtsp, random_onnx, tmp_path, "second")
    try:
        wait_for(lambda: second.value("cctv_segments_recorded_total", camera=cam) >= 1, 90, 0.5)
        wait_for(lambda: second.value("cctv_segment_spool_bytes", camera=cam) == 0, 60, 0.5)
        assert second.terminate() == 0
    finally:
        second.close()
    assert not list(folder.glob("*.part")) and not list(folder.glob("*.open.mp4*"))
    segments = _recordings(real_backend, camera["id"], started - timedelta(minutes=1), datetime.now(UTC))[
        "segments"
    ]
    before = [s for s in segments if _time(s["start"]) < killed_at]
    assert len(before) >= finished  # every finished segment of the killed worker arrived
    assert _overlaps(segments) == [] and len({s["start"] for s in segments}) == len(segments)
    holes_before = _holes(before)
    assert not holes_before or max(holes_before) <= 1.0, holes_before
    # What the kill lost: from the last finished segment's end to the kill, less than one segment.
    lost = (killed_at - _time(before[-1]["end"])).total_seconds()
    assert lost <= SEGMENT_SECONDS + 1.5, lost
