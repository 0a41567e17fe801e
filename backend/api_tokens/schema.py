"""OpenAPI (drf-spectacular) description of users' API tokens; imported by the app's ready()."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api_tokens.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token pat_<key id>_<secret> (or Bearer): a user's API token from /api/tokens/.",
        }
