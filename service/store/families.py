"""Family records: the snapshot, where each fact came from, the indicators, the last event time."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service.store import rows, tables

T = tables.families

_GET = sa.select(T).where(T.c.family_id == sa.bindparam("family_id"))
# What an event needs read before it is worked out, in one statement: the family's record (or
# nulls), whether the event was already applied, and the rules generation.
_SEEN = sa.select(sa.literal(1)).where(tables.events.c.event_id == sa.bindparam("event_id")).scalar_subquery()
_GENERATION = sa.select(tables.rules_state.c.generation).where(tables.rules_state.c.id == 1).scalar_subquery()
_ANCHOR = sa.select(sa.literal(1).label("one")).subquery("anchor")
_FOR_EVENT = sa.select(T, _SEEN.label("event_seen"), _GENERATION.label("rules_generation")).select_from(
    _ANCHOR.outerjoin(T, T.c.family_id == sa.bindparam("family_id"))
)
# Under the writer lock: whether the record and the rules are still what a plan was made from.
_STAMP = sa.select(T.c.revision, _GENERATION.label("rules_generation")).select_from(
    _ANCHOR.outerjoin(T, T.c.family_id == sa.bindparam("family_id"))
)
_TOUCH = T.update().where(T.c.family_id == sa.bindparam("key_family_id")).values(revision=T.c.revision + 1)
_ADD = T.insert()
_UPDATE = T.update().where(T.c.family_id == sa.bindparam("key_family_id"))  # SET: the columns given


def get(conn: sa.Connection, *, family_id: str) -> dict[str, Any] | None:
    """One family's record, or None."""
    return rows.one(conn, _GET, {"family_id": family_id})


def for_event(conn: sa.Connection, *, family_id: str, event_id: str) -> tuple[dict[str, Any] | None, bool, int | None]:
    """(the family's record or None, whether the event was already applied, the rules generation)."""
    found = rows.one(conn, _FOR_EVENT, {"family_id": family_id, "event_id": event_id})
    assert found is not None  # the outer join always gives one row
    seen, generation = found.pop("event_seen") is not None, found.pop("rules_generation")
    return (found if found["family_id"] is not None else None), seen, generation


def stamp(conn: sa.Connection, *, family_id: str) -> tuple[int | None, int | None]:
    """(the record's revision or None, the rules generation): raised by every change to either."""
    found = rows.one(conn, _STAMP, {"family_id": family_id})
    assert found is not None  # the outer join always gives one row
    return found["revision"], found["rules_generation"]


def touch(conn: sa.Connection, *, family_id: str) -> None:
    """Raise the revision: the family's holdings changed outside its record (a consent, a review)."""
    rows.run(conn, _TOUCH, {"key_family_id": family_id})


def add(conn: sa.Connection, *, record: dict[str, Any]) -> None:
    """Insert a new family's record."""
    rows.run(conn, _ADD, record)


def update(conn: sa.Connection, *, family_id: str, values: dict[str, Any]) -> None:
    """Change a family's record."""
    rows.run(conn, _UPDATE, {**values, "key_family_id": family_id})
