"""Template filters of the dashboard."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def ago(value: datetime | None) -> str:
    """ "just now" for the last minute, else "5 minutes ago" (the first unit only: quick to read)."""
    if value is None:
        return ""
    if (timezone.now() - value).total_seconds() < 60:
        return "just now"
    return f"{timesince(value, depth=1)} ago"


#: The one date format of every page (issue 19: the feed and the delivery log differed). The server
#: renders it in TIME_ZONE; times.js rewrites it in the browser's own time zone, same format.
WHEN_FORMAT = "Y-m-d H:i:s"


@register.filter
def when(value: datetime | None) -> SafeString | str:
    """``<time class="when" datetime="ISO">2026-11-30 10:00:05</time>``: one format everywhere."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return format_html(
        '<time class="when" datetime="{}">{}</time>', value.isoformat(), format_date(local, WHEN_FORMAT)
    )


@register.inclusion_tag("dashboard/_team_switcher.html", takes_context=True)
def team_switcher(context) -> dict:
    """The header's team picker, for a user in several teams (one query for their teams)."""
    from dashboard import teams as current  # the tag library loads before the apps' models

    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return {"teams": []}
    teams = current.teams_of(user)
    return {
        "teams": teams if len(teams) > 1 else [],
        "current": current.current_team_id(request, user),
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
