"""The calendar lease: one holder at a time, a standby takes over when the holder stops renewing."""

from __future__ import annotations

import datetime as dt

from service import leases
from service.store import db, migrate

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
TTL = dt.timedelta(seconds=30)


def test_one_holder_at_a_time_and_a_standby_takes_over(database_url: str) -> None:
    engine = db.create_engine(database_url)
    migrate.upgrade(engine)
    try:
        assert leases.hold(engine, name="calendar", holder="a", now=T0, ttl=TTL)
        assert not leases.hold(engine, name="calendar", holder="b", now=T0 + dt.timedelta(seconds=10), ttl=TTL)
        assert leases.hold(engine, name="calendar", holder="a", now=T0 + dt.timedelta(seconds=20), ttl=TTL)  # renewed
        assert not leases.hold(engine, name="calendar", holder="b", now=T0 + dt.timedelta(seconds=45), ttl=TTL)
        # "a" died: its lease runs out and "b" takes over; "a" coming back is refused.
        assert leases.hold(engine, name="calendar", holder="b", now=T0 + dt.timedelta(seconds=51), ttl=TTL)
        assert not leases.hold(engine, name="calendar", holder="a", now=T0 + dt.timedelta(seconds=52), ttl=TTL)
        assert leases.current(engine, name="calendar")[0] == "b"
        leases.release(engine, name="calendar", holder="b")
        assert leases.hold(engine, name="calendar", holder="a", now=T0 + dt.timedelta(seconds=53), ttl=TTL)
    finally:
        engine.dispose()
