"""Time as the service writes it: aware UTC datetimes, stored as fixed-width ISO-8601 strings.

Fixed width and one offset make the stored strings sort the way the instants do, on SQLite and
PostgreSQL alike. The clock is injected (`AppContext.clock`), so tests can move time forward.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """The wall clock, in UTC."""
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    """The stored form of an instant: UTC, microseconds, `+00:00`."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def new_id(prefix: str) -> str:
    """A fresh identifier such as `of-3f2c...` (random, so two workers never collide)."""
    return f"{prefix}-{uuid.uuid4().hex}"
