"""Decisions the family was given, with their explanations and the rule set that made them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service.store import rows, tables

T = tables.decisions


def add(conn: sa.Connection, *, decision: dict[str, Any]) -> int:
    """Store one decision; its id."""
    result = conn.execute(T.insert().values(**decision).returning(T.c.id))
    return int(result.scalar_one())


def get(conn: sa.Connection, *, decision_id: int) -> dict[str, Any] | None:
    """One decision by id."""
    return rows.one(conn, sa.select(T).where(T.c.id == decision_id))


def latest_by_benefit(conn: sa.Connection, *, family_id: str) -> dict[str, dict[str, Any]]:
    """The family's most recent stored decision for each benefit (id and fingerprint, not the body)."""
    newest = (
        sa.select(sa.func.max(T.c.id)).where(T.c.family_id == family_id).group_by(T.c.benefit).scalar_subquery()
    )
    found = rows.many(conn, sa.select(T.c.id, T.c.benefit, T.c.fingerprint).where(T.c.id.in_(newest)))
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
