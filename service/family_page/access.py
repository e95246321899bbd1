"""Who looked at a family's data: every caseworker's view is in the audit log, and the family sees it.

The audit log is append-only and hash-chained (`service.audit`), so the family's access log is read
from it rather than kept apart: a view cannot be shown to the family and missing for the auditor,
or the other way round.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service import audit, clock
from service.context import AppContext
from service.store import uow

VIEWED = "family.viewed"
SHOWN = 50


def record_view(ctx: AppContext, *, family_id: str, actor: str, via: str, subject: str | None = None) -> None:
    """Audit one view of a family's data by a caseworker (who, when, through what)."""
    with uow.UnitOfWork(ctx.db, write=True) as work:
        audit.append(
            work.conn,
            kind=VIEWED,
            actor=actor,
            at=clock.iso(ctx.clock()),
            family_id=family_id,
            subject=subject,
            data={"via": via},
        )
        work.commit()


def record_caseworker_view(ctx: AppContext, *, role: str, name: str, family_id: str, via: str) -> None:
    """Audit a read of a family's data through the API when the reader is a caseworker (role reviewer).

    Auditors and the bus (which reads offers back with an auditor token) are not caseworkers; their
    reads stay out of the family's access log, and out of the write path of every bus round trip.
    """
    if role == "reviewer":
        record_view(ctx, family_id=family_id, actor=name, via=via)


def views(conn: sa.Connection, *, family_id: str) -> list[dict[str, Any]]:
    """The latest views of this family's data, newest first."""
    found: list[dict[str, Any]] = []
    after = 0
    while True:
        page = audit.entries(conn, after=after, limit=500, family_id=family_id, kind=VIEWED)
        found.extend(page)
        if len(page) < 500:
            break
        after = page[-1]["seq"]
    return list(reversed(found[-SHOWN:]))
