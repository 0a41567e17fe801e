"""OpenAPI (drf-spectacular) pieces every domain's API shares: the camera ingest token's scheme (imported by
the app's ready()) and the shape of a page."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers


class CameraIngestTokenScheme(OpenApiAuthenticationExtension):
    target_class = "surveillance.accounts.authentication.CameraIngestTokenAuthentication"
    name = "cameraIngestToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token cam_<camera_id>_<hmac>: only send-alert and heartbeat of that camera.",
        }


def paginated(serializer_class: type[serializers.Serializer], *, name: str) -> serializers.Serializer:
    """The OpenAPI shape of a page of ``serializer_class`` (``count`` only in page-number pages)."""
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(
                required=False,
                help_text="Total matches (page pagination only; past API_COUNT_LIMIT a lower bound).",
            ),
            "count_exact": serializers.BooleanField(
                required=False, help_text="Whether count is exact (page pagination only)."
            ),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )
