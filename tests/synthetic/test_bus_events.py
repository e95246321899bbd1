"""The life-event generator: seeded, valid against the service's event models, moving forward."""

from __future__ import annotations

import collections
import datetime as dt
import random
from typing import Any

import pytest

from engine import iin, model
from service import events as service_events
from synthetic import events
from tests.service import builders

START = events.START_DEFAULT


def make_member(
    rng: random.Random, relation: str, years: int, sex: str, employment: str, serial: int, income: float = 0.0
) -> dict[str, Any]:
    born = dt.date(2026, 3, 1) - dt.timedelta(days=years * 365 + rng.randint(0, 300))
    return builders.member(relation, born, sex, employment=employment, income=income, gfss=employment == "employed",
                           serial=serial)


def make_families(n: int, seed: int = 0, children: int | None = None) -> list[dict[str, Any]]:
    """Two working parents, a grandparent in some, and 0-7 children (or exactly `children`)."""
    rng = random.Random(seed)
    serial = iter(range(10, 10**6))
    out = []
    for i in range(n):
        members = [
            make_member(rng, "head", rng.randint(28, 55), "male", "employed", next(serial), 300_000),
            make_member(rng, "spouse", rng.randint(24, 42), "female", "employed", next(serial), 200_000),
        ]
        if rng.random() < 0.3:
            members.append(make_member(rng, "parent", rng.randint(62, 80), "female", "pensioner", next(serial), 90_000))
        for _ in range(rng.randint(0, 7) if children is None else children):
            members.append(
                make_member(rng, "child", rng.randint(0, 17), rng.choice(["male", "female"]), "none", next(serial))
            )
        out.append(
            {
                "family_id": f"FAM-{i:07d}",
                "region": "KZ-75",
                "members": members,
                "loans": {"non_mortgage_outstanding": 0},
                "median_income_kzt": None,
            }
        )
    return out


def stream(families: list[dict[str, Any]], seed: int, n: int) -> list[dict[str, Any]]:
    return events.LifeEvents(families, seed=seed, start=START).take(n)


def test_the_same_families_and_seed_give_the_same_events_byte_for_byte() -> None:
    families = make_families(50)
    assert stream(families, 3, 400) == stream(families, 3, 400)


def test_another_seed_gives_another_stream() -> None:
    families = make_families(50)
    first, second = stream(families, 3, 100), stream(families, 4, 100)
    assert [e["event_id"] for e in first] != [e["event_id"] for e in second]
    assert [e["payload"] for e in first] != [e["payload"] for e in second]


def test_the_generator_does_not_change_the_families_it_was_given() -> None:
    families = make_families(20)
    before = repr(families)
    stream(families, 1, 300)
    assert repr(families) == before


def test_every_event_validates_against_the_service_event_models() -> None:
    families = make_families(200, children=6)
    generated = stream(families, 5, 3000) + events.registration_events(families[:5], seed=5, at=START)
    for event in generated:
        envelope = service_events.Envelope.model_validate(event)
        service_events.PAYLOADS[envelope.type].model_validate(envelope.payload)


def test_every_life_event_type_appears_and_income_reports_dominate() -> None:
    families = make_families(300, children=6)
    counts = collections.Counter(e["type"] for e in stream(families, 2, 6000))
    assert set(counts) == set(events.LIFE_EVENT_TYPES)
    assert counts.most_common(1)[0][0] == "income.reported"
    assert counts["income.reported"] > counts["loan.changed"] > counts["birth.registered"]


def test_occurred_at_moves_strictly_forward_within_a_family_and_never_back_overall() -> None:
    generated = stream(make_families(100), 7, 3000)
    times = [dt.datetime.fromisoformat(e["occurred_at"]) for e in generated]
    assert times == sorted(times)
    assert times[0] >= START
    last: dict[str, dt.datetime] = {}
    for event, at in zip(generated, times, strict=True):
        family_id = event["payload"]["family_id"]
        assert family_id not in last or at > last[family_id]
        last[family_id] = at


def test_registrations_all_occur_before_the_first_life_event() -> None:
    families = make_families(30)
    registrations = events.registration_events(families, seed=1, at=START)
    assert len({e["event_id"] for e in registrations}) == 30
    assert max(dt.datetime.fromisoformat(e["occurred_at"]) for e in registrations) < START
    assert [e["payload"] for e in registrations] == families


def test_event_ids_are_unique_in_a_long_stream() -> None:
    generated = stream(make_families(100), 9, 5000)
    assert len({e["event_id"] for e in generated}) == len(generated)


def test_the_ground_truth_stays_a_valid_snapshot_after_births_deaths_and_moves() -> None:
    families = make_families(150, children=6)
    generator = events.LifeEvents(families, seed=11, start=START)
    counts = collections.Counter(e["type"] for e in generator.take(8000))
    assert counts["birth.registered"] and counts["death.registered"] and counts["household.changed"]
    for snapshot in generator.families.values():
        model.Family.model_validate(snapshot)


def test_newborns_and_newcomers_get_valid_iins_nobody_else_has() -> None:
    families = make_families(150, children=6)
    generator = events.LifeEvents(families, seed=13, start=START)
    generated = generator.take(8000)
    new = [i for e in generated for i in events.introduces(e)]
    assert new, "no birth or newcomer in 8000 events"
    assert all(iin.is_valid(i) for i in new)
    existing = {m["iin"] for f in families for m in f["members"]}
    assert len(set(new)) == len(new) and not set(new) & existing


def test_an_event_mentions_the_people_it_is_about() -> None:
    families = make_families(1, children=0)
    head = families[0]["members"][0]["iin"]
    income = {"type": "income.reported", "payload": {"family_id": "F", "iin": head, "monthly_income_kzt": 1}}
    move = {"type": "household.changed", "payload": {"family_id": "F", "add": [{"iin": "1"}], "remove": ["2"]}}
    birth = {"type": "birth.registered", "payload": {"family_id": "F", "child": {"iin": "3"}}}
    assert events.mentions(income) == {head} and events.introduces(income) == set()
    assert events.mentions(move) == {"1", "2"} and events.introduces(move) == {"1"}
    assert events.introduces(birth) == {"3"}


@pytest.mark.parametrize("years, group_is_none", [(3, True), (40, False)])
def test_a_young_child_gets_a_disability_without_group_and_an_adult_a_group(years: int, group_is_none: bool) -> None:
    rng = random.Random(1)
    family = {
        "family_id": "FAM-1",
        "region": "KZ-71",
        "loans": {"non_mortgage_outstanding": 0},
        "members": [make_member(rng, "head", years, "male", "none", 1)],
    }
    generator = events.LifeEvents([family], seed=1, start=START)
    event = generator._disability(generator.families["FAM-1"], generator.families["FAM-1"]["members"])
    assert (event["payload"]["group"] is None) is group_is_none
