"""The unit of work: one connection, one transaction, rolled back unless `commit()` is called."""

from __future__ import annotations

from types import TracebackType

import sqlalchemy as sa

from service.store import db


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
        self.conn.commit()
        self._committed = True

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
                conn.close()
                self._conn = None
            finally:
                self._release()
