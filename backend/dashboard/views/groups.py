"""Camera groups on the team's page (issue 25): made, renamed, given cameras and deleted by those whose
role allows ``change`` in the whole team (admins, owners), and the groups a member is narrowed to, set by
those who manage members (owners): the actions the API asks for the same changes (teams.views). Each
change goes through the API's services (teams.services): the same checks, limits, errors and audit
records; a refusal is shown as the API words it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from dashboard.group_forms import CameraGroupForm, MemberGroupsForm
from dashboard.team_groups import camera_choices
from dashboard.views.teams import team_for, team_page
from teams import selectors, services
from teams.permissions import Action

_NAMED = 5  # groups named in the message that confirms a member's groups


def _refused(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
@require_POST
def group_create(request: HttpRequest, team_id: int) -> HttpResponse:
    team = team_for(request, team_id, Action.CHANGE)
    form = CameraGroupForm(request.POST, cameras=camera_choices(team), auto_id="newgroup_%s")
    if form.is_valid():
        try:
            group = services.camera_group_create(team=team, **form.cleaned_data, request=request)
        except ValidationError as error:
            form.add_error(None, _refused(error))
        else:
            messages.success(request, f"Camera group “{group.name}” made.")
            return redirect("dashboard:team", team_id=team.pk)
    return team_page(request, team, group_form=form, status=400)


@login_required
@require_POST
def group_edit(request: HttpRequest, team_id: int, group_id: int) -> HttpResponse:
    """The group's name and its whole set of cameras (the form sends both)."""
    team = team_for(request, team_id, Action.CHANGE)
    group = selectors.group_of(team=team, group_id=group_id)
    form = CameraGroupForm(request.POST, cameras=camera_choices(team), auto_id=f"group{group.pk}_%s")
    if form.is_valid():
        try:
            group = services.camera_group_update(group=group, **form.cleaned_data, request=request)
        except ValidationError as error:
            form.add_error(None, _refused(error))
        else:
            messages.success(request, f"Camera group “{group.name}” saved.")
            return redirect("dashboard:team", team_id=team.pk)
    return team_page(request, team, edited_group=(group.pk, form), status=400)


@login_required
@require_POST
def group_delete(request: HttpRequest, team_id: int, group_id: int) -> HttpResponse:
    team = team_for(request, team_id, Action.CHANGE)
    group = selectors.group_of(team=team, group_id=group_id)
    try:
        services.camera_group_delete(group=group, request=request)
    except ValidationError as error:  # it narrows a member: the API's 400, worded as it words it
        messages.error(request, _refused(error))
    else:
        messages.success(request, f"Camera group “{group.name}” deleted.")
    return redirect("dashboard:team", team_id=team.pk)


@login_required
@require_POST
def member_groups(request: HttpRequest, team_id: int, user_id: int) -> HttpResponse:
    """The groups the member's role is narrowed to; none: the whole team (an owner is never narrowed)."""
    team = team_for(request, team_id, Action.MANAGE_MEMBERS)
    membership = selectors.membership_in(team=team, user_id=user_id)
    form = MemberGroupsForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(text) for text in form.errors["groups"]))
        return redirect("dashboard:team", team_id=team.pk)
    try:
        services.member_update(membership=membership, groups=form.cleaned_data["groups"], request=request)
    except ValidationError as error:
        messages.error(request, _refused(error))
    else:
        names = [group.name for group in membership.groups.order_by("id")]
        shown = ", ".join(names[:_NAMED]) + (
            f" and {len(names) - _NAMED} more" if len(names) > _NAMED else ""
        )
        reach = f"the camera groups {shown}" if names else "the whole team"
        messages.success(request, f"{membership.user.username} now reaches {reach}.")
    return redirect("dashboard:team", team_id=team.pk)
