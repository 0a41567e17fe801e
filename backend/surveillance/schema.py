"""OpenAPI (drf-spectacular) description of the camera ingest token; imported by the app's ready()."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class CameraIngestTokenScheme(OpenApiAuthenticationExtension):
    target_class = "surveillance.authentication.CameraIngestTokenAuthentication"
    name = "cameraIngestToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token cam_<camera_id>_<hmac>: only send-alert and heartbeat of that camera.",
        }
