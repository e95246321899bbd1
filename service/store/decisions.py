"""Decisions the family was given, with their explanations and the rule set that made them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from service.store import rows, tables

T = tables.decisions

# Several rows in one multi-row INSERT (SQLAlchemy's "insertmanyvalues"). Asking for the rows back
# in parameter order would make SQLite fall back to one INSERT per row (no sentinel column), so
# each id comes back with its benefit instead: one event stores at most one decision per benefit.
_ADD = T.insert().returning(T.c.id, T.c.benefit)
_GET = sa.select(T).where(T.c.id == sa.bindparam("decision_id"))
_NEWEST = (
    sa.select(sa.func.max(T.c.id))
    .where(T.c.family_id == sa.bindparam("family_id"))
    .group_by(T.c.benefit)
    .scalar_subquery()
)
_LATEST = sa.select(T.c.id, T.c.benefit, T.c.fingerprint).where(T.c.id.in_(_NEWEST))


def add(conn: sa.Connection, *, decision: dict[str, Any]) -> int:
    """Store one decision; its id."""
    return add_many(conn, decisions=[decision])[0]


def add_many(conn: sa.Connection, *, decisions: Sequence[dict[str, Any]]) -> list[int]:
    """Store several decisions at once; their ids, in the order given."""
    if not decisions:
        return []
    benefits = [d["benefit"] for d in decisions]
    if len(set(benefits)) != len(benefits):  # ids could not be told apart by benefit: one at a time
        return [int(conn.execute(_ADD, [d]).one().id) for d in decisions]
    ids = {row.benefit: int(row.id) for row in conn.execute(_ADD, list(decisions))}
    return [ids[b] for b in benefits]


def get(conn: sa.Connection, *, decision_id: int) -> dict[str, Any] | None:
    """One decision by id."""
    return rows.one(conn, _GET, {"decision_id": decision_id})


def latest_by_benefit(conn: sa.Connection, *, family_id: str) -> dict[str, dict[str, Any]]:
    """The family's most recent stored decision for each benefit (id and fingerprint, not the body)."""
    found = rows.many(conn, _LATEST, {"family_id": family_id})
    return {d["benefit"]: d for d in found}


def history(
    conn: sa.Connection, *, family_id: str, benefit: str | None = None, limit: int = 200, before: int | None = None
) -> list[dict[str, Any]]:
    """A family's decisions, newest first."""
    query = sa.select(T).where(T.c.family_id == family_id)
    if benefit is not None:
        query = query.where(T.c.benefit == benefit)
    if before is not None:
        query = query.where(T.c.id < before)
    return rows.many(conn, query.order_by(T.c.id.desc()).limit(limit))
