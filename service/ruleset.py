"""The rule engine as the service holds it: one per worker process, one rule set per generation.

durable-rules may only be called from the thread that created it, so the engine is loaded in the
application's start-up on the event-loop thread, and every evaluation and reload runs there too
(the endpoints are `async` and call it directly, never through a thread pool).

One rule set per generation, everywhere. A reload reads the rule files once, validates exactly
those bytes, stores them content-addressed (`rule_sets`, by version and SHA-256) and moves the
generation (`rules_state`) in the same transaction. Every other worker, and every instance
started later, compares the generation before its next evaluation (and once a second in the
background) and loads the stored content of that generation, never the directory as it is at
that moment. A worker that cannot load it (the database unreachable, a stored rule set this code
cannot compile) keeps its generation number unchanged, answers events with 503 rather than
serve another version, and retries (at most once per `RETRY_SECONDS`) until it has it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa

from engine import clocks, compiler, model, rulecontent
from engine.assessment import Assessment
from engine.decision import Lang
from engine.errors import RuleErrors
from engine.rulefile import Rulebook
from service import audit, clock
from service.errors import ServiceError
from service.store import tables, uow

log = logging.getLogger("familycard.rules")

RETRY_SECONDS = 1.0  # a worker that could not load its generation tries again after this long
START_UP = "start-up"

_S = tables.rules_state
_R = tables.rule_sets
_GENERATION = sa.select(_S.c.generation).where(_S.c.id == 1)
_CURRENT = (
    sa.select(_S.c.generation, _S.c.version, _R.c.sha256, _R.c.files)
    .select_from(_S.outerjoin(_R, _R.c.version == _S.c.version))
    .where(_S.c.id == 1)
)


class RulesEngine(Protocol):
    """What the service needs from `engine.api.Engine`."""

    @property
    def version(self) -> str: ...

    def evaluate_json(self, family: model.Family, as_of: dt.date) -> bytes: ...

    def answer_json(self, family: model.Family, as_of: dt.date, lang: Lang = "kk") -> bytes: ...

    def assess(self, family: model.Family, as_of: dt.date) -> Assessment: ...

    def benefits(self) -> Sequence[Any]: ...

    def use(self, book: Rulebook) -> None: ...

    def next_change(self, family: model.Family, as_of: dt.date) -> dt.date | None: ...

    def schedule(self, as_of: dt.date) -> clocks.Schedule: ...

    def program(self, as_of: dt.date) -> compiler.Program: ...

    @property
    def book(self) -> Rulebook: ...


def load_engine(rules_dir: Path | None) -> RulesEngine:
    """Load the real engine from a rules directory (raises `RuleErrors` on any problem)."""
    from engine.api import Engine

    return Engine.load(rules_dir)


def rules_origin(rules_dir: Path | None) -> Path:
    """The rules directory a worker reads from (the configured one, else the default)."""
    from engine.api import default_rules_dir

    return Path(rules_dir) if rules_dir else default_rules_dir()


class RulesUnavailable(ServiceError):
    """This worker cannot serve the current generation yet: 503, try again shortly."""

    def __init__(self, stale: Stale) -> None:
        super().__init__(
            503,
            ["rules"],
            f"this worker cannot load rule set {stale.version} (generation {stale.generation}) yet: "
            f"{stale.reason}; it serves no other version meanwhile, retry shortly",
            "rules_unavailable",
        )
        self.headers = {"Retry-After": "1"}


@dataclass(frozen=True)
class Stale:
    """The generation a worker should serve but could not load, and why."""

    generation: int
    version: str
    reason: str


@dataclass(frozen=True)
class Prepared:
    """A reload validated and written in the caller's transaction, to be adopted once it commits."""

    previous_version: str
    version: str
    generation: int
    book: Rulebook
    files: rulecontent.RuleFiles


class Rules:
    """The worker's engine, the directory it reloads from, and the generation it serves."""

    def __init__(
        self, engine: RulesEngine, rules_dir: Path | None, *, files: rulecontent.RuleFiles | None = None
    ) -> None:
        self.engine = engine
        self.rules_dir = rules_dir
        self.files = files  # the content being served, when this worker read or loaded it
        self.generation = -1  # not yet compared with the database
        self.stale: Stale | None = None
        self.on_change: Callable[[Rules], None] | None = None  # e.g. the metrics of this worker
        self._checked_at = 0.0
        self._retry_at = 0.0

    @classmethod
    def from_directory(cls, rules_dir: Path | None) -> Rules:
        """A worker's rules read from a directory once (raises `RuleErrors` on any problem)."""
        from engine.api import Engine

        origin = rules_origin(rules_dir)
        files = _read(origin)
        return cls(Engine.load_files(files, origin=origin), rules_dir, files=files)

    @property
    def version(self) -> str:
        """The version of the rule set being served."""
        return self.engine.version

    @property
    def consistent(self) -> bool:
        """Whether this worker serves the generation it last saw in the database."""
        return self.stale is None

    def status(self) -> dict[str, Any]:
        """What `/healthz` reports about the rules of this worker."""
        found: dict[str, Any] = {
            "version": self.version,
            "generation": self.generation,
            "state": "current" if self.stale is None else "stale",
        }
        if self.stale is not None:
            found.update(
                wanted_version=self.stale.version, wanted_generation=self.stale.generation, reason=self.stale.reason
            )
        return found

    def due(self, throttle_seconds: float) -> bool:
        """Whether a `sync` with this throttle would look at the database now (always, while stale)."""
        return self.stale is not None or not throttle_seconds or time.monotonic() - self._checked_at >= throttle_seconds

    # --- following the generation ---------------------------------------------------------------

    def start(self, database: sa.Engine, *, now: dt.datetime) -> None:
        """At start-up: serve the current generation; on a database that has none, publish ours as 0."""
        with uow.UnitOfWork(database, write=True) as work:
            row = work.conn.execute(_CURRENT).first()
            if row is None or row.files is None:
                files = self._own_files()
                _store(work.conn, files=files, version=self.version, now=now, actor=START_UP)
                if row is None:
                    work.conn.execute(
                        _S.insert().values(
                            id=1, generation=0, version=self.version, reloaded_at=clock.iso(now), reloaded_by=START_UP
                        )
                    )
                elif row.version != self.version:
                    # An old database names a version whose content was never stored: ours takes over,
                    # as a reload would, so every worker has content to load.
                    self._move(
                        work.conn,
                        version=self.version,
                        previous=row.version,
                        generation=row.generation + 1,
                        actor=START_UP,
                        now=now,
                        removed=[],
                    )
                work.commit()
        if row is None:
            self.generation = 0
        else:
            self.sync_on(database)

    def sync_on(self, database: sa.Engine) -> None:
        """Catch up with the database's generation now (own read transaction)."""
        with uow.UnitOfWork(database, write=False) as work:
            self.sync(work.conn)

    def sync(self, conn: sa.Connection, *, throttle_seconds: float = 0.0) -> None:
        """Catch up if another worker reloaded since; at most once per `throttle_seconds` for reads."""
        if not self.due(throttle_seconds):
            return
        self.catch_up(conn.execute(_GENERATION).scalar(), conn)

    def catch_up(self, generation: int | None, conn: sa.Connection | None = None) -> None:
        """Serve `generation` (as just read from the database) if it is newer than the one served.

        Loads the stored content of the current generation through `conn`; raises
        `RulesUnavailable` (and serves nothing new) when that cannot be done yet.
        """
        self._checked_at = time.monotonic()
        if generation is None or (generation <= self.generation and self.stale is None):
            return
        stale = self.stale
        if stale is not None and stale.generation >= generation and time.monotonic() < self._retry_at:
            raise RulesUnavailable(stale)
        if conn is None:
            self._fail(Stale(generation, "?", "no database connection to load it through"))
        assert conn is not None
        try:
            row = conn.execute(_CURRENT).first()
        except sa.exc.SQLAlchemyError as exc:
            self._fail(
                Stale(
                    generation, stale.version if stale else "?", f"the database did not answer ({type(exc).__name__})"
                )
            )
        if row is None:
            return
        if row.files is None:
            self._fail(Stale(row.generation, row.version, "its content is not stored"))
        try:
            files = _decode(row.files)
            if rulecontent.digest(files) != row.sha256:
                raise ValueError("the stored files do not match their SHA-256")
            if row.version != self.engine.version:
                book, errors = rulecontent.load(files, origin=rules_origin(self.rules_dir))
                if book is None:
                    raise RuleErrors(errors)
                if book.version != row.version:
                    raise ValueError(f"the stored files load as {book.version}, not {row.version}")
                self.engine.use(book)
        except Exception as exc:
            self._fail(Stale(row.generation, row.version, f"{type(exc).__name__}: {str(exc)[:300]}"))
        was = self.generation
        self.files, self.generation, self.stale = files, int(row.generation), None
        if was != self.generation:
            log.info("rules caught up", extra={"ruleset_version": self.version, "generation": self.generation})
            self._changed()

    def _fail(self, stale: Stale) -> None:
        self.stale = stale
        self._retry_at = time.monotonic() + RETRY_SECONDS
        log.error(
            "cannot load the current rule set; events are refused until it loads",
            extra={"wanted_version": stale.version, "generation": stale.generation, "reason": stale.reason},
        )
        self._changed()
        raise RulesUnavailable(stale)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    # --- reloading ------------------------------------------------------------------------------

    def prepare(self, conn: sa.Connection, *, actor: str, now: dt.datetime) -> tuple[Prepared, list[str]]:
        """Read and validate the rule files once, in the caller's write transaction (nothing written yet).

        Raises `RuleErrors` (nothing changes). First catches up with the current generation, so
        that the benefits a reload removes are counted against what every worker serves. Returns
        the reload and the ids of the benefits it removes.
        """
        self.sync(conn)
        origin = rules_origin(self.rules_dir)
        files = _read(origin)
        book, errors = rulecontent.load(files, origin=origin)
        if book is None:
            raise RuleErrors(errors)
        kept = {b.id for b in book.benefits}
        removed = sorted(b.id for b in self.engine.benefits() if b.id not in kept)
        return Prepared(self.version, book.version, self.generation, book, files), removed

    def commit(
        self,
        conn: sa.Connection,
        prepared: Prepared,
        *,
        actor: str,
        now: dt.datetime,
        removed: list[str],
        data: dict[str, Any] | None = None,
    ) -> Prepared:
        """Store the content, move the generation and audit it (in the caller's transaction)."""
        _store(conn, files=prepared.files, version=prepared.version, now=now, actor=actor)
        generation = prepared.generation + 1
        self._move(
            conn,
            version=prepared.version,
            previous=prepared.previous_version,
            generation=generation,
            actor=actor,
            now=now,
            removed=removed,
            data=data,
        )
        return Prepared(prepared.previous_version, prepared.version, generation, prepared.book, prepared.files)

    def adopt(self, prepared: Prepared) -> None:
        """Serve a reload whose transaction committed (the other workers load it from the database)."""
        if prepared.version != self.engine.version:
            self.engine.use(prepared.book)
        self.files, self.generation, self.stale = prepared.files, prepared.generation, None
        self._changed()

    def reload(self, conn: sa.Connection, *, actor: str, now: dt.datetime) -> tuple[str, str]:
        """Validate the rule files and record them as the next generation in the caller's transaction.

        (old, new) version. This worker serves them once it next catches up (after the commit);
        the route adopts them at once. Removal of held benefits is checked by the route.
        """
        prepared, removed = self.prepare(conn, actor=actor, now=now)
        self.commit(conn, prepared, actor=actor, now=now, removed=removed)
        return prepared.previous_version, prepared.version

    def _move(
        self,
        conn: sa.Connection,
        *,
        version: str,
        previous: str,
        generation: int,
        actor: str,
        now: dt.datetime,
        removed: list[str],
        data: dict[str, Any] | None = None,
    ) -> None:
        values = {"generation": generation, "version": version, "reloaded_at": clock.iso(now), "reloaded_by": actor}
        if conn.execute(_S.update().where(_S.c.id == 1).values(**values)).rowcount == 0:
            conn.execute(_S.insert().values(id=1, **values))
        audit.append(
            conn,
            kind="rules.reloaded",
            actor=actor,
            at=clock.iso(now),
            data={
                "previous_version": previous,
                "version": version,
                "generation": generation,
                **({"removed_benefits": removed} if removed else {}),
                **(data or {}),
            },
        )

    def record_rejected_reload(
        self, conn: sa.Connection, *, actor: str, now: dt.datetime, errors: list[dict[str, Any]], why: str | None = None
    ) -> None:
        """Audit a reload that was refused (the old rules kept serving)."""
        audit.append(
            conn,
            kind="rules.reload_refused",
            actor=actor,
            at=clock.iso(now),
            data={"version": self.engine.version, "errors": errors[:50], **({"why": why} if why else {})},
        )

    def _own_files(self) -> rulecontent.RuleFiles:
        """The content this worker serves (read from its directory if it was loaded another way)."""
        if self.files is not None:
            return self.files
        files = _read(rules_origin(self.rules_dir))
        book, errors = rulecontent.load(files, origin=rules_origin(self.rules_dir))
        if book is None:
            raise RuleErrors(errors)
        if book.version != self.version:
            self.engine.use(book)
        self.files = files
        return files


def _read(origin: Path) -> rulecontent.RuleFiles:
    files, errors = rulecontent.read(origin)
    if errors:
        raise RuleErrors(errors)
    return files


def _encode(files: rulecontent.RuleFiles) -> str:
    # Validated rule files are UTF-8 text (the loader refuses anything else).
    return json.dumps({k: files[k].decode("utf-8") for k in sorted(files)}, ensure_ascii=False, separators=(",", ":"))


def _decode(text: str) -> rulecontent.RuleFiles:
    return {k: v.encode("utf-8") for k, v in json.loads(text).items()}


def _store(conn: sa.Connection, *, files: rulecontent.RuleFiles, version: str, now: dt.datetime, actor: str) -> None:
    """Keep a rule set's content under its address (once: the same version is the same content)."""
    if conn.execute(sa.select(_R.c.version).where(_R.c.version == version)).first() is not None:
        return
    conn.execute(
        _R.insert().values(
            version=version,
            sha256=rulecontent.digest(files),
            files=_encode(files),
            created_at=clock.iso(now),
            created_by=actor,
        )
    )


def stored_files(conn: sa.Connection, *, version: str) -> rulecontent.RuleFiles | None:
    """The stored content of a rule set version, or None."""
    text = conn.execute(sa.select(_R.c.files).where(_R.c.version == version)).scalar()
    return None if text is None else _decode(text)
