"""Builders for test families, members and bus events, with valid synthetic IINs."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

from engine import iin
from tests.engine import builders

_serial = itertools.count(100)


def member(
    relation: str, birth_date: str | dt.date, sex: str = "female", *, employment: str = "none",
    income: float = 0, gfss: bool = False, citizenship: str = "citizen", **extra: Any,
) -> dict[str, Any]:
    """A member snapshot with an IIN that agrees with the birth date and sex, every field spelled out."""
    return builders.person(relation, birth_date, sex, citizenship=citizenship, disability=None, employment=employment,
                           gfss_participant=gfss, monthly_income_kzt=income, full_time_student=False, awards=[],
                           **extra)


def make_family(
    family_id: str | None = None, *, children: int = 0, region: str = "KZ-75", first_child_born: str = "2008-03-10",
    head_income: float = 400_000, spouse: bool = True, loans: float = 0,
) -> dict[str, Any]:
    """A family snapshot: an employed head, a spouse at home, `children` children two years apart."""
    members = [member("head", "1984-05-01", "female", employment="employed", income=head_income, gfss=True)]
    if spouse:
        members.append(member("spouse", "1982-02-02", "male", employment="employed", income=300_000, gfss=True))
    start = dt.date.fromisoformat(first_child_born)
    for i in range(children):
        born = start.replace(year=start.year + 2 * i)
        members.append(member("child", born, "male" if i % 2 else "female"))
    return {
        "family_id": family_id or f"FAM-{uuid.uuid4().hex[:10]}", "region": region, "members": members,
        "loans": {"non_mortgage_outstanding": loans}, "median_income_kzt": None,
    }


def event(type_: str, payload: dict[str, Any], occurred_at: str = "2026-03-01T09:00:00+05:00",
          event_id: str | None = None, source: str = "test") -> dict[str, Any]:
    """A bus event envelope."""
    return {"event_id": event_id or f"e-{uuid.uuid4().hex}", "type": type_, "occurred_at": occurred_at,
            "source": source, "payload": payload}


def newborn(family_id: str, born: str, sex: str = "male") -> dict[str, Any]:
    """A `birth.registered` payload for a child born on `born`."""
    day = dt.date.fromisoformat(born)
    return {"family_id": family_id, "child": {"iin": iin.make(day, sex, next(_serial)), "birth_date": born, "sex": sex,
                                               "relation": "child"}}


def impossible_iin() -> str:
    """An IIN with a right check digit whose digits 1-6 are no date (month 13): refused at the edge.

    (Since issue 13 digits that merely disagree with the registry's birth date are accepted as a
    data-quality finding, so tests of a refused IIN use one that can never have been issued.)
    """
    serial = 1
    while (digit := iin.check_digit(f"9013403{serial:04d}")) is None:
        serial += 1
    return f"9013403{serial:04d}{digit}"
