"""Login throttling glue for django-axes: who the client is, and what a locked-out client is told.

django-axes counts failed logins of every login (dashboard, admin, ``/api-token-auth/``) in the
database, so every gunicorn worker and every restart sees the same counts. A client is the pair
(address, username); past ``LOGIN_FAILURE_LIMIT`` failures the pair is refused, even with the right
password, until ``LOGIN_LOCKOUT_MINUTES`` have passed (or staff delete the attempt in the admin).
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check for logins that come from a client.

    ``authenticate()`` without a request (``manage.py`` commands, Django's test client ``login()``) has
    no client to throttle; axes would raise there, so those pass straight to the password check.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request: HttpRequest) -> str:
    """The client's address: the socket's peer, or the hop ``NUM_PROXIES`` proxies back in X-Forwarded-For.

    Without a configured proxy the header is ignored: anyone could write it to get a fresh counter.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return remote


def lockout_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_message() -> str:
    minutes = max(1, lockout_seconds() // 60)
    return (
        f"Too many failed logins for this account from your address: login is locked for {minutes} "
        "minutes. Ask an administrator to unlock it sooner."
    )


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """429 with Retry-After: JSON for API clients, the login page's look for browsers."""
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith(("/api", "/api-token-auth")):
        response: HttpResponse = JsonResponse({"detail": lockout_message()}, status=status)
    else:
        response = render(request, "dashboard/locked_out.html", {"message": lockout_message()}, status=status)
    response["Retry-After"] = str(lockout_seconds())
    return response
