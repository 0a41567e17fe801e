"""Probes and metrics, plain Django views outside the authenticated API.

``/healthz``: the process answers. ``/readyz``: the database answers too (a pod is taken out of the
Service while it cannot serve). ``/metrics``: Prometheus text, ``cctv_backend_*`` names per contracts.
"""

from __future__ import annotations

import logging
import os

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Gauge,
    generate_latest,
    multiprocess,
)

from notifications import metrics as notification_metrics  # noqa: F401  (defines the counters)
from notifications.selectors import outbox_state
from surveillance import metrics  # noqa: F401  (defines the counters on import)
from surveillance.selectors import camera_state_counts

logger = logging.getLogger(__name__)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        # The detail (host names, ports) goes to the log, not to unauthenticated callers.
        logger.warning("readyz: database unreachable: %s", error)
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def _process_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    # Camera counts and the outbox come from the database on each scrape: every process reports the same.
    # A database error fails the scrape (Prometheus records it as up=0) instead of reporting stale zeros.
    cameras = CollectorRegistry()
    gauge = Gauge("cctv_backend_cameras", "Cameras by state.", ["state"], registry=cameras)
    for state, count in camera_state_counts(now=timezone.now()).items():
        gauge.labels(state=state).set(count)
    outbox = outbox_state(now=timezone.now())
    Gauge(
        "cctv_backend_notifications_outbox_depth", "Notifications waiting to be sent.", registry=cameras
    ).set(outbox["depth"])
    Gauge(
        "cctv_backend_notifications_outbox_oldest_age_seconds",
        "Age of the oldest notification waiting to be sent (0 when none waits).",
        registry=cameras,
    ).set(outbox["oldest_age"])
    body = generate_latest(_process_registry()) + generate_latest(cameras)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
