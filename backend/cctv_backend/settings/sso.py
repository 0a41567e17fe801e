"""Single sign-on (issue 25): OpenID Connect, trusted proxy headers, and whether local passwords work.

Every value is an environment variable with a documented default (README "Configuration", backend/README.md
"Settings"); a bad one stops start-up with one line naming it. The provider's endpoints are not settings:
they come from its discovery document (``<OIDC_ISSUER>/.well-known/openid-configuration``), read at the
first sign-in and cached (sso.discovery), so the backend starts while the provider is down.
"""

import ipaddress
import os

from django.core.exceptions import ImproperlyConfigured

from cctv_backend.env import env_bool, env_choice, env_int, env_list, env_secret, env_str, env_url
from cctv_backend.role_map import RoleMapError, parse_role_map

# The provider's issuer URL, exactly as its discovery document and ID tokens spell it (a trailing slash
# is kept: issuers are compared as strings). Empty: no OpenID Connect sign-in.
OIDC_ISSUER = env_url("OIDC_ISSUER", "")
OIDC_ENABLED = bool(OIDC_ISSUER)
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID", "").strip()
# OIDC_CLIENT_SECRET or OIDC_CLIENT_SECRET_FILE (the chart mounts its Secret as a file). Empty for a
# public client: PKCE protects the code exchange.
OIDC_CLIENT_SECRET = env_secret("OIDC_CLIENT_SECRET")
OIDC_SCOPES = " ".join(env_str("OIDC_SCOPES", "openid profile email").split())
# The ID-token or userinfo claim that lists the user's groups (Keycloak, Authentik, Dex: "groups").
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups").strip()
# The login page's button: "Sign in with <OIDC_PROVIDER_NAME>".
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "single sign-on").strip()
OIDC_SIGN_ALGORITHM = env_choice(
    "OIDC_SIGN_ALGORITHM", "RS256", ("RS256", "RS384", "RS512", "ES256", "PS256")
)
# Seconds one request to the provider (discovery, token, keys, userinfo) may take.
OIDC_TIMEOUT_SECONDS = env_int("OIDC_TIMEOUT_SECONDS", 10, minimum=1, maximum=120)

try:
    OIDC_ROLE_MAP = parse_role_map(os.environ.get("OIDC_ROLE_MAP", ""))
except RoleMapError as _error:  # private: settings/__init__ star-imports this module
    raise ImproperlyConfigured(f"OIDC_ROLE_MAP: {_error}") from None

if OIDC_ENABLED and not OIDC_CLIENT_ID:
    raise ImproperlyConfigured(
        "OIDC_ISSUER is set but OIDC_CLIENT_ID is not: set the client id the provider gave"
    )
if OIDC_ENABLED and "openid" not in OIDC_SCOPES.split():
    raise ImproperlyConfigured(f"OIDC_SCOPES={OIDC_SCOPES!r} lacks 'openid'")
if not OIDC_GROUPS_CLAIM:
    raise ImproperlyConfigured(
        "OIDC_GROUPS_CLAIM is empty: name the claim that lists groups (default groups)"
    )

# Peers (the socket's address, never X-Forwarded-For) whose Remote-User / X-Forwarded-User and
# Remote-Groups headers sign a user in: oauth2-proxy, Authelia, an Ingress with forward auth. Empty: the
# headers are ignored from everyone.
TRUSTED_PROXY_NETWORKS = tuple(env_list("TRUSTED_PROXY_NETWORKS", []))
try:
    TRUSTED_PROXY_NETWORK_LIST = tuple(
        ipaddress.ip_network(item, strict=False) for item in TRUSTED_PROXY_NETWORKS
    )
except ValueError as _error:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_NETWORKS: {_error}") from None

# Off: the dashboard's and the admin's password forms and /api-token-auth/ refuse with a message saying
# so; sessions and API tokens keep working.
LOCAL_PASSWORDS = env_bool("LOCAL_PASSWORDS", True)
if not LOCAL_PASSWORDS and not (OIDC_ENABLED or TRUSTED_PROXY_NETWORKS):
    raise ImproperlyConfigured(
        "LOCAL_PASSWORDS is off but no other sign-in is configured: set OIDC_ISSUER or TRUSTED_PROXY_NETWORKS"
    )

# mozilla-django-oidc's own names, from the ones above (sso.oidc reads the endpoints from discovery).
OIDC_RP_CLIENT_ID = OIDC_CLIENT_ID
OIDC_RP_CLIENT_SECRET = OIDC_CLIENT_SECRET
OIDC_RP_SCOPES = OIDC_SCOPES
OIDC_RP_SIGN_ALGO = OIDC_SIGN_ALGORITHM
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_TIMEOUT = OIDC_TIMEOUT_SECONDS
OIDC_AUTHENTICATION_CALLBACK_URL = "sso:oidc-callback"
OIDC_MAX_STATES = 10
LOGIN_REDIRECT_URL_FAILURE = "/dashboard/login/?sso=failed"
