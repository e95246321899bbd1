"""Builders of synthetic families for engine tests: valid IINs, sensible defaults."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from engine import iin, model

_serial = itertools.count(100)


def person(
    relation: str, birth_date: str | dt.date, sex: str = "male", *, serial: int | None = None, **fields: Any
) -> dict[str, Any]:
    """A member dict with a valid IIN for its birth date and sex (every test builder's member)."""
    bd = dt.date.fromisoformat(birth_date) if isinstance(birth_date, str) else birth_date
    birth_date = bd.isoformat()
    out: dict[str, Any] = {
        "iin": iin.make(bd, sex, next(_serial) if serial is None else serial),
        "relation": relation,
        "birth_date": birth_date,
        "sex": sex,
        "citizenship": "citizen",
        "employment": "none",
        "gfss_participant": False,
        "monthly_income_kzt": 0,
    }
    out.update(fields)
    return out


def make_family(
    children: int = 0, *, family_id: str = "FAM-T1", region: str = "KZ-75", child_birth_year: int = 2012, **family: Any
) -> dict[str, Any]:
    """A head (employed mother) with `children` school-age children, as a snapshot dict."""
    members = [
        person("head", "1985-03-01", "female", employment="employed", gfss_participant=True, monthly_income_kzt=300000)
    ]
    for i in range(children):
        members.append(person("child", f"{child_birth_year - i}-06-15", "male" if i % 2 else "female"))
    out: dict[str, Any] = {"family_id": family_id, "region": region, "members": members}
    out.update(family)
    return out


def family(children: int = 0, **kw: Any) -> model.Family:
    """A validated Family (see make_family)."""
    return model.Family.model_validate(make_family(children, **kw))
