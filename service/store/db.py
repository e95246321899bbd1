"""Opening the database: URL normalisation, SQLite pragmas, and the one write lock.

Writes are serialised on purpose. The audit log is a single hash chain, and a family's events
must be applied one at a time, so every write transaction first takes one lock: SQLite's
`BEGIN IMMEDIATE` (the database write lock, waited for with `busy_timeout`), PostgreSQL's
transaction-scoped advisory lock. Reads never take it (WAL readers do not block the writer).

On SQLite, writers of this service first queue on a `WriterLock` (a thread lock and an `flock`
on a file beside the database) and only then `BEGIN IMMEDIATE`. SQLite's own busy handler sleeps
1, 2, 5, 10 ... 100 ms between retries, so with several workers a waiting writer keeps missing
the moments the lock is free: throughput drops and the slowest requests wait seconds. The queue
hands the lock over within a fraction of a millisecond. `BEGIN IMMEDIATE` stays the guarantee
(for other programs, and if the queue gives up after `BUSY_TIMEOUT_MS`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import queue
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url

log = logging.getLogger("familycard.store")

WRITE_LOCK_KEY = 7_312_001  # any constant; names the familycard writer lock in pg_locks
BUSY_TIMEOUT_MS = 30_000
LOCK_SUFFIX = ".writer-lock"


class WriterLock:
    """One writer at a time for one SQLite file, across the threads and processes of this machine.

    Re-entrant in the thread that holds it. A busy lock is waited for in the kernel (`flock`,
    woken the moment it is free; polling keeps missing those moments, as SQLite's busy handler
    does). `acquire` gives up after `timeout` seconds and returns False; the caller then relies on
    SQLite's own busy handling. The kernel drops the lock of a process that dies.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._pid = 0
        self._waiter: _Waiter | None = None

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked child must not share the parent's lock
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._depth = 0
            if self._pid != os.getpid():
                self._pid, self._waiter = os.getpid(), None  # threads do not survive a fork
        return self._fd

    def acquire(self, timeout: float = BUSY_TIMEOUT_MS / 1000) -> bool:
        """Wait for the lock (at most `timeout` seconds; 0: only if it is free); whether it is held."""
        if not self._thread_lock.acquire(timeout=max(timeout, 0)):
            return False
        if self._depth:
            self._depth += 1
            return True
        fd = self._file()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            got = True
        except BlockingIOError:
            got = False
            if timeout > 0:
                self._waiter = self._waiter or _Waiter()
                got = self._waiter.wait(fd, timeout)
                if not got:
                    self._fd = None  # the abandoned wait keeps (and closes) this descriptor
        if not got:
            self._thread_lock.release()
            return False
        self._depth = 1
        return True

    def release(self) -> None:
        """Give the lock back (the outermost release lets the next writer in)."""
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread_lock.release()


@dataclass
class _Ticket:
    fd: int
    done: threading.Event = field(default_factory=threading.Event)
    guard: threading.Lock = field(default_factory=threading.Lock)
    got: bool = False
    abandoned: bool = False


class _Waiter:
    """A thread that waits in a blocking `flock` for the thread that asked, which waits with a timeout.

    (`flock` itself takes no timeout and cannot be interrupted outside the main thread.) An
    abandoned wait hands the lock straight back when it comes, and closes its descriptor.
    """

    def __init__(self) -> None:
        self._tickets: queue.SimpleQueue[_Ticket] = queue.SimpleQueue()
        threading.Thread(target=self._run, name="familycard-writer-lock", daemon=True).start()

    def wait(self, fd: int, timeout: float) -> bool:
        ticket = _Ticket(fd)
        self._tickets.put(ticket)
        ticket.done.wait(timeout)
        with ticket.guard:
            ticket.abandoned = not ticket.got
            return ticket.got

    def _run(self) -> None:
        while True:
            ticket = self._tickets.get()
            fcntl.flock(ticket.fd, fcntl.LOCK_EX)
            with ticket.guard:
                if ticket.abandoned:
                    fcntl.flock(ticket.fd, fcntl.LOCK_UN)
                    os.close(ticket.fd)
                else:
                    ticket.got = True
            ticket.done.set()


_LOCKS: dict[str, WriterLock] = {}
_ENGINE_LOCKS: weakref.WeakKeyDictionary[sa.Engine, WriterLock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def writer_lock(engine: sa.Engine) -> WriterLock | None:
    """The queue writers of this SQLite file wait in (None: PostgreSQL or an in-memory database)."""
    return _ENGINE_LOCKS.get(engine)


def _register_writer_lock(engine: sa.Engine, database: str | None) -> None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = str(Path(database).resolve()) + LOCK_SUFFIX
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(path, WriterLock(Path(path)))
    _ENGINE_LOCKS[engine] = lock


@contextlib.contextmanager
def writing(engine: sa.Engine) -> Iterator[None]:
    """Hold the engine's writer queue (if it has one) for the duration of the block."""
    lock = writer_lock(engine)
    held = lock.acquire() if lock is not None else False
    try:
        yield
    finally:
        if held and lock is not None:
            lock.release()


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here; SQLite paths get their folder created."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine: sa.Engine) -> bool:
    """True when the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


# orjson for the JSON columns (snapshots, explanations, effects): several times faster than the
# standard library both ways. Whatever orjson will not take as the standard library would (keys
# that are not strings, integers beyond 64 bits, dates, dataclasses, ...) goes to `json`, which
# writes or refuses it exactly as before; so does reading a document orjson refuses (NaN).
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


def json_dumps(value: Any) -> str:
    """A JSON column's text."""
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value)


def json_loads(text: str | bytes) -> Any:
    """A JSON column's value."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def create_engine(url: str, *, background_checkpoints: bool = False) -> sa.Engine:
    """A synchronous engine for SQLite (WAL) or PostgreSQL (psycopg 3).

    `background_checkpoints` (SQLite): the caller runs a `Checkpointer`, so commits no longer
    copy the WAL into the database themselves (see `Checkpointer`).
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
            json_serializer=json_dumps, json_deserializer=json_loads, hide_parameters=True,
        )
        _configure_sqlite(engine, autocheckpoint=BACKSTOP_CHECKPOINT_PAGES if background_checkpoints else None)
        _register_writer_lock(engine, engine.url.database)
        return engine
    # hide_parameters: an error's message (and so the log) never carries the statement's values (IINs).
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, json_serializer=json_dumps,
                            json_deserializer=json_loads, hide_parameters=True)


def _configure_sqlite(engine: sa.Engine, *, autocheckpoint: int | None = None) -> None:
    """WAL, a busy timeout, foreign keys, and our own BEGIN so writers can ask for IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would BEGIN lazily and DEFERRED; take it over.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        if autocheckpoint is not None:
            cursor.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Straight to the driver: the statement needs none of SQLAlchemy's execution machinery.
        conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
            "BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")


# With a `Checkpointer` running, a commit still checkpoints if the WAL ever grows past this many
# pages (~80 MB): a backstop should the background thread fall behind or stop.
BACKSTOP_CHECKPOINT_PAGES = 20_000
CHECKPOINT_SECONDS = 0.5
RESTART_PAGES = 4_000  # ~16 MB of WAL
CHECKPOINT_BUSY_MS = 50


class Checkpointer:
    """Copies the SQLite WAL into the database file on its own thread, off the commit path.

    By default the commit that takes the WAL past 1,000 pages copies it into the database and
    fsyncs, inside the writer lock: measured in-process, 1 commit in 100 took 5-10 ms that way and
    those commits were 60 % of all commit time, while every other writer (and the requests behind
    them) waited. A PASSIVE checkpoint here, every half second, does the same work without
    blocking writers or readers, and sqlite3 releases the GIL while it does the I/O.
    """

    def __init__(self, engine: sa.Engine, interval: float = CHECKPOINT_SECONDS) -> None:
        self._engine = engine
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="familycard-checkpoint", daemon=True)
        self._conn: sqlite3.Connection | None = None
        self.checkpoints = 0
        self.restarts = 0

    def start(self) -> Checkpointer:
        """Start the thread (SQLite only; elsewhere nothing to do)."""
        if is_sqlite(self._engine):
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread after a last checkpoint."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def checkpoint(self) -> None:
        """Copy what the WAL holds into the database; start the WAL over once it has grown.

        A PASSIVE checkpoint never completes while commits keep arriving, and the WAL only
        starts over after a complete one: so once it passes `RESTART_PAGES`, a RESTART
        checkpoint finishes the job holding the writer lock (the PASSIVE one has just copied
        nearly everything, so the writers wait a few milliseconds every few seconds). Its own
        connection waits at most `CHECKPOINT_BUSY_MS` for readers: a round that cannot finish is
        left to the next one rather than holding the writers back.
        """
        if self._conn is None:
            self._conn = sqlite3.connect(self._engine.url.database or "", timeout=CHECKPOINT_BUSY_MS / 1000,
                                         isolation_level=None, check_same_thread=False)
        _, pages, _ = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.checkpoints += 1
        if pages >= RESTART_PAGES:
            with writing(self._engine):
                busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
            self.restarts += 0 if busy else 1

    def _run(self) -> None:
        while True:
            stopping = self._stop.wait(self._interval)
            try:
                self.checkpoint()
            except Exception:  # a busy or closing database: the next round (or the backstop) catches up
                log.debug("background checkpoint failed", exc_info=True)
            if stopping:
                return


def take_write_lock(conn: sa.Connection) -> None:
    """On PostgreSQL, the advisory lock every writer holds until its transaction ends."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK_KEY})
