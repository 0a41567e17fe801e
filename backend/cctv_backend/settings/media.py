"""Where snapshots, clips (and recordings) are kept: the media store, one for all of them.

``filesystem`` (the laptop default) keeps files under MEDIA_ROOT; ``s3`` keeps objects in a bucket of any
S3-compatible store (AWS S3, MinIO, Ceph RGW, SeaweedFS) through django-storages. Either way every read
and write goes through Django's storage API (``surveillance.media_store``), and browsers reach a file only
through the backend's access check: proxied by the backend, or redirected to a short-lived presigned URL.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from cctv_backend.env import env_bool, env_choice, env_float, env_int, env_secret, env_str, env_url

_BACKEND_DIR = Path(__file__).resolve().parent.parent.parent

MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(_BACKEND_DIR / "media")))
MEDIA_STORE = env_choice("MEDIA_STORE", "filesystem", ("filesystem", "s3"))
# Empty: AWS S3 itself (the region picks the endpoint).
MEDIA_S3_ENDPOINT_URL = env_url("MEDIA_S3_ENDPOINT_URL")
MEDIA_S3_BUCKET = env_str("MEDIA_S3_BUCKET").strip()
MEDIA_S3_REGION = env_str("MEDIA_S3_REGION", "us-east-1").strip()
# Path-style addressing (http://host/bucket/key): what MinIO, SeaweedFS and Ceph RGW answer without
# wildcard DNS. Off: virtual-hosted style (http://bucket.host/key), AWS's own.
MEDIA_S3_PATH_STYLE = env_bool("MEDIA_S3_PATH_STYLE", False)
# Both empty: boto3's own chain (an IAM role for the pod, the instance profile, AWS_* variables).
MEDIA_S3_ACCESS_KEY_ID = env_secret("MEDIA_S3_ACCESS_KEY_ID")
MEDIA_S3_SECRET_ACCESS_KEY = env_secret("MEDIA_S3_SECRET_ACCESS_KEY")
# Connect and read timeout of one store request. A store that does not answer in time fails the upload
# with 503 (the worker keeps the alert in its spool and retries) instead of holding a server thread.
MEDIA_S3_TIMEOUT_SECONDS = env_float("MEDIA_S3_TIMEOUT_SECONDS", 10.0, minimum=0.5, maximum=300)
# How a browser gets a stored file once the backend has checked it may: ``redirect`` to a presigned URL
# of the store (the bytes do not pass through the backend), or ``proxy``: the backend streams them (for
# stores browsers cannot reach). The filesystem store is always served by the backend.
MEDIA_SERVE_MODE = env_choice("MEDIA_SERVE_MODE", "redirect", ("redirect", "proxy"))
# Lifetime of a presigned URL (SigV4 allows at most 7 days). Short: a leaked link soon stops working.
MEDIA_URL_EXPIRY_SECONDS = env_int("MEDIA_URL_EXPIRY_SECONDS", 300, minimum=1, maximum=7 * 86_400)

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def media_storage(
    *,
    store: str,
    bucket: str,
    endpoint_url: str,
    region: str,
    path_style: bool,
    access_key: str,
    secret_key: str,
    timeout: float,
    expiry: int,
) -> dict[str, object]:
    """The ``STORAGES["default"]`` entry for the store, or ``ImproperlyConfigured`` naming the variable."""
    if store == "filesystem":
        # No location option: it follows MEDIA_ROOT (also when a test changes the setting).
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if not bucket:
        raise ImproperlyConfigured("MEDIA_STORE=s3 needs MEDIA_S3_BUCKET")
    if not _BUCKET.match(bucket):
        raise ImproperlyConfigured(
            f"MEDIA_S3_BUCKET={bucket!r} is not a bucket name (3-63 lowercase letters, digits, dots, hyphens)"
        )
    if bool(access_key) != bool(secret_key):
        raise ImproperlyConfigured(
            "Set both MEDIA_S3_ACCESS_KEY_ID and MEDIA_S3_SECRET_ACCESS_KEY (or their _FILE forms), "
            "or neither to use boto3's own credential chain"
        )
    return {
        "BACKEND": "surveillance.media_store.S3MediaStorage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "addressing_style": "path" if path_style else "virtual",
            "timeout": timeout,
            "querystring_expire": expiry,
        },
    }


MEDIA_STORAGE = media_storage(
    store=MEDIA_STORE,
    bucket=MEDIA_S3_BUCKET,
    endpoint_url=MEDIA_S3_ENDPOINT_URL,
    region=MEDIA_S3_REGION,
    path_style=MEDIA_S3_PATH_STYLE,
    access_key=MEDIA_S3_ACCESS_KEY_ID,
    secret_key=MEDIA_S3_SECRET_ACCESS_KEY,
    timeout=MEDIA_S3_TIMEOUT_SECONDS,
    expiry=MEDIA_URL_EXPIRY_SECONDS,
)


def browser_origins(
    *, store: str, serve_mode: str, endpoint_url: str, bucket: str, region: str, path_style: bool
) -> str:
    """The origins a browser loads media from when redirected to presigned URLs (space-separated, for the
    Content-Security-Policy's img-src and media-src: without them the dashboard's pictures and clips
    would be blocked after the redirect). Empty when the backend serves media itself."""
    if store != "s3" or serve_mode != "redirect":
        return ""
    if endpoint_url:
        parts = urlsplit(endpoint_url)
        host = parts.netloc if path_style else f"{bucket}.{parts.netloc}"
        return f"{parts.scheme}://{host}"
    hosts = [f"s3.{region}.amazonaws.com"] + (["s3.amazonaws.com"] if region == "us-east-1" else [])
    return " ".join(f"https://{host}" if path_style else f"https://{bucket}.{host}" for host in hosts)


MEDIA_BROWSER_ORIGINS = browser_origins(
    store=MEDIA_STORE,
    serve_mode=MEDIA_SERVE_MODE,
    endpoint_url=MEDIA_S3_ENDPOINT_URL,
    bucket=MEDIA_S3_BUCKET,
    region=MEDIA_S3_REGION,
    path_style=MEDIA_S3_PATH_STYLE,
)
