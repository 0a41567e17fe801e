"""Test footage with people in it, from what is installed on the machine (nothing is downloaded).

- ``vtest_avi()``: pedestrians on a CCTV camera, from Debian's opencv-doc package (768x576, 10 fps, 80 s).
- ``bus_jpg()`` / ``zidane_jpg()``: the images bundled in the ultralytics package.
- ``still_video()``: a short video file of one still image (a person standing still for many frames).
- ``empty_street()`` / ``walk_in_video()``: vtest's street emptied (a median over time), and a person
  walking into it after a still while (for the motion gate).
"""

from __future__ import annotations

import gzip
import importlib.util
import shutil
from pathlib import Path

import cv2

VTEST_CANDIDATES = (
    Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi"),
    Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi.gz"),
    Path("/usr/share/opencv4/samples/data/vtest.avi"),
)


def _ultralytics_asset(name: str) -> Path:
    spec = importlib.util.find_spec("ultralytics")  # locate the package without importing torch
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the ultralytics package is not installed (requirements/ml.txt)")
    path = Path(next(iter(spec.submodule_search_locations))) / "assets" / name
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


def bus_jpg() -> Path:
    """Four people beside a bus (810x1080)."""
    return _ultralytics_asset("bus.jpg")


def zidane_jpg() -> Path:
    """Two people (1280x720)."""
    return _ultralytics_asset("zidane.jpg")


def vtest_avi(scratch: Path) -> Path:
    for candidate in VTEST_CANDIDATES:
        if candidate.is_file():
            if candidate.suffix != ".gz":
                return candidate
            target = scratch / "vtest.avi"
            if not target.exists():
                with gzip.open(candidate) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
            return target
    raise FileNotFoundError("vtest.avi not found: install the Debian package opencv-doc")


def still_video(image: Path, target: Path, *, seconds: float = 4.0, fps: int = 10) -> Path:
    """Writes ``seconds`` of ``image`` as an MJPEG AVI (readable by OpenCV's FFmpeg backend)."""
    frame = cv2.imread(str(image))
    if frame is None:
        raise FileNotFoundError(image)
    height, width = frame.shape[:2]
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    try:
        for _ in range(round(seconds * fps)):
            writer.write(frame)
    finally:
        writer.release()
    return target


FRAME_CODE_BITS = 14
_CODE_BLOCK = 24


def stamp_index(frame, index: int) -> None:
    """Writes ``index`` into the frame's top-left corner as black/white blocks (they survive H.264)."""
    for bit in range(FRAME_CODE_BITS):
        value = 255 if index >> bit & 1 else 0
        frame[0:_CODE_BLOCK, bit * _CODE_BLOCK : (bit + 1) * _CODE_BLOCK] = value


def read_index(frame) -> int:
    """The index ``stamp_index`` wrote (``frame`` as RGB/BGR or grey array)."""
    index = 0
    for bit in range(FRAME_CODE_BITS):
        block = frame[4 : _CODE_BLOCK - 4, bit * _CODE_BLOCK + 4 : (bit + 1) * _CODE_BLOCK - 4]
        if block.mean() > 128:
            index |= 1 << bit
    return index


def appearances_video(scratch: Path, schedule: list[tuple[float, float, float]], *, seconds: float) -> Path:
    """People appearing at known times: the empty street of vtest.avi (the median of its frames), with
    vtest's pedestrians cut in for each ``(start, end, vtest_offset)`` of ``schedule`` (seconds).
    Every frame carries its index (``read_index``), so a clip's frames can be placed on this timeline."""
    import numpy as np

    source = cv2.VideoCapture(str(vtest_avi(scratch)))
    fps = source.get(cv2.CAP_PROP_FPS) or 10.0
    frames = []
    while True:
        ok, image = source.read()
        if not ok:
            break
        frames.append(image)
    source.release()
    empty = np.median(np.stack(frames[:: max(1, len(frames) // 60)]), axis=0).astype(np.uint8)
    height, width = empty.shape[:2]
    target = scratch / "appearances.avi"
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    try:
        for index in range(round(seconds * fps)):
            now = index / fps
            image = empty
            for start, end, offset in schedule:
                if start <= now < end:
                    image = frames[min(len(frames) - 1, round((now - start + offset) * fps))]
            image = image.copy()
            stamp_index(image, index)
            writer.write(image)
    finally:
        writer.release()
    return target


def empty_street(scratch: Path) -> Path:
    """vtest.avi's street with nobody on it: the per-pixel median of 80 frames across the video
    (everyone walks on, so the median keeps only what stays). 768x576 PNG, cached in ``scratch``."""
    import numpy as np

    target = scratch / "empty-street.png"
    if target.exists():
        return target
    capture = cv2.VideoCapture(str(vtest_avi(scratch)))
    frames = []
    try:
        index = 0
        while True:
            ok = capture.grab()
            if not ok:
                break
            if index % 10 == 0:
                frames.append(capture.retrieve()[1])
            index += 1
    finally:
        capture.release()
    cv2.imwrite(str(target), np.median(np.stack(frames), axis=0).astype(np.uint8))
    return target


def walk_in_video(
    scratch: Path, target: Path, *, still_seconds: float, walk_seconds: float, stand_seconds: float = 2.0,
    fps: int = 10,
) -> Path:  # fmt: skip
    """A person walking into an empty scene: ``still_seconds`` of vtest's empty street, then one of
    bus.jpg's pedestrians (cut out with its own background, 45 % of the frame high) walks in from the
    right edge to 30 % of the width over ``walk_seconds``, and stands there ``stand_seconds``.
    The person walks in the region x 0.3..1, y 0.3..0.75 of the frame. MJPEG AVI, 768x576."""
    background = cv2.imread(str(empty_street(scratch)))
    height, width = background.shape[:2]
    bus = cv2.imread(str(bus_jpg()))
    bh, bw = bus.shape[:2]
    person = bus[int(0.35 * bh) : int(0.85 * bh), int(0.04 * bw) : int(0.27 * bw)]
    scale = 0.45 * height / person.shape[0]
    person = cv2.resize(person, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ph, pw = person.shape[:2]
    top = int(0.3 * height)
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    try:
        for _ in range(round(still_seconds * fps)):
            writer.write(background)
        steps = round(walk_seconds * fps)
        for step in range(steps + round(stand_seconds * fps)):
            progress = min(1.0, step / max(1, steps))
            left = int((1.0 - 0.7 * progress) * width)
            frame = background.copy()
            right = min(width, left + pw)
            if right > left:
                frame[top : top + ph, left:right] = person[:, : right - left]
            writer.write(frame)
    finally:
        writer.release()
    return target
