"""Structured logging for the worker: one JSON object per line (or plain text), credentials masked.

Every record passes through ``mask_text`` on its way out, so that a URL or token that slips into a
message or an exception (OpenCV and requests both like to print URLs) never reaches the log.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

from cctv_common.redact import mask_text

# Attributes every LogRecord has; anything else was passed through ``extra=`` and is logged as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def __init__(self, camera_id: int | None = None) -> None:
        super().__init__()
        self.camera_id = camera_id

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if self.camera_id is not None:
            entry["camera"] = self.camera_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return mask_text(json.dumps(entry, default=str))


class MaskingTextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record))


def setup_logging(level: str, fmt: str, log_file: Path | None, camera_id: int | None) -> None:
    formatter: logging.Formatter
    if fmt == "json":
        formatter = JsonFormatter(camera_id)
    else:
        prefix = f"camera={camera_id} " if camera_id is not None else ""
        formatter = MaskingTextFormatter(f"%(asctime)s %(levelname)s {prefix}%(name)s: %(message)s")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level)
    # Third-party chatter that would drown the worker's own lines at INFO.
    for noisy in ("urllib3", "ultralytics"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
