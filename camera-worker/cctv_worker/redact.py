"""Keeps credentials out of logs: masks the password in stream URLs and tokens in free text."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]*)@")
_INGEST_TOKEN = re.compile(r"\bcam_(\d+)_[A-Za-z0-9_\-]+")
_AUTH_HEADER = re.compile(r"(Token|Bearer)\s+[A-Za-z0-9_\-.]+")


def mask_url(url: str) -> str:
    """``rtsp://admin:secret@host/x`` -> ``rtsp://admin:***@host/x``; file paths pass unchanged."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return mask_text(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    netloc = f"{parts.username}:***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def mask_text(text: str) -> str:
    """Masks URL passwords, ingest tokens and Authorization values anywhere in a message."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    text = _INGEST_TOKEN.sub(lambda m: f"cam_{m[1]}_***", text)
    return _AUTH_HEADER.sub(lambda m: f"{m[1]} ***", text)
