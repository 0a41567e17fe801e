"""Settings of the audit trail and of users' API tokens (issue 25); README "Configuration"."""

from cctv_backend.env import env_int

# Audit records older than this are deleted by the retention job (manage.py purge_alerts runs purge_audit).
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 365, minimum=1, maximum=36_500)
# The longest life a user's API token may be given (a token always expires).
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365, minimum=1, maximum=3650)
# Tokens one user may hold (revoked ones not counted); one more is refused (400).
API_TOKENS_PER_USER = env_int("API_TOKENS_PER_USER", 50, minimum=1, maximum=10_000)
