"""Which local user a provider's subject is: the link made at the first sign-in, checked at every other."""

from django.conf import settings
from django.db import models

ISSUER_MAX_LENGTH = 255
SUBJECT_MAX_LENGTH = 255
# The issuer recorded for users a trusted proxy signs in (their subject is the proxy's user name).
TRUSTED_PROXY_ISSUER = "trusted-proxy"


class SsoIdentity(models.Model):
    """A user as a provider knows them: ``issuer`` (the OIDC issuer URL, or ``trusted-proxy``) and
    ``subject`` (the ID token's ``sub``, or the proxy's user name).

    The link, not the user name, decides who signs in: a provider's ``preferred_username`` that happens
    to match a local account never signs in as that account. ``team_roles`` holds the (team, role) pairs
    the provider's groups granted at the last sign-in (what the next sign-in compares with).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities"
    )
    issuer = models.CharField(max_length=ISSUER_MAX_LENGTH)
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH)
    team_roles = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_issuer_subject")
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
