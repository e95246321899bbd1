"""Applied events (the idempotency keys and their effects) and dead letters (what was refused)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service import events
from service.store import rows, tables

E = tables.events
D = tables.dead_letters

_GET = sa.select(E).where(E.c.event_id == sa.bindparam("event_id"))
_ADD = E.insert()
_ADD_DEAD_LETTER = D.insert()


def get(conn: sa.Connection, *, event_id: str) -> dict[str, Any] | None:
    """An applied event, or None."""
    return rows.one(conn, _GET, {"event_id": event_id})


def add(conn: sa.Connection, *, event: dict[str, Any]) -> None:
    """Record an applied event with its content hash; the primary key refuses a second copy."""
    if "content_hash" not in event:
        event = {**event, "content_hash": events.stored_hash(event)}
    rows.run(conn, _ADD, event)


def add_dead_letter(conn: sa.Connection, *, letter: dict[str, Any]) -> None:
    """Keep a refused message with its reason, whatever bytes it held.

    PostgreSQL's text and JSONB cannot hold a NUL character, so every NUL (in the raw body, the
    guessed id and type, or a reason quoting them) is stored as the six characters `\\u0000`, on
    every database alike: the dead letter is kept instead of the refusal failing with a 500.
    """
    rows.run(conn, _ADD_DEAD_LETTER, _without_nul(letter))


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", NUL_ESCAPE) if "\x00" in value else value
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nul(v) for v in value]
    return value


NUL_ESCAPE = "\\u0000"


def dead_letters(conn: sa.Connection, *, event_id: str) -> list[dict[str, Any]]:
    """Every refused delivery of one event id, oldest first."""
    return rows.many(conn, sa.select(D).where(D.c.event_id == event_id).order_by(D.c.received_at, D.c.id))


def dead_letter(conn: sa.Connection, *, letter_id: str) -> dict[str, Any] | None:
    """One dead letter by its own id (for messages that had no usable event id)."""
    return rows.one(conn, sa.select(D).where(D.c.id == letter_id))


def family_events(conn: sa.Connection, *, family_id: str, limit: int = 200) -> list[dict[str, Any]]:
    """A family's applied events, newest first."""
    return rows.many(
        conn,
        sa.select(E.c.event_id, E.c.type, E.c.occurred_at, E.c.received_at, E.c.late)
        .where(E.c.family_id == family_id)
        .order_by(E.c.received_at.desc())
        .limit(limit),
    )
