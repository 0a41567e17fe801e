"""The service's port DETECTOR_METRICS_PORT: ``/metrics`` (ours and Triton's ``nv_inference_*`` in one
scrape, as a stock Triton's 8002 has them), ``/healthz`` (Triton is live) and ``/readyz`` (the model is
loaded). Triton's own metrics listen on a private loopback port that only this server reads."""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from cctv_detector.metrics import QueueTimeCollector, queue_seconds

log = logging.getLogger(__name__)


def _get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except OSError as exc:
        return 0, str(exc)


class MetricsServer:
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

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    status, triton_text = _get(f"{triton_metrics}/metrics")
                    if status == 200:
                        queue.latest = queue_seconds(triton_text)
                    else:  # say so in the scrape rather than hide it: our own series still come
                        log.warning("cannot read Triton's metrics: %s", triton_text or status)
                        triton_text = ""
                    body = generate_latest(registry) + triton_text.encode()
                    self._send(200, body, CONTENT_TYPE_LATEST)
                elif path == "/healthz":
                    status, _ = _get(f"{triton_http}/v2/health/live")
                    self._json(status == 200, {"triton": "live" if status == 200 else "down"})
                elif path == "/readyz":
                    status, _ = _get(f"{triton_http}/v2/models/{model_name}/ready")
                    reason = "model loaded" if status == 200 else f"model {model_name} is not ready"
                    self._json(status == 200, {"model": model_name, "reason": reason})
                else:
                    self._send(404, b'{"status": "not found"}', "application/json")

            def _json(self, ok: bool, detail: dict[str, object]) -> None:
                body = json.dumps({"status": "ok" if ok else "fail", **detail}).encode()
                self._send(200 if ok else 503, body, "application/json")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # scrapes and probes every few seconds would flood the log

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="metrics", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
