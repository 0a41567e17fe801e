"""Playback of a whole recorded range on the footage review page, in headless Chromium (issue 24's "must
show": a 3-minute range over at least 15 segments, no stall longer than 0.5 s at 1x).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cctv_bench \
        .venv/bin/python bench/bench_timeline_playback.py [--segments 18] [--rate 1] [--max-stall 0.5]

Real parts, as in tests/dashboard/test_timeline_browser.py (the site is tests/support/timeline_site.py):
the production server (gunicorn with uvicorn workers) on a scratch PostgreSQL database when DATABASE_URL
names one (else SQLite), ``--segments`` real H.264 segments of 10 s back to back uploaded through the
worker's upload route, and Debian's Chromium playing the dashboard's timeline page with the page's own
MSE player over the recordings' HLS playlist. The bench presses Play at the range's first second and
lets it play to the range's end at ``--rate``, nothing else touching the player.

What it prints:
- start: from the Play click to the playhead's first advance (the first load; not counted as a stall);
- every stall: a ``waiting`` of the player, from that event to the next ``playing`` or the next
  ``timeupdate`` that finds the playhead moved (the page's own clock, performance.now()), with where in
  the range it waited; a wait at the range's very end (the footage is over) is not a stall;
- count, longest and total of the stalls, and PASS when none is longer than ``--max-stall`` and the
  playhead reached the range's end;
- the playhead against the wall clock (both read in the page, in one JS turn, every 0.2 s): footage
  seconds played over wall seconds, and how far the playhead fell behind the wall clock x rate (the
  largest lag over the run, and at the end).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "dashboard"))
from browser_support import chromium, signed_in, wait_for

from support.timeline_site import SEGMENT_SECONDS, STALL_RECORDER, STALLS_NOW, recorded_camera

SAMPLE_SECONDS = 0.2  # how often the playhead is read against the page's clock
AT_THE_END = 0.5  # s of footage before the range's end where a wait is the footage ending, not a stall
# The playhead and the page's clock (s), read in one JS turn.
PLAYHEAD = (
    "() => { var v = document.getElementById('tl-video'); return [v.currentTime, performance.now() / 1000]; }"
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--segments", type=int, default=18, help="10 s segments in the range (at least 15)")
    parser.add_argument("--rate", type=int, default=1, choices=(1, 2, 4, 8, 16), help="the page's speed")
    parser.add_argument("--max-stall", type=float, default=0.5, help="the goal: no stall longer (s)")
    args = parser.parse_args()
    if args.segments < 15:
        parser.error("--segments: issue 24 asks for a range of at least 15 segments")
    tmp = Path(tempfile.mkdtemp(prefix="bench-timeline-"))
    with recorded_camera(tmp, segments=args.segments, event_at=25, database_prefix="cctv_bench_tl") as site:
        footage = SEGMENT_SECONDS * args.segments
        begin, end = site.offset, site.offset + footage
        print(f"range: {footage} s of footage, {args.segments} segments of {SEGMENT_SECONDS} s, {args.rate}x")
        with chromium() as browser:
            page = signed_in(browser, site.backend.url)
            page.add_init_script(STALL_RECORDER)
            page.goto(site.timeline_path)
            wait_for(
                lambda: page.get_attribute("#timeline", "data-segments") == str(args.segments),
                15,
                "the playlist",
            )
            wait_for(
                lambda: abs(page.evaluate(PLAYHEAD)[0] - begin) < 0.5, 15, "the player at the range's start"
            )
            if args.rate != 1:
                page.select_option("#tl-speed", str(args.rate))
            clicked = time.monotonic()
            page.click("#tl-play")
            wait_for(lambda: page.evaluate(PLAYHEAD)[0] > begin + 0.05, 15, "playback starting")
            started = time.monotonic() - clicked
            page.evaluate("window.__stalls = []")  # the first load's own wait is the start, not a stall
            first_at, first_clock = page.evaluate(PLAYHEAD)
            samples = [(first_at, first_clock)]
            deadline = time.monotonic() + footage / args.rate * 1.5 + 30
            while samples[-1][0] < end - AT_THE_END and time.monotonic() < deadline:
                time.sleep(SAMPLE_SECONDS)  # sampling the playhead, not timing
                samples.append(tuple(page.evaluate(PLAYHEAD)))
            stalls = page.evaluate(STALLS_NOW)
            state = page.evaluate(
                "() => { var v = document.getElementById('tl-video');"
                " return { paused: v.paused, error: v.error && v.error.message, rate: v.playbackRate }; }"
            )
            page.context.close()
    report(args, samples, stalls, state, begin=begin, end=end, started=started)


def report(
    args: argparse.Namespace,
    samples: list[tuple[float, float]],
    stalls: list[dict],
    state: dict,
    *,
    begin: float,
    end: float,
    started: float,
) -> None:
    (first_at, first_clock), (last_at, last_clock) = samples[0], samples[-1]
    counted = [stall for stall in stalls if stall["at"] < end - AT_THE_END]
    lengths = [stall["length"] / 1000 for stall in counted]
    lags = [(clock - first_clock) * args.rate - (at - first_at) for at, clock in samples]
    played, wall = last_at - first_at, last_clock - first_clock
    reached = last_at >= end - AT_THE_END
    print(f"start: {started:.2f} s from the Play click to the playhead moving (not counted as a stall)")
    for stall in counted:
        where = stall["at"] - begin
        boundary = min(where % SEGMENT_SECONDS, SEGMENT_SECONDS - where % SEGMENT_SECONDS)
        still = " (still waiting)" if stall.get("open") else f" (ended by {stall['by']})"
        print(
            f"  stall at {where:7.2f} s into the range ({boundary:.2f} s from a segment boundary): "
            f"{stall['length'] / 1000:.3f} s{still}"
        )
    print(
        f"stalls: {len(lengths)}, longest {max(lengths, default=0):.3f} s, total {sum(lengths):.3f} s "
        f"(goal: none longer than {args.max_stall} s)"
    )
    print(
        f"playhead: {played:.1f} s of footage in {wall:.1f} s of the page's clock = {played / wall:.3f}x "
        f"(asked {args.rate}x); behind the wall clock by {lags[-1]:.2f} s at the end, "
        f"{max(lags):.2f} s at most; {len(samples)} samples"
    )
    print(f"player at the end: {state}; reached the range's end: {'yes' if reached else 'no'}")
    passed = reached and all(length <= args.max_stall for length in lengths) and not state["error"]
    print(
        f"{'PASS' if passed else 'FAIL'}: {len(lengths)} stalls in {played:.1f} s of footage at "
        f"{args.rate}x, the longest {max(lengths, default=0):.3f} s (goal <= {args.max_stall} s)"
    )
    if not passed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
