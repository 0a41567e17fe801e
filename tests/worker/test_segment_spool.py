"""The segment spool folder (issue 23): leftovers of a killed worker are uploaded, half-written files
deleted; past its byte bound and its retention the oldest segments go, each drop counted by reason."""

from __future__ import annotations

from pathlib import Path

from cctv_worker.capture.segments import SegmentName
from cctv_worker.delivery.segments import SegmentSpool

NOW = 1_800_000_000.0


def _file(folder: Path, start: float, size: int = 1000, kind: str = "continuous") -> Path:
    path = folder / SegmentName.of(start, start + 10, kind).file_name
    path.write_bytes(b"x" * size)
    return path


def test_a_restarted_worker_keeps_whole_segments_and_deletes_half_written_ones(tmp_path: Path) -> None:
    whole = _file(tmp_path, NOW - 30)
    (tmp_path / "1799999990000000.open.mp4.part").write_bytes(b"half")
    (tmp_path / "stray.txt").write_bytes(b"?")
    spool = SegmentSpool(tmp_path, max_bytes=10_000, retention=lambda kind: 86_400, wall_clock=lambda: NOW)
    assert sorted(p.name for p in tmp_path.iterdir()) == [whole.name]
    oldest = spool.oldest()
    assert oldest is not None and oldest.path == whole and len(spool) == 1


def test_past_its_bound_the_oldest_segments_are_dropped_and_counted(tmp_path: Path) -> None:
    dropped: list[tuple[str, int]] = []
    spool = SegmentSpool(
        tmp_path,
        max_bytes=3500,
        retention=lambda kind: 86_400,
        on_dropped=lambda reason, count: dropped.append((reason, count)),
        wall_clock=lambda: NOW,
    )
    paths = [_file(tmp_path, NOW - 100 + 10 * i) for i in range(5)]
    for path in paths:
        spool.add(path)
    assert spool.bytes <= 3500 and len(spool) == 3
    assert sum(count for reason, count in dropped if reason == "spool_full") == 2
    assert [p.exists() for p in paths] == [False, False, True, True, True]
    oldest = spool.oldest()
    assert oldest is not None and oldest.path == paths[2]


def test_a_segment_older_than_its_retention_is_dropped_as_expired(tmp_path: Path) -> None:
    dropped: list[tuple[str, int]] = []
    old = _file(tmp_path, NOW - 3 * 86_400, kind="motion")
    fresh = _file(tmp_path, NOW - 60)
    spool = SegmentSpool(
        tmp_path,
        max_bytes=10**9,
        retention=lambda kind: 86_400 if kind == "motion" else 7 * 86_400,
        on_dropped=lambda reason, count: dropped.append((reason, count)),
        wall_clock=lambda: NOW,
    )
    assert dropped == [("expired", 1)] and not old.exists() and fresh.exists() and len(spool) == 1
