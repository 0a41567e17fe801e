"""The spool keeps alerts on disk until acknowledged, in order, within its cap."""

from pathlib import Path

from cctv_worker.delivery.spool import Spool


def test_alerts_come_out_oldest_first_and_leave_only_when_acknowledged(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite3", max_messages=10)
    spool.put("a", {"n": 1})
    spool.put("b", {"n": 2})
    head = spool.head()
    assert head is not None and head.key == "a" and head.payload == {"n": 1}
    spool.attempted("a")
    assert spool.head().attempts == 1
    spool.ack("a")
    assert spool.head().key == "b"
    assert spool.depth() == 1


def test_spooled_alerts_survive_a_restart(tmp_path: Path) -> None:
    Spool(tmp_path / "s.sqlite3", max_messages=10).put("a", {"n": 1})  # never closed: as after SIGKILL
    reopened = Spool(tmp_path / "s.sqlite3", max_messages=10)
    assert reopened.head().key == "a"


def test_past_the_cap_the_oldest_are_dropped_and_counted(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite3", max_messages=3)
    dropped = [spool.put(str(i), {"n": i}) for i in range(5)]
    assert dropped == [0, 0, 0, 1, 1]
    assert spool.depth() == 3
    assert spool.head().key == "2"


def test_putting_the_same_key_twice_stores_it_once(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite3", max_messages=3)
    spool.put("a", {"n": 1})
    spool.put("a", {"n": 1})
    assert spool.depth() == 1


def test_a_rejected_alert_moves_aside_with_its_reason(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite3", max_messages=3)
    spool.put("a", {"n": 1})
    spool.reject("a", "400: bad")
    assert spool.depth() == 0
    assert spool.rejected() == [("a", "400: bad")]


def test_a_spool_written_before_the_rename_keeps_its_messages_in_order(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE alerts (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, "
        "payload TEXT NOT NULL, created REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0);"
        "INSERT INTO alerts (key, payload, created, attempts) VALUES ('a', '{\"n\": 1}', 1.0, 2);"
        "INSERT INTO alerts (key, payload, created) VALUES ('b', '{\"n\": 2}', 2.0);"
    )
    old.commit()
    old.close()
    spool = Spool(path, max_messages=10)
    head = spool.head()
    assert head is not None
    assert (head.key, head.payload, head.attempts, head.kind) == ("a", {"n": 1}, 2, "alert")
    spool.put("c", {"n": 3})
    spool.ack("a")
    spool.ack("b")
    assert spool.head().key == "c" and spool.depth() == 1
    tables = {row[0] for row in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    assert "messages" in tables and "alerts" not in tables
