"""Events and clips end to end on real footage: the empty street of vtest.avi with its pedestrians cut
in at known times, served by the real RTSP server, watched by the real worker (person detector, ONNX),
delivered to the real Django backend (gunicorn) through a link the test cuts and restores.

One run shows: event start and end match the appearances within a few seconds; two groups 20 s apart
are two events; each clip decodes, starts at a keyframe inside the pre-roll window and covers the event
plus post-roll; the backend being unreachable during the first event loses nothing (its alert, updates
and clip arrive after recovery). Every frame of the footage carries its index, so clip frames are
placed on the footage's own timeline.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import av
import pytest

from support.backend import start_backend
from support.footage import appearances_video, read_index
from support.rtsp_server import start_rtsp_server
from support.tcp_proxy import TcpProxy
from support.worker_process import WorkerProcess

from .helpers import wait_for

FPS = 10
# A grace of several analysed frames: on a busy machine the detector may see one frame in 3 s.
PRE_ROLL, POST_ROLL, GRACE = 3.0, 3.0, 8.0
# (appears, leaves, where in vtest.avi the pedestrians come from): two groups, 20 s apart.
SCHEDULE = [(12.0, 22.0, 0.0), (42.0, 52.0, 30.0)]


def ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def clip_frames(path: Path) -> list[int]:
    with av.open(str(path)) as clip:
        stream = clip.streams.video[0]
        frames = list(clip.decode(stream))
    assert frames and frames[0].key_frame
    return [read_index(f.to_ndarray(format="gray")) for f in frames]


@pytest.mark.timeout(400)
@pytest.mark.xfail(
    strict=False,
    reason="not yet reliable: the synthetic empty street (median of vtest.avi) can hold a detected ghost at "
    "t=0, and on a loaded 2-core machine the detector lags 10 s+ (issue 11 report)",
)
def test_people_at_known_times_become_events_with_clips_even_through_a_backend_outage(
    tmp_path: Path, person_onnx: Path
) -> None:
    # A long empty tail: at its end the file starts over (a new timeline), after the test has what it needs.
    footage = appearances_video(tmp_path, SCHEDULE, seconds=120.0)
    with (
        start_backend(tmp_path / "backend") as backend,
        start_rtsp_server(footage, fps=FPS, size=(768, 576)) as rtsp,
    ):
        link = TcpProxy(int(backend.url.rsplit(":", 1)[1]))
        camera = backend.create_camera("Street", rtsp.url)
        link.down()  # the backend is unreachable from before the first group arrives
        worker = WorkerProcess(
            {
                "CAMERA_ID": str(camera["id"]),
                "RTSP_URL": rtsp.url,
                "DJANGO_API_URL": link.url,
                "DJANGO_API_TOKEN": camera["ingest_token"],
                "MODEL_PATH": str(person_onnx),
                "ALERT_CLASS_MAP": "Normal=person,Fall=person",
                "ALERT_COOLDOWN": "0",
                "EVENT_GRACE": str(GRACE),
                "PRE_ROLL": str(PRE_ROLL),
                "POST_ROLL": str(POST_ROLL),
                "DETECT_FPS": "2",
                "INFERENCE_THREADS": "1",
                "RETRY_MAX_DELAY": "1",
                "HEARTBEAT_INTERVAL": "5",
                "DATA_DIR": str(tmp_path / "data"),
            },
            tmp_path / "worker.log",
        ).start()
        try:
            recorded = lambda: worker.value("cctv_clips_recorded_total", camera=str(camera["id"]))  # noqa: E731
            wait_for(lambda: recorded() >= 1, 120, 0.5, "the first clip recorded while the backend is away")
            assert backend.alerts(camera["id"]) == []
            assert worker.value("cctv_spool_depth", camera=str(camera["id"])) >= 3  # open, close, clip
            link.up()

            def both_closed_with_clips() -> bool:
                alerts = backend.alerts(camera["id"])
                return len(alerts) >= 2 and all(a["status"] == "closed" and a["clip"] for a in alerts)

            wait_for(both_closed_with_clips, 120, 0.5, "both events closed with their clips")
            alerts = sorted(backend.alerts(camera["id"]), key=lambda a: a["started_at"])
            clips = []
            for alert in alerts:
                response = backend.request("GET", alert["clip"]["url"].removeprefix(backend.url))
                assert response.status_code == 200
                path = tmp_path / f"clip-{alert['id']}.mp4"
                path.write_bytes(response.content)
                clips.append(path)
        finally:
            worker.terminate()
            link.close()
    log = worker.output()
    assert len(alerts) == 2, log  # two groups, two events: nothing dropped, nothing split
    for (appears, leaves, _), alert, path in zip(SCHEDULE, alerts, clips, strict=True):
        # Wall time of footage t=0, seen from this event's clip: its first frame's wall time minus its
        # index. Per clip: on a loaded machine the worker's receive times drift from the footage's clock
        # by seconds over a minute, so one mapping for the whole run would measure that drift instead.
        zero = ts(alert["clip"]["started_at"]) - clip_frames(path)[0] / FPS
        start, end = ts(alert["started_at"]) - zero, ts(alert["ended_at"]) - zero
        # Within a few seconds: what separates them is how often the detector sees a frame.
        assert appears - 0.5 <= start <= appears + 5.0, (start, alert)
        assert leaves - 5.0 <= end <= leaves + 0.5, (end, alert)
        frames = clip_frames(path)
        first, last = frames[0] / FPS, frames[-1] / FPS
        # The first frame is a keyframe inside the pre-roll window (keyframes come every second).
        assert start - PRE_ROLL - 1.1 <= first <= start - PRE_ROLL + 0.2, (first, start)
        assert last >= end + POST_ROLL - 0.3, (last, end)
        assert len(frames) >= (last - first) * FPS * 0.9  # every frame of the stretch, not re-encoded
        assert alert["objects"] and alert["peak_count"] >= 1
        assert "people" in alert["description"] or "person" in alert["description"]
        assert alert["clip"]["duration"] >= end - start + PRE_ROLL + POST_ROLL - 0.5
