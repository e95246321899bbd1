"""Issue 11, item 11: the bus token reads no more than it needs.

Before: `GET /v1/events/{id}` showed the bus every decision and amount its events caused, and
`GET /v1/dead-letters/{id}` showed it raw bodies with IINs in full. Now the bus sees its events'
status; raw dead-letter bodies are for auditors, with IINs masked unless they ask for them, and
asking is audited. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from tests.service import builders as b
from tests.service.conftest import auth


def test_the_bus_sees_the_status_of_its_events_not_what_they_decided(any_client: Any) -> None:
    family = b.make_family("FAM-PRIV", children=4, first_child_born="2010-03-10")
    event = b.event("family.registered", family)
    assert any_client.post("/v1/events", json=event, headers=auth("bus")).status_code == 200
    as_bus = any_client.get(f"/v1/events/{event['event_id']}", headers=auth("bus")).json()
    assert as_bus["status"] == "applied" and as_bus["effects"] is None
    assert "amount_kzt" not in str(as_bus) and "offer" not in str(as_bus)
    as_auditor = any_client.get(f"/v1/events/{event['event_id']}", headers=auth("auditor")).json()
    assert as_auditor["effects"]["effects"]["offers_created"], "auditors still see what the event did"


def test_raw_dead_letters_are_for_auditors_with_iins_masked_unless_asked_and_asking_is_audited(any_client: Any) -> None:
    family = b.make_family("FAM-DL", children=1)
    # Digits that merely disagree with the registry are a data-quality finding since issue 13; an
    # IIN that can never have been issued (no date in digits 1-6) is still refused, kept as a dead letter.
    iin = b.impossible_iin()
    family["members"][0]["iin"] = iin
    refused = any_client.post("/v1/events", json=b.event("family.registered", family), headers=auth("bus"))
    assert refused.status_code == 422
    letter_id = refused.json()["dead_letter_id"]
    assert iin[:6] not in str(refused.json()["detail"]), "the reason echoes no IIN date digits"

    assert any_client.get(f"/v1/dead-letters/{letter_id}", headers=auth("bus")).status_code == 403
    masked = any_client.get(f"/v1/dead-letters/{letter_id}", headers=auth("auditor")).json()
    assert masked["masked"] is True and iin not in masked["raw_body"] and iin[-4:] in masked["raw_body"]
    assert iin[:6] not in str(masked["reason"])
    kinds = [e["kind"] for e in any_client.get("/v1/audit", headers=auth("auditor")).json()["entries"]]
    assert "dead_letter.unmasked" not in kinds

    full = any_client.get(f"/v1/dead-letters/{letter_id}", params={"unmask": "true"}, headers=auth("auditor")).json()
    assert full["masked"] is False and iin in full["raw_body"]
    entries = any_client.get("/v1/audit", params={"kind": "dead_letter.unmasked"}, headers=auth("auditor")).json()
    [entry] = entries["entries"]
    assert (entry["actor"], entry["subject"]) == ("auditor-1", letter_id)
    status = any_client.get(f"/v1/events/{refused.json()['event_id']}", headers=auth("bus")).json()
    assert status["status"] == "rejected" and status["attempts"][0]["dead_letter_id"] == letter_id
