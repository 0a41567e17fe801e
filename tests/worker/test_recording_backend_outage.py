"""Recording through a backend that is down (issue 23, "the backend stopped for 60 s: the same"): the real
worker process (RECORD_MODE=continuous) records from the real RTSP server while the real backend, gunicorn
on the suite's database, is stopped (its process terminated, the port refusing connections) for 60 s and
then started again on the same port and database.

Not a cut link (test_recording.py's TCP proxy): the server itself is gone, so the upload in flight is cut
by the server's own shutdown, and the heartbeats fail too. Afterwards every segment of the period is in
the index once, the segments tile the time with no hole over 1 s (the test source never stops, so there
is no stream gap to allow for), the API reports no gap inside, and the worker's spool is empty.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from support.backend import RunningBackend, server_database, start_backend
from support.rtsp_server import RtspServer, start_rtsp_server

from .helpers import assert_no_segment_dropped, wait_for
from .test_recording import FPS, SEGMENT_SECONDS, _holes, _overlaps, _recordings, _time, _worker

# The outage: six segments finish while nobody can take them.
BACKEND_DOWN_SECONDS = 60.0


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[RunningBackend]:
    with (
        server_database("cctv_rec_outage") as database_url,
        start_backend(tmp_path / "backend", database_url=database_url) as running,
    ):
        yield running


@pytest.fixture
def rtsp() -> Iterator[RtspServer]:
    with start_rtsp_server("testsrc", fps=FPS, size=(640, 360)) as server:
        yield server


def _refused(url: str) -> bool:
    try:
        requests.get(f"{url}/healthz", timeout=2)
    except requests.ConnectionError:
        return True
    return False


@pytest.mark.timeout(420)
@pytest.mark.slow
def test_segments_recorded_while_the_backend_is_stopped_for_a_minute_all_arrive_once_after_its_restart(
    backend: RunningBackend, rtsp: RtspServer, random_onnx: Path, tmp_path: Path
) -> None:
    camera = backend.create_camera("Lobby", rtsp.url, record_mode="continuous")
    cam = str(camera["id"])
    spool_folder = tmp_path / "data" / f"segments-camera-{cam}"
    started = datetime.now(UTC)
    worker = _worker(backend.url, camera, rtsp, random_onnx, tmp_path, "worker")
    try:
        wait_for(lambda: worker.value("cctv_segments_uploaded_total", camera=cam) >= 1, 120, 0.5,
                 "a first segment uploaded")  # fmt: skip
        backend.stop_server()
        down_at, down_wall = time.monotonic(), datetime.now(UTC)
        assert _refused(backend.url)
        recorded_at_stop = worker.value("cctv_segments_recorded_total", camera=cam)
        uploaded_at_stop = worker.value("cctv_segments_uploaded_total", camera=cam)
        time.sleep(max(0.0, down_at + BACKEND_DOWN_SECONDS - time.monotonic()))  # the outage itself
        # The worker kept recording, and kept what it recorded: nothing was acknowledged by a server that
        # is not there (a stop lets the request in flight finish: at most that one), the rest is on disk.
        recorded = worker.value("cctv_segments_recorded_total", camera=cam)
        assert recorded >= recorded_at_stop + BACKEND_DOWN_SECONDS / SEGMENT_SECONDS - 2, (
            recorded_at_stop,
            recorded,
        )
        assert worker.value("cctv_segments_uploaded_total", camera=cam) <= uploaded_at_stop + 1
        waiting = list(spool_folder.glob("*-continuous.mp4"))
        assert len(waiting) >= BACKEND_DOWN_SECONDS / SEGMENT_SECONDS - 2, waiting
        assert worker.value("cctv_segment_spool_bytes", camera=cam) > 0

        backend.start_server()  # same port, database and media root
        up_wall = datetime.now(UTC)
        wait_for(lambda: worker.value("cctv_segment_spool_bytes", camera=cam) == 0, 120, 0.5,
                 "spool emptied after the backend returned")  # fmt: skip
        recorded = worker.value("cctv_segments_recorded_total", camera=cam)
        uploaded = worker.value("cctv_segments_uploaded_total", camera=cam)
        assert worker.terminate() == 0, worker.output()
    finally:
        worker.close()
    assert_no_segment_dropped(worker, cam)
    # The spool is empty on disk too: no segment, no half-written part left behind.
    leftovers = sorted(path.name for path in spool_folder.iterdir()) if spool_folder.exists() else []
    assert leftovers == [], leftovers

    found = _recordings(backend, camera["id"], started - timedelta(minutes=1), datetime.now(UTC))
    segments = found["segments"]
    starts = [segment["start"] for segment in segments]
    # None lost: every segment recorded before the last scrape is in the index (the last, cut at
    # shutdown, may come after it); none twice: one row per start.
    assert uploaded >= recorded and len(segments) >= recorded, (uploaded, recorded, len(segments))
    assert len(set(starts)) == len(starts), starts
    # Contiguous through the outage: the segments cover it from before the stop to after the restart,
    # tiling without a hole over 1 s or an overlap, and the API sees no gap inside them.
    assert _time(segments[0]["start"]) < down_wall and _time(segments[-1]["end"]) > up_wall
    holes = _holes(segments)
    assert _overlaps(segments) == [] and (not holes or max(holes) <= 1.0), holes
    first, last = _time(segments[0]["start"]), _time(segments[-1]["end"])
    inside = [gap for gap in found["gaps"] if _time(gap["start"]) >= first and _time(gap["end"]) <= last]
    assert inside == []
    covered = sum(segment["duration"] for segment in segments)
    assert covered >= (last - first).total_seconds() - 1.0 * len(segments), (covered, first, last)
