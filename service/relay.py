"""The SMS outbox, relayed to a message broker (RabbitMQ over AMQP 0-9-1): notifications that leave.

The transactional-outbox pattern. An offer and its SMS are written in one transaction
(`service.offers`); this relay, on its own thread and connection, reads only committed rows,
so nothing is published for a transaction that rolled back or has not committed yet. For each
pending message it:

1. publishes it persistent, to a durable queue, with the outbox id as the AMQP `message_id` (the
   gateway de-duplicates on it), and waits for the broker's publisher confirm;
2. only then marks the row `relayed` (with `relayed_at`) in a write transaction.

A crash between 1 and 2 leaves the row pending and the next relay publishes it again: delivery
is at least once, never at most once, and the stable `message_id` makes the repeat harmless.
The relay resumes where it stopped because "where" is the table itself. With several workers,
one relays at a time (a leader lock: an advisory lock on PostgreSQL, a file lock on SQLite); a
broker that is down is retried with a back-off, and the service keeps taking events meanwhile.

Off unless `FAMILYCARD_AMQP_URL` is set (`make run` without a broker has no relay).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson
import sqlalchemy as sa

from service import clock
from service.settings import Settings
from service.store import db, tables, uow

log = logging.getLogger("familycard.relay")

O = tables.outbox  # noqa: E741 - the table's name
PENDING, RELAYED = "pending", "relayed"
RELAY_LOCK_KEY = 7_312_002  # the advisory lock naming the relay's leader in pg_locks
BATCH = 200
MAX_BACKOFF_S = 30.0

_PENDING = sa.select(O).where(O.c.status == PENDING).order_by(O.c.created_at, O.c.id).limit(sa.bindparam("limit"))


class Publisher(Protocol):
    """Where messages go: `publish` returns once the broker has confirmed it (or raises)."""

    def publish(self, message_id: str, body: bytes) -> None: ...

    def close(self) -> None: ...


class AmqpPublisher:
    """A pika blocking connection with publisher confirms, to one durable queue."""

    def __init__(self, url: str, queue: str) -> None:
        import pika

        self._pika = pika
        self.queue = queue
        params = pika.URLParameters(url)
        params.connection_attempts = 1
        params.socket_timeout = 5
        params.blocked_connection_timeout = 30
        self._connection = pika.BlockingConnection(params)
        self._channel = self._connection.channel()
        self._channel.queue_declare(queue=queue, durable=True)
        self._channel.confirm_delivery()

    def publish(self, message_id: str, body: bytes) -> None:
        """Publish persistent and mandatory; raises if the broker nacks it or cannot route it."""
        props = self._pika.BasicProperties(
            message_id=message_id, delivery_mode=2, content_type="application/json", type="familycard.sms"
        )
        self._channel.basic_publish(exchange="", routing_key=self.queue, body=body, properties=props, mandatory=True)

    def close(self) -> None:
        """Close the connection (errors on an already broken one are ignored)."""
        with contextlib.suppress(Exception):
            self._connection.close()


def message_body(row: dict[str, Any]) -> bytes:
    """What the SMS gateway receives: the message as the outbox holds it, keyed by its stable id."""
    return orjson.dumps(
        {
            "message_id": row["id"],
            "family_id": row["family_id"],
            "offer_id": row["offer_id"],
            "channel": row["channel"],
            "sender": row["sender"],
            "recipient_iin": row["recipient_iin"],
            "text_kk": row["text_kk"],
            "text_ru": row["text_ru"],
            "created_at": row["created_at"],
        }
    )


@dataclass
class Stats:
    """What one relay has done (for logs, tests and the readiness backlog)."""

    published: int = 0
    marked: int = 0
    failures: int = 0


class Relay:
    """Moves committed outbox rows to the broker, at least once, in order of creation."""

    def __init__(
        self,
        engine: sa.Engine,
        connect: Callable[[], Publisher],
        *,
        interval_s: float = 0.5,
        batch: int = BATCH,
        after_publish: Callable[[str], None] | None = None,
    ) -> None:
        self.engine = engine
        self.connect = connect
        self.interval_s = interval_s
        self.batch = batch
        self.after_publish = after_publish  # tests: fail between publishing and marking (a crash)
        self.stats = Stats()
        self._publisher: Publisher | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def pending(self) -> list[dict[str, Any]]:
        """The oldest committed messages not yet relayed."""
        with uow.UnitOfWork(self.engine, write=False) as work:
            return [dict(r._mapping) for r in work.conn.execute(_PENDING, {"limit": self.batch})]

    def run_once(self) -> int:
        """Publish one batch of pending messages and mark each confirmed one; how many were relayed.

        Marks after each confirm in small groups, so a crash republishes at most the messages
        confirmed since the last mark.
        """
        rows = self.pending()
        if not rows:
            return 0
        if self._publisher is None:
            self._publisher = self.connect()
        confirmed: list[str] = []
        try:
            for row in rows:
                self._publisher.publish(row["id"], message_body(row))
                self.stats.published += 1
                if self.after_publish is not None:
                    self.after_publish(row["id"])
                confirmed.append(row["id"])
                if len(confirmed) >= 50:
                    self._mark(confirmed)
                    confirmed = []
        finally:
            if confirmed:
                self._mark(confirmed)
        return len(rows)

    def _mark(self, ids: list[str]) -> None:
        now = clock.iso(clock.utc_now())
        with uow.UnitOfWork(self.engine, write=True) as work:
            work.conn.execute(
                O.update()
                .where(O.c.id.in_(ids), O.c.status == PENDING)
                .values(status=RELAYED, relayed_at=now, attempts=O.c.attempts + 1)
            )
            work.commit()
        self.stats.marked += len(ids)

    def drain(self, rounds: int = 1000) -> int:
        """Relay until nothing is pending (or `rounds` batches); how many were relayed."""
        total = 0
        for _ in range(rounds):
            done = self.run_once()
            total += done
            if done < self.batch:
                break
        return total

    def close(self) -> None:
        """Drop the broker connection."""
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None

    # --- the background thread --------------------------------------------------------------------

    def start(self) -> Relay:
        """Relay on a daemon thread until `stop()`, leading only while holding the leader lock."""
        self._thread = threading.Thread(target=self._run, name="familycard-relay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread and close the connection."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.close()

    def _run(self) -> None:
        backoff = self.interval_s
        while not self._stop.is_set():
            with leader(self.engine) as leading:
                while leading and not self._stop.is_set():
                    try:
                        if self.drain(rounds=20) == 0:
                            self._stop.wait(self.interval_s)
                        backoff = self.interval_s
                    except Exception as exc:  # broker or database away: back off, reconnect, resume
                        self.stats.failures += 1
                        log.warning("outbox relay failed (%s); retrying in %.1f s", type(exc).__name__, backoff)
                        self.close()
                        self._stop.wait(backoff)
                        backoff = min(backoff * 2, MAX_BACKOFF_S)
                        break
            self._stop.wait(self.interval_s if not self._stop.is_set() else 0)


@contextlib.contextmanager
def leader(engine: sa.Engine) -> Iterator[bool]:
    """Whether this process leads the relay while the block runs (one relay per database)."""
    if db.is_sqlite(engine):
        path = Path(str(engine.url.database or "familycard.db")).resolve()
        fd = os.open(f"{path}.relay-lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # closing drops the lock
        return
    try:
        conn = engine.connect()
    except Exception:
        yield False
        return
    got = False
    try:
        got = bool(conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": RELAY_LOCK_KEY}).scalar())
        conn.commit()
        yield got
    finally:
        with contextlib.suppress(Exception):
            if got:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": RELAY_LOCK_KEY})
                conn.commit()
        conn.close()


def start_if_configured(settings: Settings, engine: sa.Engine) -> Relay | None:
    """A running relay when a broker is configured (`FAMILYCARD_AMQP_URL`), else None."""
    if not settings.amqp_url:
        return None
    url, queue = settings.amqp_url, settings.amqp_queue
    log.info("outbox relay on", extra={"queue": queue})
    return Relay(engine, lambda: AmqpPublisher(url, queue), interval_s=settings.relay_interval_s).start()


def relay_command(args: Any) -> int:
    """`familycard relay`: the relay on its own (the service also runs one when a broker is configured)."""
    import signal

    settings = Settings()
    if not settings.amqp_url:
        print("FAMILYCARD_AMQP_URL is not set: no broker to relay to", flush=True)
        return 2
    engine = db.create_engine(settings.database_url)
    url, queue = settings.amqp_url, settings.amqp_queue
    worker = Relay(engine, lambda: AmqpPublisher(url, queue), interval_s=settings.relay_interval_s)
    try:
        if getattr(args, "once", False):
            print(f"relayed {worker.drain()} message(s) to {queue}", flush=True)
            return 0
        stopping = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
        worker.start()
        with contextlib.suppress(KeyboardInterrupt):
            stopping.wait()
        worker.stop()
        print(f"relay stopped: {worker.stats}", flush=True)
        return 0
    finally:
        worker.close()
        engine.dispose()
