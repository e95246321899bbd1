"""Item 7: one IIN in two families is a data conflict sent to a caseworker, never two sets of benefits."""

from __future__ import annotations

import copy
import json
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.edge import IIN_CONFLICT
from service.store import db as store_db
from tests.service import builders as b
from tests.service.conftest import auth

BUS = auth("bus")


def post(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(
        "/v1/events", content=json.dumps(body).encode(), headers={**BUS, "Content-Type": "application/json"}
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def register(client: TestClient, family: dict[str, Any]) -> dict[str, Any]:
    return post(client, b.event("family.registered", family))["effects"]


def test_a_member_registered_in_a_second_family_holds_every_grant_for_review(any_client: TestClient) -> None:
    first = b.make_family(children=4, first_child_born="2010-03-10")
    effects = register(any_client, first)
    assert effects["offers_created"], "the first family is offered its benefits"
    second = b.make_family(children=4, first_child_born="2010-03-10")
    second["members"][1] = copy.deepcopy(first["members"][1])  # the same spouse, by IIN
    held = register(any_client, second)
    assert held["offers_created"] == []
    assert held["reviews_opened"], "the grants go to a caseworker"
    assert all(IIN_CONFLICT in r["reasons"] for r in held["reviews_opened"])
    assert {r["benefit"] for r in held["reviews_opened"]} == {o["benefit"] for o in effects["offers_created"]}
    # The caseworker's queue shows them with the reason.
    queue = any_client.get("/v1/reviews", headers=auth("reviewer")).json()
    listed = [c for c in queue["reviews"] if c["family_id"] == second["family_id"]]
    assert listed
    assert all(IIN_CONFLICT in c["reasons"] for c in listed)
    # The stored decisions say why they wait.
    decisions = any_client.get(f"/v1/families/{second['family_id']}/decisions", headers=auth("auditor")).json()
    eligible = [d for d in decisions["decisions"] if d["eligible"]]
    assert eligible
    assert all(
        d["decision"]["requires_human_review"] and IIN_CONFLICT in d["decision"]["review_reasons"] for d in eligible
    )


def test_a_birth_whose_child_belongs_to_another_family_goes_to_a_caseworker(any_client: TestClient) -> None:
    first = b.make_family(children=1)
    second = b.make_family(children=1)
    register(any_client, first)
    register(any_client, second)
    child = b.newborn(first["family_id"], "2026-02-20")
    applied = post(any_client, b.event("birth.registered", child, occurred_at="2026-03-01T10:00:00+05:00"))
    assert any(o["benefit"] == "birth_allowance" for o in applied["effects"]["offers_created"])
    again = {**child, "family_id": second["family_id"]}
    held = post(any_client, b.event("birth.registered", again, occurred_at="2026-03-01T11:00:00+05:00"))
    assert held["status"] == "applied"
    assert not any(o["benefit"] == "birth_allowance" for o in held["effects"]["offers_created"])
    reviewed = [r for r in held["effects"]["reviews_opened"] if r["benefit"] == "birth_allowance"]
    assert reviewed
    assert IIN_CONFLICT in reviewed[0]["reasons"]


def test_families_without_shared_members_are_not_held(any_client: TestClient) -> None:
    for _ in range(3):
        effects = register(any_client, b.make_family(children=4, first_child_born="2010-03-10"))
        assert effects["offers_created"]
        assert not any(IIN_CONFLICT in r["reasons"] for r in effects["reviews_opened"])


def test_the_member_index_follows_the_household(any_client: TestClient, database_url: str) -> None:
    family = b.make_family(children=1)
    register(any_client, family)
    newcomer = b.member("other", "1990-01-01", "male")
    post(
        any_client,
        b.event(
            "household.changed",
            {"family_id": family["family_id"], "add": [newcomer]},
            occurred_at="2026-03-01T10:00:00+05:00",
        ),
    )
    leaving = family["members"][1]["iin"]
    post(
        any_client,
        b.event(
            "household.changed",
            {"family_id": family["family_id"], "remove": [leaving]},
            occurred_at="2026-03-01T11:00:00+05:00",
        ),
    )
    engine = store_db.create_engine(database_url)
    try:
        with engine.connect() as conn:
            iins = set(
                conn.execute(
                    sa.text("SELECT iin FROM member_iins WHERE family_id = :f"), {"f": family["family_id"]}
                ).scalars()
            )
    finally:
        engine.dispose()
    expected = {m["iin"] for m in family["members"]} - {leaving} | {newcomer["iin"]}
    assert iins == expected
