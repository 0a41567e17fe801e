"""Teams own cameras (and all that hangs off them), camera groups, notification channels and exports; users
hold a role in each team they belong to (teams.permissions says what a role may do), optionally narrowed
to some of the team's camera groups."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from teams.permissions import Role

TEAM_NAME_MAX_LENGTH = 100
CAMERA_GROUP_NAME_MAX_LENGTH = 100


class Team(models.Model):
    """A group of users sharing cameras. Every user has one personal team (``personal_of``), made when
    the user is; it holds what they add unless they name another team."""

    name = models.CharField(max_length=TEAM_NAME_MAX_LENGTH)
    personal_of = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="personal_team",
        help_text="The user whose personal team this is (empty for a shared team).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class TeamQuota(models.Model):
    """A team's own limits, set by staff in the admin ("Team quotas"); an empty field means the setting's
    default. Limits count what the team owns, whoever of its members added it (``surveillance.quotas``)."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="quota")
    max_cameras = models.PositiveIntegerField(
        null=True, blank=True, help_text="Cameras this team may own (empty: MAX_CAMERAS_PER_USER)."
    )
    max_active_cameras = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Cameras this team may have active at once (empty: MAX_ACTIVE_CAMERAS_PER_USER).",
    )
    max_storage_bytes = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="Snapshot bytes this team may store (empty: USER_STORAGE_QUOTA_BYTES; 0: no limit).",
    )

    def __str__(self) -> str:
        return f"Quota of {self.team}"


class CameraGroup(models.Model):
    """A site of a team ("Warehouse", "Front gate"): some of the team's cameras (a camera may be in several
    groups). A membership narrowed to groups reaches only their cameras (``surveillance.access``); a camera
    of another team is never put in one (``teams.services``)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="camera_groups")
    name = models.CharField(max_length=CAMERA_GROUP_NAME_MAX_LENGTH)
    # Named by string: teams sit below surveillance in the layers and import none of its modules.
    cameras = models.ManyToManyField("surveillance.Camera", related_name="groups", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="camera_group_team_name")]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in a team. Read on every request (``surveillance.access``), never cached, so a
    removed member loses the team's rows at their next request. With ``groups`` the role holds only for
    the cameras of those groups (a narrowed membership); without, for the whole team."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=[(role.value, role.value.title()) for role in Role])
    groups = models.ManyToManyField(
        CameraGroup,
        through="MembershipGroup",
        related_name="memberships",
        blank=True,
        help_text="Narrows the role to these groups' cameras; none: the whole team.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="membership_user_team")]
        # The access rule's subquery: a user's teams where the role allows an action.
        indexes = [models.Index(fields=["user", "role", "team"], name="membership_user_role_team")]

    def __str__(self) -> str:
        return f"user {self.user_id} is {self.role} of team {self.team_id}"


class MembershipGroup(models.Model):
    """One group a membership is narrowed to. A group that narrows a membership cannot be deleted
    (``RESTRICT``): deleting it would leave the membership without groups, which is the whole team. A
    removed membership or a deleted team takes these rows with it."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="narrowing")
    group = models.ForeignKey(CameraGroup, on_delete=models.RESTRICT, related_name="narrowing")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "group"], name="membership_group_unique")
        ]

    def __str__(self) -> str:
        return f"membership {self.membership_id} narrowed to group {self.group_id}"


class OwnedByTeam:
    """For models with a ``team`` (the owner) and a ``user`` (who added the row): a row saved without a
    team lands in its user's personal team, as every row did before teams (the seed's single-user API
    and code that creates rows directly keep working)."""

    def _fill_team(self) -> None:
        if getattr(self, "team_id", None) is None and getattr(self, "user_id", None) is not None:
            from teams.services import personal_team_of

            self.team = personal_team_of(self.user)  # type: ignore[attr-defined]

    def full_clean(self, exclude=None, *args, **kwargs) -> None:
        self._fill_team()
        if getattr(self, "team_id", None) is None and exclude is not None and "user" in exclude:
            # The team follows the user: a check that leaves the user out (no one to own the row yet)
            # leaves the team out too.
            exclude = {*exclude, "team"}
        super().full_clean(exclude, *args, **kwargs)  # type: ignore[misc]

    def save(self, *args, **kwargs) -> None:
        self._fill_team()
        super().save(*args, **kwargs)  # type: ignore[misc]


class ServiceAccount(models.Model):
    """A team's account for automation (Home Assistant, scripts): a Django user with no usable password
    (so no dashboard or password sign-in), a member of exactly this team (its role is that membership's),
    acting only through its API tokens (api_tokens). Made and deleted by ``teams.service_accounts``."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="service_account"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="service_accounts")
    name = models.CharField(max_length=TEAM_NAME_MAX_LENGTH, help_text="What uses it, e.g. Home Assistant.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"service account {self.name} of team {self.team_id}"
