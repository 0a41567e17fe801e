"""The alert feed (with its polling endpoint), alert detail, acknowledging and reviewing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from dashboard import selectors
from dashboard import teams as current
from dashboard.forms import AlertFilterForm
from dashboard.paging import page_before
from dashboard.presentation import TIMELINE_HOURS, detection_boxes, object_groups, timeline_bars
from surveillance.access import Action
from surveillance.accounts.users import signed_in_user
from surveillance.cameras.selectors import cameras_of
from surveillance.events import reviews, services
from surveillance.events.selectors import alert_of, alerts_of
from surveillance.ids import parse_id

# Alerts per page of the feed, and most alerts one poll returns (a burst beyond that shows on reload).
PAGE_SIZE = 48
POLL_LIMIT = 100
# Most alerts one bulk acknowledge or review takes (the feed shows 48 a page); the rest of a longer list is
# ignored.
MAX_ACKNOWLEDGE = 500


def _filter_form(request: HttpRequest, team_id: int | None) -> AlertFilterForm:
    user_cameras = current.in_team(cameras_of(signed_in_user(request)), team_id)
    cameras = list(user_cameras.values_list("id", "name"))
    zones = sorted(
        {zone["name"] for zones in user_cameras.values_list("zones", flat=True) for zone in zones or []}
    )
    form = AlertFilterForm(request.GET or None, cameras=cameras, zones=zones)
    if form.is_bound:
        form.is_valid()  # invalid fields show their error and are left out; the valid ones still filter
    else:
        form.cleaned_data = {}
    return form


def _in_team(alerts, team_id: int | None):
    return current.in_team(alerts, team_id, via="camera__")


def _card_actions(user) -> dict[str, set[int]]:
    """The teams whose alert cards get each button: a role without the action sees no button for it (the
    server refuses it anyway: 403)."""
    return {
        "ack_teams": current.team_ids_allowing(user, Action.ACKNOWLEDGE),
        "review_teams": current.team_ids_allowing(user, Action.REVIEW),
    }


def _poll_seconds() -> float:
    return settings.DASHBOARD_POLL_SECONDS


@require_GET
@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    team_id = current.current_team_id(request, user)
    form = _filter_form(request, team_id)
    shift_start = reviews.review_backlog_since(timezone.now())
    matching = _in_team(alerts_of(user, **form.selector_kwargs(shift_start=shift_start)), team_id)
    alerts = reviews.with_review_state(matching, user)
    cursor = form.cleaned_data.get("before") or None
    page, next_cursor = page_before(alerts, cursor, PAGE_SIZE)
    newest_id = _in_team(alerts_of(user), team_id).order_by("-id").values_list("id", flat=True).first() or 0
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "dashboard/alert_list.html",
        {
            "form": form,
            "alerts": page,
            "next_cursor": next_cursor,
            "is_first_page": cursor is None,
            "filter_query": query.urlencode(),
            "filter_active": bool(query),
            "newest_id": newest_id,
            "back_url": request.get_full_path(),
            "poll_ms": int(_poll_seconds() * 1000),
            "open_count": selectors.unacknowledged_count(user, team_id=team_id),
            "to_review": reviews.unreviewed_count(user=user, since=shift_start, team_id=team_id),
            "shift_start": shift_start,
            "nav": "alerts",
            **_card_actions(user),
        },
    )


@require_GET
@login_required
def alert_poll(request: HttpRequest) -> JsonResponse:
    """Alerts newer (by id) than ``?after=`` that match the feed's filters, as rendered cards.

    By id, not by time: a worker's spooled alert can arrive late with an old timestamp, and it must
    still show up in the feed of someone watching.
    """
    user = signed_in_user(request)
    after = parse_id(request.GET.get("after", ""))
    if after is None:
        return JsonResponse({"error": "after must be a non-negative integer alert id"}, status=400)
    team_id = current.current_team_id(request, user)
    form = _filter_form(request, team_id)
    # The cursor's next place first, and the cards up to it: alerts that do not match the filters still
    # move the cursor, so they are not fetched again. Read after the cards, an alert that committed
    # between the two reads moved the cursor past itself and never showed (the feed lost it until a
    # reload; a test saw 3 of 4 alerts posted in a row on a loaded machine).
    newer = _in_team(alerts_of(user), team_id).filter(id__gt=after)
    newest = newer.order_by("-id").values_list("id", flat=True).first()
    last_id = after if newest is None else newest
    shift_start = reviews.review_backlog_since(timezone.now())
    matching = reviews.with_review_state(
        _in_team(alerts_of(user, **form.selector_kwargs(shift_start=shift_start)), team_id), user
    )
    new = list(matching.filter(id__gt=after, id__lte=last_id).order_by("-id")[:POLL_LIMIT])
    # Buttons on these cards come back to the feed (with its filters), not to this endpoint.
    query = request.GET.copy()
    query.pop("after", None)
    back_url = reverse("dashboard:index") + (f"?{query.urlencode()}" if query else "")
    html = render_to_string(
        "dashboard/_alert_cards.html",
        {"alerts": new, "fresh": True, "back_url": back_url, **_card_actions(user)},
        request=request,
    )
    return JsonResponse(
        {
            "last_id": last_id,
            "count": len(new),
            "html": html,
            "open_count": selectors.unacknowledged_count(user, team_id=team_id),
            "to_review": reviews.unreviewed_count(user=user, since=shift_start, team_id=team_id),
        }
    )


@require_GET
@login_required
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    user = signed_in_user(request)
    alert = alert_of(user=user, alert_id=alert_id)
    now = timezone.now()
    day = alerts_of(user, camera_id=alert.camera_id, since=now - timedelta(hours=TIMELINE_HOURS))
    return render(
        request,
        "dashboard/alert_detail.html",
        {
            "alert": alert,
            "clips": list(alert.clips.all()),
            "timeline": timeline_bars(day[:500], now=now, current_id=alert.pk),
            "boxes": detection_boxes(alert.detections, alert_type=alert.alert_type),
            "object_groups": object_groups(alert.seen_objects),
            "reviewed": reviews.is_reviewed(alert=alert, user=user),
            "nav": "alerts",
            "back": _safe_next(request, default=""),
        },
    )


@require_POST
@login_required
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    user = signed_in_user(request)
    alert = alert_of(user=user, alert_id=alert_id, action=Action.ACKNOWLEDGE)
    services.alert_acknowledge(alert=alert, user=user)
    messages.success(request, f"Alert #{alert.id} acknowledged.")
    return redirect(_safe_next(request))


@require_POST
@login_required
def alerts_acknowledge(request: HttpRequest) -> HttpResponse:
    return _on_picked(request, services.alerts_acknowledge, verb="acknowledge", done="acknowledged")


@require_POST
@login_required
def alert_review(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Marks the alert reviewed by the user, or (``undo``) not: for a role that may review (an auditor
    sees the alert but may not, as in the API)."""
    user = signed_in_user(request)
    alert = alert_of(user=user, alert_id=alert_id, action=Action.REVIEW)
    if request.POST.get("undo"):
        reviews.alert_unreview(user=user, alert=alert)
        messages.success(request, f"Alert #{alert.id} marked not reviewed.")
    else:
        reviews.alerts_review(user=user, alert_ids=[alert.pk])
        messages.success(request, f"Alert #{alert.id} marked reviewed.")
    return redirect(_safe_next(request))


@require_POST
@login_required
def alerts_review(request: HttpRequest) -> HttpResponse:
    return _on_picked(request, reviews.alerts_review, verb="mark reviewed", done="marked reviewed")


def _on_picked(request: HttpRequest, act: Callable[..., int], *, verb: str, done: str) -> HttpResponse:
    """Applies a bulk service (``act(user=, alert_ids=)``, returning how many it changed) to the feed's
    ticked alerts. Ids the user may not act on are simply not found by the user-scoped service."""
    ids = _picked_ids(request)
    if not ids:
        messages.error(request, f"Select the alerts to {verb} first.")
        return redirect(_safe_next(request))
    count = act(user=signed_in_user(request), alert_ids=ids)
    messages.success(request, f"{count} alert{'s' if count != 1 else ''} {done}.")
    return redirect(_safe_next(request))


def _picked_ids(request: HttpRequest) -> list[int]:
    """The feed's ticked alert ids (at most ``MAX_ACKNOWLEDGE``); [] when any is not an id."""
    parsed = [parse_id(value) for value in request.POST.getlist("alert_ids")[:MAX_ACKNOWLEDGE]]
    ids = [alert_id for alert_id in parsed if alert_id is not None]
    return ids if len(ids) == len(parsed) else []


def _safe_next(request: HttpRequest, default: str | None = None) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default if default is not None else "dashboard:index"
