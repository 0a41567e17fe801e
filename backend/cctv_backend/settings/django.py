"""Core Django settings: apps, database, static/media files, security, logging."""

import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from cctv_backend.env import env_bool, env_choice, env_int, env_list, env_secret, env_str

from .media import MEDIA_STORAGE

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DEBUG", False)

# Test runs (pytest imported before settings) need no key: no test process serves real users.
_TESTING = "pytest" in sys.modules
# Nor does the type checker: the django-stubs plugin imports these settings to learn the models.
_TYPE_CHECKING_RUN = "mypy_django_plugin" in sys.modules

# SECRET_KEY or SECRET_KEY_FILE (the chart mounts it from its Secret as a file).
SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or _TESTING or _TYPE_CHECKING_RUN or env_bool("CCTV_ALLOW_INSECURE_SECRET_KEY", False)):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it (or SECRET_KEY_FILE to a file holding it) to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), or set DEBUG=1 for development."
        )
    # Development only: a fixed key keeps sessions and camera ingest tokens valid across restarts.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production-0123456789abcdef"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "teams",
    "audit",
    "api_tokens",
    "sso",
    "surveillance",
    "recordings",
    "exports",
    "notifications",
    "dashboard",
]

# The recordings key carries covering columns (recordings.models) that only PostgreSQL builds; SQLite
# builds the same key without them, which is what this warning would say on every migrate.
SILENCED_SYSTEM_CHECKS = ["models.W039"]

MIDDLEWARE = [
    # First (outermost): also sees whitenoise's file responses.
    "surveillance.middleware.AsyncFileStreamingMiddleware",
    "surveillance.middleware.RequestBodyLimitMiddleware",
    "surveillance.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the session's user is known: signs in the user a trusted proxy names (TRUSTED_PROXY_NETWORKS).
    "sso.proxy.TrustedProxyHeaderMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused for too many failures into the lockout answer (429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cctv_backend.urls"
WSGI_APPLICATION = "cctv_backend.wsgi.application"
ASGI_APPLICATION = "cctv_backend.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# DATABASE_URL selects the database: postgres://user:pass@host:5432/name or sqlite:///path.
# Without it the backend uses SQLite next to manage.py, as the seed did.
# DATABASE_URL_FILE instead names a file holding it (the chart's default for a database given by URL).
_database_url = env_secret("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
except ValueError as _error:  # private: settings/__init__ star-imports this module
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {_error}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dashboard read while a worker's alert is being written; the busy timeout turns
    # "database is locked" under concurrent ingest into a short wait.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    # Tests get a file next to the database's, as the product has, not Django's default in-memory database
    # with a shared cache: its table locks fail a write at once while another thread reads (SQLITE_LOCKED,
    # no busy wait; a live-server test's alert failed so while the feed polled), which WAL never does.
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", f"{DATABASES['default']['NAME']}.test")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Production serves hashed static files collected by `collectstatic` (Dockerfile); development and tests
# serve them from the apps directly (no collectstatic needed).
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG and not _TESTING)
STORAGES = {
    # Snapshots, clips and recordings: the media store (settings/media.py).
    "default": MEDIA_STORAGE,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

LOGIN_URL = "dashboard:login"
LOGIN_REDIRECT_URL = "dashboard:index"
LOGOUT_REDIRECT_URL = "dashboard:login"

# Security. HTTPS_ONLY=1 is for deployments behind TLS (an Ingress): it turns on HSTS, secure cookies
# and the HTTPS redirect. Health and metrics stay reachable over plain HTTP for probes and scrapers.
HTTPS_ONLY = env_bool("HTTPS_ONLY", False)
SECURE_SSL_REDIRECT = HTTPS_ONLY
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS_ONLY else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY
SECURE_HSTS_PRELOAD = HTTPS_ONLY
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # django-axes logs every login at INFO; failures and lockouts are WARNING.
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}
