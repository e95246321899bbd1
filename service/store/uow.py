"""The unit of work: one connection, one transaction, rolled back unless `commit()` is called."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

import sqlalchemy as sa

from service.store import db

_BEFORE_COMMIT = "familycard.before_commit"
_AFTER_COMMIT = "familycard.after_commit"


def before_commit(conn: sa.Connection, hook: Callable[[sa.Connection], None]) -> None:
    """Run `hook(conn)` once when this unit of work commits (writes deferred to the end, e.g. the audit head)."""
    hooks: list[Callable[[sa.Connection], None]] = conn.info.setdefault(_BEFORE_COMMIT, [])
    if hook not in hooks:
        hooks.append(hook)


def after_commit(conn: sa.Connection, hook: Callable[[], None]) -> None:
    """Run `hook()` once this unit of work has committed (e.g. a checkpoint of the audit head outside the database)."""
    hooks: list[Callable[[], None]] = conn.info.setdefault(_AFTER_COMMIT, [])
    hooks.append(hook)


class UnitOfWork:
    """`with UnitOfWork(engine, write=True) as uow: ...; uow.commit()`; anything else rolls back."""

    def __init__(self, engine: sa.Engine, *, write: bool) -> None:
        self._engine = engine
        self._write = write
        self._conn: sa.Connection | None = None
        self._committed = False
        self._lock: db.WriterLock | None = None

    @property
    def conn(self) -> sa.Connection:
        """The connection of the open transaction."""
        if self._conn is None:
            raise RuntimeError("the unit of work is not open")
        return self._conn

    def __enter__(self) -> UnitOfWork:
        if self._write:
            lock = db.writer_lock(self._engine)
            if lock is not None and lock.acquire():
                self._lock = lock
        try:
            conn = self._engine.connect()
            conn.info["write"] = self._write
            try:
                conn.begin()
                if self._write:
                    db.take_write_lock(conn)
            except BaseException:
                conn.close()
                raise
        except BaseException:
            self._release()
            raise
        self._conn = conn
        return self

    def _release(self) -> None:
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()

    def commit(self) -> None:
        """Make every change of this unit of work durable at once."""
        conn = self.conn
        for hook in conn.info.pop(_BEFORE_COMMIT, ()):
            hook(conn)
        conn.commit()
        self._committed = True
        for done in conn.info.pop(_AFTER_COMMIT, ()):
            done()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self.conn
        try:
            if not self._committed:
                conn.rollback()
        finally:
            try:
                conn.info["write"] = False
                conn.info.pop(_BEFORE_COMMIT, None)
                conn.info.pop(_AFTER_COMMIT, None)
                conn.close()
                self._conn = None
            finally:
                self._release()
