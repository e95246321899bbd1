"""The offer lifecycle and the 1414 SMS: consent, refusal, silence, expiry."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi.testclient import TestClient

from engine.decision import Texts
from service import offers
from tests.service import builders as b
from tests.service.conftest import Clock, auth

NAME = Texts(kk="Көпбалалы отбасыға жәрдемақы", ru="Пособие многодетной семье", en="large-family allowance")


def test_the_sms_names_the_benefit_and_amount_in_kazakh_and_russian_and_says_how_to_answer() -> None:
    texts = offers.sms_texts(name=NAME, amount_kzt=86673, period="monthly", offer_id="of-0123456789abcdef",
                             expires_at=dt.datetime(2026, 3, 31, tzinfo=dt.UTC))
    assert texts.ru.startswith("1414:") and texts.kk.startswith("1414:")
    assert "Пособие многодетной семье" in texts.ru and "Көпбалалы отбасыға жәрдемақы" in texts.kk
    assert "86 673 тг в месяц" in texts.ru and "86 673 теңге айына" in texts.kk
    assert "цифрой 1" in texts.ru and "31.03.2026" in texts.ru
    assert "SMS-ке 1, бас тарту үшін 0" in texts.kk and "31.03.2026" in texts.kk


def test_the_sms_never_asks_for_card_numbers_codes_or_passwords() -> None:
    texts = offers.sms_texts(name=NAME, amount_kzt=1, period="one_time", offer_id="of-x",
                             expires_at=dt.datetime(2026, 3, 31, tzinfo=dt.UTC))
    asking = re.compile(r"(сообщите|укажите|введите|отправьте|пришлите)\s+(номер|данные|код|пароль)", re.I)
    assert not asking.search(texts.ru)
    assert "никогда не запрашивает данные карты, коды" in texts.ru
    assert "ешқашан карта деректерін" in texts.kk


def _registered_with_offer(client: TestClient, family_id: str) -> str:
    snapshot = b.make_family(family_id, children=4, first_child_born="2010-03-10")
    answer = client.post("/v1/events", json=b.event("family.registered", snapshot, "2026-03-01T09:00:00+05:00"),
                         headers=auth("bus")).json()
    offer_id: str = answer["effects"]["offers_created"][0]["offer_id"]
    return offer_id


def consent(client: TestClient, offer_id: str, accepted: bool, at: str = "2026-03-03T09:00:00+05:00") -> Any:
    return client.post("/v1/events", json=b.event("consent.received", {"offer_id": offer_id, "accepted": accepted,
                                                                       "channel": "sms-1414"}, at),
                       headers=auth("bus"))


def income(client: TestClient, family_id: str, iin: str, amount: float, at: str) -> dict[str, Any]:
    payload = {"family_id": family_id, "iin": iin, "monthly_income_kzt": amount}
    body: dict[str, Any] = client.post("/v1/events", json=b.event("income.reported", payload, at),
                                       headers=auth("bus")).json()
    return body


def test_silence_expires_the_offer_without_touching_anything_and_the_family_is_offered_again(
    client: TestClient, clock: Clock
) -> None:
    offer_id = _registered_with_offer(client, "FAM-SILENT")
    clock.advance(days=31)
    listing = client.get("/v1/families/FAM-SILENT/offers", headers=auth("reviewer")).json()["offers"]
    assert listing[0]["status"] == "expired"  # read lazily, nothing written yet
    head = client.get("/v1/families/FAM-SILENT", headers=auth("reviewer")).json()["snapshot"]["members"][0]["iin"]
    answer = income(client, "FAM-SILENT", head, 410_000, "2026-04-02T09:00:00+05:00")
    assert {"offer_id": offer_id, "status": "expired"} in answer["effects"]["offers_closed"]
    assert answer["effects"]["reviews_opened"] == []  # silence is never an adverse finding
    assert [o["benefit"] for o in answer["effects"]["offers_created"]] == ["large_family_allowance"]
    record = client.get("/v1/families/FAM-SILENT", headers=auth("reviewer")).json()
    assert record["entitlements"] == []
    expired = client.get("/v1/audit", params={"kind": "offer.expired"}, headers=auth("auditor")).json()["entries"]
    assert expired[0]["data"]["note"] == "no answer: not a refusal"


def test_an_answer_given_in_time_counts_even_if_it_arrives_after_the_window(client: TestClient, clock: Clock) -> None:
    offer_id = _registered_with_offer(client, "FAM-SLOWBUS")
    clock.advance(days=40)
    assert consent(client, offer_id, True, "2026-03-20T09:00:00+05:00").json()["status"] == "applied"
    late = _registered_with_offer(client, "FAM-TOOLATE")
    clock.advance(days=40)
    refused = consent(client, late, True, "2026-05-20T09:00:00+05:00")
    assert refused.status_code == 409 and refused.json()["detail"][0]["type"] == "offer_expired"


def test_a_refused_offer_is_not_offered_again_until_circumstances_change(client: TestClient) -> None:
    offer_id = _registered_with_offer(client, "FAM-NO")
    assert consent(client, offer_id, False).json()["effects"]["consent"]["status"] == "refused"
    head = client.get("/v1/families/FAM-NO", headers=auth("reviewer")).json()["snapshot"]["members"][0]["iin"]
    same = income(client, "FAM-NO", head, 420_000, "2026-03-10T09:00:00+05:00")
    assert same["effects"]["offers_created"] == []
    assert same["effects"]["not_offered"][0]["why"] == "refused_unchanged"
    birth = client.post("/v1/events", json=b.event("birth.registered", b.newborn("FAM-NO", "2026-03-15"),
                                                   "2026-03-16T09:00:00+05:00"), headers=auth("bus")).json()
    created = {o["benefit"]: o["amount_kzt"] for o in birth["effects"]["offers_created"]}
    assert created["large_family_allowance"] == 86673  # five children now: a new offer


def test_an_answered_offer_takes_no_second_answer(client: TestClient) -> None:
    offer_id = _registered_with_offer(client, "FAM-TWICE")
    assert consent(client, offer_id, True).status_code == 200
    second = consent(client, offer_id, False, "2026-03-04T09:00:00+05:00")
    assert second.status_code == 409 and second.json()["detail"][0]["type"] == "offer_closed"
    entitlements = client.get("/v1/families/FAM-TWICE", headers=auth("reviewer")).json()["entitlements"]
    assert [e["status"] for e in entitlements] == ["active"]


def test_rejecting_a_termination_keeps_the_entitlement_and_does_not_reopen_the_same_case(client: TestClient) -> None:
    offer_id = _registered_with_offer(client, "FAM-KEEP")
    consent(client, offer_id, True)
    record = client.get("/v1/families/FAM-KEEP", headers=auth("reviewer")).json()
    child = record["snapshot"]["members"][2]["iin"]
    moved = client.post("/v1/events", json=b.event("household.changed", {"family_id": "FAM-KEEP", "remove": [child]},
                                                    "2026-03-10T09:00:00+05:00"), headers=auth("bus")).json()
    [review] = moved["effects"]["reviews_opened"]
    assert review["kind"] == "termination"
    rejected = client.post(f"/v1/reviews/{review['review_id']}/resolution",
                           json={"resolution": "reject", "reason": "the child still lives with the family"},
                           headers=auth("reviewer"))
    assert rejected.json()["status"] == "rejected"
    [entitlement] = client.get("/v1/families/FAM-KEEP", headers=auth("reviewer")).json()["entitlements"]
    assert (entitlement["status"], entitlement["amount_kzt"]) == ("active", 69330)
    head = record["snapshot"]["members"][0]["iin"]
    again = income(client, "FAM-KEEP", head, 430_000, "2026-03-12T09:00:00+05:00")
    assert again["effects"]["reviews_opened"] == []
    queue = client.get("/v1/reviews", params={"status": "all"}, headers=auth("reviewer")).json()["reviews"]
    assert [(r["kind"], r["status"]) for r in queue] == [("termination", "rejected")]


def test_a_pending_adverse_review_is_superseded_when_the_family_is_eligible_again(client: TestClient) -> None:
    offer_id = _registered_with_offer(client, "FAM-BACK")
    consent(client, offer_id, True)
    child = client.get("/v1/families/FAM-BACK", headers=auth("reviewer")).json()["snapshot"]["members"][2]
    leave = {"family_id": "FAM-BACK", "remove": [child["iin"]]}
    out = client.post("/v1/events", json=b.event("household.changed", leave, "2026-03-10T09:00:00+05:00"),
                      headers=auth("bus")).json()
    review_id = out["effects"]["reviews_opened"][0]["review_id"]
    back = client.post("/v1/events", json=b.event("household.changed", {"family_id": "FAM-BACK", "add": [child]},
                                                  "2026-03-12T09:00:00+05:00"), headers=auth("bus")).json()
    assert [r["review_id"] for r in back["effects"]["reviews_superseded"]] == [review_id]
    assert client.get("/v1/reviews", headers=auth("reviewer")).json()["count"] == 0
