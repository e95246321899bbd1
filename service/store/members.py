"""Who belongs to which family, by IIN: one person in two families is a data conflict to be found fast."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from service.store import rows, tables

M = tables.member_iins

_ADD = M.insert()
_REMOVE = M.delete().where(M.c.family_id == sa.bindparam("key_family_id"), M.c.iin == sa.bindparam("key_iin"))


def sync(conn: sa.Connection, *, family_id: str, iins: Iterable[str]) -> dict[str, list[str]]:
    """Record that the family holds exactly these IINs; {IIN: other families holding it too}.

    One indexed read of the rows of this family and of these IINs; writes only what changed.
    """
    wanted = set(iins)
    found = rows.many(
        conn, sa.select(M.c.iin, M.c.family_id).where(sa.or_(M.c.family_id == family_id, M.c.iin.in_(sorted(wanted))))
    )
    held = {r["iin"] for r in found if r["family_id"] == family_id}
    others: dict[str, list[str]] = {}
    for r in found:
        if r["family_id"] != family_id and r["iin"] in wanted:
            others.setdefault(r["iin"], []).append(r["family_id"])
    added = wanted - held
    gone = held - wanted
    if added:
        rows.run(conn, _ADD, [{"iin": iin, "family_id": family_id} for iin in sorted(added)])
    if gone:
        rows.run(conn, _REMOVE, [{"key_family_id": family_id, "key_iin": iin} for iin in sorted(gone)])
    return {iin: sorted(fams) for iin, fams in others.items()}
