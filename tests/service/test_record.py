"""Applying registry facts to a family record: last writer wins by occurred_at, fact by fact."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from engine import model
from service import events, record
from tests.service import builders as b


def envelope(type_: str, payload: dict[str, Any], at: str) -> tuple[events.Envelope, Any]:
    env = events.Envelope.model_validate(b.event(type_, payload, at))
    return env, events.PAYLOADS[type_].model_validate(payload)


def registered(at: str = "2026-03-01T09:00:00+05:00") -> tuple[dict[str, Any], record.Outcome]:
    snapshot = b.make_family("FAM-R", children=2, first_child_born="2012-01-01")
    env, payload = envelope("family.registered", snapshot, at)
    return snapshot, record.register(env, payload)


def apply(out: record.Outcome, type_: str, payload: dict[str, Any], at: str) -> record.Outcome:
    env, parsed = envelope(type_, payload, at)
    last = max(dt.datetime.fromisoformat(p["occurred_at"]) for p in out.facts.values())
    return record.apply(snapshot=out.snapshot, facts=out.facts, event=env, payload=parsed, last_occurred_at=last)


def test_a_newer_fact_replaces_an_older_one_and_remembers_its_source() -> None:
    snapshot, out = registered()
    head = snapshot["members"][0]["iin"]
    after = apply(out, "income.reported", {"family_id": "FAM-R", "iin": head, "monthly_income_kzt": 5},
                  "2026-03-02T09:00:00+05:00")
    assert after.snapshot["members"][0]["monthly_income_kzt"] == 5
    assert after.facts[f"member:{head}:income"]["type"] == "income.reported"
    assert out.snapshot["members"][0]["monthly_income_kzt"] == 400_000  # the input is not mutated


def test_an_older_fact_than_the_record_holds_is_superseded() -> None:
    _snapshot, out = registered("2026-03-05T09:00:00+05:00")
    after = apply(out, "loan.changed", {"family_id": "FAM-R", "non_mortgage_outstanding": 9},
                  "2026-03-01T09:00:00+05:00")
    assert after.superseded == ["loans"] and after.applied == []
    assert after.snapshot["loans"]["non_mortgage_outstanding"] == 0


def test_a_death_moves_the_member_to_deceased_and_the_spouse_heads_the_family() -> None:
    snapshot, out = registered()
    head = snapshot["members"][0]["iin"]
    after = apply(out, "death.registered", {"family_id": "FAM-R", "iin": head, "date_of_death": "2026-03-03"},
                  "2026-03-04T09:00:00+05:00")
    family = model.Family.model_validate(after.snapshot)
    assert [d.iin for d in family.deceased] == [head]
    assert next(m.relation for m in family.members) == "head"
    assert family.members[0].iin == snapshot["members"][1]["iin"]


def test_a_fact_about_a_member_who_left_is_superseded_but_a_stranger_is_an_error() -> None:
    snapshot, out = registered()
    child = snapshot["members"][2]["iin"]
    gone = apply(out, "household.changed", {"family_id": "FAM-R", "remove": [child]}, "2026-03-05T09:00:00+05:00")
    late = apply(gone, "disability.assigned", {"family_id": "FAM-R", "iin": child, "group": 2},
                 "2026-03-04T09:00:00+05:00")
    assert late.superseded == [f"member:{child}:disability"]
    with pytest.raises(record.FactError) as err:
        apply(out, "disability.revoked", {"family_id": "FAM-R", "iin": "900101400123"}, "2026-03-06T09:00:00+05:00")
    assert err.value.kind == "unknown_member"


def test_a_birth_adds_a_newborn_with_the_heads_citizenship_and_no_income() -> None:
    _, out = registered()
    after = apply(out, "birth.registered", b.newborn("FAM-R", "2026-03-02"), "2026-03-03T09:00:00+05:00")
    child = model.Family.model_validate(after.snapshot).members[-1]
    assert (child.relation, child.citizenship, child.monthly_income_kzt, child.employment) == (
        "child", "citizen", 0, "none")


def test_an_award_is_added_once() -> None:
    snapshot, out = registered()
    head = snapshot["members"][0]["iin"]
    payload = {"family_id": "FAM-R", "iin": head, "award": "altyn_alqa"}
    once = apply(out, "award.granted", payload, "2026-03-03T09:00:00+05:00")
    twice = apply(once, "award.granted", payload, "2026-03-04T09:00:00+05:00")
    assert twice.snapshot["members"][0]["awards"] == ["altyn_alqa"] and twice.applied == []


def test_indicators_keep_the_event_that_last_changed_each_value_in_either_stored_form() -> None:
    first = events.Envelope.model_validate(b.event("family.registered", {}, "2026-03-01T09:00:00+05:00",
                                                   event_id="e-1"))
    second = events.Envelope.model_validate(b.event("income.reported", {}, "2026-03-05T09:00:00+05:00",
                                                    event_id="e-2"))
    compact = record.track_indicators({}, {"children": 2, "income": 100.5, "region": "KZ-75"}, first)
    assert compact["format"] == record.INDICATORS_FORMAT and len(compact["events"]) == 1
    after = record.track_indicators(compact, {"children": 2, "income": 90.0, "region": "KZ-75"}, second)
    view = record.indicators_view(after)
    assert view["children"] == {"value": 2, "event_id": "e-1", "type": "family.registered",
                                "occurred_at": "2026-03-01T09:00:00+05:00"}
    assert view["income"]["value"] == 90.0 and view["income"]["event_id"] == "e-2"
    assert [e["event_id"] for e in after["events"]] == ["e-1", "e-2"]  # each source stored once
    # A row written before the compact form: the full form is read as it is and carried over.
    full = record.indicators_view(compact)
    assert record.indicators_view(full) == full
    carried = record.track_indicators(full, {"children": 3, "income": 100.5, "region": "KZ-75"}, second)
    assert record.indicators_view(carried)["income"]["event_id"] == "e-1"
    assert record.indicators_view(carried)["children"]["event_id"] == "e-2"
    assert len(carried["events"]) == 2
