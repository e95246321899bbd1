"""The SQLite WAL is copied into the database by a background thread, not by the commits."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from service.store import db


def _engine(tmp_path: Path, background: bool) -> sa.Engine:
    engine = db.create_engine(f"sqlite:///{tmp_path / 'wal.db'}", background_checkpoints=background)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v TEXT)")
    return engine


def _write(engine: sa.Engine, rows: int) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO t (v) VALUES (:v)"), [{"v": "x" * 2000} for _ in range(rows)])


def _autocheckpoint(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def test_commits_leave_the_wal_to_the_checkpointer_only_when_one_runs(tmp_path: Path) -> None:
    assert _autocheckpoint(_engine(tmp_path, background=False)) == 1000  # SQLite's default
    assert _autocheckpoint(_engine(tmp_path, background=True)) == db.BACKSTOP_CHECKPOINT_PAGES


def test_a_checkpoint_copies_the_wal_and_restarts_it_once_it_has_grown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = _engine(tmp_path, background=True)
    monkeypatch.setattr(db, "RESTART_PAGES", 50)
    checkpointer = db.Checkpointer(engine)
    _write(engine, 10)
    checkpointer.checkpoint()
    assert (checkpointer.checkpoints, checkpointer.restarts) == (1, 0)  # a small WAL: copied, not restarted
    _write(engine, 200)
    checkpointer.checkpoint()
    assert checkpointer.restarts == 1
    with engine.connect() as conn:  # everything is in the database file: the WAL holds nothing to copy
        busy, log, done = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
    assert busy == 0 and log == done
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == 210
    checkpointer.stop()
    engine.dispose()


def test_the_thread_checkpoints_until_stopped(tmp_path: Path) -> None:
    engine = _engine(tmp_path, background=True)
    checkpointer = db.Checkpointer(engine, interval=0.01).start()
    _write(engine, 20)
    checkpointer.stop()
    assert checkpointer.checkpoints >= 1  # at least the last one, on the way out
    engine.dispose()
