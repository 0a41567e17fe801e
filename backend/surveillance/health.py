"""Probes and metrics, plain Django views outside the authenticated API.

``/healthz``: the process answers. ``/readyz``: the database answers too (a pod is taken out of the
Service while it cannot serve). ``/metrics``: Prometheus text, ``cctv_backend_*`` names per contracts.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime

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

from surveillance import metrics  # noqa: F401  (defines the counters on import)
from surveillance.cameras.selectors import camera_state_counts

logger = logging.getLogger(__name__)

# Gauges read from the database at each scrape by the apps built on this one (notifications: its outbox),
# which add theirs in their AppConfig.ready: this app does not import them. Each is called with the
# scrape's registry and the time.
ScrapeGauges = Callable[[CollectorRegistry, datetime], None]
_scrape_gauges: dict[str, ScrapeGauges] = {}


def add_scrape_gauges(name: str, gauges: ScrapeGauges) -> None:
    """Register (or replace, by ``name``) a function that adds gauges to every /metrics scrape."""
    _scrape_gauges[name] = gauges


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
    now = timezone.now()
    for state, count in camera_state_counts(now=now).items():
        gauge.labels(state=state).set(count)
    for add_gauges in _scrape_gauges.values():
        add_gauges(cameras, now)
    body = generate_latest(_process_registry()) + generate_latest(cameras)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
