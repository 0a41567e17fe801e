"""The provider's claims: preferred_username, email and the user's Django groups as ``groups``, in the ID
token and userinfo whatever scopes were asked (the backend under test decides what it reads)."""

from oauth2_provider.oauth2_validators import OAuth2Validator


class GroupsValidator(OAuth2Validator):
    oidc_claim_scope = None  # every claim below, in every answer

    def get_additional_claims(self, request):
        user = request.user
        return {
            "preferred_username": user.username,
            "email": user.email,
            "groups": sorted(user.groups.values_list("name", flat=True)),
        }
