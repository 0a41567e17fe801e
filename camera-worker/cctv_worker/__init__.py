"""The camera worker: one process per camera, from RTSP frames to acknowledged alerts.

Pipeline stages, one package or module each: ``capture`` (stream, sampler, watchdog), ``detect``
(detector backends behind one interface), ``decisions`` (zones, filters, tracking, events, alert types:
which detections count and when an alert is due, all pure), ``snapshot``, ``delivery`` (spool and
backend client), ``heartbeat``, ``metrics``, ``health``; ``backoff`` is the one retry schedule (stream
reconnects, alert retries); ``worker`` wires them together and ``cli`` starts it.
"""

__version__ = "0.1.0"
