"""Event logic on real footage: pedestrians walking through Debian opencv-doc's vtest.avi (CCTV,
768x576), detected by the real person model at 2 analysed frames per second. With no cooldown at all,
tracking must keep a walking person to one track, and people in view all the time are one event."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from cctv_worker.decisions.events import Change, EventLogic
from cctv_worker.decisions.filters import Rules, classify
from cctv_worker.detect.loader import choose_model, load_detector
from support.footage import vtest_avi


@pytest.mark.slow
def test_walking_people_are_followed_and_alert_far_less_often_than_they_are_seen(
    person_onnx: Path, tmp_path: Path
) -> None:
    detector = load_detector(
        choose_model(str(person_onnx), is_default=False), conf_floor=0.5, imgsz=640, threads=1
    )
    rules = Rules(class_map={"Normal": "person", "Fall": "person"}, confidence=0.5)
    logic = EventLogic(cooldown=0, max_age=10)
    capture = cv2.VideoCapture(str(vtest_avi(tmp_path)))
    fps = capture.get(cv2.CAP_PROP_FPS)  # 10
    frames_with_people = alerts = 0
    tracks = {}
    index = 0
    try:
        while index < 40 * fps:  # the first 40 s
            if index % 5:
                ok = capture.grab()
            else:
                ok, image = capture.read()
                if ok:
                    candidates = classify(detector.detect(image), rules)
                    frames_with_people += bool(candidates)
                    result = logic.on_frame(candidates, now=index / fps)
                    alerts += sum(c.change is Change.OPENED for c in result.changes)
                    tracks.update({t.id: t for t in logic.tracker.tracks})
            assert ok
            index += 1
    finally:
        capture.release()
    assert frames_with_people >= 70  # people are in the picture nearly all the time
    # People are in view nearly all the time: one event (before events, 21 alerts for 79 frames).
    assert alerts <= 2
    followed = [t for t in tracks.values() if t.hits >= 10]  # followed for 5 s or more
    assert len(followed) >= 8  # measured: 10
