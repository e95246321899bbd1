"""Offers made to families, and the outbox of messages the 1414 contact centre sends."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service.store import rows, tables

T = tables.offers
O = tables.outbox  # noqa: E741 - the table's name

_GET = sa.select(T).where(T.c.offer_id == sa.bindparam("offer_id"))
_FOR_FAMILY = sa.select(T).where(T.c.family_id == sa.bindparam("family_id")).order_by(T.c.sent_at, T.c.offer_id)
_ADD = T.insert()
_UPDATE = T.update().where(T.c.offer_id == sa.bindparam("key_offer_id"))  # SET: the columns given
_OVERDUE = (
    sa.select(T)
    .where(T.c.status == "open", T.c.expires_at < sa.bindparam("now"))
    .order_by(T.c.expires_at)
    .limit(sa.bindparam("limit"))
)
_ADD_MESSAGE = O.insert()


def get(conn: sa.Connection, *, offer_id: str) -> dict[str, Any] | None:
    """One offer, or None."""
    return rows.one(conn, _GET, {"offer_id": offer_id})


def for_family(conn: sa.Connection, *, family_id: str) -> list[dict[str, Any]]:
    """Every offer made to a family, oldest first."""
    return rows.many(conn, _FOR_FAMILY, {"family_id": family_id})


def add(conn: sa.Connection, *, offer: dict[str, Any]) -> None:
    """Record a new offer."""
    rows.run(conn, _ADD, offer)


def update(conn: sa.Connection, *, offer_id: str, values: dict[str, Any]) -> None:
    """Change an offer's state."""
    rows.run(conn, _UPDATE, {**values, "key_offer_id": offer_id})


def overdue(conn: sa.Connection, *, now: str, limit: int) -> list[dict[str, Any]]:
    """Open offers whose answer window has closed."""
    return rows.many(conn, _OVERDUE, {"now": now, "limit": limit})


def add_message(conn: sa.Connection, *, message: dict[str, Any]) -> None:
    """Put a message in the outbox, in the same transaction as what it announces."""
    rows.run(conn, _ADD_MESSAGE, message)


def messages(conn: sa.Connection, *, family_id: str) -> list[dict[str, Any]]:
    """The messages sent to a family, oldest first."""
    return rows.many(conn, sa.select(O).where(O.c.family_id == family_id).order_by(O.c.created_at, O.c.id))
