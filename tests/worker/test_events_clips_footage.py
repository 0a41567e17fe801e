"""Events and clips end to end on real footage: the empty street of vtest.avi with its pedestrians cut
in at known times, served by the real RTSP server, watched by the real worker (person detector, ONNX),
delivered to the real Django backend (gunicorn) through a link the test cuts and restores.

One run shows: event start and end match the appearances within a few seconds; two groups 20 s apart
are two events; each clip decodes, starts at a keyframe inside the pre-roll window and covers the event
plus post-roll; the backend being unreachable during the first event loses nothing (its alert, updates
and clip arrive after recovery). Every frame of the footage carries its index, so clip frames are
placed on the footage's own timeline.

Made to hold on a loaded 2-core CI machine: the footage is cleaned with the worker's own model before
the run and checked (vtest's street holds a jacket on the grass that the fall detector scored ~0.5, an
event at t=0 that never closed); the stream is a sub-stream's size and the detector runs once a second;
the time tolerances follow from that sampling (constants below).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import av
import cv2
import pytest

from support.backend import start_backend
from support.footage import appearances_video, read_index
from support.rtsp_server import start_rtsp_server
from support.tcp_proxy import TcpProxy
from support.worker_process import WorkerProcess, camera_env

from .helpers import wait_for

FPS = 10
#: The camera's stream: a low-resolution one (a sub-stream's size), so that the RTSP server's encoder
#: and the worker's decoder stay real-time on a loaded 2-core machine. The detector still sees the
#: pedestrians at its 640 px input (confidence 0.5 to 0.7 at this size, as at 768x576).
SIZE = (384, 288)
PRE_ROLL, POST_ROLL = 3.0, 3.0
# (appears, leaves, where in vtest.avi the pedestrians come from): two groups, 20 s apart.
SCHEDULE = [(12.0, 22.0, 0.0), (42.0, 52.0, 30.0)]

# How precisely the worker can place an event, derived from how it samples the stream:
#: the server's keyframe interval: while the street is still, the motion gate decodes keyframes only,
#: so a cut-in is noticed at the next keyframe at the latest;
KEYFRAME = 1.0
#: one analysed frame a second: what a loaded 2-core CI machine keeps up with (one inference of the
#: 640 px person model takes ~0.7 s on one thread of this machine under load);
DETECT_FPS = 1.0
#: the longest gap between two analysed frames that the test allows: the asked interval plus one more
#: inference for a detector running behind on a busy machine;
MAX_GAP = 1.0 / DETECT_FPS + 1.0
#: so an appearance is seen within a keyframe plus two gaps (one analysed frame may miss pedestrians that
#: the model scores near the threshold), and the last sighting is at most two gaps before they leave.
LATE = KEYFRAME + 2 * MAX_GAP  # 5 s
EARLY = 2 * MAX_GAP  # 4 s
#: Several gaps: a pedestrian missed on one analysed frame must not close the event.
GRACE = 4 * MAX_GAP  # 8 s
#: Below the detector's scores for vtest's pedestrians (0.5 to 0.7), far above anything left on the
#: empty street (the footage is cleaned until the detector sees nothing there at 0.2).
CONFIDENCE = 0.4
#: The index stamp (top-left, changes every frame) is masked from the motion gate, as a camera's clock
#: overlay would be: otherwise every frame "moves" and the detector never rests.
STAMP_MASK = '[{"name": "frame index", "points": [[0, 0], [0.9, 0], [0.9, 0.1], [0, 0.1]]}]'


@pytest.fixture
def footage(tmp_path: Path, person_onnx: Path) -> Path:
    """The footage, cleaned with the very model the worker runs (see appearances_video)."""
    from cctv_worker.detect.onnx_backend import OnnxDetector

    detector = OnnxDetector(person_onnx, conf_floor=0.2, threads=1)
    seen = lambda image: [d.box for d in detector.detect(image)]  # noqa: E731
    # A long empty tail: at its end the file starts over (a new timeline), after the test has what it needs.
    # Kept between runs, keyed by the model it was cleaned with (and checked below on every run all the same).
    seen_key = ("onnx", str(person_onnx), person_onnx.stat().st_mtime_ns, 0.2)
    path = appearances_video(tmp_path, SCHEDULE, seconds=120.0, size=SIZE, seen=seen, seen_key=seen_key)
    # Honest footage: the street is empty to the detector, and each group is there to see.
    capture = cv2.VideoCapture(str(path))
    frames = []
    while (grabbed := capture.read())[0]:
        frames.append(grabbed[1])
    capture.release()
    assert not [d for d in detector.detect(frames[5]) if d.confidence >= 0.2]
    for appears, leaves, _ in SCHEDULE:
        middle = frames[round((appears + leaves) / 2 * FPS)]
        assert [d for d in detector.detect(middle) if d.confidence >= CONFIDENCE]
    return path


def ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def clip_frames(path: Path) -> list[int]:
    with av.open(str(path)) as clip:
        stream = clip.streams.video[0]
        frames = list(clip.decode(stream))
    assert frames and frames[0].key_frame
    return [read_index(f.to_ndarray(format="gray")) for f in frames]


@pytest.mark.timeout(400)
@pytest.mark.slow
def test_people_at_known_times_become_events_with_clips_even_through_a_backend_outage(
    tmp_path: Path, person_onnx: Path, footage: Path
) -> None:
    with (
        start_backend(tmp_path / "backend") as backend,
        start_rtsp_server(footage, fps=FPS, size=SIZE) as rtsp,
    ):
        link = TcpProxy(int(backend.url.rsplit(":", 1)[1]))
        camera = backend.create_camera("Street", rtsp.url)
        link.down()  # the backend is unreachable from before the first group arrives
        worker = WorkerProcess(
            {
                **camera_env(camera, rtsp.url, link.url),
                "MODEL_PATH": str(person_onnx),
                "ALERT_CLASS_MAP": "Normal=person,Fall=person",
                # No cooldown: the second group, 20 s after the first event closed, must open its own.
                "ALERT_COOLDOWN": "0",
                "CONFIDENCE_THRESHOLD": str(CONFIDENCE),
                "EVENT_GRACE": str(GRACE),
                "PRE_ROLL": str(PRE_ROLL),
                "POST_ROLL": str(POST_ROLL),
                "DETECT_FPS": str(DETECT_FPS),
                "MOTION_MASKS": STAMP_MASK,
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
    assert len(alerts) == 2, (alerts, log[-4000:])  # two groups, two events: nothing dropped, nothing split
    for (appears, leaves, _), alert, path in zip(SCHEDULE, alerts, clips, strict=True):
        # Wall time of footage t=0, seen from this event's clip: its first frame's wall time minus its
        # index. Per clip: on a loaded machine the worker's receive times drift from the footage's clock
        # by seconds over a minute, so one mapping for the whole run would measure that drift instead.
        zero = ts(alert["clip"]["started_at"]) - clip_frames(path)[0] / FPS
        start, end = ts(alert["started_at"]) - zero, ts(alert["ended_at"]) - zero
        # Within a few seconds: what separates them is how often the detector sees a frame (LATE, EARLY);
        # never before they appear nor after they leave (half a second: a frame's receive time).
        assert appears - 0.5 <= start <= appears + LATE, (start, alert, log[-4000:])
        assert leaves - EARLY <= end <= leaves + 0.5, (end, alert, log[-4000:])
        frames = clip_frames(path)
        first, last = frames[0] / FPS, frames[-1] / FPS
        # The first frame is a keyframe inside the pre-roll window (keyframes come every second).
        assert start - PRE_ROLL - 1.1 <= first <= start - PRE_ROLL + 0.2, (first, start)
        assert last >= end + POST_ROLL - 0.3, (last, end)
        assert len(frames) >= (last - first) * FPS * 0.9  # every frame of the stretch, not re-encoded
        assert alert["objects"] and alert["peak_count"] >= 1
        assert "people" in alert["description"] or "person" in alert["description"]
        assert alert["clip"]["duration"] >= end - start + PRE_ROLL + POST_ROLL - 0.5
