"""Family records: the snapshot, where each fact came from, the indicators, the last event time."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service.store import rows, tables

T = tables.families

_GET = sa.select(T).where(T.c.family_id == sa.bindparam("family_id"))
_ADD = T.insert()
_UPDATE = T.update().where(T.c.family_id == sa.bindparam("key_family_id"))  # SET: the columns given


def get(conn: sa.Connection, *, family_id: str) -> dict[str, Any] | None:
    """One family's record, or None."""
    return rows.one(conn, _GET, {"family_id": family_id})


def add(conn: sa.Connection, *, record: dict[str, Any]) -> None:
    """Insert a new family's record."""
    conn.execute(_ADD, record)


def update(conn: sa.Connection, *, family_id: str, values: dict[str, Any]) -> None:
    """Change a family's record."""
    conn.execute(_UPDATE, {**values, "key_family_id": family_id})
