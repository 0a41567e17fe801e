"""Motion activity of a camera's window, for the timeline's motion band (issue 24).

The worker keeps no measure of motion per segment: in ``RECORD_MODE=motion`` it writes a segment only
while something moves (with the mode's pre- and post-roll), and marks it ``kind="motion"``. The runs of
such segments are therefore the camera's motion activity as far as the index knows it; a continuous
recording has none (its activity shows as events on the timeline). Kept apart from the recordings list:
that answer is read from the (camera, start) index alone, which does not carry ``kind``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User

from recordings.gaps import DEFAULT_TOLERANCE
from recordings.models import RecordingSegment, SegmentKind
from surveillance.cameras.selectors import camera_of


def motion_runs(
    *, user: User, camera_id: int, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The runs of the camera's motion-mode segments overlapping [start, end), merged where they touch
    (within the gaps' tolerance), in time order; 404 for a camera the user may not see."""
    camera = camera_of(user=user, camera_id=camera_id)
    earliest = start - timedelta(seconds=settings.RECORDING_SEGMENT_MAX_SECONDS)
    rows = (
        RecordingSegment.objects.filter(camera=camera, start__gte=earliest, start__lt=end, end__gt=start)
        .filter(kind=SegmentKind.MOTION)
        .order_by("start")
        .values_list("start", "end")
    )
    runs: list[tuple[datetime, datetime]] = []
    for first, last in rows:
        if runs and first - runs[-1][1] <= DEFAULT_TOLERANCE:
            runs[-1] = (runs[-1][0], max(runs[-1][1], last))
        else:
            runs.append((first, last))
    return runs
