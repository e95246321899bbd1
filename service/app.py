"""The FastAPI application: `create_app(settings)` wires settings, storage, rules, tokens and routes.

Everything is built in the lifespan, on the event-loop thread that will serve the requests: the
database is migrated to the current schema (a fresh one by the same Alembic path as an upgrade),
the tokens file is read, and the rule engine is loaded there because durable-rules may only be
called from the thread that created it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from service import auth, calendar, console, errors, events, leases, metrics, middleware
from service.clock import Clock, utc_now
from service.context import AppContext
from service.routes import audit as audit_routes
from service.routes import eligibility, families, health, reviews, rules
from service.routes import events as event_routes
from service.ruleset import Rules, RulesEngine, load_engine
from service.settings import Settings
from service.store import db, migrate, uow
from service.store import reviews as review_store

log = logging.getLogger("familycard.app")

EngineFactory = Callable[[Settings], RulesEngine]


def _default_engine(settings: Settings) -> RulesEngine:
    return load_engine(settings.rules_dir)


def open_context(
    settings: Settings, make_engine: EngineFactory | None = None, clock: Clock | None = None, *,
    background_checkpoints: bool = False,
) -> AppContext:
    """The database (migrated), tokens, rules and metrics a worker or a command works with."""
    database = db.create_engine(settings.database_url, background_checkpoints=background_checkpoints)
    migrate.upgrade(database)
    tokens = auth.load(settings.tokens_file)
    engine = (make_engine or _default_engine)(settings)
    measures = metrics.Metrics()

    def pending() -> int:
        with uow.UnitOfWork(database, write=False) as work:
            return review_store.count_pending(work.conn)

    measures.watch_queue(pending)
    return AppContext(settings=settings, db=database, rules=Rules(engine, settings.rules_dir), tokens=tokens,
                      metrics=measures, clock=clock or utc_now)


def create_app(
    settings: Settings | None = None, *, engine_factory: EngineFactory | None = None, clock: Clock | None = None
) -> FastAPI:
    """The API application; nothing is opened until it starts."""
    settings = settings or Settings()
    make_engine = engine_factory or _default_engine

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.ctx = ctx = open_context(settings, make_engine, clock, background_checkpoints=True)
        database, engine = ctx.db, ctx.rules.engine
        checkpointer = db.Checkpointer(database).start()
        if not len(ctx.tokens):
            log.warning("no tokens configured (FAMILYCARD_TOKENS_FILE): every protected endpoint answers 401")
        log.info("familycard started", extra={"ruleset_version": engine.version, "database": database.dialect.name})
        scheduler = None
        if settings.calendar_interval_s > 0:
            scheduler = asyncio.create_task(calendar.scheduler(
                app.state.ctx, interval_s=settings.calendar_interval_s, holder=leases.holder_id()))
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await scheduler
            checkpointer.stop()
            database.dispose()

    app = FastAPI(
        title="familycard",
        version="0.1.0",
        summary="Proactive benefits for families: eligibility, offers, consent and human review",
        lifespan=lifespan,
        # FastAPI's native OpenTelemetry would only act with an OpenTelemetry SDK configured, which the
        # service has none of (its metrics are Prometheus, its logs JSON); switched off, FastAPI no
        # longer looks up three global providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    errors.install(app)
    if settings.bench_echo:
        # First in the route list: the benchmark's ceiling must not pay for matching routes that
        # the measured endpoints, listed right after it, do not pay for.
        app.include_router(health.echo_router)
    for module in (event_routes, eligibility, families, reviews, rules, audit_routes, health):
        app.include_router(module.router)
    console.install(app)
    app.add_middleware(middleware.BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(middleware.Observe, state=app.state)
    app.openapi = _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The generated schema plus the bus-event body (`BusEvent`, one schema per event type)."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        event_schema = events.openapi_schema()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in event_schema.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components["BusEvent"] = event_schema
        app.openapi_schema = schema
        return schema

    return build
