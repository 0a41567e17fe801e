"""Django REST framework and OpenAPI settings."""

from cctv_backend.env import env_int, env_rate
from cctv_backend.settings.security import NUM_PROXIES

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Camera ingest tokens (cam_<id>_...) first: they share the "Token" keyword with user tokens.
        "surveillance.accounts.authentication.CameraIngestTokenAuthentication",
        # Users' own API tokens (pat_<id>_<secret>, issue 25): read-only or full, with an expiry.
        "api_tokens.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Users only: a camera's ingest token is let into send-alert and heartbeat by those views alone.
    "DEFAULT_PERMISSION_CLASSES": ["surveillance.accounts.permissions.IsUser"],
    # One JSON parser with depth and size limits (400/413, never 500); forms for the browsable clients.
    "DEFAULT_PARSER_CLASSES": [
        "surveillance.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "surveillance.pagination.PagePagination",
    "EXCEPTION_HANDLER": "surveillance.exceptions.exception_handler",
    "PAGE_SIZE": env_int("API_PAGE_SIZE", 50, minimum=1, maximum=1000),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"auth": env_rate("AUTH_THROTTLE_RATE", "10/minute")},
    # The throttle trusts as many X-Forwarded-For hops as there are proxies (settings.security).
    "NUM_PROXIES": NUM_PROXIES,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# Page-number lists count their rows up to this many; past it the count is a lower bound
# (surveillance.pagination: counting a million visible events cost up to 0.7 s a page).
API_COUNT_LIMIT = env_int("API_COUNT_LIMIT", 10_000, minimum=1, maximum=10_000_000)

SPECTACULAR_SETTINGS = {
    "TITLE": "CCTV Analytics API",
    "DESCRIPTION": "Cameras, alerts and the ingest API of the CCTV analytics platform.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs pages need a signed-in user (session from /admin/ or /dashboard/, or a user
    # token); a camera's ingest token is not a user.
    "SERVE_PERMISSIONS": ["surveillance.accounts.permissions.IsUser"],
    # Swagger UI's assets come from drf-spectacular-sidecar: no CDN (no ReDoc page: surveillance/urls.py).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AlertTypeEnum": "surveillance.models.AlertType",
        "StreamStateEnum": "surveillance.models.StreamState",
        "StreamReportEnum": ["up", "down", "connecting"],
        "EventStatusEnum": "surveillance.models.EventStatus",
        "DeliveryStatusEnum": "notifications.models.DeliveryStatus",
        # A team member's role, and the narrower one a service account may hold (never owner).
        "RoleEnum": ["owner", "admin", "operator", "viewer", "auditor"],
        "ServiceAccountRoleEnum": ["admin", "operator", "viewer", "auditor"],
    },
}
