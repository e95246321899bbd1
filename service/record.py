"""A family's record: the snapshot the registries have built up, and where each fact came from.

Every fact in the snapshot remembers the event that set it and when that event occurred. The bus
delivers at least once and not always in order, so an event is applied fact by fact, last writer
wins by `occurred_at`: a fact the record already holds from a *later* event is left alone and
reported as superseded, everything else the event says is applied. A late event therefore never
rolls a newer fact back, and a late fact that nothing newer contradicts is not lost. (Ties go to
the event that arrives later.) See service/README.md, "Late events".

Fact keys: `family` (a registration snapshot), `region`, `loans`, `member:<iin>` (membership and
personal data), `member:<iin>:<aspect>` for disability, employment, income and each award. A key
without its own entry falls back to its parent (`member:<iin>:income` → `member:<iin>` → `family`).
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import BaseModel

from engine import model
from service import events

Provenance = dict[str, str]  # {"event_id", "type", "occurred_at"}


class FactError(ValueError):
    """An event that cannot be applied to this family; `loc` is the payload field at fault."""

    def __init__(self, loc: tuple[str | int, ...], message: str, kind: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message
        self.kind = kind


@dataclass
class Outcome:
    """What applying one event did to the record."""

    snapshot: dict[str, Any]
    facts: dict[str, Provenance]
    applied: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)


def parse_time(value: str) -> dt.datetime:
    """An ISO-8601 time with its offset, as stored."""
    return dt.datetime.fromisoformat(value)


def known_at(facts: dict[str, Provenance], key: str) -> dt.datetime | None:
    """When the record's current value of `key` became true (its own or its parent's source)."""
    parts = key.split(":")
    for n in range(len(parts), 0, -1):
        entry = facts.get(":".join(parts[:n]))
        if entry is not None:
            return parse_time(entry["occurred_at"])
    entry = facts.get("family")
    return parse_time(entry["occurred_at"]) if entry else None


def provenance(event: events.Envelope) -> Provenance:
    """The source note a fact carries."""
    return {"event_id": event.event_id, "type": event.type, "occurred_at": event.occurred_at.isoformat()}


# How a record keeps its indicators: each value with the index of the event that last changed
# it, and each such event once. Thirteen benefits read some sixty indicators, mostly set by the
# same few events; written out in full ({name: {value, event_id, type, occurred_at}}) they made
# 8 kB of every family row, rewritten on every event. Rows written before keep the full form;
# `indicators_view` reads both.
INDICATORS_FORMAT = 2


def indicators_view(stored: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every indicator with the event that last changed it: {name: {value, event_id, type, occurred_at}}."""
    if stored.get("format") != INDICATORS_FORMAT:
        return stored
    sources: list[Provenance] = stored["events"]
    return {name: {"value": value, **sources[k]} for name, (value, k) in stored["values"].items()}


def track_indicators(stored: dict[str, Any], values: dict[str, Any], event: events.Envelope) -> dict[str, Any]:
    """The record's indicators after `event`: each keeps its source event unless its value changed."""
    if stored.get("format") == INDICATORS_FORMAT:
        before: dict[str, list[Any]] = stored["values"]
        before_sources: list[Provenance] = stored["events"]
    else:
        before, before_sources = _from_full_form(stored)
    sources: list[Provenance] = []
    kept: dict[int, int] = {}  # index among the old sources -> index among the new
    fresh: int | None = None  # index of this event among the new sources
    out: dict[str, list[Any]] = {}
    for name, value in values.items():
        old = before.get(name)
        if old is not None and old[0] == value:
            k = kept.get(old[1])
            if k is None:
                k = kept[old[1]] = len(sources)
                sources.append(before_sources[old[1]])
        else:
            if fresh is None:
                fresh = len(sources)
                sources.append(provenance(event))
            k = fresh
        out[name] = [value, k]
    return {"format": INDICATORS_FORMAT, "values": out, "events": sources}


def _from_full_form(stored: dict[str, Any]) -> tuple[dict[str, list[Any]], list[Provenance]]:
    """An older row's indicators ({name: {value, event_id, type, occurred_at}}) as values and sources, each once."""
    values: dict[str, list[Any]] = {}
    sources: list[Provenance] = []
    index: dict[tuple[str, str, str], int] = {}
    for name, entry in stored.items():
        key = (entry["event_id"], entry["type"], entry["occurred_at"])
        k = index.get(key)
        if k is None:
            k = index[key] = len(sources)
            sources.append({"event_id": key[0], "type": key[1], "occurred_at": key[2]})
        values[name] = [entry.get("value"), k]
    return values, sources


def register(event: events.Envelope, family: model.Family) -> Outcome:
    """A new family's record from its registration snapshot."""
    return Outcome(
        snapshot=family.model_dump(mode="json"),
        facts={"family": provenance(event)},
        applied=["family"],
    )


def apply(
    *, snapshot: dict[str, Any], facts: dict[str, Provenance], event: events.Envelope, payload: BaseModel,
    last_occurred_at: dt.datetime,
) -> Outcome:
    """Apply one registry event to a family's record, fact by fact (see the module docstring)."""
    out = Outcome(snapshot=_copy(snapshot), facts=dict(facts))
    when = event.occurred_at
    note = provenance(event)

    def newer(key: str) -> bool:
        held = known_at(out.facts, key)
        if held is not None and held > when:
            out.superseded.append(key)
            return False
        return True

    def settle(key: str) -> None:
        out.facts[key] = note
        out.applied.append(key)

    members: list[dict[str, Any]] = out.snapshot["members"]
    deceased: list[dict[str, Any]] = out.snapshot.setdefault("deceased", [])

    def member(iin: str, loc: tuple[str | int, ...] = ("iin",)) -> dict[str, Any] | None:
        for m in members:
            if m["iin"] == iin:
                return m
        if f"member:{iin}" in out.facts or any(d["iin"] == iin for d in deceased):
            return None  # left the family or died: an older fact about them is superseded
        raise FactError(loc, f"no member with IIN {model.mask_iin(iin)} in family {snapshot['family_id']}",
                        "unknown_member")

    if isinstance(payload, model.Family):
        if when >= last_occurred_at:
            out.snapshot = payload.model_dump(mode="json")
            out.facts = {"family": note}
            out.applied.append("family")
        else:
            out.superseded.append("family")
    elif isinstance(payload, events.BirthRegistered):
        child = payload.child
        key = f"member:{child.iin}"
        present = any(m["iin"] == child.iin for m in members) or any(d["iin"] == child.iin for d in deceased)
        if present:
            out.superseded.append(key)
        elif newer(key):
            members.append(_newborn(child, members))
            settle(key)
    elif isinstance(payload, events.DeathRegistered):
        key = f"member:{payload.iin}"
        m = member(payload.iin)
        if m is None:
            out.superseded.append(key)
        else:  # a death is final: no fact, however recent, can keep the person among the living
            _bury(out.snapshot, m, payload)
            settle(key)
    elif isinstance(payload, events.DisabilityAssigned | events.DisabilityRevoked):
        key = f"member:{payload.iin}:disability"
        m = member(payload.iin)
        if m is None:
            out.superseded.append(key)
        elif newer(key):
            m["disability"] = (
                {"group": payload.group, "since_childhood": payload.since_childhood}
                if isinstance(payload, events.DisabilityAssigned) else None
            )
            settle(key)
    elif isinstance(payload, events.EmploymentChanged):
        key = f"member:{payload.iin}:employment"
        m = member(payload.iin)
        if m is None:
            out.superseded.append(key)
        elif newer(key):
            m["employment"] = payload.employment
            m["job_lost_on"] = payload.job_lost_on.isoformat() if payload.job_lost_on else None
            if payload.gfss_participant is not None:
                m["gfss_participant"] = payload.gfss_participant
            if payload.insurance_record_months is not None:
                m["insurance_record_months"] = payload.insurance_record_months
            settle(key)
    elif isinstance(payload, events.IncomeReported):
        key = f"member:{payload.iin}:income"
        m = member(payload.iin)
        if m is None:
            out.superseded.append(key)
        elif newer(key):
            m["monthly_income_kzt"] = payload.monthly_income_kzt
            if payload.avg_insured_income_12m_kzt is not None:
                m["avg_insured_income_12m_kzt"] = payload.avg_insured_income_12m_kzt
            if payload.avg_insured_income_24m_kzt is not None:
                m["avg_insured_income_24m_kzt"] = payload.avg_insured_income_24m_kzt
            settle(key)
    elif isinstance(payload, events.LoanChanged):
        if newer("loans"):
            out.snapshot["loans"] = {"non_mortgage_outstanding": payload.non_mortgage_outstanding}
            settle("loans")
    elif isinstance(payload, events.AwardGranted):
        key = f"member:{payload.iin}:award:{payload.award}"
        m = member(payload.iin)
        if m is None or payload.award in m.get("awards", []):
            out.superseded.append(key)
        else:
            m.setdefault("awards", []).append(payload.award)
            settle(key)
    elif isinstance(payload, events.HouseholdChanged):
        _household(out, payload, member, newer, settle)
    elif isinstance(payload, events.CalendarTick | events.RolloutTick):
        pass  # no fact: time or the rules moved, not the family
    else:  # pragma: no cover - consent events never reach the record
        raise TypeError(f"not a registry fact: {type(payload).__name__}")
    return out


def _household(out: Outcome, payload: events.HouseholdChanged, member: Any, newer: Any, settle: Any) -> None:
    members: list[dict[str, Any]] = out.snapshot["members"]
    for i, iin in enumerate(payload.remove):
        key = f"member:{iin}"
        m = member(iin, ("remove", i))
        if m is None:
            out.superseded.append(key)
        elif newer(key):
            members.remove(m)
            settle(key)
    for new in payload.add:
        key = f"member:{new.iin}"
        if any(m["iin"] == new.iin for m in members):
            out.superseded.append(key)
        elif newer(key):
            members.append(new.model_dump(mode="json"))
            settle(key)
    if payload.region is not None and newer("region"):
        out.snapshot["region"] = payload.region
        settle("region")


def _newborn(child: events.Child, members: list[dict[str, Any]]) -> dict[str, Any]:
    """A newborn member: the registry's facts, the head's citizenship unless given, no income."""
    head = next((m for m in members if m["relation"] == "head"), None)
    citizenship = child.citizenship or (head["citizenship"] if head else "citizen")
    return {
        "iin": child.iin, "relation": "child", "birth_date": child.birth_date.isoformat(), "sex": child.sex,
        "citizenship": citizenship,
        "disability": child.disability.model_dump(mode="json") if child.disability else None,
        "employment": "none", "gfss_participant": False, "monthly_income_kzt": 0, "full_time_student": False,
        "awards": [],
    }


def _bury(snapshot: dict[str, Any], m: dict[str, Any], payload: events.DeathRegistered) -> None:
    """Move a member to `deceased`; if they headed the family, the spouse (else the eldest) heads it."""
    members: list[dict[str, Any]] = snapshot["members"]
    members.remove(m)
    if not members:
        raise FactError(("iin",), "the death of the family's last living member cannot be applied to a "
                        "family record; close the record through the population registry", "last_member")
    received = payload.received_benefit_or_pension
    if received is None:
        received = m.get("employment") == "pensioner" or m.get("disability") is not None
    snapshot.setdefault("deceased", []).append(
        {
            "iin": m["iin"], "relation": m["relation"], "date_of_death": payload.date_of_death.isoformat(),
            "employment": m.get("employment", "none"), "gfss_participant": bool(m.get("gfss_participant")),
            "received_benefit_or_pension": received,
        }
    )
    if m["relation"] == "head":
        successor = next((x for x in members if x["relation"] == "spouse"), None)
        if successor is None:
            successor = min(members, key=lambda x: x["birth_date"])
        successor["relation"] = "head"


_IMMUTABLE = frozenset({str, int, float, bool, type(None)})


def _copy(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a JSON snapshot.

    Through orjson and back (a few microseconds in C, where walking the lists and dicts in Python
    took 35 µs per event); floats come back exactly. Whatever orjson will not write (integers
    beyond 64 bits, keys that are not strings) is copied the slow way.
    """
    try:
        copied: dict[str, Any] = orjson.loads(orjson.dumps(snapshot))
    except TypeError:  # orjson.JSONEncodeError
        copied = _deep(snapshot)
    return copied


def _deep(value: Any) -> Any:
    # What copy.deepcopy does for JSON values, a few times faster; anything else goes to deepcopy.
    kind = type(value)
    if kind is dict:
        return {k: _deep(v) for k, v in value.items()}
    if kind is list:
        return [_deep(v) for v in value]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value)
