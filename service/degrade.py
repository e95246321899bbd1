"""Degrade, don't fail: a database that is down or drops a connection answers 503 with Retry-After.

- `install` maps the database's "cannot reach / lost the connection / timed out" errors to
  `503` with `Retry-After` (instead of a 500, which a bus retries blindly and an operator reads
  as a bug). Every write runs in one transaction, so a request that failed this way changed
  nothing; the caller retries.
- `once_more_on_disconnect` runs a unit of work again, once, if PostgreSQL dropped its
  connection mid-way (a restarted server, `pg_terminate_backend`): the pool replaces the
  connection and the work, which rolled back, is done from the start. Only for work that is
  safe to repeat: applying a bus event is (its id makes it exactly once).
- `readiness` is what `/readyz` reports: the database reachable, the rule set consistent with
  the generation the database names, and this worker's backlog.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from service.context import AppContext
from service.errors import item, response
from service.middleware import Load
from service.store import tables, uow

log = logging.getLogger("familycard.degrade")

T = TypeVar("T")
UNAVAILABLE = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)


def is_unavailable(exc: BaseException) -> bool:
    """Whether an error means the database is unreachable, lost the connection or is too busy."""
    if isinstance(exc, UNAVAILABLE):
        return True
    return isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated


def install(app: FastAPI, retry_after_s: int) -> None:
    """Answer database outages with 503 and Retry-After."""
    headers = {"Retry-After": str(retry_after_s)}

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return response(
            503,
            [
                item(
                    [],
                    "the database is unavailable; nothing was changed, retry after the time in Retry-After",
                    "database_unavailable",
                )
            ],
            headers=headers,
        )

    for kind in (*UNAVAILABLE, sa.exc.DBAPIError):
        app.add_exception_handler(kind, _only_unavailable(unavailable))


def _only_unavailable(handler: Callable[[Request, Exception], Any]) -> Callable[[Request, Exception], Any]:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        if is_unavailable(exc):
            result: JSONResponse = await handler(request, exc)
            return result
        log.exception("unhandled database error on %s %s", request.method, request.url.path, exc_info=exc)
        return response(
            500, [item([], f"internal error ({type(exc).__name__}); the request changed nothing", "internal_error")]
        )

    return handle


def once_more_on_disconnect(work: Callable[[], T]) -> T:
    """`work()`, run a second time if PostgreSQL dropped the connection under it (see the module doc)."""
    try:
        return work()
    except sa.exc.DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        log.warning("database connection lost mid-request; retrying once on a new connection")
        return work()


@dataclass
class Readiness:
    """What `/readyz` answers: ready or not, and each check's finding."""

    ready: bool
    checks: dict[str, Any] = field(default_factory=dict)


_GENERATION = sa.select(tables.rules_state.c.generation, tables.rules_state.c.version).where(
    tables.rules_state.c.id == 1
)
_OUTBOX_PENDING = sa.select(sa.func.count()).select_from(tables.outbox).where(tables.outbox.c.status == "pending")


def readiness(ctx: AppContext, load: Load | None) -> Readiness:
    """Database reachable, rule set consistent, backlog under its bound."""
    checks: dict[str, Any] = {}
    ready = True
    started = time.perf_counter()
    db_generation: int | None = None
    db_version: str | None = None
    try:
        with uow.UnitOfWork(ctx.db, write=False) as work:
            state = work.conn.execute(_GENERATION).first()
            if state is not None:
                db_generation, db_version = state.generation, state.version
            outbox_pending = int(work.conn.execute(_OUTBOX_PENDING).scalar_one())
        checks["database"] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 2)}
    except Exception as exc:  # any failure to read is "not reachable"
        ready = False
        outbox_pending = None
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    rules = ctx.rules
    loaded = True
    if db_generation is not None:
        try:  # a worker behind a reload catches up here, as before an event
            rules.catch_up(db_generation)
        except Exception:  # it cannot load that rule set (yet): it must not get traffic
            loaded = False
    # Consistent: serving the version the database names as current (none named: no reload yet).
    consistent = loaded and (db_version is None or rules.version == db_version)
    rules_check: dict[str, Any] = {
        "ok": consistent,
        "version": rules.version,
        "generation": rules.generation,
        "database_generation": db_generation,
        "database_version": db_version,
    }
    hook = getattr(rules, "readiness", None)  # a richer rule-set check, where `Rules` offers one
    if callable(hook):
        ok, detail = hook()
        rules_check.update(detail)
        rules_check["ok"] = bool(ok) and consistent
    ready = ready and rules_check["ok"]
    checks["rules"] = rules_check
    backlog: dict[str, Any] = {"ok": True, "outbox_pending": outbox_pending}
    if load is not None:
        backlog.update(
            in_flight=load.in_flight,
            max_in_flight=load.max_in_flight,
            queue_wait_ms=round(load.last_wait_s * 1000, 1),
            max_queue_wait_ms=round(load.max_queue_wait_s * 1000, 1),
            shed_total=load.shed,
            ok=not load.full() and not load.backed_up(within_s=5.0),  # a stale measurement is no backlog
        )
    ready = ready and backlog["ok"]
    checks["backlog"] = backlog
    return Readiness(ready, checks)
