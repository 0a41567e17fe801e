"""Every new user gets a personal team (issue 25): what they add lands there unless they name another."""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from teams.services import personal_team_of


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="teams-personal-team")
def give_new_user_a_personal_team(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        personal_team_of(instance)
