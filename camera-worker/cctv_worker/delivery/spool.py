"""The durable alert spool: SQLite on disk, one row per alert, written before the first send and
deleted only when the backend has acknowledged it.

A SIGKILL at any point leaves each alert either still spooled (it is sent again with the same
idempotency key, and the backend answers the replay with the first alert) or acknowledged. Past
``max_alerts`` the oldest are dropped and counted; alerts the backend rejects as invalid (4xx that
retrying cannot fix) move to a ``rejected`` table instead of blocking the queue or vanishing.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS rejected (
    key TEXT PRIMARY KEY,
    payload TEXT NOT NULL,
    created REAL NOT NULL,
    rejected REAL NOT NULL,
    reason TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class SpooledAlert:
    key: str
    payload: dict[str, object]
    attempts: int


class Spool:
    def __init__(self, path: Path, max_alerts: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_alerts = max_alerts
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # an acknowledged write survives a power cut too
        self._db.executescript(_SCHEMA)

    def put(self, key: str, payload: dict[str, object]) -> int:
        """Stores an alert; returns how many old alerts were dropped to stay within the cap."""
        body = json.dumps(payload, separators=(",", ":"))
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR IGNORE INTO alerts (key, payload, created) VALUES (?, ?, ?)",
                    (key, body, time.time()),
                )
                (depth,) = self._db.execute("SELECT COUNT(*) FROM alerts").fetchone()
                excess = max(0, depth - self.max_alerts)
                if excess:
                    self._db.execute(
                        "DELETE FROM alerts WHERE seq IN (SELECT seq FROM alerts ORDER BY seq LIMIT ?)",
                        (excess,),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return excess

    def head(self) -> SpooledAlert | None:
        """The oldest alert (sent first: the backend sees events in the order they happened)."""
        with self._lock:
            row = self._db.execute(
                "SELECT key, payload, attempts FROM alerts ORDER BY seq LIMIT 1"
            ).fetchone()
        return None if row is None else SpooledAlert(row[0], json.loads(row[1]), row[2])

    def attempted(self, key: str) -> None:
        with self._lock:
            self._db.execute("UPDATE alerts SET attempts = attempts + 1 WHERE key = ?", (key,))

    def ack(self, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM alerts WHERE key = ?", (key,))

    def reject(self, key: str, reason: str) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO rejected (key, payload, created, rejected, reason) "
                    "SELECT key, payload, created, ?, ? FROM alerts WHERE key = ?",
                    (time.time(), reason, key),
                )
                self._db.execute("DELETE FROM alerts WHERE key = ?", (key,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def depth(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]

    def rejected(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._db.execute("SELECT key, reason FROM rejected ORDER BY rejected"))

    def close(self) -> None:
        with self._lock:
            self._db.close()
