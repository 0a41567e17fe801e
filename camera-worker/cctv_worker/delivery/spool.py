"""The durable message spool: SQLite on disk, one row per message (an event opening, an event update, a
clip), written before the first send and deleted only when the backend has acknowledged it. Rows go out
in the order they were written: an event's alert before its updates, its updates before its clip.
A clip row names its MP4 file (in the worker's clip folder); the file is deleted with the row.

A SIGKILL at any point leaves each message either still spooled (it is sent again with the same
idempotency key, and the backend answers the replay with the first one) or acknowledged. Past
``max_messages`` the oldest are dropped and counted; messages the backend rejects as invalid (4xx that
retrying cannot fix) move to a ``rejected`` table instead of blocking the queue or vanishing.
The table was ``alerts`` before it held event updates and clips too: an older spool is renamed on open.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
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
class SpooledMessage:
    key: str
    payload: dict[str, object]
    attempts: int
    kind: str = ALERT


def _unlink_clip(kind: str, body: str) -> None:
    if kind == CLIP:
        path = json.loads(body).get("path")
        if path:
            Path(path).unlink(missing_ok=True)


def _migrate(db: sqlite3.Connection) -> None:
    """A spool written by an older worker: its ``alerts`` table becomes ``messages`` (rows and sequence
    kept), with the ``kind`` column that came with event updates and clips."""
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "alerts" not in tables or "messages" in tables:
        return
    columns = {row[1] for row in db.execute("PRAGMA table_info(alerts)")}
    if "kind" not in columns:
        db.execute("ALTER TABLE alerts ADD COLUMN kind TEXT NOT NULL DEFAULT 'alert'")
    db.execute("ALTER TABLE alerts RENAME TO messages")


class Spool:
    def __init__(self, path: Path, max_messages: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.max_messages = max_messages
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # an acknowledged write survives a power cut too
        _migrate(self._db)
        self._db.executescript(_SCHEMA)

    def put(self, key: str, payload: dict[str, object], *, kind: str = ALERT) -> int:
        """Stores a message; returns how many old ones were dropped to stay within the cap."""
        body = json.dumps(payload, separators=(",", ":"))
        dropped: list[tuple[str, str]] = []
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR IGNORE INTO messages (key, payload, created, kind) VALUES (?, ?, ?, ?)",
                    (key, body, time.time(), kind),
                )
                (depth,) = self._db.execute("SELECT COUNT(*) FROM messages").fetchone()
                excess = max(0, depth - self.max_messages)
                if excess:
                    dropped = list(
                        self._db.execute("SELECT kind, payload FROM messages ORDER BY seq LIMIT ?", (excess,))
                    )
                    self._db.execute(
                        "DELETE FROM messages WHERE seq IN (SELECT seq FROM messages ORDER BY seq LIMIT ?)",
                        (excess,),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        for old_kind, old_body in dropped:
            _unlink_clip(old_kind, old_body)
        return excess

    def head(self) -> SpooledMessage | None:
        """The oldest message (sent first: the backend sees events in the order they happened)."""
        with self._lock:
            row = self._db.execute(
                "SELECT key, payload, attempts, kind FROM messages ORDER BY seq LIMIT 1"
            ).fetchone()
        return None if row is None else SpooledMessage(row[0], json.loads(row[1]), row[2], row[3])

    def attempted(self, key: str) -> None:
        with self._lock:
            self._db.execute("UPDATE messages SET attempts = attempts + 1 WHERE key = ?", (key,))

    def ack(self, key: str) -> None:
        with self._lock:
            row = self._db.execute("SELECT kind, payload FROM messages WHERE key = ?", (key,)).fetchone()
            self._db.execute("DELETE FROM messages WHERE key = ?", (key,))
        if row is not None:
            _unlink_clip(*row)  # after the row: a crash in between leaves a stray file, never a lost clip

    def clip_paths(self) -> set[str]:
        """The clip files still to send (what else is in the clip folder at start-up is debris)."""
        with self._lock:
            rows = list(self._db.execute("SELECT payload FROM messages WHERE kind = ?", (CLIP,)))
        return {str(json.loads(body).get("path")) for (body,) in rows}

    def reject(self, key: str, reason: str) -> None:
        with self._lock:
            row = self._db.execute("SELECT kind, payload FROM messages WHERE key = ?", (key,)).fetchone()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO rejected (key, payload, created, rejected, reason) "
                    "SELECT key, payload, created, ?, ? FROM messages WHERE key = ?",
                    (time.time(), reason, key),
                )
                self._db.execute("DELETE FROM messages WHERE key = ?", (key,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        if row is not None:
            _unlink_clip(*row)  # the reason stays on record; a refused video must not fill the disk

    def depth(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]

    def rejected(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._db.execute("SELECT key, reason FROM rejected ORDER BY rejected"))

    def close(self) -> None:
        with self._lock:
            self._db.close()
