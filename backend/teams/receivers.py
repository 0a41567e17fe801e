"""Every new user gets a personal team (issue 25): what they add lands there unless they name another."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from teams.models import ServiceAccount
from teams.services import personal_team_of


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="teams-personal-team")
def give_new_user_a_personal_team(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    # A service account (teams.service_accounts marks the user it makes) belongs to its one team only.
    if created and not raw and getattr(instance, "_service_account_team", None) is None:
        personal_team_of(instance)


@receiver(post_delete, sender=ServiceAccount, dispatch_uid="teams-service-account-user")
def delete_service_account_user(sender, instance: ServiceAccount, **kwargs) -> None:
    # Its team was deleted (or the row itself): the user, its membership and tokens go too.
    get_user_model().objects.filter(pk=instance.user_id).delete()
