"""The shifted-clock pass of `scripts/test` really runs a year ahead.

`scripts/test` runs the backend and dashboard tests a second time (on SQLite) under libfaketime with
the clock moved `CCTV_TEST_CLOCK_SHIFT_DAYS` ahead, so that a fixed date in a test fails today instead of
the day it falls out of a window the product enforces (see `support.clock`). A preload that silently did
nothing would make that pass prove nothing: this compares the clock the process reads with the time the
kernel writes on a new file (the library `scripts/test` builds fakes clock reads only, not file times).
In the ordinary pass the shift is 0 and the two agree.
"""

from __future__ import annotations

import os
import time

import pytest

pytestmark = pytest.mark.dates  # it is what the shifted pass checks first


def test_the_clock_is_shifted_by_exactly_what_the_pass_declares(tmp_path) -> None:
    expected_days = float(os.environ.get("CCTV_TEST_CLOCK_SHIFT_DAYS", "0"))
    marker = tmp_path / "now"
    marker.touch()
    shift_seconds = time.time() - marker.stat().st_mtime
    assert abs(shift_seconds - expected_days * 86400) < 60, (
        f"the process clock is {shift_seconds / 86400:.3f} days ahead of the kernel's file times, "
        f"the pass declares {expected_days} (CCTV_TEST_CLOCK_SHIFT_DAYS)"
    )
