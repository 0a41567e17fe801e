"""Reading API tokens: a user's own (never another's), revoked ones left out."""

from django.db.models import QuerySet

from api_tokens.models import ApiToken


def tokens_of(user) -> QuerySet[ApiToken]:
    # A token is its user's own credential, never a team's object: scoped by its user here, not through
    # surveillance.access (which this app, below surveillance in the layers, does not import).
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at", "-id")
