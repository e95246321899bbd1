"""Entitlements: what the family receives now (active), received once (granted), or no longer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from service.store import rows, tables

T = tables.entitlements

_FOR_FAMILY = sa.select(T).where(T.c.family_id == sa.bindparam("family_id")).order_by(T.c.active_from, T.c.id)
_ADD = T.insert()
_UPDATE = T.update().where(T.c.id == sa.bindparam("key_id"))  # SET: the columns named in the parameters
A = tables.entitlement_amounts
_AMOUNTS = sa.select(A).where(A.c.family_id == sa.bindparam("family_id")).order_by(A.c.entitlement_id, A.c.from_date,
                                                                                   A.c.id)
_ADD_AMOUNT = A.insert()
_CLOSE_AMOUNT = A.update().where(A.c.id == sa.bindparam("key_id"))
_OPEN_AMOUNTS = sa.select(A).where(A.c.entitlement_id == sa.bindparam("entitlement_id"), A.c.to_date.is_(None))


def for_family(conn: sa.Connection, *, family_id: str) -> list[dict[str, Any]]:
    """Every entitlement of a family, oldest first."""
    return rows.many(conn, _FOR_FAMILY, {"family_id": family_id})


def add(conn: sa.Connection, *, entitlement: dict[str, Any]) -> None:
    """Record a new entitlement."""
    rows.run(conn, _ADD, entitlement)


def update(conn: sa.Connection, *, entitlement_id: str, values: dict[str, Any]) -> None:
    """Change an entitlement (amount, status)."""
    rows.run(conn, _UPDATE, {**values, "key_id": entitlement_id})


def amounts(conn: sa.Connection, *, family_id: str) -> list[dict[str, Any]]:
    """Every amount each of the family's entitlements has had, in date order."""
    return rows.many(conn, _AMOUNTS, {"family_id": family_id})


def new_amount(
    conn: sa.Connection, *, entitlement: dict[str, Any], amount_kzt: int, decision_id: int, effective: dt.date
) -> None:
    """A new amount from `effective` on: the one in force until then stops the day before."""
    _close(conn, entitlement["id"], effective)
    rows.run(conn, _ADD_AMOUNT, {
        "entitlement_id": entitlement["id"], "family_id": entitlement["family_id"], "benefit": entitlement["benefit"],
        "from_date": effective.isoformat(), "to_date": None, "amount_kzt": amount_kzt, "decision_id": decision_id,
    })


def end_amounts(conn: sa.Connection, *, entitlement: dict[str, Any], ended_on: dt.date) -> None:
    """The right ended on `ended_on` (the first day without it): the amount in force stops the day before."""
    _close(conn, entitlement["id"], ended_on)


def _close(conn: sa.Connection, entitlement_id: str, from_day: dt.date) -> None:
    for open_row in rows.many(conn, _OPEN_AMOUNTS, {"entitlement_id": entitlement_id}):
        last = max(dt.date.fromisoformat(open_row["from_date"]), from_day - dt.timedelta(days=1))
        rows.run(conn, _CLOSE_AMOUNT, {"key_id": open_row["id"], "to_date": last.isoformat()})
