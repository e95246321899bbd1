"""Entitlements: what the family receives now (active), received once (granted), or no longer."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service.store import rows, tables

T = tables.entitlements

_FOR_FAMILY = sa.select(T).where(T.c.family_id == sa.bindparam("family_id")).order_by(T.c.active_from, T.c.id)
_ADD = T.insert()
_UPDATE = T.update().where(T.c.id == sa.bindparam("key_id"))  # SET: the columns named in the parameters


def for_family(conn: sa.Connection, *, family_id: str) -> list[dict[str, Any]]:
    """Every entitlement of a family, oldest first."""
    return rows.many(conn, _FOR_FAMILY, {"family_id": family_id})


def add(conn: sa.Connection, *, entitlement: dict[str, Any]) -> None:
    """Record a new entitlement."""
    rows.run(conn, _ADD, entitlement)


def update(conn: sa.Connection, *, entitlement_id: str, values: dict[str, Any]) -> None:
    """Change an entitlement (amount, status)."""
    rows.run(conn, _UPDATE, {**values, "key_id": entitlement_id})
