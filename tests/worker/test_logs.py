"""Structured logs: one JSON object per line, with extra fields, and no credentials."""

from __future__ import annotations

import json
import logging

from cctv_worker.logs import JsonFormatter


def record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("cctv_worker.test", logging.WARNING, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def test_a_record_becomes_one_json_line_with_camera_and_extra_fields() -> None:
    line = JsonFormatter(camera_id=4).format(record("spool at %d", 3, key="abc"))
    entry = json.loads(line)
    assert entry["msg"] == "spool at 3"
    assert entry["level"] == "WARNING"
    assert entry["camera"] == 4
    assert entry["key"] == "abc"
    assert entry["ts"].endswith("Z")


def test_passwords_and_tokens_are_masked_in_messages_and_fields() -> None:
    line = JsonFormatter(camera_id=4).format(
        record("cannot open %s", "rtsp://admin:hunter2@cam/x", header="Token cam_4_s3cr3tvalue")
    )
    assert "hunter2" not in line
    assert "s3cr3tvalue" not in line
    assert "admin:***@cam" in line
