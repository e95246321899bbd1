"""Items 4 and 8: far-future or ancient times and impossible dates are 422 naming the field, dead-lettered."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from engine import iin
from service import plausibility
from service.events import DeathRegistered, Envelope
from tests.service import builders as b
from tests.service.conftest import auth

BUS = auth("bus")
AUDITOR = auth("auditor")  # raw dead letters are the auditors' (issue 11, least privilege)


def post(client: TestClient, body: dict[str, Any]) -> Any:
    return client.post(
        "/v1/events", content=json.dumps(body).encode(), headers={**BUS, "Content-Type": "application/json"}
    )


def refused(client: TestClient, body: dict[str, Any], loc: list[Any], kind: str) -> dict[str, Any]:
    """Post, expect a 422 with this loc and type, and check the dead letter holds the message."""
    answer = post(client, body)
    assert answer.status_code == 422, answer.text
    found = answer.json()
    assert [d["loc"] for d in found["detail"]] == [loc], found["detail"]
    assert found["detail"][0]["type"] == kind
    letter = client.get(f"/v1/dead-letters/{found['dead_letter_id']}", headers=AUDITOR, params={"unmask": "true"})
    assert letter.status_code == 200
    assert json.loads(letter.json()["raw_body"]) == body
    return found


@pytest.fixture
def family(any_client: TestClient) -> dict[str, Any]:
    fam = b.make_family(children=2)
    assert post(any_client, b.event("family.registered", fam)).status_code == 200
    return fam


def test_far_future_occurred_at_cannot_pin_a_family(any_client: TestClient, family: dict[str, Any]) -> None:
    pin = b.event(
        "loan.changed",
        {"family_id": family["family_id"], "non_mortgage_outstanding": 0},
        occurred_at="9999-12-31T23:59:59-14:00",
    )
    refused(any_client, pin, ["body", "occurred_at"], "occurred_at_in_future")
    # The record did not move: a true event a day later is applied, not "late".
    later = b.event(
        "loan.changed",
        {"family_id": family["family_id"], "non_mortgage_outstanding": 5},
        occurred_at="2026-03-02T09:00:00+05:00",
    )
    answer = post(any_client, later).json()
    assert answer["status"] == "applied"
    assert answer["late"] is False


def test_occurred_at_just_past_the_skew_is_refused_and_within_it_taken(client_for: Any, sqlite_url: str) -> None:
    client = client_for(sqlite_url, max_clock_skew_s=60)
    fam = b.make_family()
    now = dt.datetime.now(dt.UTC)
    ahead = b.event("family.registered", fam, occurred_at=(now + dt.timedelta(seconds=600)).isoformat())
    refused(client, ahead, ["body", "occurred_at"], "occurred_at_in_future")
    within = b.event("family.registered", fam, occurred_at=(now + dt.timedelta(seconds=30)).isoformat())
    assert post(client, within).status_code == 200


def test_occurred_at_before_the_floor(any_client: TestClient, family: dict[str, Any]) -> None:
    old = b.event(
        "loan.changed",
        {"family_id": family["family_id"], "non_mortgage_outstanding": 0},
        occurred_at="0001-01-01T00:00:00+00:00",
    )
    found = refused(any_client, old, ["body", "occurred_at"], "occurred_at_too_early")
    assert "2000-01-01" in found["detail"][0]["msg"]


def test_floor_is_a_setting(client_for: Any, sqlite_url: str) -> None:
    client = client_for(sqlite_url, min_occurred_at="2026-02-01T00:00:00+00:00")
    fam = b.make_family()
    refused(
        client,
        b.event("family.registered", fam, occurred_at="2026-01-15T09:00:00+05:00"),
        ["body", "occurred_at"],
        "occurred_at_too_early",
    )


def test_child_born_after_the_event(any_client: TestClient, family: dict[str, Any]) -> None:
    birth = b.event("birth.registered", b.newborn(family["family_id"], "2099-01-01"))
    refused(any_client, birth, ["body", "payload", "child", "birth_date"], "date_in_future")


def test_death_far_in_the_future(any_client: TestClient, family: dict[str, Any]) -> None:
    spouse = family["members"][1]
    death = b.event(
        "death.registered", {"family_id": family["family_id"], "iin": spouse["iin"], "date_of_death": "9999-12-31"}
    )
    refused(any_client, death, ["body", "payload", "date_of_death"], "date_in_future")


def test_death_before_birth(any_client: TestClient, family: dict[str, Any]) -> None:
    child = family["members"][2]
    assert child["birth_date"] == "2008-03-10"
    death = b.event(
        "death.registered", {"family_id": family["family_id"], "iin": child["iin"], "date_of_death": "2001-06-01"}
    )
    found = refused(any_client, death, ["body", "payload", "date_of_death"], "date_before_birth")
    assert child["iin"] not in found["detail"][0]["msg"]
    assert "2008" not in found["detail"][0]["msg"]  # no date of the person echoed


def test_death_in_1900_is_before_the_floor(any_client: TestClient, family: dict[str, Any]) -> None:
    child = family["members"][2]
    death = b.event(
        "death.registered", {"family_id": family["family_id"], "iin": child["iin"], "date_of_death": "1899-12-31"}
    )
    refused(any_client, death, ["body", "payload", "date_of_death"], "date_too_early")


def test_member_born_before_1900(any_client: TestClient) -> None:
    fam = b.make_family()
    fam["members"].append(b.member("parent", "1899-06-01", "female"))
    refused(
        any_client, b.event("family.registered", fam), ["body", "payload", "members", 2, "birth_date"], "date_too_early"
    )


def test_member_born_after_registration(any_client: TestClient) -> None:
    fam = b.make_family()
    fam["members"].append(b.member("child", "2030-06-01", "female"))
    refused(
        any_client, b.event("family.registered", fam), ["body", "payload", "members", 2, "birth_date"], "date_in_future"
    )


def test_deceased_also_living(any_client: TestClient) -> None:
    fam = b.make_family()
    spouse = fam["members"][1]
    fam["deceased"] = [{"iin": spouse["iin"], "relation": "spouse", "date_of_death": "2025-01-01"}]
    refused(
        any_client,
        b.event("family.registered", fam),
        ["body", "payload", "deceased", 0, "iin"],
        "membership_incoherent",
    )


def test_household_change_adding_and_removing_one_person(any_client: TestClient, family: dict[str, Any]) -> None:
    newcomer = b.member("other", "1990-01-01", "male")
    change = b.event(
        "household.changed", {"family_id": family["family_id"], "add": [newcomer], "remove": [newcomer["iin"]]}
    )
    refused(any_client, change, ["body", "payload", "remove", 0], "membership_incoherent")


def test_job_lost_before_birth(any_client: TestClient, family: dict[str, Any]) -> None:
    head = family["members"][0]
    change = b.event(
        "employment.changed",
        {"family_id": family["family_id"], "iin": head["iin"], "employment": "unemployed", "job_lost_on": "1970-01-01"},
    )
    refused(any_client, change, ["body", "payload", "job_lost_on"], "date_before_birth")


def test_plausible_events_are_applied(any_client: TestClient, family: dict[str, Any]) -> None:
    """The checks refuse the impossible only: a birth and a death on the event's day are applied."""
    birth = b.event(
        "birth.registered", b.newborn(family["family_id"], "2026-03-01"), occurred_at="2026-03-01T10:00:00+05:00"
    )
    assert post(any_client, birth).json()["status"] == "applied"
    spouse = family["members"][1]
    death = b.event(
        "death.registered",
        {"family_id": family["family_id"], "iin": spouse["iin"], "date_of_death": "2026-03-01"},
        occurred_at="2026-03-01T11:00:00+05:00",
    )
    assert post(any_client, death).json()["status"] == "applied"


def test_iin_birth_date() -> None:
    for day, sex in ((dt.date(1899, 12, 31), "male"), (dt.date(1984, 5, 1), "female"), (dt.date(2012, 2, 29), "male")):
        assert plausibility.iin_birth_date(iin.make(day, sex, 123)) == day
    assert plausibility.iin_birth_date("990231500001") is None  # no 31 February
    assert plausibility.iin_birth_date("990101900001") is None  # no century digit 9


def test_limits_are_judged_against_the_event_day() -> None:
    """One day of grace for time zones: a death dated the day after occurred_at's own date is taken."""
    limits = plausibility.Limits(dt.timedelta(minutes=5), dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.date(1900, 1, 1))
    occurred = dt.datetime(2026, 3, 1, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    envelope = Envelope(event_id="e", type="death.registered", occurred_at=occurred, payload={})
    person = iin.make(dt.date(1950, 1, 1), "male", 5)

    def check(day: str) -> list[str]:
        payload = DeathRegistered(family_id="F", iin=person, date_of_death=dt.date.fromisoformat(day))
        return [p["type"] for p in plausibility.problems(envelope, payload, now=occurred, limits=limits)]

    assert check("2026-03-02") == []
    assert check("2026-03-03") == ["date_in_future"]


def test_a_skew_past_what_a_date_can_hold_is_no_upper_bound() -> None:
    """The load tools switch the bound off with a huge skew; it must not overflow into a 500."""
    limits = plausibility.limits_from(1e15, dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.date(1900, 1, 1))
    occurred = dt.datetime(9999, 12, 31, 9, 0, tzinfo=dt.UTC)
    envelope = Envelope(event_id="e", type="loan.changed", occurred_at=occurred, payload={})
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert (
        plausibility.problems(
            envelope,
            DeathRegistered(
                family_id="F", iin=iin.make(dt.date(1950, 1, 1), "male", 5), date_of_death=dt.date(2026, 1, 1)
            ),
            now=now,
            limits=limits,
        )
        == []
    )
