"""What the family's page stores and looks up: sign-in codes, and the family a member's IIN is in."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service.store import rows, tables

C = tables.citizen_codes
F = tables.families

_GET = sa.select(C).where(C.c.code_id == sa.bindparam("code_id"))
_RECENT = (
    sa.select(sa.func.count())
    .select_from(C)
    .where(C.c.iin_digest == sa.bindparam("iin_digest"), C.c.created_at >= sa.bindparam("since"))
)


def add_code(conn: sa.Connection, *, code: dict[str, Any]) -> None:
    """Store a new sign-in code (its digest)."""
    rows.run(conn, C.insert(), code)


def get_code(conn: sa.Connection, *, code_id: str) -> dict[str, Any] | None:
    """One sign-in code, or None."""
    return rows.one(conn, _GET, {"code_id": code_id})


def update_code(conn: sa.Connection, *, code_id: str, values: dict[str, Any]) -> None:
    """Count an attempt, or mark the code used."""
    conn.execute(C.update().where(C.c.code_id == code_id).values(**values))


def codes_since(conn: sa.Connection, *, iin_digest: str, since: str) -> int:
    """How many codes were asked for this IIN since `since` (the sign-in throttle)."""
    return int(conn.execute(_RECENT, {"iin_digest": iin_digest, "since": since}).scalar_one())


def family_of(conn: sa.Connection, *, iin: str) -> dict[str, Any] | None:
    """The family whose snapshot lists this IIN as a member, or None.

    The snapshot is JSON; its text is searched for the quoted IIN (both SQLite and PostgreSQL), then
    the candidate is confirmed on its parsed members, so a number elsewhere in it never matches.
    """
    found = rows.many(conn, sa.select(F).where(sa.cast(F.c.snapshot, sa.Text).like(f'%"{iin}"%')).limit(5))
    for family in found:
        members = (family.get("snapshot") or {}).get("members") or []
        if any(m.get("iin") == iin for m in members):
            return family
    return None
