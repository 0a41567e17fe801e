"""Statistics: alerts per type per day (30 days) and per camera, as SVG bar charts."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboard import charts, selectors
from dashboard import teams as current
from surveillance.accounts.users import signed_in_user
from surveillance.models import AlertType

DAYS = 30
# Cameras in the per-camera chart; the rest are counted in a note under it.
CAMERA_ROWS = 40


@require_GET
@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    today = timezone.localdate()
    days = selectors.last_days(today, DAYS)
    types = list(AlertType.values)
    team_id = current.current_team_id(request, user)
    per_day = selectors.alerts_per_day_and_type(user, days=days, team_id=team_id)
    since = timezone.now() - timedelta(days=DAYS)
    per_camera, hidden = selectors.alerts_per_camera_and_type(
        user, since=since, limit=CAMERA_ROWS, team_id=team_id
    )
    totals = {kind: sum(n for (_, k), n in per_day.items() if k == kind) for kind in types}
    legend = [
        {"type": kind, "label": label, "colour": charts.colour_of(kind), "total": totals[kind]}
        for kind, label in AlertType.choices
    ]
    table = [
        {
            "day": day,
            "counts": [per_day.get((day, kind), 0) for kind in types],
            "total": sum(per_day.get((day, kind), 0) for kind in types),
        }
        for day in reversed(days)
    ]
    return render(
        request,
        "dashboard/statistics.html",
        {
            "days": DAYS,
            "daily": charts.daily_stacked_bars(days, per_day, types),
            "cameras": charts.camera_stacked_bars(per_camera, types),
            "hidden_cameras": hidden,
            "legend": legend,
            "total": sum(totals.values()),
            "table": table,
            "types": AlertType.choices,
            "nav": "stats",
        },
    )
