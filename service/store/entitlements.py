"""Entitlements: what the family receives now (active), received once (granted), or no longer."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service.store import rows, tables

T = tables.entitlements


def for_family(conn: sa.Connection, *, family_id: str) -> list[dict[str, Any]]:
    """Every entitlement of a family, oldest first."""
    return rows.many(conn, sa.select(T).where(T.c.family_id == family_id).order_by(T.c.active_from, T.c.id))


def add(conn: sa.Connection, *, entitlement: dict[str, Any]) -> None:
    """Record a new entitlement."""
    conn.execute(T.insert().values(**entitlement))


def update(conn: sa.Connection, *, entitlement_id: str, values: dict[str, Any]) -> None:
    """Change an entitlement (amount, status)."""
    conn.execute(T.update().where(T.c.id == entitlement_id).values(**values))
