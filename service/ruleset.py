"""The rule engine as the service holds it: one per worker process, shared rule-set generations.

durable-rules may only be called from the thread that created it, so the engine is loaded in the
application's start-up on the event-loop thread, and every evaluation and reload runs there too
(the endpoints are `async` and call it directly, never through a thread pool).

A reload in one worker bumps a generation number in the database (`rules_state`); every other
worker compares it before its next evaluation and reloads the same directory, so all workers
serve the same rule set without a restart.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa

from engine import clocks, compiler, model
from engine.assessment import Assessment
from engine.rulefile import Rulebook
from service import audit, clock
from service.store import tables

log = logging.getLogger("familycard.rules")

_GENERATION = sa.select(tables.rules_state.c.generation).where(tables.rules_state.c.id == 1)


class RulesEngine(Protocol):
    """What the service needs from `engine.api.Engine`."""

    @property
    def version(self) -> str: ...

    def evaluate_json(self, family: model.Family, as_of: dt.date) -> bytes: ...

    def assess(self, family: model.Family, as_of: dt.date) -> Assessment: ...

    def benefits(self) -> Sequence[Any]: ...

    def reload(self, rules_dir: str | Path | None = None) -> None: ...

    def next_change(self, family: model.Family, as_of: dt.date) -> dt.date | None: ...

    def schedule(self, as_of: dt.date) -> clocks.Schedule: ...

    def program(self, as_of: dt.date) -> compiler.Program: ...

    @property
    def book(self) -> Rulebook: ...


def load_engine(rules_dir: Path | None) -> RulesEngine:
    """Load the real engine from a rules directory (raises `RuleErrors` on any problem)."""
    from engine.api import Engine

    return Engine.load(rules_dir)


class Rules:
    """The worker's engine, the directory it reloads from, and the generation it serves."""

    def __init__(self, engine: RulesEngine, rules_dir: Path | None) -> None:
        self.engine = engine
        self.rules_dir = rules_dir
        self.generation = 0
        self._checked_at = 0.0

    @property
    def version(self) -> str:
        """The version of the rule set being served."""
        return self.engine.version

    def due(self, throttle_seconds: float) -> bool:
        """Whether a `sync` with this throttle would look at the database now."""
        return not throttle_seconds or time.monotonic() - self._checked_at >= throttle_seconds

    def sync(self, conn: sa.Connection, *, throttle_seconds: float = 0.0) -> None:
        """Reload if another worker reloaded since; at most once per `throttle_seconds` for reads."""
        now = time.monotonic()
        if throttle_seconds and now - self._checked_at < throttle_seconds:
            return
        state = conn.execute(_GENERATION).first()
        self.catch_up(state.generation if state is not None else None)

    def catch_up(self, generation: int | None) -> None:
        """Reload if `generation` (as just read from the database) is newer than the one served."""
        self._checked_at = time.monotonic()
        if generation is None or generation <= self.generation:
            return
        try:
            self.engine.reload(self.rules_dir)
        except Exception:
            log.exception("rules reload requested by another worker failed; the old rules keep serving")
        self.generation = generation

    def reload(self, conn: sa.Connection, *, actor: str, now: dt.datetime) -> tuple[str, str]:
        """Validate and swap in the rule files (raises `RuleErrors`, old rules kept); (old, new) version.

        Runs inside the caller's write transaction, which records the new generation and the
        audit entry; if that transaction fails after the swap, the next sync reconciles.
        """
        old = self.engine.version
        self.engine.reload(self.rules_dir)
        new = self.engine.version
        state = conn.execute(sa.select(tables.rules_state).where(tables.rules_state.c.id == 1)).first()
        generation = (state.generation if state else 0) + 1
        values = {"generation": generation, "version": new, "reloaded_at": clock.iso(now), "reloaded_by": actor}
        if state is None:
            conn.execute(tables.rules_state.insert().values(id=1, **values))
        else:
            conn.execute(tables.rules_state.update().where(tables.rules_state.c.id == 1).values(**values))
        audit.append(conn, kind="rules.reloaded", actor=actor, at=clock.iso(now),
                     data={"previous_version": old, "version": new, "generation": generation})
        self.generation = generation
        return old, new

    def record_rejected_reload(self, conn: sa.Connection, *, actor: str, now: dt.datetime,
                               errors: list[dict[str, Any]]) -> None:
        """Audit a reload that validation refused (the old rules kept serving)."""
        audit.append(conn, kind="rules.reload_refused", actor=actor, at=clock.iso(now),
                     data={"version": self.engine.version, "errors": errors[:50]})
