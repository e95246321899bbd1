"""Human reviews: adverse changes and flagged decisions waiting for, or decided by, a person."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service.store import rows, tables

T = tables.reviews

_GET = sa.select(T).where(T.c.review_id == sa.bindparam("review_id"))
_FOR_FAMILY = sa.select(T).where(T.c.family_id == sa.bindparam("family_id")).order_by(T.c.created_at, T.c.review_id)
_PENDING_OR_REJECTED = (
    sa.select(T)
    .where(T.c.family_id == sa.bindparam("family_id"), sa.or_(T.c.status == "pending", T.c.status == "rejected"))
    .order_by(T.c.created_at, T.c.review_id)
)
_ADD = T.insert()
_UPDATE = T.update().where(T.c.review_id == sa.bindparam("key_review_id"))  # SET: the columns given


def get(conn: sa.Connection, *, review_id: str) -> dict[str, Any] | None:
    """One review, or None."""
    return rows.one(conn, _GET, {"review_id": review_id})


def for_family(conn: sa.Connection, *, family_id: str) -> list[dict[str, Any]]:
    """Every review of a family, oldest first."""
    return rows.many(conn, _FOR_FAMILY, {"family_id": family_id})


def pending_or_rejected(conn: sa.Connection, *, family_id: str) -> list[dict[str, Any]]:
    """A family's pending and rejected reviews (not the superseded or approved ones), oldest first."""
    return rows.many(conn, _PENDING_OR_REJECTED, {"family_id": family_id})


def add(conn: sa.Connection, *, review: dict[str, Any]) -> None:
    """Open a review."""
    rows.run(conn, _ADD, review)


def update(conn: sa.Connection, *, review_id: str, values: dict[str, Any]) -> None:
    """Change a review's state."""
    rows.run(conn, _UPDATE, {**values, "key_review_id": review_id})


def search(
    conn: sa.Connection, *, status: str | None, benefit: str | None, region: str | None, kind: str | None,
    reason: str | None, limit: int, offset: int,
) -> list[dict[str, Any]]:
    """The review queue, oldest first, filtered."""
    query = sa.select(T)
    if status is not None:
        query = query.where(T.c.status == status)
    if benefit is not None:
        query = query.where(T.c.benefit == benefit)
    if region is not None:
        query = query.where(T.c.region == region)
    if kind is not None:
        query = query.where(T.c.kind == kind)
    found = rows.many(conn, query.order_by(T.c.created_at, T.c.review_id))
    if reason is not None:  # reasons is a JSON list; filtering it portably is simplest here
        found = [r for r in found if reason in r["reasons"]]
    return found[offset : offset + limit]


def count_pending(conn: sa.Connection) -> int:
    """How many reviews wait for a person."""
    return int(conn.execute(sa.select(sa.func.count()).select_from(T).where(T.c.status == "pending")).scalar_one())
