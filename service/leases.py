"""Named leases in the database: one worker of one instance at a time does a singleton job.

The calendar scheduler runs inside every `familycard serve` worker, but only the holder of the
`calendar` lease works; the others stand by and take over once a lease has run out (its holder
died or hung). A lease is a row: taking or renewing it is one conditional UPDATE, which works the
same on SQLite and PostgreSQL and needs no lock held between runs.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid

import sqlalchemy as sa

from service import clock
from service.store import tables, uow

T = tables.leases
_FREE = "1970-01-01T00:00:00+00:00"


def holder_id() -> str:
    """Who this worker is, for the lease row and the logs: host, process, a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def hold(db: sa.Engine, *, name: str, holder: str, now: dt.datetime, ttl: dt.timedelta) -> bool:
    """Take or renew the lease until `now + ttl`; False when another holder's lease still runs."""
    with uow.UnitOfWork(db, write=True) as work:
        result = work.conn.execute(
            T.update()
            .where(
                T.c.name == name, sa.or_(T.c.holder == holder, T.c.holder.is_(None), T.c.expires_at < clock.iso(now))
            )
            .values(holder=holder, expires_at=clock.iso(now + ttl))
        )
        work.commit()
    return result.rowcount == 1


def release(db: sa.Engine, *, name: str, holder: str) -> None:
    """Give the lease up (on shutdown), so a standby takes over at once."""
    with uow.UnitOfWork(db, write=True) as work:
        work.conn.execute(
            T.update().where(T.c.name == name, T.c.holder == holder).values(holder=None, expires_at=_FREE)
        )
        work.commit()


def current(db: sa.Engine, *, name: str) -> tuple[str | None, str]:
    """(holder, expires_at) of a lease."""
    with uow.UnitOfWork(db, write=False) as work:
        row = work.conn.execute(sa.select(T.c.holder, T.c.expires_at).where(T.c.name == name)).one()
    return row.holder, row.expires_at
