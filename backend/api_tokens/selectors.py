"""Reading API tokens: a user's own (never another's), revoked ones left out."""

from django.db.models import QuerySet

from api_tokens.models import ApiToken


def tokens_of(user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at", "-id")
