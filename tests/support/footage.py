"""Test footage with people in it, from what is installed on the machine (nothing is downloaded).

- ``vtest_avi()``: pedestrians on a CCTV camera, from Debian's opencv-doc package (768x576, 10 fps, 80 s).
- ``bus_jpg()`` / ``zidane_jpg()``: the images bundled in the ultralytics package.
- ``still_video()``: a short video file of one still image (a person standing still for many frames).
- ``appearances_video()``: vtest's pedestrians cut into its empty street at known times, each frame
  numbered; optionally scaled, and with what a detector sees on the empty street painted out.
- ``empty_street()`` / ``walk_in_video()``: vtest's street emptied (a median over time), and a person
  walking into it after a still while (for the motion gate).

The made-up footage costs tens of seconds of CPU each; it is built once and kept between runs
(``support.cache``), keyed by its parameters, by vtest.avi and by this module's source.
"""

from __future__ import annotations

import gzip
import importlib.util
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2

from support.cache import cached

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


def _vtest_source() -> Path:
    for candidate in VTEST_CANDIDATES:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("vtest.avi not found: install the Debian package opencv-doc")


def _cache_key(*parameters: object) -> tuple[object, ...]:
    """What a made-up video depends on besides this module's source: its parameters and vtest.avi."""
    source = _vtest_source()
    stat = source.stat()
    return (*parameters, str(source), stat.st_size, stat.st_mtime_ns)


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


#: A detector's view of an image: boxes (x1, y1, x2, y2, normalised 0..1) of what it takes for an object.
Seen = Callable[[Any], list[tuple[float, float, float, float]]]


def appearances_video(
    scratch: Path,
    schedule: list[tuple[float, float, float]],
    *,
    seconds: float,
    size: tuple[int, int] | None = None,
    seen: Seen | None = None,
    seen_key: object = None,
) -> Path:
    """People appearing at known times: the empty street of vtest.avi (the median of its frames), with
    vtest's pedestrians cut in for each ``(start, end, vtest_offset)`` of ``schedule`` (seconds).
    Every frame carries its index (``read_index``), so a clip's frames can be placed on this timeline.

    ``size``: (width, height) to scale the footage to (a camera's low-resolution stream). ``seen``: a
    detector; what it sees on the empty street (vtest's street has a yellow jacket lying on the grass
    that a fall detector takes for a fallen person at ~0.5) is painted out, on the empty street and on
    the same still pixels of the pedestrians' frames, so that the street is empty to that detector too.
    Raises ``RuntimeError`` if it cannot be made empty: a test on this footage must never start from a
    scene with a ghost in it.

    ``seen_key``: what identifies ``seen`` (its model file and threshold). With it, or without ``seen``,
    the video is built once and kept between runs; a ``seen`` without a key builds it every time."""
    target = scratch / "appearances.avi"
    if seen is not None and seen_key is None:
        return _appearances_video(target, scratch, schedule, seconds=seconds, size=size, seen=seen)
    built = cached(
        "appearances.avi",
        key=_cache_key("appearances", schedule, seconds, size, seen_key),
        sources=[Path(__file__)],
        build=lambda build_dir: _appearances_video(
            build_dir / "appearances.avi", build_dir, schedule, seconds=seconds, size=size, seen=seen
        ),
    )
    shutil.copyfile(built, target)
    return target


def _appearances_video(
    target: Path,
    scratch: Path,
    schedule: list[tuple[float, float, float]],
    *,
    seconds: float,
    size: tuple[int, int] | None,
    seen: Seen | None,
) -> Path:
    import numpy as np

    source = cv2.VideoCapture(str(vtest_avi(scratch)))
    fps = source.get(cv2.CAP_PROP_FPS) or 10.0
    frames = []
    while True:
        ok, image = source.read()
        if not ok:
            break
        if size is not None:
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        frames.append(image)
    source.release()
    street = np.median(np.stack(frames[:: max(1, len(frames) // 60)]), axis=0).astype(np.uint8)
    empty, painted = _paint_out(street, seen) if seen is not None else (street, None)
    height, width = empty.shape[:2]
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    try:
        for index in range(round(seconds * fps)):
            now = index / fps
            image = empty
            for start, end, offset in schedule:
                if start <= now < end:
                    image = frames[min(len(frames) - 1, round((now - start + offset) * fps))]
                    if painted is not None:
                        image = _repaint(image, street, empty, painted)
            image = image.copy()
            stamp_index(image, index)
            writer.write(image)
    finally:
        writer.release()
    return target


def _paint_out(street, seen: Seen, rounds: int = 3):
    """The street with whatever ``seen`` finds in it inpainted, and the mask of what was painted."""
    import numpy as np

    height, width = street.shape[:2]
    mask = np.zeros((height, width), np.uint8)
    empty = street
    for _ in range(rounds):
        boxes = seen(empty)
        if not boxes:
            return empty, mask
        for x1, y1, x2, y2 in boxes:
            # A margin around the box: the inpainting takes its colours from outside the object.
            dx, dy = 0.15 * (x2 - x1) * width + 4, 0.15 * (y2 - y1) * height + 4
            mask[
                max(0, int(y1 * height - dy)) : min(height, int(y2 * height + dy) + 1),
                max(0, int(x1 * width - dx)) : min(width, int(x2 * width + dx) + 1),
            ] = 255
        empty = cv2.inpaint(street, mask, 7, cv2.INPAINT_TELEA)
    boxes = seen(empty)
    if boxes:
        raise RuntimeError(f"the empty street still holds what the detector takes for objects: {boxes}")
    return empty, mask


def _repaint(image, street, empty, painted):
    """``image`` with the painted-out pixels replaced where it shows the street as it stands (still
    pixels), so that the object is gone from the pedestrians' frames too, but a passer-by is not."""
    import numpy as np

    still = np.abs(image.astype(np.int16) - street.astype(np.int16)).max(axis=2) < 40
    where = (painted > 0) & still
    out = image.copy()
    out[where] = empty[where]
    return out


def empty_street(scratch: Path) -> Path:
    """vtest.avi's street with nobody on it: the per-pixel median of 80 frames across the video
    (everyone walks on, so the median keeps only what stays). 768x576 PNG, kept between runs (read-only)."""
    return cached(
        "empty-street.png",
        key=_cache_key("empty-street"),
        sources=[Path(__file__)],
        build=lambda build_dir: _empty_street(build_dir, build_dir / "empty-street.png"),
    )


def _empty_street(scratch: Path, target: Path) -> Path:
    import numpy as np

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
    built = cached(
        "walk-in.avi",
        key=_cache_key("walk-in", still_seconds, walk_seconds, stand_seconds, fps),
        sources=[Path(__file__)],
        build=lambda build_dir: _walk_in_video(
            build_dir, build_dir / "walk-in.avi", still_seconds=still_seconds, walk_seconds=walk_seconds,
            stand_seconds=stand_seconds, fps=fps,
        ),
    )  # fmt: skip
    shutil.copyfile(built, target)
    return target


def _walk_in_video(
    scratch: Path, target: Path, *, still_seconds: float, walk_seconds: float, stand_seconds: float, fps: int
) -> Path:
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
