"""The hot statements on SQLite: compiled by SQLAlchemy once, then run straight on the driver's cursor.

A bus event runs about ten small statements. Through `Connection.execute` each costs some 40 µs
on this machine, of which SQLite's own work is about 12 µs: the rest is SQLAlchemy's execution
machinery (execution context, parameter processing, result wrapping, events), paid again on every
call although the statement never changes. For SQLite connections this module keeps what
SQLAlchemy compiled (the SQL text, the order of the parameters, and the type processors each
bind and each result column needs, all through public API) and runs it on the DBAPI connection
of the same transaction. Every other dialect, and anything this does not handle (expanding IN
parameters, RETURNING), goes through `Connection.execute` as before; the storage tests run on
SQLite and PostgreSQL, so both paths are held to the same results.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    """A statement as the driver runs it."""

    statement: Any  # the Core statement (kept so its id stays unique while cached)
    sql: str
    names: tuple[str, ...]  # parameter names in positional order
    defaults: Mapping[str, Any]  # values bound in the statement itself (literals)
    binds: tuple[Processor, ...]
    results: tuple[Processor, ...] | None  # per selected column; None: no rows come back


_cache: dict[tuple[int, frozenset[str] | None], _Compiled | None] = {}
# Statements run here (SQLAlchemy's cursor events do not see them), for benchmarks that count.
executed = 0
CACHE_SIZE = 512  # the hot statements are module constants; a statement built per call only passes through


def _compile(conn: sa.Connection, statement: Any, keys: frozenset[str] | None) -> _Compiled | None:
    """The statement compiled for SQLite, or None when it must go through SQLAlchemy."""
    dialect = conn.dialect
    compiled = statement.compile(dialect=dialect, column_keys=sorted(keys) if keys is not None else None)
    if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
        return None
    if any(b.expanding for b in compiled.binds.values()) or compiled.effective_returning:
        return None
    names = tuple(compiled.positiontup)
    binds = tuple(compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names)
    defaults = {n: b.value for n, b in compiled.binds.items() if not b.required}
    results: tuple[Processor, ...] | None = None
    if isinstance(statement, sa.Select):
        results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None)
                        for c in statement.selected_columns)
    return _Compiled(statement, compiled.string, names, defaults, binds, results)


def _prepared(conn: sa.Connection, statement: Any, keys: frozenset[str] | None) -> _Compiled | None:
    key = (id(statement), keys)
    try:
        return _cache[key]
    except KeyError:
        if len(_cache) >= CACHE_SIZE:
            _cache.clear()
        found = _cache[key] = _compile(conn, statement, keys)
        return found


def _args(plan: _Compiled, params: Mapping[str, Any]) -> list[Any]:
    out = []
    for name, process in zip(plan.names, plan.binds, strict=True):
        value = params[name] if name in params else plan.defaults[name]
        # None too: SQLAlchemy writes a JSON column's None as JSON null, as PostgreSQL stores it.
        out.append(process(value) if process is not None else value)
    return out


def _driver(conn: sa.Connection) -> Any | None:
    # Only inside a transaction SQLAlchemy began (and so issued BEGIN for): outside one, SQLAlchemy
    # would begin it, and a statement run past it would be committed on its own.
    if conn.dialect.name != "sqlite" or not conn.in_transaction():
        return None
    return conn.connection.driver_connection


def rows(conn: sa.Connection, query: sa.Select[Any], params: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """Every row of a query as dicts, or None if this query must go through SQLAlchemy."""
    driver = _driver(conn)
    plan = _prepared(conn, query, None) if driver is not None else None
    if driver is None or plan is None or plan.results is None:
        return None
    global executed
    executed += 1
    args = _args(plan, params)
    try:
        cursor = driver.execute(plan.sql, args)
    except sqlite3.Error as exc:
        raise _translated(plan.sql, args, exc) from exc
    names = [d[0] for d in cursor.description]
    out = []
    for raw in cursor.fetchall():
        out.append({
            n: (p(v) if p is not None else v) for n, p, v in zip(names, plan.results, raw, strict=True)
        })
    return out


def run(conn: sa.Connection, statement: Any, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> None:
    """Run an INSERT, UPDATE or DELETE (one parameter set, or several of the same keys)."""
    many = not isinstance(params, Mapping)
    sets: Sequence[Mapping[str, Any]] = [params] if isinstance(params, Mapping) else params
    driver = _driver(conn)
    plan = _prepared(conn, statement, frozenset(sets[0])) if driver is not None and sets else None
    if driver is None or plan is None or (many and any(frozenset(p) != frozenset(sets[0]) for p in sets)):
        conn.execute(statement, params)
        return
    global executed
    executed += 1
    args = [_args(plan, p) for p in sets]
    try:
        if many:
            driver.executemany(plan.sql, args)
        else:
            driver.execute(plan.sql, args[0])
    except sqlite3.Error as exc:
        raise _translated(plan.sql, args, exc) from exc


def _translated(sql: str, args: Any, exc: sqlite3.Error) -> sa.exc.StatementError:
    """The driver's error as SQLAlchemy raises it (`IntegrityError` for a duplicate key, ...)."""
    return sa.exc.DBAPIError.instance(sql, args, exc, sqlite3.Error)
