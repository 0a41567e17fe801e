"""Abuse limits: login throttling (django-axes), proxy trust, Content-Security-Policy, body size."""

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from cctv_backend.env import env_int, env_str
from cctv_common.network_policy import NetworkPolicy

from .media import MEDIA_BROWSER_ORIGINS
from .sso import LOCAL_PASSWORDS, OIDC_ENABLED

# How many proxies (an Ingress) sit in front. Their headers (X-Forwarded-For for the client's address,
# X-Forwarded-Proto for HTTPS) are trusted only then: without a proxy any client could forge them.
NUM_PROXIES = env_int("NUM_PROXIES", 0, minimum=0, maximum=10)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if NUM_PROXIES else None

# Login throttling on every login form and /api-token-auth/, counted in the database (shared by all
# workers, kept across restarts). The lockout is per (client address, username) and expires.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=1000)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1, maximum=7 * 24 * 60)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_CLIENT_IP_CALLABLE = "surveillance.accounts.login_throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "surveillance.accounts.login_throttle.lockout_response"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
# Successful logins are not logged as rows (the access log table would grow with every API login).
AXES_DISABLE_ACCESS_LOG = True
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out client before any password is checked.
    "surveillance.accounts.login_throttle.LoginThrottleBackend",
    # Passwords only while LOCAL_PASSWORDS is on (settings.sso).
    *(["django.contrib.auth.backends.ModelBackend"] if LOCAL_PASSWORDS else []),
    *(["sso.oidc.OidcBackend"] if OIDC_ENABLED else []),
    # Checks no credentials: it holds the sessions of users signed in by a trusted proxy, and Django's
    # permissions for everyone while passwords are off (sso.backends).
    "sso.backends.SignedInElsewhereBackend",
]

# Content-Security-Policy of every response: scripts and styles from this site only (the dashboard has
# no inline scripts). Inline style attributes stay allowed: the charts and detection boxes are drawn with
# them, and a style attribute cannot run code. Media may also come from blob: URLs: the live view plays a
# MediaSource through one (a blob: URL names bytes this page made, and media cannot run code).
# Snapshots and clips redirected to presigned URLs of the media store load from its origin.
_MEDIA = f" {MEDIA_BROWSER_ORIGINS}" if MEDIA_BROWSER_ORIGINS else ""
CONTENT_SECURITY_POLICY = (
    f"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:{_MEDIA}; "
    f"media-src 'self' blob:{_MEDIA}; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

# Where camera URLs may point (comma-separated CIDR lists; cctv_common.network_policy). Denied always
# wins; an empty allowed list allows every address that is not denied. The chart denies loopback,
# link-local and the cloud metadata addresses; the laptop product allows the LAN and loopback.
CAMERA_ALLOWED_NETWORKS = env_str("CAMERA_ALLOWED_NETWORKS", "")
CAMERA_DENIED_NETWORKS = env_str("CAMERA_DENIED_NETWORKS", "")
try:
    NetworkPolicy.from_strings(CAMERA_ALLOWED_NETWORKS, CAMERA_DENIED_NETWORKS)
except ValueError as _error:  # private: settings/__init__ star-imports this module
    raise ImproperlyConfigured(str(_error)) from None
