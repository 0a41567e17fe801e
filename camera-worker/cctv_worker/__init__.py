"""The camera worker: one process per camera, from RTSP frames to acknowledged alerts.

Pipeline stages, one package or module each: ``capture`` (stream, watchdog, backoff), ``detect``
(detector backends behind one interface), ``zones``/``filters`` (which detections count), ``tracking``
and ``events`` (when an alert is due), ``snapshot``, ``delivery`` (spool and backend client),
``heartbeat``, ``metrics``, ``health``; ``worker`` wires them together and ``cli`` starts it.
"""

__version__ = "0.1.0"
