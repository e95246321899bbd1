"""The faster JSON paths write and read what the standard library did, and fall back to it when unsure."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from engine.api import Engine
from engine.decision import EligibilityResponse
from service import audit
from service.store import db
from tests.service import builders as b
from tests.service.conftest import RULES, auth

plain = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.text())
flat = st.dictionaries(st.text(), st.one_of(plain, st.lists(plain, max_size=4)), max_size=6)
documents = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1),
              st.floats(allow_nan=False, allow_infinity=False), st.text()),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(flat)
def test_canonical_flat_is_the_canonical_text(value: dict[str, Any]) -> None:
    try:
        expected = audit.canonical(value)
    except (TypeError, ValueError) as exc:
        with pytest.raises(type(exc)):
            audit.canonical_flat(value)
        return
    assert audit.canonical_flat(value) == expected


def test_canonical_flat_leaves_floats_to_the_standard_library() -> None:
    value = {"small": 1e-07, "big": 1e16, "n": 3}
    assert audit.canonical_flat(value) == audit.canonical(value) == '{"big":1e+16,"n":3,"small":1e-07}'


@given(documents)
def test_a_json_column_reads_back_what_was_written(value: Any) -> None:
    assert db.json_loads(db.json_dumps(value)) == json.loads(json.dumps(value))


def test_what_orjson_refuses_is_written_or_refused_as_the_standard_library_does() -> None:
    assert json.loads(db.json_dumps({1: "a", "big": 2**70})) == {"1": "a", "big": 2**70}
    with pytest.raises(TypeError):
        db.json_dumps({"when": dt.date(2026, 3, 1)})  # never silently turned into a string
    assert math.isnan(db.json_loads('{"x": NaN}')["x"])  # a document the old writer stored


def test_eligibility_answers_exactly_the_engines_response(client: TestClient) -> None:
    family = b.make_family(children=4, first_child_born="2012-01-05")
    response = client.post("/v1/eligibility", json=family, params={"as_of": "2026-03-01", "explain": "full"},
                           headers=auth("analyst"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    from engine import model

    engine = Engine.load(RULES)
    expected = engine.evaluate(model.Family.model_validate(family), dt.date(2026, 3, 1))
    assert body == expected.model_dump(mode="json")
    assert EligibilityResponse.model_validate(body) == expected
    default = client.post("/v1/eligibility", json=family, params={"as_of": "2026-03-01", "lang": "ru"},
                          headers=auth("analyst"))
    assert default.content == engine.answer_json(model.Family.model_validate(family), dt.date(2026, 3, 1), "ru")
    assert default.content == json.dumps(default.json(), ensure_ascii=False, separators=(",", ":")).encode()


def test_an_event_answer_is_the_json_the_standard_library_writes(client: TestClient) -> None:
    event = b.event("family.registered", b.make_family("FAM-JSON", children=3))
    response = client.post("/v1/events", json=event, headers=auth("bus"))
    assert response.status_code == 200
    assert response.content == json.dumps(response.json(), ensure_ascii=False, separators=(",", ":")).encode()
