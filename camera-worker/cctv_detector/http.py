"""The service's port DETECTOR_METRICS_PORT: ``/metrics`` (ours and Triton's ``nv_inference_*`` in one
scrape, as a stock Triton's 8002 has them), ``/healthz`` (Triton is live) and ``/readyz`` (the model is
loaded). Triton's own metrics listen on a private loopback port that only this server reads."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request

from prometheus_client import CollectorRegistry, generate_latest

from cctv_detector.metrics import QueueTimeCollector, queue_seconds
from cctv_worker.health import HealthServer

log = logging.getLogger(__name__)


def _get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except OSError as exc:
        return 0, str(exc)


class MetricsServer(HealthServer):
    def __init__(
        self,
        host: str,
        port: int,
        registry: CollectorRegistry,
        *,
        triton_http: str,
        triton_metrics: str,
        model_name: str,
    ) -> None:
        queue = QueueTimeCollector()
        registry.register(queue)

        def scrape() -> bytes:
            status, triton_text = _get(f"{triton_metrics}/metrics")
            if status == 200:
                queue.latest = queue_seconds(triton_text)
            else:  # say so in the scrape rather than hide it: our own series still come
                log.warning("cannot read Triton's metrics: %s", triton_text or status)
                triton_text = ""
            return generate_latest(registry) + triton_text.encode()

        def live() -> tuple[bool, dict[str, object]]:
            status, _ = _get(f"{triton_http}/v2/health/live")
            return status == 200, {"triton": "live" if status == 200 else "down"}

        def ready() -> tuple[bool, dict[str, object]]:
            status, _ = _get(f"{triton_http}/v2/models/{model_name}/ready")
            reason = "model loaded" if status == 200 else f"model {model_name} is not ready"
            return status == 200, {"model": model_name, "reason": reason}

        super().__init__(host, port, registry, live=live, ready=ready, scrape=scrape)
