"""Keeps credentials out of sight: the one place that masks passwords in camera URLs and tokens in text.

The backend (API, dashboard, admin, its logs) and the worker (its logs) both mask with ``mask_url`` and
``mask_text`` from here, so a URL is masked the same way wherever it shows. Credentials hide in three
places of a URL: the user info (``rtsp://admin:secret@host``), the query
(``?user=admin&password=secret``, common on cameras) and the path: on some camera brands as parameters
(``/user=admin_password=secret_channel=1``), on webhook services as a token segment
(``/services/T0/B0/Xy7...``). Pure functions, standard library only.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit, urlunsplit

MASK = "***"
# Parameter names that carry a secret. A name matches whole, case-insensitively, after a separator.
_HIDDEN_PARAMETERS = (
    r"password|passwd|passwort|pass|pwd|pw|psw|secret|token|access_token|auth|authorization|key|"
    r"apikey|api_key|sig|signature|credential|credentials|session|sessionid"
)
_SECRET_PARAM = re.compile(rf"(?i)(?P<before>(?:^|[?&;/_,])(?:{_HIDDEN_PARAMETERS}))=(?P<value>[^&;/_,#\s]*)")
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]*)@")
# A path segment that is a token (webhook services put their secret there): long, letters and digits.
_OPAQUE_SEGMENT = r"(?=[A-Za-z0-9_-]{20,}(?:/|$))(?=[^/]*[0-9])(?=[^/]*[A-Za-z])[A-Za-z0-9_-]+"
_TOKEN_SEGMENT = re.compile(rf"(?<=/){_OPAQUE_SEGMENT}")
_DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443, "mqtt": 1883, "mqtts": 8883}
_INGEST_TOKEN = re.compile(r"\bcam_(\d+)_[A-Za-z0-9_\-]+")
_AUTH_HEADER = re.compile(r"(Token|Bearer|Basic)\s+[A-Za-z0-9_\-.+/=]+")


def _mask_params(text: str) -> str:
    return _SECRET_PARAM.sub(lambda m: f"{m['before']}={MASK}" if m["value"] else m[0], text)


def _starts_userinfo(netloc: str) -> bool:
    """Whether ``netloc`` holds user info (or its start, when the password has an unencoded "/")."""
    return "@" in netloc or (":" in netloc and not netloc.rpartition(":")[2].isdigit() and "]" not in netloc)


def mask_url(url: str) -> str:
    """``rtsp://admin:secret@host/x?password=y`` -> ``rtsp://admin:***@host/x?password=***``.

    The user name, host, port and the rest of the path stay (they tell cameras apart); file paths pass
    unchanged. A URL too malformed to split is masked as free text.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return mask_text(url)
    if "@" in parts.path and _starts_userinfo(parts.netloc):
        # An unencoded "@" or "/" in the password splits the user info across netloc and path: mask up
        # to the last "@" before the query, so no piece of the password survives.
        start = url.index("//") + 2
        end = len(url.split("?", 1)[0].split("#", 1)[0])
        at = url.rfind("@", start, end)
        if at > start:
            user = url[start:at].partition(":")[0].partition("/")[0]
            url = f"{url[:start]}{user}:{MASK}@{url[at + 1 :]}"
            parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{hostport}" if colon else netloc
    path, query = _TOKEN_SEGMENT.sub(MASK, _mask_params(parts.path)), _mask_params(parts.query)
    return urlunsplit(SplitResult(parts.scheme, netloc, path, query, parts.fragment))


def mask_text(text: str) -> str:
    """Masks URL passwords, secret parameters, ingest tokens and Authorization values anywhere in text."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    text = _mask_params(text)
    text = _INGEST_TOKEN.sub(lambda m: f"cam_{m[1]}_{MASK}", text)
    return _AUTH_HEADER.sub(lambda m: f"{m[1]} {MASK}", text)


def _origin(parts: SplitResult) -> tuple[str, str | None, int | None]:
    scheme = parts.scheme.lower()
    return scheme, parts.hostname, parts.port or _DEFAULT_PORTS.get(scheme)


def same_origin(submitted: str, stored: str) -> bool:
    """Whether two URLs name the same scheme, host and port (a default port written or not)."""
    try:
        return _origin(urlsplit(submitted)) == _origin(urlsplit(stored))
    except ValueError:  # a port that is not a number
        return False


def restore_masked(submitted: str, stored: str) -> str:
    """The URL to save when a form that showed ``mask_url(stored)`` comes back as ``submitted``.

    Every ``***`` the user left in place (the password in the user info, a secret parameter, a token
    segment of the path) means "keep mine", so the stored value goes back in, as long as the scheme, host
    and port are the same (a kept password must not follow the URL to another host) and the user name
    (for the password), the parameter name or the segment's place is the same. Anything else is taken as
    typed.
    """
    if MASK not in submitted or not same_origin(submitted, stored):
        return submitted
    try:
        new, old = urlsplit(submitted), urlsplit(stored)
    except ValueError:
        return submitted
    netloc = new.netloc
    if "@" in new.netloc and "@" in old.netloc:
        new_user, _, new_host = new.netloc.rpartition("@")
        old_user = old.netloc.rpartition("@")[0]
        if new_user == f"{old_user.partition(':')[0]}:{MASK}":
            netloc = f"{old_user}@{new_host}"
    old_values = {
        match["before"].lstrip("?&;/_,").lower(): match["value"]
        for match in _SECRET_PARAM.finditer(f"{old.path}?{old.query}")
    }

    def restore(match: re.Match) -> str:
        name = match["before"].lstrip("?&;/_,").lower()
        if match["value"] == MASK and name in old_values:
            return f"{match['before']}={old_values[name]}"
        return match[0]

    path = _restore_segments(_SECRET_PARAM.sub(restore, new.path), old.path)
    query = _SECRET_PARAM.sub(restore, new.query)
    return urlunsplit(SplitResult(new.scheme, netloc, path, query, new.fragment))


def _restore_segments(path: str, stored_path: str) -> str:
    """Token segments masked in place: a ``***`` segment where the stored path has a token segment, with
    every segment before it the same, gets the stored token back."""
    new, old = path.split("/"), stored_path.split("/")
    for index, segment in enumerate(new):
        if (
            segment == MASK
            and index < len(old)
            and new[:index] == old[:index]
            and re.fullmatch(_OPAQUE_SEGMENT, old[index])
        ):
            new[index] = old[index]
    return "/".join(new)
