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

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from service import (
    audit_checkpoint,
    audit_cli,
    auth,
    calendar,
    console,
    degrade,
    docs,
    errors,
    events,
    family_page,
    leases,
    metrics,
    middleware,
    relay,
    rollout,
)
from service.clock import Clock, utc_now
from service.context import AppContext
from service.routes import audit as audit_routes
from service.routes import eligibility, families, health, reviews, rules
from service.routes import events as event_routes
from service.ruleset import Rules, RulesEngine, RulesUnavailable
from service.settings import Settings
from service.store import db, migrate, uow
from service.store import reviews as review_store

log = logging.getLogger("familycard.app")

EngineFactory = Callable[[Settings], RulesEngine]
RULES_SYNC_SECONDS = 1.0  # how often an idle worker compares its rule-set generation with the database


async def _follow_rules(rules: Rules, database: sa.Engine) -> None:
    """Keep this worker on the current rule-set generation even when no request asks (on the loop thread)."""
    while True:
        await asyncio.sleep(RULES_SYNC_SECONDS)
        if not rules.due(RULES_SYNC_SECONDS):
            continue
        try:
            rules.sync_on(database)
        except RulesUnavailable:
            pass  # logged by `Rules`; events answer 503 until it loads
        except Exception:  # the database may be away for a moment; the next round tries again
            log.warning("could not compare the rule-set generation with the database", exc_info=True)


def open_context(
    settings: Settings, engine_factory: EngineFactory | None = None, clock: Clock | None = None, *,
    background_checkpoints: bool = False,
) -> AppContext:
    """The database (migrated), tokens, rules (on the database's generation) and metrics a worker or a command uses."""
    database = db.create_engine(settings.database_url, background_checkpoints=background_checkpoints)
    migrate.upgrade(database)
    tokens = auth.load(settings.tokens_file)
    if engine_factory is not None:
        rules_now = Rules(engine_factory(settings), settings.rules_dir)
    else:
        rules_now = Rules.from_directory(settings.rules_dir)
    rules_now.start(database, now=(clock or utc_now)())
    measures = metrics.Metrics()
    measures.watch_rules(rules_now)

    def pending() -> int:
        with uow.UnitOfWork(database, write=False) as work:
            return review_store.count_pending(work.conn)

    measures.watch_queue(pending)
    return AppContext(settings=settings, db=database, rules=rules_now, tokens=tokens, metrics=measures,
                      clock=clock or utc_now,
                      throttle=auth.Throttle(settings.auth_failure_limit, settings.auth_failure_window_seconds))


def create_app(
    settings: Settings | None = None, *, engine_factory: EngineFactory | None = None, clock: Clock | None = None
) -> FastAPI:
    """The API application; nothing is opened until it starts."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.ctx = ctx = open_context(settings, engine_factory, clock, background_checkpoints=True)
        database, rules_now = ctx.db, ctx.rules
        checkpoints = audit_cli.checkpoint_file(settings)
        writer = None
        if checkpoints is not None:
            writer = audit_checkpoint.Writer(checkpoints, interval=settings.audit_checkpoint_seconds)
            audit_checkpoint.attach(database, writer)
        checkpointer = db.Checkpointer(database).start()
        if not len(ctx.tokens):
            log.warning("no tokens configured (FAMILYCARD_TOKENS_FILE): every protected endpoint answers 401")
        log.info("familycard started", extra={"ruleset_version": rules_now.version,
                                              "generation": rules_now.generation, "database": database.dialect.name})
        try:  # rules other than the ones the families were decided under start a roll-out
            rollout.pending(ctx)
        except Exception:
            log.exception("rules roll-out: could not check for one")
        scheduler = None
        if settings.calendar_interval_s > 0:
            scheduler = asyncio.create_task(
                calendar.scheduler(ctx, interval_s=settings.calendar_interval_s, holder=leases.holder_id())
            )
        follower = asyncio.get_running_loop().create_task(_follow_rules(rules_now, database))
        relaying = relay.start_if_configured(settings, database)  # the SMS outbox to the broker (optional)
        try:
            yield
        finally:
            if relaying is not None:
                relaying.stop()
            for task in (follower, scheduler):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            checkpointer.stop()
            if writer is not None:
                writer.close()
            database.dispose()

    app = FastAPI(
        title="familycard",
        version="0.1.0",
        summary="Proactive benefits for families: eligibility, offers, consent and human review",
        lifespan=lifespan,
        # The schema is served behind a token and the docs page from local files (service/docs.py).
        docs_url=None, redoc_url=None, openapi_url=None,
        # FastAPI's native OpenTelemetry would only act with an OpenTelemetry SDK configured, which the
        # service has none of (its metrics are Prometheus, its logs JSON); switched off, FastAPI no
        # longer looks up three global providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    errors.install(app)
    degrade.install(app, settings.retry_after_s)  # database outages: 503 with Retry-After
    app.state.load = middleware.Load(settings.max_in_flight, settings.max_queue_wait_ms / 1000)
    if settings.bench_echo:
        # First in the route list: the benchmark's ceiling must not pay for matching routes that
        # the measured endpoints, listed right after it, do not pay for.
        app.include_router(health.echo_router)
    for module in (event_routes, eligibility, families, reviews, rules, audit_routes, health):
        app.include_router(module.router)
    console.install(app)
    docs.install(app, page=settings.docs == "token")
    family_page.install(app, development=settings.env == "development")
    # Outermost last: Observe, Shed, BodyLimit, TextGuard, then the routes.
    app.add_middleware(middleware.TextGuard)
    app.add_middleware(middleware.BodyLimit, max_bytes=settings.max_body_bytes,
                       per_path={eligibility.BATCH_PATH: settings.batch_max_body_bytes})
    app.add_middleware(middleware.Shed, load=app.state.load, retry_after_s=settings.retry_after_s)
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
