"""Offers made to families, and the outbox of messages the 1414 contact centre sends."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service.store import rows, tables

T = tables.offers
O = tables.outbox  # noqa: E741 - the table's name


def get(conn: sa.Connection, *, offer_id: str) -> dict[str, Any] | None:
    """One offer, or None."""
    return rows.one(conn, sa.select(T).where(T.c.offer_id == offer_id))


def for_family(conn: sa.Connection, *, family_id: str) -> list[dict[str, Any]]:
    """Every offer made to a family, oldest first."""
    return rows.many(conn, sa.select(T).where(T.c.family_id == family_id).order_by(T.c.sent_at, T.c.offer_id))


def add(conn: sa.Connection, *, offer: dict[str, Any]) -> None:
    """Record a new offer."""
    conn.execute(T.insert().values(**offer))


def update(conn: sa.Connection, *, offer_id: str, values: dict[str, Any]) -> None:
    """Change an offer's state."""
    conn.execute(T.update().where(T.c.offer_id == offer_id).values(**values))


def overdue(conn: sa.Connection, *, now: str, limit: int) -> list[dict[str, Any]]:
    """Open offers whose answer window has closed."""
    query = sa.select(T).where(T.c.status == "open", T.c.expires_at < now).order_by(T.c.expires_at).limit(limit)
    return rows.many(conn, query)


def add_message(conn: sa.Connection, *, message: dict[str, Any]) -> None:
    """Put a message in the outbox, in the same transaction as what it announces."""
    conn.execute(O.insert().values(**message))


def messages(conn: sa.Connection, *, family_id: str) -> list[dict[str, Any]]:
    """The messages sent to a family, oldest first."""
    return rows.many(conn, sa.select(O).where(O.c.family_id == family_id).order_by(O.c.created_at, O.c.id))
