"""The MP4 box walker that runs before FFmpeg: real clips pass; each crafted bomb is refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import mp4_bombs
from support.clips import make_mp4
from surveillance.events.mp4_boxes import BoxError, check_boxes

MAX_SECONDS = 3 * 3600


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_mp4(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=2.0, fps=10)


def test_a_real_clip_passes_and_survives_a_parse_write_round_trip(clip: Path, tmp_path: Path) -> None:
    check_boxes(clip, MAX_SECONDS)
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(mp4_bombs.write(mp4_bombs.parse(clip.read_bytes())))
    assert copy.read_bytes() == clip.read_bytes()


@pytest.mark.parametrize(
    ("bomb", "reason"),
    [
        ("stsz-constant", "stsz declares 20000000 samples"),
        ("stsz-table", "stsz declares 20000000 entries"),
        ("stco-count", "stco declares 20000000 entries"),
        ("stts-samples", "stts declares 20000000 samples"),
        ("ctts-samples", "ctts declares 20000000 samples"),
        ("deep-nesting", "nest deeper than 8 levels"),
        ("moov-larger-than-file", "moov claims 4294967295 bytes"),
    ],
)
def test_each_bomb_is_refused_with_what_it_declares(
    clip: Path, tmp_path: Path, bomb: str, reason: str
) -> None:
    path = mp4_bombs.build(bomb, clip, tmp_path / f"{bomb}.mp4")
    assert path.stat().st_size < 8192
    with pytest.raises(BoxError, match=reason):
        check_boxes(path, MAX_SECONDS)


def test_a_clip_cut_inside_a_box_header_or_with_stray_bytes_is_refused(clip: Path, tmp_path: Path) -> None:
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data + b"\0\0\0")
    with pytest.raises(BoxError, match="stray bytes"):
        check_boxes(cut, MAX_SECONDS)
