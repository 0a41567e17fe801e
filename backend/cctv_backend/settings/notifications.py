"""Notification delivery settings: outbound safety, retries, the delivery process, SMTP.

Every value is an environment variable with a documented default (README "Configuration", and
docs/contracts.md "Notifications"). SMTP uses Django's own names (EMAIL_HOST, EMAIL_PORT, ...).
"""

from django.core.exceptions import ImproperlyConfigured

from cctv_backend.env import env_bool, env_float, env_int, env_list, env_str
from cctv_common.network_policy import parse_networks

# CIDR list of private/loopback/link-local networks that webhook and broker hosts may resolve to. Empty
# (the default, and the chart's): public addresses only, as a multi-tenant service must. scripts/run
# allows loopback and the private ranges (the user's own network).
try:
    NOTIFY_ALLOWED_NETWORKS = parse_networks(
        ",".join(env_list("NOTIFY_ALLOWED_NETWORKS", [])), name="NOTIFY_ALLOWED_NETWORKS"
    )
except ValueError as _error:  # names the variable and the bad entry; private: star-imported module
    raise ImproperlyConfigured(str(_error)) from None
# How long a failing delivery keeps being retried (from its first attempt) before it is marked failed.
NOTIFY_RETRY_WINDOW_SECONDS = env_float(
    "NOTIFY_RETRY_WINDOW_SECONDS", 86_400.0, minimum=1, maximum=30 * 86_400
)
# Exponential backoff between attempts: base * 2^(attempt-1), capped, with jitter (half the delay).
NOTIFY_BACKOFF_BASE_SECONDS = env_float("NOTIFY_BACKOFF_BASE_SECONDS", 2.0, minimum=0.01, maximum=3600)
NOTIFY_BACKOFF_MAX_SECONDS = env_float("NOTIFY_BACKOFF_MAX_SECONDS", 600.0, minimum=0.01, maximum=86_400)
# One deadline for a whole attempt (connect, send, the answer's head, redirects) to a webhook, broker or
# SMTP server, whatever the receiver does. A webhook's answer body is never read.
NOTIFY_TIMEOUT_SECONDS = env_float("NOTIFY_TIMEOUT_SECONDS", 10.0, minimum=0.1, maximum=300)
# alert.closed waits up to this long for the event's clip (the worker records POST_ROLL more seconds,
# then uploads it), so that the close carries clip_url; it goes out as soon as the clip is stored, or
# without one when none came in time (clips off, a worker killed mid-event). 0: send the close at once.
NOTIFY_CLOSE_CLIP_WAIT_SECONDS = env_float("NOTIFY_CLOSE_CLIP_WAIT_SECONDS", 90.0, minimum=0, maximum=3600)
# Channel tests (POST .../channels/<id>/test/) running at once per server process; more answer 503.
CHANNEL_TEST_CONCURRENCY = env_int("CHANNEL_TEST_CONCURRENCY", 2, minimum=1, maximum=64)
# The delivery process: how often it looks for due deliveries when idle, how many it claims at once, how
# many it sends in parallel, and how long a claim holds before another process may take the row over
# (a process killed mid-send leaves rows that become due again after this lease).
NOTIFY_POLL_SECONDS = env_float("NOTIFY_POLL_SECONDS", 0.5, minimum=0.01, maximum=60)
NOTIFY_BATCH_SIZE = env_int("NOTIFY_BATCH_SIZE", 100, minimum=1, maximum=10_000)
# Alert notifications one channel may queue per minute; past it they are dropped and counted
# (cctv_backend_notifications_suppressed_total): an e-mail channel must not become an open relay.
NOTIFY_CHANNEL_RATE_PER_MINUTE = env_int("NOTIFY_CHANNEL_RATE_PER_MINUTE", 60, minimum=1, maximum=100_000)
NOTIFY_CONCURRENCY = env_int("NOTIFY_CONCURRENCY", 16, minimum=1, maximum=256)
NOTIFY_LEASE_SECONDS = env_float("NOTIFY_LEASE_SECONDS", 60.0, minimum=1, maximum=3600)
# Port of the delivery process's Prometheus /metrics (cctv_backend_notifications_* counters).
NOTIFY_METRICS_PORT = env_int("NOTIFY_METRICS_PORT", 9102, minimum=0, maximum=65_535)
# Where that port listens: every address in a pod (Prometheus scrapes it); the laptop product says 127.0.0.1.
NOTIFY_METRICS_HOST = env_str("NOTIFY_METRICS_HOST", "0.0.0.0")  # noqa: S104 (a pod is scraped from outside)
# The backend's address as users reach it: the base of snapshot and dashboard links in notifications.
PUBLIC_URL = env_str("PUBLIC_URL", "http://localhost:8000").rstrip("/")
if not PUBLIC_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"PUBLIC_URL={PUBLIC_URL!r} must start with http:// or https://")

# SMTP for e-mail channels (Django's names). Without EMAIL_HOST, e-mail deliveries fail with that reason.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65_535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1, maximum=300)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "cctv@localhost")
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive: set one")
