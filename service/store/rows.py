"""Rows as plain dicts: what repositories hand to use cases (never SQLAlchemy objects).

Repositories on the hot path keep their statements at module level with bound parameters
(`sa.bindparam`) and pass the values here: SQLAlchemy then reuses the statement's compiled form
and cache key, instead of building and compiling a new statement on every call, and on SQLite
`fast` runs them straight on the driver.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from service.store import fast


def one(conn: sa.Connection, query: sa.Select[Any], params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """The first row of a query as a dict, or None."""
    if params is not None:
        found = fast.rows(conn, query, params)
        if found is not None:
            return found[0] if found else None
    row = conn.execute(query, params).first() if params is not None else conn.execute(query).first()
    return dict(row._mapping) if row is not None else None


def run(conn: sa.Connection, statement: Any, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> None:
    """Run an INSERT, UPDATE or DELETE with one parameter set or several."""
    fast.run(conn, statement, params)


def many(conn: sa.Connection, query: sa.Select[Any], params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every row of a query as dicts."""
    if params is not None:
        found = fast.rows(conn, query, params)
        if found is not None:
            return found
    result = conn.execute(query, params) if params is not None else conn.execute(query)
    return [dict(r._mapping) for r in result]
