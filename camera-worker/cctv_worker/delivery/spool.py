"""The durable alert spool: SQLite on disk, one row per message (an event opening, an event update, a
clip), written before the first send and deleted only when the backend has acknowledged it. Rows go out
in the order they were written: an event's alert before its updates, its updates before its clip.
A clip row names its MP4 file (in the worker's clip folder); the file is deleted with the row.

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
    attempts INTEGER NOT NULL DEFAULT 0,
    kind TEXT NOT NULL DEFAULT 'alert'
);
CREATE TABLE IF NOT EXISTS rejected (
    key TEXT PRIMARY KEY,
    payload TEXT NOT NULL,
    created REAL NOT NULL,
    rejected REAL NOT NULL,
    reason TEXT NOT NULL
);
"""


ALERT, EVENT_UPDATE, CLIP = "alert", "event", "clip"


@dataclass(frozen=True, slots=True)
class SpooledAlert:
    key: str
    payload: dict[str, object]
    attempts: int
    kind: str = ALERT


def _unlink_clip(kind: str, body: str) -> None:
    if kind == CLIP:
        path = json.loads(body).get("path")
        if path:
            Path(path).unlink(missing_ok=True)


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
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(alerts)")}
        if "kind" not in columns:  # a spool written by a worker before events had updates and clips
            self._db.execute("ALTER TABLE alerts ADD COLUMN kind TEXT NOT NULL DEFAULT 'alert'")

    def put(self, key: str, payload: dict[str, object], *, kind: str = ALERT) -> int:
        """Stores a message; returns how many old ones were dropped to stay within the cap."""
        body = json.dumps(payload, separators=(",", ":"))
        dropped: list[tuple[str, str]] = []
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR IGNORE INTO alerts (key, payload, created, kind) VALUES (?, ?, ?, ?)",
                    (key, body, time.time(), kind),
                )
                (depth,) = self._db.execute("SELECT COUNT(*) FROM alerts").fetchone()
                excess = max(0, depth - self.max_alerts)
                if excess:
                    dropped = list(
                        self._db.execute("SELECT kind, payload FROM alerts ORDER BY seq LIMIT ?", (excess,))
                    )
                    self._db.execute(
                        "DELETE FROM alerts WHERE seq IN (SELECT seq FROM alerts ORDER BY seq LIMIT ?)",
                        (excess,),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        for old_kind, old_body in dropped:
            _unlink_clip(old_kind, old_body)
        return excess

    def head(self) -> SpooledAlert | None:
        """The oldest alert (sent first: the backend sees events in the order they happened)."""
        with self._lock:
            row = self._db.execute(
                "SELECT key, payload, attempts, kind FROM alerts ORDER BY seq LIMIT 1"
            ).fetchone()
        return None if row is None else SpooledAlert(row[0], json.loads(row[1]), row[2], row[3])

    def attempted(self, key: str) -> None:
        with self._lock:
            self._db.execute("UPDATE alerts SET attempts = attempts + 1 WHERE key = ?", (key,))

    def ack(self, key: str) -> None:
        with self._lock:
            row = self._db.execute("SELECT kind, payload FROM alerts WHERE key = ?", (key,)).fetchone()
            self._db.execute("DELETE FROM alerts WHERE key = ?", (key,))
        if row is not None:
            _unlink_clip(*row)  # after the row: a crash in between leaves a stray file, never a lost clip

    def clip_paths(self) -> set[str]:
        """The clip files still to send (what else is in the clip folder at start-up is debris)."""
        with self._lock:
            rows = list(self._db.execute("SELECT payload FROM alerts WHERE kind = ?", (CLIP,)))
        return {str(json.loads(body).get("path")) for (body,) in rows}

    def reject(self, key: str, reason: str) -> None:
        with self._lock:
            row = self._db.execute("SELECT kind, payload FROM alerts WHERE key = ?", (key,)).fetchone()
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
        if row is not None:
            _unlink_clip(*row)  # the reason stays on record; a refused video must not fill the disk

    def depth(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]

    def rejected(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._db.execute("SELECT key, reason FROM rejected ORDER BY rejected"))

    def close(self) -> None:
        with self._lock:
            self._db.close()
