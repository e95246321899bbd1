"""Rows as plain dicts: what repositories hand to use cases (never SQLAlchemy objects)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def one(conn: sa.Connection, query: sa.Select[Any]) -> dict[str, Any] | None:
    """The first row of a query as a dict, or None."""
    row = conn.execute(query).first()
    return dict(row._mapping) if row is not None else None


def many(conn: sa.Connection, query: sa.Select[Any]) -> list[dict[str, Any]]:
    """Every row of a query as dicts."""
    return [dict(r._mapping) for r in conn.execute(query)]
