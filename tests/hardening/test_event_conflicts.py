"""Item 3: a reused `event_id` with different content is a 409 kept as a dead letter, never a duplicate."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.store import db as store_db
from tests.service import builders as b
from tests.service.conftest import auth

BUS = auth("bus")
AUDITOR = auth("auditor")  # raw dead letters are the auditors' (issue 11, least privilege)


def post(client: TestClient, body: dict[str, Any] | bytes) -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("/v1/events", content=content, headers={**BUS, "Content-Type": "application/json"})


@pytest.fixture
def registered(any_client: TestClient) -> dict[str, Any]:
    family = b.make_family(children=1)
    assert post(any_client, b.event("family.registered", family)).status_code == 200
    return family


def test_same_content_is_a_duplicate_even_spelled_differently(
    any_client: TestClient, registered: dict[str, Any]
) -> None:
    loan = b.event(
        "loan.changed",
        {"family_id": registered["family_id"], "non_mortgage_outstanding": 0},
        occurred_at="2026-03-01T10:00:00+05:00",
    )
    assert post(any_client, loan).json()["status"] == "applied"
    # Keys reordered, the same instant in UTC, the amount as a float: the same content.
    again = {
        "payload": {"non_mortgage_outstanding": 0.0, "family_id": registered["family_id"]},
        "source": loan["source"],
        "occurred_at": "2026-03-01T05:00:00Z",
        "type": "loan.changed",
        "event_id": loan["event_id"],
    }
    answer = post(any_client, again)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "duplicate"


def test_reused_id_with_other_amount_is_a_conflict_kept_beside_the_original(
    any_client: TestClient, registered: dict[str, Any]
) -> None:
    family_id = registered["family_id"]
    loan = b.event(
        "loan.changed", {"family_id": family_id, "non_mortgage_outstanding": 0}, occurred_at="2026-03-01T10:00:00+05:00"
    )
    assert post(any_client, loan).json()["status"] == "applied"
    changed = {**loan, "payload": {"family_id": family_id, "non_mortgage_outstanding": 99_999_999}}
    answer = post(any_client, changed)
    assert answer.status_code == 409, answer.text
    detail = answer.json()["detail"][0]
    assert detail["type"] == "event_id_conflict"
    assert detail["loc"] == ["body", "event_id"]
    assert "payload.non_mortgage_outstanding" in detail["msg"]
    assert "99999999" not in detail["msg"]  # fields named, values not echoed
    letter_id = answer.json()["dead_letter_id"]
    # The original stays applied; the conflicting delivery is listed beside it.
    status = any_client.get(f"/v1/events/{loan['event_id']}", headers=AUDITOR).json()  # the bus sees no effects
    assert status["status"] == "applied"
    assert status["effects"]["status"] == "applied"
    assert [a["dead_letter_id"] for a in status["attempts"]] == [letter_id]
    assert status["attempts"][0]["status_code"] == 409
    letter = any_client.get(f"/v1/dead-letters/{letter_id}", headers=AUDITOR, params={"unmask": "true"}).json()
    assert json.loads(letter["raw_body"])["payload"]["non_mortgage_outstanding"] == 99_999_999
    # The record kept the first amount.
    family = any_client.get(f"/v1/families/{family_id}", headers=auth("auditor")).json()
    assert family["snapshot"]["loans"]["non_mortgage_outstanding"] == 0
    # A redelivery of the original is still a duplicate.
    assert post(any_client, loan).json()["status"] == "duplicate"


def test_reused_id_as_another_type_for_another_family_is_a_conflict(
    any_client: TestClient, registered: dict[str, Any]
) -> None:
    loan = b.event("loan.changed", {"family_id": registered["family_id"], "non_mortgage_outstanding": 0})
    assert post(any_client, loan).status_code == 200
    other = b.make_family()
    hijack = b.event("family.registered", other, event_id=loan["event_id"])
    answer = post(any_client, hijack)
    assert answer.status_code == 409
    assert "type" in answer.json()["detail"][0]["msg"]
    assert any_client.get(f"/v1/families/{other['family_id']}", headers=auth("auditor")).status_code == 404
    # The family is not lost for good: under its own id it registers.
    assert post(any_client, b.event("family.registered", other)).json()["status"] == "applied"


def test_rows_written_before_hashes_still_answer_duplicates_and_conflicts(
    any_client: TestClient, registered: dict[str, Any], database_url: str
) -> None:
    loan = b.event("loan.changed", {"family_id": registered["family_id"], "non_mortgage_outstanding": 1500.5})
    assert post(any_client, loan).status_code == 200
    engine = store_db.create_engine(database_url)
    try:
        with engine.begin() as conn:
            cleared = conn.execute(
                sa.text("UPDATE events SET content_hash = NULL WHERE event_id = :e"), {"e": loan["event_id"]}
            )
            assert cleared.rowcount == 1
    finally:
        engine.dispose()
    assert post(any_client, loan).json()["status"] == "duplicate"
    changed = {**loan, "payload": {**loan["payload"], "non_mortgage_outstanding": 1500.75}}
    assert post(any_client, changed).status_code == 409
