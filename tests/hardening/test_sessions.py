"""Issue 11, item 2: console sessions can be ended, API tokens rotate without a restart, and failed
sign-ins are throttled.

Before: the session was a stateless signed cookie, checked against the tokens only at sign-in, so
a cookie replayed after sign-out still worked and a reviewer removed from the tokens file could
still resolve a case through the console. Each way of ending a session is shown here, on SQLite
and PostgreSQL (the sessions live in the database).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from service import auth, console
from service.app import create_app
from service.console.settings import ConsoleSettings
from service.settings import Settings
from tests.console.conftest import NAMES, RULES, SECRET, TOKENS, Clock, bearer, csrf_of, make_case, write_tokens

IDLE_MINUTES = 30


@pytest.fixture(autouse=True)
def _tokens_read_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "RECHECK_SECONDS", 0.0)  # production looks once a second


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 3, 1, 6, 0, tzinfo=dt.UTC))


@pytest.fixture
def tokens_path(tmp_path: Path) -> Path:
    return write_tokens(tmp_path / "tokens.json")


def _open(database_url: str, tokens_path: Path, clock: Clock, **extra: Any) -> TestClient:
    app = create_app(Settings(database_url=database_url, tokens_file=tokens_path, rules_dir=RULES, **extra),
                     clock=clock)
    app.state.console = console.pages.Console(ConsoleSettings(secret=SecretStr(SECRET), secure_cookie="never",
                                                              idle_minutes=IDLE_MINUTES))
    return TestClient(app, raise_server_exceptions=False, base_url="http://localhost")


@pytest.fixture
def web(database_url: str, tokens_path: Path, clock: Clock) -> Iterator[TestClient]:
    with _open(database_url, tokens_path, clock) as c:
        yield c


def _sign_in(client: TestClient, token: str) -> Any:
    page = client.get("/console/signin?lang=en")
    return client.post("/console/signin", data={"token": token, "csrf_token": csrf_of(page.text)},
                       follow_redirects=False)


def _queue(client: TestClient, cookie: str) -> int:
    client.cookies.clear()
    status: int = client.get("/console/reviews", cookies={"fc_console": cookie}, follow_redirects=False).status_code
    return status


def _signed_in_cookie(client: TestClient, token: str | None = None) -> str:
    assert _sign_in(client, token or TOKENS["reviewer"]).status_code == 303
    cookie = client.cookies.get("fc_console")
    assert cookie
    return cookie


def _write_tokens(path: Path, entries: dict[str, str]) -> None:
    path.write_text(json.dumps({"tokens": [{"name": NAMES.get(r, r), "role": r, "token": t}
                                           for r, t in entries.items()]}), encoding="utf-8")


def test_a_cookie_replayed_after_sign_out_opens_nothing(web: TestClient) -> None:
    case = make_case(web, "FAM-SIGNOUT")
    cookie = _signed_in_cookie(web)
    page = web.get("/console/reviews")
    assert page.status_code == 200
    signed_out = web.post("/console/signout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert signed_out.status_code == 303
    assert _queue(web, cookie) == 303  # replayed: back to sign-in
    case_page = web.get(f"/console/reviews/{case.review_id}", cookies={"fc_console": cookie}, follow_redirects=False)
    assert case_page.status_code == 303
    web.cookies.clear()
    resolved = web.post(f"/console/reviews/{case.review_id}/resolution", cookies={"fc_console": cookie},
                        data={"csrf_token": "anything", "resolution": "approve", "reason": "replayed cookie"},
                        follow_redirects=False)
    assert resolved.status_code == 401
    assert web.get(f"/v1/reviews/{case.review_id}", headers=bearer("reviewer")).json()["status"] == "pending"


def test_removing_the_reviewer_from_the_tokens_file_ends_the_session_and_the_token_without_a_restart(
    web: TestClient, tokens_path: Path
) -> None:
    case = make_case(web, "FAM-REVOKED")
    cookie = _signed_in_cookie(web)
    assert _queue(web, cookie) == 200
    _write_tokens(tokens_path, {r: t for r, t in TOKENS.items() if r != "reviewer"})
    assert _queue(web, cookie) == 303
    web.cookies.clear()
    resolved = web.post(f"/console/reviews/{case.review_id}/resolution", cookies={"fc_console": cookie},
                        data={"csrf_token": "x", "resolution": "approve", "reason": "a revoked reviewer"},
                        follow_redirects=False)
    assert resolved.status_code == 401
    assert web.get("/v1/reviews", headers=bearer("reviewer")).status_code == 401
    # Put back, the session stays ended (it was ended, not suspended); a new sign-in works.
    write_tokens(tokens_path)
    assert _queue(web, cookie) == 303
    assert _queue(web, _signed_in_cookie(web)) == 200


def test_rotating_a_token_ends_sessions_opened_with_the_old_one_and_the_api_takes_the_new_one_at_once(
    web: TestClient, tokens_path: Path
) -> None:
    cookie = _signed_in_cookie(web)
    rotated = {**TOKENS, "reviewer": "rotated-reviewer-token-0123456789abcdef", "bus": "rotated-bus-token-0123456789"}
    _write_tokens(tokens_path, rotated)
    assert _queue(web, cookie) == 303
    assert web.get("/v1/reviews", headers=bearer("reviewer")).status_code == 401
    assert web.get("/v1/reviews", headers={"Authorization": f"Bearer {rotated['reviewer']}"}).status_code == 200
    event = {"event_id": "e-rot", "type": "family.registered", "occurred_at": "2026-03-01T09:00:00+05:00",
             "source": "t", "payload": {}}
    assert web.post("/v1/events", json=event, headers=bearer("bus")).status_code == 401
    assert web.post("/v1/events", json=event, headers={"Authorization": f"Bearer {rotated['bus']}"}).status_code == 422
    assert _queue(web, _signed_in_cookie(web, rotated["reviewer"])) == 200


def test_a_session_idle_past_the_limit_is_over_and_one_in_use_is_not(web: TestClient, clock: Clock) -> None:
    cookie = _signed_in_cookie(web)
    for _ in range(4):  # in use every 20 minutes: 80 minutes in all, never idle for 30
        clock.now += dt.timedelta(minutes=20)
        assert _queue(web, cookie) == 200
    clock.now += dt.timedelta(minutes=IDLE_MINUTES + 1)
    assert _queue(web, cookie) == 303
    clock.now -= dt.timedelta(minutes=IDLE_MINUTES)  # ended for good, even if the clock is put back
    assert _queue(web, cookie) == 303


def test_a_tokens_file_caught_mid_edit_keeps_the_old_tokens_and_a_removed_file_revokes_all(
    web: TestClient, tokens_path: Path
) -> None:
    tokens_path.write_text('{"tokens": [', encoding="utf-8")
    assert web.get("/v1/reviews", headers=bearer("reviewer")).status_code == 200
    tokens_path.unlink()
    assert web.get("/v1/reviews", headers=bearer("reviewer")).status_code == 401


def test_failed_sign_ins_and_unknown_api_tokens_are_throttled_per_address(
    database_url: str, tokens_path: Path, clock: Clock
) -> None:
    with _open(database_url, tokens_path, clock, auth_failure_limit=3, auth_failure_window_seconds=30) as web:
        for _ in range(3):
            assert _sign_in(web, "guessed-token-0000000000000000").status_code == 401
        blocked = _sign_in(web, TOKENS["reviewer"])  # even the right token, until the window passes
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
        assert "Too many failed sign-in attempts" in blocked.text
        assert web.get("/v1/reviews", headers=bearer("reviewer")).status_code == 429
    with _open(database_url, tokens_path, clock, auth_failure_limit=3) as api:
        for _ in range(5):  # no token at all is not a guess
            assert api.get("/v1/reviews").status_code == 401
        for i in range(3):
            assert api.get("/v1/reviews", headers={"Authorization": f"Bearer guess-{i}-0123456789"}).status_code == 401
        refused = api.post("/v1/events", json={}, headers=bearer("bus"))
        assert refused.status_code == 429 and refused.json()["detail"][0]["type"] == "too_many_attempts"
        assert "Retry-After" in refused.headers


def test_the_throttle_forgets_failures_after_its_window() -> None:
    throttle = auth.Throttle(limit=2, window_seconds=0.2)
    throttle.failed("10.0.0.1")
    throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") is not None and throttle.retry_after("10.0.0.2") is None
    import time

    time.sleep(0.25)
    assert throttle.retry_after("10.0.0.1") is None
