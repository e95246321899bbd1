"""Who belongs to which family, by IIN: one person in two families is a data conflict to be found fast."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from service.store import rows, tables

M = tables.member_iins

# One statement per event whatever the family's size: an expanding IN, compiled once and cached.
_HOLDERS = sa.select(M.c.iin, M.c.family_id).where(M.c.iin.in_(sa.bindparam("iins", expanding=True)))
_ADD = M.insert()
_REMOVE = M.delete().where(M.c.family_id == sa.bindparam("key_family_id"), M.c.iin == sa.bindparam("key_iin"))


def sync(
    conn: sa.Connection, *, family_id: str, iins: Iterable[str], previous: Iterable[str] = ()
) -> dict[str, list[str]]:
    """Record that the family holds exactly `iins` (it held `previous`); {IIN: other families holding it too}.

    One indexed read (who holds these IINs); writes only what changed: IINs the family does not
    hold yet, and those of `previous` it no longer has.
    """
    wanted = set(iins)
    found = conn.execute(_HOLDERS, {"iins": sorted(wanted)}).all()
    held = {iin for iin, holder in found if holder == family_id}
    others: dict[str, list[str]] = {}
    for iin, holder in found:
        if holder != family_id:
            others.setdefault(iin, []).append(holder)
    added = wanted - held
    gone = set(previous) - wanted
    if added:
        rows.run(conn, _ADD, [{"iin": iin, "family_id": family_id} for iin in sorted(added)])
    if gone:
        rows.run(conn, _REMOVE, [{"key_family_id": family_id, "key_iin": iin} for iin in sorted(gone)])
    return {iin: sorted(holders) for iin, holders in others.items()}
