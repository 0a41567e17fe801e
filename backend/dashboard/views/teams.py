"""Teams in the dashboard (issue 25): the header's team switcher, the user's teams with their role, and a
team's page: its members (owners add, re-role and remove them), its camera groups (dashboard.views.groups)
and its service accounts (owners and admins make them, with a first token shown once, and revoke their
tokens or delete them). Every write goes through the services the API uses (teams.services,
teams.service_accounts, api_tokens.services)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from api_tokens import selectors as token_selectors
from api_tokens import services as token_services
from api_tokens.models import NAME_MAX_LENGTH, TokenScope
from audit.actions import AuditAction
from audit.services import audit_object
from dashboard import teams as current
from dashboard.group_forms import CameraGroupForm
from dashboard.team_groups import camera_choices, group_rows
from surveillance.accounts.users import signed_in_user
from surveillance.ids import parse_id
from teams import selectors, service_accounts, services
from teams.models import TEAM_NAME_MAX_LENGTH, Team
from teams.permissions import Action, Role, role_allows
from teams.serializers import USERNAME_MAX_LENGTH

ROLE_CHOICES = [(role.value, role.value.title()) for role in Role]


class TeamForm(forms.Form):
    name = forms.CharField(max_length=TEAM_NAME_MAX_LENGTH, label="Team name")


class MemberForm(forms.Form):
    username = forms.CharField(max_length=USERNAME_MAX_LENGTH, help_text="An existing user's name.")
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=Role.VIEWER.value)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)


class ServiceAccountForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX_LENGTH, help_text="What uses it, e.g. Home Assistant.")
    role = forms.ChoiceField(
        choices=[(role, role.title()) for role in service_accounts.SERVICE_ACCOUNT_ROLES],
        initial=Role.VIEWER.value,
    )
    scope = forms.ChoiceField(choices=TokenScope.choices, initial=TokenScope.READ)
    expires_in_days = forms.IntegerField(
        label="Token expires in (days)", min_value=1, max_value=settings.API_TOKEN_MAX_DAYS, initial=90
    )

    def __init__(self, *args, **kwargs) -> None:
        # Its own ids: the member form on the same page has a role too.
        kwargs.setdefault("auto_id", "account_%s")
        super().__init__(*args, **kwargs)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("dashboard:index")


def _list_page(request: HttpRequest, form: TeamForm, *, error: str = "", status: int = 200) -> HttpResponse:
    user = signed_in_user(request)
    context = {
        "teams": current.teams_of(user),
        "current": current.current_team_id(request, user),
        "form": form,
        "error": error,
        "nav": "teams",
    }
    return render(request, "dashboard/team_list.html", context, status=status)


@login_required
@require_POST
def team_switch(request: HttpRequest) -> HttpResponse:
    """Keeps the chosen team (``team``: an id, or empty for all teams) in the session."""
    user = signed_in_user(request)
    raw = request.POST.get("team", "").strip()
    team_id = parse_id(raw) if raw else None
    if raw and team_id is None:
        return _list_page(request, TeamForm(), error=f"“{raw[:40]}” is not a team id.", status=400)
    try:
        chosen = current.choose(request, user, team_id)
    except LookupError as problem:
        return _list_page(request, TeamForm(), error=str(problem), status=400)
    messages.success(request, f"Showing {chosen.team.name}." if chosen else "Showing all your teams.")
    return redirect(_safe_next(request))


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _list_page(request, TeamForm())
    form = TeamForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    try:
        team = services.team_create(
            user=signed_in_user(request), name=form.cleaned_data["name"], request=request
        )
    except ValidationError as error:
        form.add_error(None, " ".join(error.messages))
        return _list_page(request, form, status=400)
    messages.success(request, f"Team “{team.name}” made; you are its owner.")
    return redirect("dashboard:team", team_id=team.pk)


def team_page(
    request: HttpRequest,
    team: Team,
    *,
    member_form: MemberForm | None = None,
    account_form: ServiceAccountForm | None = None,
    group_form: CameraGroupForm | None = None,
    edited_group: tuple[int, CameraGroupForm] | None = None,
    created: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """The team's page; the forms given are shown bound (a refused change, with its errors)."""
    user = signed_in_user(request)
    membership = selectors.memberships_of(user).get(team=team)
    role = membership.role
    # As the API decides (teams.selectors.team_of): a narrowed member changes nothing team-wide.
    whole_team = not selectors.is_narrowed(membership)
    manages_groups = role_allows(role, Action.CHANGE) and whole_team
    manages_accounts = role_allows(role, Action.MANAGE_SERVICE_ACCOUNTS) and whole_team
    accounts = [
        (account, token_selectors.tokens_of(account.user))
        for account in (service_accounts.service_accounts_of(team) if manages_accounts else [])
    ]
    account_user_ids = set(team.service_accounts.values_list("user_id", flat=True))
    members = list(selectors.members_of(team))
    groups = group_rows(team, user, members=members, editable=manages_groups, edited=edited_group)
    context = {
        "team": team,
        "role": role,
        "manages_members": role_allows(role, Action.MANAGE_MEMBERS) and whole_team,
        "manages_accounts": manages_accounts,
        "manages_groups": manages_groups,
        "members": [(member, member.user_id in account_user_ids) for member in members],
        "roles": ROLE_CHOICES,
        "owner": Role.OWNER.value,
        "member_form": member_form or MemberForm(),
        "groups": groups,
        "group_form": group_form
        or CameraGroupForm(cameras=camera_choices(team) if manages_groups else [], auto_id="newgroup_%s"),
        "accounts": accounts,
        "account_form": account_form or ServiceAccountForm(),
        "created": created,
        "now": timezone.now(),
        "nav": "teams",
    }
    response = render(request, "dashboard/team_detail.html", context, status=status)
    if created:
        response["Cache-Control"] = "no-store"  # the page holds a token's secret
    return response


def team_for(request: HttpRequest, team_id: int, action: Action = Action.VIEW) -> Team:
    return selectors.team_of(user=signed_in_user(request), team_id=team_id, action=action)


@login_required
def team_detail(request: HttpRequest, team_id: int) -> HttpResponse:
    return team_page(request, team_for(request, team_id))


@login_required
@require_POST
def member_add(request: HttpRequest, team_id: int) -> HttpResponse:
    team = team_for(request, team_id, Action.MANAGE_MEMBERS)
    form = MemberForm(request.POST)
    if form.is_valid():
        try:
            membership = services.member_add(team=team, **form.cleaned_data, request=request)
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            messages.success(request, f"{membership.user.username} added as {membership.role}.")
            return redirect("dashboard:team", team_id=team.pk)
    return team_page(request, team, member_form=form, status=400)


@login_required
@require_POST
def member_role(request: HttpRequest, team_id: int, user_id: int) -> HttpResponse:
    team = team_for(request, team_id, Action.MANAGE_MEMBERS)
    membership = selectors.membership_in(team=team, user_id=user_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick one of the roles.")
        return redirect("dashboard:team", team_id=team.pk)
    try:
        membership = services.member_set_role(
            membership=membership, role=form.cleaned_data["role"], request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{membership.user.username} is now {membership.role}.")
    return redirect("dashboard:team", team_id=team.pk)


@login_required
@require_POST
def member_remove(request: HttpRequest, team_id: int, user_id: int) -> HttpResponse:
    team = team_for(request, team_id, Action.MANAGE_MEMBERS)
    membership = selectors.membership_in(team=team, user_id=user_id)
    try:
        services.member_remove(membership=membership, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{membership.user.username} removed from {team.name}.")
    return redirect("dashboard:team", team_id=team.pk)


@login_required
@require_POST
def service_account_create(request: HttpRequest, team_id: int) -> HttpResponse:
    team = team_for(request, team_id, Action.MANAGE_SERVICE_ACCOUNTS)
    form = ServiceAccountForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            made = token_services.service_account_create_with_token(
                team=team,
                created_by=signed_in_user(request),
                request=request,
                name=data["name"],
                role=data["role"],
                scope=data["scope"],
                expires_at=timezone.now() + timedelta(days=data["expires_in_days"]),
            )
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            audit_object(request, AuditAction.TOKEN_CREATED, made.created.token, detail=made.account.name)
            return team_page(request, team, created=made.created.secret)
    return team_page(request, team, account_form=form, status=400)


@login_required
@require_POST
def service_account_delete(request: HttpRequest, team_id: int, account_id: int) -> HttpResponse:
    team = team_for(request, team_id, Action.MANAGE_SERVICE_ACCOUNTS)
    account = service_accounts.service_account_in(team=team, account_id=account_id)
    service_accounts.service_account_delete(account=account, request=request)
    messages.success(request, f"Service account “{account.name}” deleted; its tokens no longer work.")
    return redirect("dashboard:team", team_id=team.pk)


@login_required
@require_POST
def service_account_token_revoke(
    request: HttpRequest, team_id: int, account_id: int, token_id: int
) -> HttpResponse:
    team = team_for(request, team_id, Action.MANAGE_SERVICE_ACCOUNTS)
    account = service_accounts.service_account_in(team=team, account_id=account_id)
    token = token_services.token_revoke(user=account.user, token_id=token_id)
    audit_object(request, AuditAction.TOKEN_REVOKED, token, detail=account.name)
    messages.success(request, f"Token “{token.name}” of “{account.name}” revoked.")
    return redirect("dashboard:team", team_id=team.pk)
