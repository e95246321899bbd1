"""The hot routes, served by `direct.DirectRoute`, answer exactly as FastAPI's own handler would.

FastAPI serves a `DirectRoute` itself while any dependency override is set, which lets each
request here be sent twice to one application, once each way, and the two answers compared.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service import direct as direct_routes
from service.routes import eligibility
from service.routes import events as event_routes
from tests.service import builders as b
from tests.service.conftest import TOKENS, auth

FAMILY = b.make_family("FAM-DIRECT", children=3, first_child_born="2012-01-05")
JSON = {"content-type": "application/json"}


def _never() -> None:
    """A dependency no route declares: overriding it changes nothing but who serves the request."""


@contextmanager
def fastapis_own_handler(client: TestClient) -> Iterator[None]:
    """While this is open, FastAPI's generic handler serves the direct routes."""
    overrides = client.app.dependency_overrides  # type: ignore[attr-defined]
    overrides[_never] = _never
    try:
        yield
    finally:
        overrides.pop(_never)


def both_ways(client: TestClient, body: bytes, headers: dict[str, str], query: str = "",
              path: str = "/v1/eligibility") -> tuple[Any, Any]:
    """The answer of the direct handler and of FastAPI's, as (status, JSON, WWW-Authenticate)."""

    def send() -> Any:
        response = client.post(path + query, content=body, headers=headers)
        return response.status_code, response.json(), response.headers.get("www-authenticate")

    direct = send()
    with fastapis_own_handler(client):
        generic = send()
    return direct, generic


def test_the_hot_routes_are_served_directly_and_the_others_by_fastapi(client: TestClient) -> None:
    served = {(next(iter(r.methods)), r.path): r.served_directly  # type: ignore[attr-defined]
              for r in [*eligibility.router.routes, *event_routes.router.routes]}
    assert served == {("POST", "/v1/eligibility"): True, ("POST", "/v1/eligibility/batch"): True,
                      ("POST", "/v1/events"): True,
                      ("GET", "/v1/events/{event_id}"): False, ("GET", "/v1/dead-letters/{dead_letter_id}"): False}


def test_a_dependency_override_hands_the_route_back_to_fastapi(client: TestClient,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[str | None] = []
    original = direct_routes.bearer_token

    def spy(header: str | None) -> str:
        read.append(header)
        return original(header)

    monkeypatch.setattr(direct_routes, "bearer_token", spy)
    body = json.dumps(FAMILY).encode()
    direct, generic = both_ways(client, body, {**JSON, **auth("analyst")}, "?as_of=2026-03-01")
    assert direct == generic and direct[0] == 200
    assert read == [f"Bearer {TOKENS['analyst']}"]  # only the direct handler reads the header itself


@pytest.mark.parametrize(
    ("case", "body", "headers", "query", "status", "first"),
    [
        ("valid", json.dumps(FAMILY), {**JSON, **auth("bus")}, "?as_of=2026-03-01", 200, None),
        ("bad IIN", json.dumps({**FAMILY, "members": [{**FAMILY["members"][0], "iin": "1"}, *FAMILY["members"][1:]]}),
         {**JSON, **auth("analyst")}, "", 422, (["body", "members", 0, "iin"], "string_pattern_mismatch")),
        ("JSON syntax, before the token", json.dumps(FAMILY)[:-1], JSON, "", 422,
         (["body", len(json.dumps(FAMILY)) - 1], "json_invalid")),
        ("a valid document needs a token", json.dumps({**FAMILY, "region": "XX"}), JSON, "", 401,
         (["header", "Authorization"], "unauthorized")),
        ("wrong role", json.dumps(FAMILY), {**JSON, **auth("reviewer")}, "", 403,
         (["header", "Authorization"], "forbidden")),
        ("no body", "", {**JSON, **auth("bus")}, "", 422, (["body"], "missing")),
        ("not JSON by its type", json.dumps(FAMILY), {"content-type": "text/plain", **auth("bus")}, "", 422,
         (["body"], "model_attributes_type")),
        ("no content type", json.dumps(FAMILY), auth("bus"), "", 422, (["body"], "model_attributes_type")),
        ("bad date, query first", json.dumps({**FAMILY, "region": "XX"}), {**JSON, **auth("bus")}, "?as_of=2026-02-30",
         422, (["query", "as_of"], "date_from_datetime_parsing")),
        ("a byte-order mark", "\ufeff" + json.dumps(FAMILY), {**JSON, **auth("bus")}, "", 200, None),
        ("a JSON media type with parameters", json.dumps(FAMILY),
         {"content-type": "application/vnd.family+json; charset=utf-8", **auth("bus")}, "", 200, None),
        ("not UTF-8", b'{"family_id": "\xff"}', {**JSON, **auth("bus")}, "", 400, ([], "http_400")),
        ("a language", json.dumps(FAMILY), {**JSON, **auth("bus")}, "?lang=ru&as_of=2026-03-01", 200, None),
        ("a language by header", json.dumps(FAMILY), {**JSON, **auth("bus"), "accept-language": "en-GB, ru;q=0.5"},
         "", 200, None),
        ("the trace", json.dumps(FAMILY), {**JSON, **auth("analyst")}, "?explain=full&lang=en", 200, None),
        ("an unknown language, query first", json.dumps({**FAMILY, "region": "XX"}), {**JSON, **auth("bus")},
         "?lang=de", 422, (["query", "lang"], "literal_error")),
        ("two bad query parameters", json.dumps(FAMILY), {**JSON, **auth("bus")}, "?explain=yes&lang=", 422,
         (["query", "lang"], "literal_error")),
    ],
)
def test_each_kind_of_request_gets_fastapis_answer(client: TestClient, case: str, body: str | bytes,
                                                   headers: dict[str, str], query: str, status: int,
                                                   first: tuple[list[Any], str] | None) -> None:
    raw = body.encode() if isinstance(body, str) else body
    direct, generic = both_ways(client, raw, headers, query)
    assert direct == generic, case
    assert direct[0] == status, direct
    if first is not None:
        assert (direct[1]["detail"][0]["loc"], direct[1]["detail"][0]["type"]) == first
    if status == 401:
        assert direct[2] == "Bearer"
    if status == 422 and "query first" in case:
        assert [e["loc"][0] for e in direct[1]["detail"]] == ["query", "body"]
    if case == "two bad query parameters":
        assert [e["loc"] for e in direct[1]["detail"]] == [["query", "lang"], ["query", "explain"]]


def batch_both_ways(client: TestClient, body: bytes, headers: dict[str, str], query: str = "") -> tuple[Any, Any]:
    """The batch route's answer by each handler: (status, content type, body text)."""

    def send() -> Any:
        response = client.post("/v1/eligibility/batch" + query, content=body, headers=headers)
        return response.status_code, response.headers.get("content-type"), response.text

    direct = send()
    with fastapis_own_handler(client):
        generic = send()
    return direct, generic


@pytest.mark.parametrize(
    ("case", "body", "headers", "query", "status"),
    [
        ("an array", json.dumps([FAMILY, {"x": 1}]), {**JSON, **auth("bus")}, "?as_of=2026-03-01&lang=ru", 200),
        ("NDJSON", json.dumps(FAMILY) + "\n" + json.dumps(FAMILY), {"content-type": "application/x-ndjson",
                                                                      **auth("analyst")}, "?explain=full", 200),
        ("no token", "[]", JSON, "", 401),
        ("wrong role", "[]", {**JSON, **auth("reviewer")}, "", 403),
        ("bad query", "[]", {**JSON, **auth("bus")}, "?lang=xx&as_of=2026-02-30", 422),
        ("not a batch", "{}", {**JSON, **auth("bus")}, "", 422),
        ("neither JSON nor NDJSON", "[]", {"content-type": "text/csv", **auth("bus")}, "", 415),
    ],
)
def test_the_batch_route_answers_as_fastapi_would(client: TestClient, case: str, body: str, headers: dict[str, str],
                                                  query: str, status: int) -> None:
    direct, generic = batch_both_ways(client, body.encode(), headers, query)
    assert direct == generic, case
    assert direct[0] == status, direct


def test_a_streamed_body_over_the_limit_is_refused_with_413(client_for: Any, sqlite_url: str) -> None:
    small = client_for(sqlite_url, max_body_bytes=2048)
    chunks = [json.dumps(FAMILY).encode()] * 3  # no Content-Length: only counting the chunks finds it too large
    response = small.post("/v1/eligibility", content=iter(chunks), headers={**JSON, **auth("bus")})
    assert response.status_code == 413
    assert response.json()["detail"][0]["type"] == "body_too_large"


def test_events_refuse_and_accept_callers_as_fastapi_does(client: TestClient) -> None:
    event = json.dumps(b.event("loan.changed", {"family_id": "FAM-NONE", "non_mortgage_outstanding": 5})).encode()
    for headers in ({**JSON}, {**JSON, **auth("analyst")}, {**JSON, "authorization": "Bearer x-unknown-token-123"}):
        direct, generic = both_ways(client, event, headers, path="/v1/events")
        assert direct == generic and direct[0] in (401, 403)
    answer = client.post("/v1/events", content=event, headers={**JSON, **auth("bus")})
    assert answer.status_code == 422 and answer.json()["status"] == "rejected"


# Generated requests: a valid snapshot with a few leaves replaced, keys added or dropped, respelt JSON.
LEAVES = [("region",), ("family_id",), ("median_income_kzt",), ("loans", "non_mortgage_outstanding"), ("deceased",),
          *[("members", i, key) for i in range(len(FAMILY["members"]))
            for key in ("iin", "relation", "birth_date", "sex", "monthly_income_kzt", "gfss_participant",
                        "disability", "awards", "job_lost_on", "insurance_record_months")]]
VALUES = st.one_of(
    st.sampled_from([None, True, 0, 1, 2.0, -1, 1e12, 1e13, 10**20, "", "x", "KZ-71", "2026-01-01",
                     "2026-01-01T00:00:00", "2026-01-01T10:00:00", 1767225600, "1767225600", [], {},
                     {"group": 1}, {"group": 2.0, "since_childhood": True}, ["altyn_alqa"], "head", "child"]),
    st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.text(max_size=5),
)


@st.composite
def requests(draw: st.DrawFn) -> tuple[bytes, dict[str, str], str]:
    family: dict[str, Any] = copy.deepcopy(FAMILY)
    for _ in range(draw(st.integers(0, 3))):
        *where, key = draw(st.sampled_from(LEAVES))
        target: Any = family
        for step in where:
            target = target[step]
        if draw(st.booleans()):
            target[key] = draw(VALUES)
        else:
            target.pop(key, None)
    if draw(st.integers(0, 9)) == 0:
        family[draw(st.sampled_from(["extra", "religion"]))] = 1
    text = json.dumps(family, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 1])))
    text = draw(st.sampled_from(["{}", " {}\n", "{}x", "{}}", "[{}]"])).replace("{}", text)
    headers = {"content-type": draw(st.sampled_from(["application/json", "application/json; charset=utf-8",
                                                      "text/plain", "application/problem+json"]))}
    role = draw(st.sampled_from(["bus", "analyst", "reviewer", None]))
    if role is not None:
        headers.update(auth(role))
    query = draw(st.sampled_from(["", "?as_of=2026-03-01", "?as_of=2026-3-1", "?as_of=", "?other=1", "?lang=ru",
                                  "?lang=all&explain=full", "?lang=", "?explain=none&as_of=2026-03-01", "?lang=RU",
                                  "?explain=full&explain=none"]))
    if draw(st.booleans()):
        headers["accept-language"] = draw(st.sampled_from(["ru", "en-US,en;q=0.9", "*", "kk;q=0", "ru;q=x"]))
    return text.encode("utf-8", "surrogatepass"), headers, query


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(request=requests())
def test_generated_requests_get_the_same_answer_both_ways(client: TestClient,
                                                          request: tuple[bytes, dict[str, str], str]) -> None:
    body, headers, query = request
    direct, generic = both_ways(client, body, headers, query)
    assert direct == generic
