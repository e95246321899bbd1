"""The bus intake: exactly-once effects, dead letters, field paths, ordering of late events."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient

from tests.service import builders as b
from tests.service.conftest import auth


def post(client: TestClient, event: Any) -> Any:
    return client.post("/v1/events", json=event, headers=auth("bus"))


def register(client: TestClient, family_id: str, **kw: Any) -> dict[str, Any]:
    snapshot = b.make_family(family_id, first_child_born="2010-03-10", **kw)
    assert post(client, b.event("family.registered", snapshot, "2026-03-01T09:00:00+05:00")).status_code == 200
    return snapshot


def test_a_redelivered_event_answers_duplicate_and_changes_nothing(any_client: TestClient) -> None:
    snapshot = b.make_family("FAM-DUP", children=4, first_child_born="2010-03-10")
    event = b.event("family.registered", snapshot)
    first = post(any_client, event).json()
    second = post(any_client, event).json()
    assert first["status"] == "applied" and second["status"] == "duplicate"
    assert second["effects"]["offers_created"] == first["effects"]["offers_created"]
    offers = any_client.get("/v1/families/FAM-DUP/offers", headers=auth("reviewer")).json()["offers"]
    assert len(offers) == 1


def test_concurrent_deliveries_of_one_event_apply_it_once(any_client: TestClient) -> None:
    register(any_client, "FAM-RACE", children=3)
    event = b.event("birth.registered", b.newborn("FAM-RACE", "2026-03-05"), "2026-03-06T09:00:00+05:00")
    answers: list[int] = []
    statuses: list[str] = []

    def deliver() -> None:
        response = post(any_client, event)
        answers.append(response.status_code)
        statuses.append(response.json()["status"])

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [200] * 4
    assert sorted(statuses) == ["applied", "duplicate", "duplicate", "duplicate"]
    record = any_client.get("/v1/families/FAM-RACE", headers=auth("reviewer")).json()
    assert len(record["snapshot"]["members"]) == 2 + 4


def test_an_event_for_an_unknown_family_is_refused_and_dead_lettered(any_client: TestClient) -> None:
    event = b.event("income.reported", {"family_id": "FAM-NOBODY", "iin": "900101400123", "monthly_income_kzt": 1})
    response = post(any_client, event)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"][0]["loc"] == ["body", "payload", "family_id"]
    assert body["detail"][0]["type"] == "unknown_family"
    assert "FAM-NOBODY" in body["detail"][0]["msg"]
    status = any_client.get(f"/v1/events/{event['event_id']}", headers=auth("bus")).json()
    assert status["status"] == "rejected"
    assert status["attempts"][0]["dead_letter_id"] == body["dead_letter_id"]
    letter = any_client.get(f"/v1/dead-letters/{body['dead_letter_id']}", headers=auth("auditor")).json()
    assert "FAM-NOBODY" in letter["raw_body"]
    kinds = [e["kind"] for e in any_client.get("/v1/audit", headers=auth("auditor")).json()["entries"]]
    assert kinds == ["event.rejected"]


def test_a_rejected_event_can_be_applied_when_it_is_delivered_again_later(client: TestClient) -> None:
    event = b.event("loan.changed", {"family_id": "FAM-LATER", "non_mortgage_outstanding": 100})
    assert post(client, event).status_code == 422
    register(client, "FAM-LATER", children=1)
    assert post(client, event).json()["status"] == "applied"
    status = client.get(f"/v1/events/{event['event_id']}", headers=auth("bus")).json()
    assert status["status"] == "applied" and len(status["attempts"]) == 1


def test_invalid_json_and_a_missing_event_id_are_kept_under_a_generated_id(client: TestClient) -> None:
    headers = {**auth("bus"), "content-type": "application/json"}
    broken = client.post("/v1/events", content=b"{not json", headers=headers)
    assert broken.status_code == 422
    assert broken.json()["detail"][0]["type"] == "json_invalid"
    letter_id = broken.json()["dead_letter_id"]
    letter = client.get(f"/v1/dead-letters/{letter_id}", headers=auth("auditor")).json()
    assert letter["raw_body"] == "{not json" and letter["event_id"] is None

    anonymous = post(client, {"type": "loan.changed", "occurred_at": "2026-03-01T09:00:00+05:00",
                              "payload": {"family_id": "F", "non_mortgage_outstanding": 1}})
    assert anonymous.status_code == 422
    assert anonymous.json()["detail"][0]["loc"] == ["body", "event_id"]
    assert anonymous.json()["dead_letter_id"].startswith("dl-")


def test_malformed_payloads_get_422_with_the_field_path(client: TestClient) -> None:
    snapshot = b.make_family("FAM-BAD", children=1)
    snapshot["members"][0]["monthly_income_kzt"] = -5
    response = post(client, b.event("family.registered", snapshot))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "members", 0, "monthly_income_kzt"]

    naive = post(client, {**b.event("loan.changed", {"family_id": "F", "non_mortgage_outstanding": 1}),
                          "occurred_at": "2026-03-01T09:00:00"})
    assert naive.json()["detail"][0]["loc"] == ["body", "occurred_at"]

    unknown = post(client, b.event("family.moved", {"family_id": "F"}))
    assert unknown.json()["detail"][0]["type"] == "unknown_event_type"

    register(client, "FAM-BAD2", children=1)
    extra = post(client, b.event("loan.changed", {"family_id": "FAM-BAD2", "non_mortgage_outstanding": 1,
                                                  "religion": "x"}))
    assert extra.status_code == 422
    assert extra.json()["detail"][0]["loc"] == ["body", "payload", "religion"]

    stranger = post(client, b.event("income.reported", {"family_id": "FAM-BAD2", "iin": "900101400123",
                                                        "monthly_income_kzt": 5}))
    assert stranger.json()["detail"][0]["type"] == "unknown_member"


def test_a_late_event_never_rolls_back_a_newer_fact(client: TestClient) -> None:
    snapshot = register(client, "FAM-LATE", children=1)
    head = snapshot["members"][0]["iin"]
    newer = b.event("income.reported", {"family_id": "FAM-LATE", "iin": head, "monthly_income_kzt": 500_000},
                    "2026-03-20T09:00:00+05:00")
    older = b.event("income.reported", {"family_id": "FAM-LATE", "iin": head, "monthly_income_kzt": 100_000},
                    "2026-03-10T09:00:00+05:00")
    assert post(client, newer).json()["late"] is False
    late = post(client, older).json()
    assert late["status"] == "applied" and late["late"] is True
    assert late["superseded_facts"] == [f"member:{head}:income"]
    record = client.get("/v1/families/FAM-LATE", headers=auth("reviewer")).json()
    assert record["snapshot"]["members"][0]["monthly_income_kzt"] == 500_000
    assert record["facts"][f"member:{head}:income"]["event_id"] == newer["event_id"]
    assert record["last_event_id"] == newer["event_id"]


def test_a_late_event_about_another_fact_is_still_applied(client: TestClient) -> None:
    snapshot = register(client, "FAM-LATE2", children=1)
    head, spouse = snapshot["members"][0]["iin"], snapshot["members"][1]["iin"]
    post(client, b.event("income.reported", {"family_id": "FAM-LATE2", "iin": head, "monthly_income_kzt": 1},
                         "2026-03-20T09:00:00+05:00"))
    late = post(client, b.event("employment.changed", {"family_id": "FAM-LATE2", "iin": spouse,
                                                        "employment": "unemployed", "gfss_participant": True,
                                                        "job_lost_on": "2026-03-05"}, "2026-03-10T09:00:00+05:00"))
    assert late.json()["late"] is True and late.json()["superseded_facts"] == []
    record = client.get("/v1/families/FAM-LATE2", headers=auth("reviewer")).json()
    assert record["snapshot"]["members"][1]["employment"] == "unemployed"
    assert record["last_occurred_at"].startswith("2026-03-20")


def test_a_consent_for_an_unknown_offer_is_refused(client: TestClient) -> None:
    response = post(client, b.event("consent.received", {"offer_id": "of-nope", "accepted": True}))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "offer_id"]


def test_an_oversized_body_is_refused_with_413(client_for: Any, sqlite_url: str) -> None:
    small = client_for(sqlite_url, max_body_bytes=2048)
    big = b.make_family("FAM-BIG", children=12)
    response = small.post("/v1/events", json=b.event("family.registered", big), headers=auth("bus"))
    assert response.status_code == 413
    assert response.json()["detail"][0]["type"] == "body_too_large"
