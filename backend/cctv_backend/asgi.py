"""ASGI entry point, what the production server runs:
``gunicorn -c python:cctv_backend.gunicorn_conf cctv_backend.asgi:application`` (uvicorn workers).

Django's application behind the request guard, and the live view's WebSocket
(``surveillance.cameras.live_ws``) in front of both. Behind the guard (``cctv_backend.asgi_guard``): body
limits before a body is spooled, and at most REQUEST_CONCURRENCY requests of a process running Django code at
once, each in one of that many long-lived threads (so database connections are kept, DB_CONN_MAX_AGE, as under
WSGI).
"""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application

from cctv_backend.asgi_guard import BodyPace, RequestGuard

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cctv_backend.settings")
django_application = get_asgi_application()

from surveillance import body_limits  # noqa: E402  (an app's module: after Django is set up)
from surveillance.cameras.live_ws import LiveWebSocket  # noqa: E402

guarded = RequestGuard(
    django_application,
    limit_for=body_limits.limit_for_request,
    declared_too_large=body_limits.declared_too_large,
    on_refused=body_limits.count_refusal,
    concurrency=settings.REQUEST_CONCURRENCY,
    pace=BodyPace(
        grace=settings.REQUEST_BODY_GRACE_SECONDS,
        min_rate=settings.REQUEST_BODY_MIN_RATE,
        max_seconds=settings.REQUEST_BODY_MAX_SECONDS,
    ),
)
# The live view's WebSocket (the only WebSocket route): its upgrade is answered by Django's own view of
# the stream, so the guard above applies to HTTP and this adds no other way in.
application = LiveWebSocket(guarded, django_application)
