"""Test footage with people in it, from what is installed on the machine (nothing is downloaded).

- ``vtest_avi()``: pedestrians on a CCTV camera, from Debian's opencv-doc package (768x576, 10 fps, 80 s).
- ``bus_jpg()`` / ``zidane_jpg()``: the images bundled in the ultralytics package.
- ``still_video()``: a short video file of one still image (a person standing still for many frames).
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
