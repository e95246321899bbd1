"""A family's life told to the API by the bus, checked at every step against the law and the contract.

Registered with four children → offered the large-family allowance; consent → entitled from the
date the right arose; a fifth child → the allowance rises at once and the birth allowance is
offered; the birth delivered twice → nothing more; the eldest child dies → a reduction is only
proposed, the family keeps the higher amount until a reviewer approves with a reason. The audit
chain verifies, and stops verifying once a row is edited in the database.
"""

from __future__ import annotations

import argparse
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from service import audit_cli
from service.store import db as store_db
from tests.service import builders as b
from tests.service.conftest import auth


def post(client: TestClient, event: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/events", json=event, headers=auth("bus"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def family(client: TestClient, family_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/families/{family_id}", headers=auth("reviewer"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def audit_kinds(client: TestClient) -> list[str]:
    entries = client.get("/v1/audit", params={"limit": 1000}, headers=auth("auditor")).json()["entries"]
    return [e["kind"] for e in entries]


def test_a_family_life_story_through_the_api_only(any_client: TestClient, database_url: str, capsys: Any) -> None:
    client = any_client
    snapshot = b.make_family("FAM-STORY", children=4, first_child_born="2010-03-10")

    # 1. Registration: four children under 18 → an offer, nothing granted yet.
    registered = post(client, b.event("family.registered", snapshot, "2026-03-01T09:00:00+05:00"))
    offers = registered["effects"]["offers_created"]
    assert [(o["benefit"], o["amount_kzt"]) for o in offers] == [("large_family_allowance", 69330)]
    record = family(client, "FAM-STORY")
    assert record["entitlements"] == []
    assert [o["offer_id"] for o in record["open_offers"]] == [offers[0]["offer_id"]]
    sms = client.get("/v1/families/FAM-STORY/offers", headers=auth("reviewer")).json()["messages"]
    assert len(sms) == 1 and sms[0]["sender"] == "1414" and "69 330" in sms[0]["text_ru"]
    assert record["indicators"]["children_under_18"]["value"] == 4
    assert record["indicators"]["children_under_18"]["event_id"] == registered["event_id"]

    # 2. Consent: the entitlement starts on the date the right arose, not the date of the answer.
    consent = post(client, b.event("consent.received", {"offer_id": offers[0]["offer_id"], "accepted": True,
                                                        "channel": "sms-1414"}, "2026-03-05T10:00:00+05:00"))
    assert consent["effects"]["consent"]["status"] == "accepted"
    [entitlement] = family(client, "FAM-STORY")["entitlements"]
    assert (entitlement["status"], entitlement["amount_kzt"], entitlement["active_from"]) == ("active", 69330,
                                                                                            "2026-03-01")

    # 3. A fifth child: more for the family is applied at once; the birth allowance is offered.
    birth = b.event("birth.registered", b.newborn("FAM-STORY", "2026-03-10"), "2026-03-11T09:00:00+05:00")
    born = post(client, birth)
    changed = born["effects"]["entitlements_changed"]
    assert [(c["benefit"], c["change"], c["from_kzt"], c["to_kzt"]) for c in changed] == [
        ("large_family_allowance", "increase", 69330, 86673)]
    assert [(o["benefit"], o["amount_kzt"]) for o in born["effects"]["offers_created"]] == [
        ("birth_allowance", 272475)]  # the fifth child: 63 MRP x 4,325
    assert family(client, "FAM-STORY")["entitlements"][0]["amount_kzt"] == 86673

    # 4. The same birth delivered again: "duplicate", and nothing at all changes.
    before = audit_kinds(client)
    again = client.post("/v1/events", json=birth, headers=auth("bus"))
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert audit_kinds(client) == before
    assert len(client.get("/v1/families/FAM-STORY/offers", headers=auth("reviewer")).json()["offers"]) == 2
    status = client.get(f"/v1/events/{birth['event_id']}", headers=auth("auditor")).json()
    assert status["status"] == "applied"

    # 5. The eldest child dies: the reduction is adverse, so only a review opens; nothing changes yet.
    eldest = snapshot["members"][2]["iin"]
    death = post(client, b.event("death.registered", {"family_id": "FAM-STORY", "iin": eldest,
                                                      "date_of_death": "2026-04-01"}, "2026-04-02T09:00:00+05:00"))
    [opened] = death["effects"]["reviews_opened"]
    assert (opened["benefit"], opened["kind"]) == ("large_family_allowance", "reduction")
    assert death["effects"]["entitlements_changed"] == []
    record = family(client, "FAM-STORY")
    assert record["entitlements"][0]["amount_kzt"] == 86673
    assert [r["review_id"] for r in record["pending_reviews"]] == [opened["review_id"]]
    assert [d["iin"] for d in record["snapshot"]["deceased"]] == [eldest]
    case = client.get(f"/v1/reviews/{opened['review_id']}", headers=auth("reviewer")).json()
    assert case["previous"]["holding"]["amount_kzt"] == 86673
    assert case["previous"]["decision"]["amount_kzt"] == 86673
    assert case["proposed"]["decision"]["amount_kzt"] == 69330
    assert case["proposed"]["decision"]["explanation"]["conditions"]

    # 6. The reviewer approves, with a reason: the reduction takes effect and is attributed to them.
    no_reason = client.post(f"/v1/reviews/{opened['review_id']}/resolution", json={"resolution": "approve"},
                            headers=auth("reviewer"))
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"][0]["loc"] == ["body", "reason"]
    resolved = client.post(f"/v1/reviews/{opened['review_id']}/resolution",
                           json={"resolution": "approve", "reason": "death confirmed by the civil registry"},
                           headers=auth("reviewer"))
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["reviewer"] == "reviewer-1"
    assert family(client, "FAM-STORY")["entitlements"][0]["amount_kzt"] == 69330
    twice = client.post(f"/v1/reviews/{opened['review_id']}/resolution",
                        json={"resolution": "reject", "reason": "changed my mind"}, headers=auth("reviewer"))
    assert twice.status_code == 409
    case = client.get(f"/v1/reviews/{opened['review_id']}", headers=auth("reviewer")).json()
    assert (case["status"], case["reviewer"], case["resolution_reason"]) == (
        "approved", "reviewer-1", "death confirmed by the civil registry")

    # Every decision the family was given stays retrievable with its explanation.
    history = client.get("/v1/families/FAM-STORY/decisions", params={"benefit": "large_family_allowance"},
                         headers=auth("auditor")).json()["decisions"]
    assert [d["amount_kzt"] for d in history] == [69330, 86673, 69330]
    assert all(d["decision"]["explanation"]["summary"]["ru"] for d in history)
    assert all(d["ruleset_version"].startswith("sha256:") for d in history)

    kinds = audit_kinds(client)
    for kind in ("decisions", "offer.created", "consent.received", "entitlement.granted", "entitlement.changed",
                 "review.opened", "review.resolved"):
        assert kind in kinds

    # The chain verifies, through the API and the command line, and breaks when a row is edited.
    assert client.get("/v1/audit/verify", headers=auth("auditor")).json()["ok"] is True
    args = argparse.Namespace(database_url=database_url)
    assert audit_cli.verify_command(args) == 0
    assert "OK" in capsys.readouterr().out
    engine = store_db.create_engine(database_url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # an insider who owns the table switches its guard off first
            conn.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        conn.execute(sa.text("UPDATE audit_log SET data = :d WHERE seq = 4"), {"d": '{"amount_kzt":1}'})
    engine.dispose()
    assert audit_cli.verify_command(args) == 1
    assert "audit entry 4" in capsys.readouterr().out
    check = client.get("/v1/audit/verify", headers=auth("auditor")).json()
    assert (check["ok"], check["broken_seq"]) == (False, 4)
