"""Plausibility at the edge: times and dates a registry could really have sent, checked before use.

A far-future `occurred_at` used to pin a family (every later true event was "late" and dropped),
and impossible dates (a child born in 2099, a death on 9999-12-31, a death before the birth)
went into the record. Each is now a 422 naming the field, dead-lettered like any other refusal.

What is checked (`Limits` comes from the settings):
- `occurred_at` no later than now plus `max_clock_skew` and no earlier than `min_occurred_at`;
- every date of a person (birth, death, job loss) no earlier than `min_birth_date` and no later
  than the day the event occurred (one day of grace for time zones);
- a death or a job loss not before the person's birth (the birth date is read from the IIN's
  first digits where the payload does not carry it, as the 2007 formation rules write it);
- membership: a person listed both as living and deceased, or added and removed by one change.

Pure: no web or database imports. Messages name the field and the rule, never the dates of a
person or digits of an IIN.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from engine import model
from service import events

Loc = list[str | int]
GRACE = dt.timedelta(days=1)
_CENTURY = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}


@dataclass(frozen=True)
class Limits:
    """The bounds an event is held to."""

    max_clock_skew: dt.timedelta
    min_occurred_at: dt.datetime
    min_birth_date: dt.date


def iin_birth_date(iin: str) -> dt.date | None:
    """The birth date an IIN encodes (digits 1-6 and the century digit 7), or None if it encodes none."""
    century = _CENTURY.get(iin[6:7])
    if century is None or not iin[:6].isdigit():
        return None
    try:
        return dt.date(century + int(iin[0:2]), int(iin[2:4]), int(iin[4:6]))
    except ValueError:
        return None


def problems(
    envelope: events.Envelope, payload: BaseModel, *, now: dt.datetime, limits: Limits
) -> list[dict[str, Any]]:
    """Every implausible time, date or membership in one event (empty: nothing found)."""
    found: list[dict[str, Any]] = []
    occurred = envelope.occurred_at
    try:
        latest = now + limits.max_clock_skew
    except OverflowError:  # a skew past year 9999: no upper bound
        latest = dt.datetime.max.replace(tzinfo=dt.UTC)
    if occurred > latest:
        found.append(
            _item(
                ["body", "occurred_at"],
                f"occurred_at is more than {int(limits.max_clock_skew.total_seconds())} s after the "
                "service's clock: an event cannot be reported before it happens (check the sender's "
                "clock)",
                "occurred_at_in_future",
            )
        )
        return found  # every date would be judged against an impossible day
    if occurred < limits.min_occurred_at:
        found.append(
            _item(
                ["body", "occurred_at"],
                f"occurred_at is before {limits.min_occurred_at.isoformat()}, the earliest this service takes",
                "occurred_at_too_early",
            )
        )
        return found
    day = occurred.date()
    check = _Dates(limits.min_birth_date, day + GRACE if day < dt.date.max else day, found)
    at: Loc = ["body", "payload"]
    if isinstance(payload, model.Family):
        _members(check, payload.members, [*at, "members"])
        living = {m.iin for m in payload.members}
        for i, d in enumerate(payload.deceased):
            where = [*at, "deceased", i]
            check.date(d.date_of_death, [*where, "date_of_death"], "a death", born=iin_birth_date(d.iin))
            if d.iin in living:
                found.append(
                    _item(
                        [*where, "iin"], "a deceased person is also listed as a living member", "membership_incoherent"
                    )
                )
    elif isinstance(payload, events.BirthRegistered):
        child = payload.child
        check.date(child.birth_date, [*at, "child", "birth_date"], "a birth")
    elif isinstance(payload, events.DeathRegistered):
        check.date(payload.date_of_death, [*at, "date_of_death"], "a death", born=iin_birth_date(payload.iin))
    elif isinstance(payload, events.EmploymentChanged) and payload.job_lost_on is not None:
        check.date(payload.job_lost_on, [*at, "job_lost_on"], "a job loss", born=iin_birth_date(payload.iin))
    elif isinstance(payload, events.HouseholdChanged):
        _members(check, payload.add, [*at, "add"])
        both = {m.iin for m in payload.add} & set(payload.remove)
        for i, iin in enumerate(payload.remove):
            if iin in both:
                found.append(
                    _item([*at, "remove", i], "one change both adds and removes this person", "membership_incoherent")
                )
    return found


def _members(check: _Dates, members: list[model.Member], loc: Loc) -> None:
    for i, m in enumerate(members):
        check.date(m.birth_date, [*loc, i, "birth_date"], "a birth")
        if m.job_lost_on is not None:
            check.date(m.job_lost_on, [*loc, i, "job_lost_on"], "a job loss", born=m.birth_date)


@dataclass
class _Dates:
    earliest: dt.date
    latest: dt.date
    found: list[dict[str, Any]]

    def date(self, value: dt.date, loc: Loc, what: str, *, born: dt.date | None = None) -> None:
        field = ".".join(str(p) for p in loc[2:])
        if value > self.latest:
            self.found.append(_item(loc, f"{field}: {what} dated after the day the event occurred", "date_in_future"))
        elif value < self.earliest:
            self.found.append(
                _item(
                    loc,
                    f"{field}: {what} dated before {self.earliest.isoformat()}, the earliest this service takes",
                    "date_too_early",
                )
            )
        elif born is not None and value < born:
            self.found.append(_item(loc, f"{field}: {what} dated before the person's birth", "date_before_birth"))


def _item(loc: Loc, msg: str, kind: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg, "type": kind}


def limits_from(max_clock_skew_s: float, min_occurred_at: dt.datetime, min_birth_date: dt.date) -> Limits:
    """`Limits` from the settings' values (a skew beyond what a timedelta holds is no upper bound)."""
    skew = (
        dt.timedelta.max
        if max_clock_skew_s >= dt.timedelta.max.total_seconds()
        else dt.timedelta(seconds=max_clock_skew_s)
    )
    return Limits(skew, min_occurred_at, min_birth_date)
