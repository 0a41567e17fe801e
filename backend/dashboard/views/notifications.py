"""Notification channels (list, add, edit, test, delete) and the delivery log."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from audit.actions import AuditAction
from audit.services import audit_object
from dashboard import teams as current
from dashboard.notification_forms import ChannelForm, initial_of
from notifications import selectors, services
from notifications.models import Channel, Delivery
from notifications.senders import send as send_message
from notifications.serializers import mask_url
from surveillance.access import Action
from surveillance.accounts.users import signed_in_user
from surveillance.cameras.selectors import cameras_of


@dataclass(frozen=True)
class ChannelRow:
    """A row of the channel list: the channel, where it sends (URL masked), its latest delivery."""

    channel: Channel
    target: str
    last_delivery: Delivery | None
    can_change: bool  # the user's role in the channel's team allows editing it (the buttons show)


@login_required
def channel_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    team_id = current.current_team_id(request, user)
    changeable = current.team_ids_allowing(user, Action.CHANGE)
    channels = [
        ChannelRow(
            channel,
            mask_url(channel.url) if channel.url else ", ".join(channel.addresses),
            selectors.deliveries_of(user, channel_id=channel.pk).first(),
            channel.team_id in changeable,
        )
        for channel in current.in_team(selectors.channels_of(user), team_id)
    ]
    can_add = (team_id in changeable) if team_id is not None else bool(changeable)
    context = {"channels": channels, "can_add": can_add, "nav": "notifications"}
    return render(request, "dashboard/notification_list.html", context)


def _form_page(request: HttpRequest, form: ChannelForm, channel) -> HttpResponse:
    context = {"form": form, "channel": channel, "nav": "notifications"}
    return render(request, "dashboard/notification_form.html", context)


@login_required
def channel_create(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    cameras = current.in_team(cameras_of(user), current.current_team_id(request, user))
    form = ChannelForm(request.POST or None, cameras=cameras)
    current.add_team_choice(form, request, user, Action.CHANGE)
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        try:
            channel = services.channel_create(
                user=user,
                kind=form.cleaned_data["kind"],
                name=fields.pop("name"),
                team=form.cleaned_data["team"],
                **fields,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            audit_object(request, AuditAction.CHANNEL_CREATED, channel)
            shown = f" Its signing secret (shown once): {channel.secret}" if channel.kind == "webhook" else ""
            messages.success(request, f"Channel “{channel.name}” added.{shown}")
            return redirect("dashboard:notifications")
    return _form_page(request, form, None)


@login_required
def channel_edit(request: HttpRequest, channel_id: int) -> HttpResponse:
    user = signed_in_user(request)
    channel = selectors.channel_of(user=user, channel_id=channel_id, action=Action.CHANGE)
    cameras = cameras_of(user)
    if request.method == "POST":
        form = ChannelForm(request.POST, cameras=cameras, channel=channel, initial=initial_of(channel))
        if form.is_valid():
            try:
                services.channel_update(channel=channel, **form.service_fields())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                audit_object(request, AuditAction.CHANNEL_UPDATED, channel)
                messages.success(request, f"Channel “{channel.name}” saved.")
                return redirect("dashboard:notifications")
    else:
        form = ChannelForm(cameras=cameras, channel=channel, initial=initial_of(channel))
    return _form_page(request, form, channel)


@login_required
@require_POST
def channel_test(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = selectors.channel_of(user=signed_in_user(request), channel_id=channel_id, action=Action.CHANGE)
    delivery = services.channel_send_test(channel=channel, send=send_message)
    if delivery.status == "delivered":
        messages.success(request, f"Test message delivered to “{channel.name}”.")
    else:
        messages.error(request, f"Test message to “{channel.name}” failed: {delivery.last_error}")
    return redirect("dashboard:notifications")


@login_required
@require_POST
def channel_delete(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = selectors.channel_of(user=signed_in_user(request), channel_id=channel_id, action=Action.CHANGE)
    services.channel_delete(channel=channel)
    audit_object(request, AuditAction.CHANNEL_DELETED, channel, pk=channel_id)
    messages.success(request, f"Channel “{channel.name}” deleted.")
    return redirect("dashboard:notifications")


@login_required
def delivery_log(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    channel_id = request.GET.get("channel")
    channel = None
    if channel_id and channel_id.isdigit():
        channel = selectors.channel_of(user=user, channel_id=int(channel_id))
    deliveries = current.in_team(
        selectors.deliveries_of(user, channel_id=channel.pk if channel else None),
        current.current_team_id(request, user),
        via="channel__",
    )
    # The log's newest pages are what people read; a deep page's count is acceptable here.
    page = Paginator(deliveries.select_related("alert__camera"), 50).get_page(request.GET.get("page"))
    return render(
        request, "dashboard/delivery_log.html", {"page": page, "channel": channel, "nav": "notifications"}
    )
