"""Item 5: NUL and other control characters are a 422 naming the field on every database, never a 500.

On PostgreSQL a NUL used to answer 500 and leave no dead letter (text and JSONB cannot hold it);
the same inputs answered 200 or 422 on SQLite. Each case runs on both.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.service import builders as b
from tests.service.conftest import auth

BUS = auth("bus")
AUDITOR = auth("auditor")  # raw dead letters are the auditors' (issue 11, least privilege)
JSON = {"Content-Type": "application/json"}


def post_raw(client: TestClient, raw: bytes) -> Any:
    return client.post("/v1/events", content=raw, headers={**BUS, **JSON})


def family_event() -> dict[str, Any]:
    return b.event("family.registered", b.make_family(children=1))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("source", "registry\u0000"),
        ("type", "family.registered\u0000"),
        ("source", "bell\u0007"),
        ("source", "esc\u001b[31m"),
        ("source", "c1\u0085"),
        ("source", "del\u007f"),
        ("source", "line\nbreak"),
    ],
)
def test_control_character_in_an_envelope_field(any_client: TestClient, field: str, value: str) -> None:
    event = family_event()
    event[field] = value
    answer = post_raw(any_client, json.dumps(event).encode())
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert detail[0]["loc"] == ["body", field]
    assert detail[0]["type"] == "control_character"
    letter = any_client.get(
        f"/v1/dead-letters/{answer.json()['dead_letter_id']}", headers=AUDITOR, params={"unmask": "true"}
    )
    assert letter.status_code == 200
    assert letter.json()["event_id"] == event["event_id"]


def test_control_character_deep_in_the_payload_names_the_path(any_client: TestClient) -> None:
    event = family_event()
    event["payload"]["family_id"] = "FAM-\u0000"
    answer = post_raw(any_client, json.dumps(event).encode())
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "payload", "family_id"]


def test_nul_in_the_event_id_is_dead_lettered_without_an_id(any_client: TestClient) -> None:
    event = family_event()
    event["event_id"] = "e-\u0000-1"
    answer = post_raw(any_client, json.dumps(event).encode())
    assert answer.status_code == 422
    assert answer.json()["event_id"] is None
    letter = any_client.get(
        f"/v1/dead-letters/{answer.json()['dead_letter_id']}", headers=AUDITOR, params={"unmask": "true"}
    ).json()
    assert letter["event_id"] is None
    assert "\\u0000" in letter["raw_body"]


def test_raw_trailing_nul_byte_is_kept_as_a_dead_letter(any_client: TestClient) -> None:
    event = family_event()
    raw = json.dumps(event).encode() + b"\x00"
    answer = post_raw(any_client, raw)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["type"] == "json_invalid"
    letter = any_client.get(
        f"/v1/dead-letters/{answer.json()['dead_letter_id']}", headers=AUDITOR, params={"unmask": "true"}
    ).json()
    # NUL is stored as the six characters \u0000 (PostgreSQL text cannot hold it), the rest as sent.
    assert letter["raw_body"] == json.dumps(event) + "\\u0000"
    # The same event without the stray byte is then applied.
    assert post_raw(any_client, json.dumps(event).encode()).json()["status"] == "applied"


def test_nul_in_a_path_parameter(any_client: TestClient) -> None:
    answer = any_client.get("/v1/events/e-%00", headers=BUS)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["path"]


def test_nul_in_a_query_parameter(any_client: TestClient) -> None:
    answer = any_client.get("/v1/reviews?status=pending%00", headers=auth("reviewer"))
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", "status"]


def _pending_review(client: TestClient) -> str:
    first = b.make_family(children=4, first_child_born="2010-03-10")
    second = b.make_family(children=4, first_child_born="2010-03-10")
    second["members"][1] = copy.deepcopy(first["members"][1])  # a data conflict: goes to a caseworker
    for family in (first, second):
        answer = post_raw(client, json.dumps(b.event("family.registered", family)).encode())
        assert answer.status_code == 200
    review_id: str = answer.json()["effects"]["reviews_opened"][0]["review_id"]
    return review_id


def test_nul_in_a_review_reason(any_client: TestClient) -> None:
    review_id = _pending_review(any_client)
    url = f"/v1/reviews/{review_id}/resolution"
    bad = any_client.post(
        url, json={"resolution": "reject", "reason": "duplicate person\u0000"}, headers=auth("reviewer")
    )
    assert bad.status_code == 422, bad.text
    assert bad.json()["detail"][0]["loc"] == ["body", "reason"]
    assert bad.json()["detail"][0]["type"] == "control_character"
    # Free text keeps its line breaks and tabs.
    good = any_client.post(
        url,
        json={"resolution": "reject", "reason": "same person in two families:\n\tkept in the first one"},
        headers=auth("reviewer"),
    )
    assert good.status_code == 200, good.text
    assert good.json()["status"] == "rejected"


def test_nul_in_a_form_field(any_client: TestClient) -> None:
    """The console's forms are guarded the same way (urlencoded NUL is %00)."""
    answer = any_client.post(
        "/console/signin", content=b"token=abc%00def", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "token"]
