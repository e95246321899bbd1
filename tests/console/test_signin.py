"""Signing in to the console: only a reviewer's credential opens it, and only through its own form."""

from __future__ import annotations

import time
from http.cookies import SimpleCookie

from fastapi.testclient import TestClient
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import Response

from service.console import session
from service.console.settings import ConsoleSettings
from tests.console.conftest import SECRET, TOKENS, bearer, csrf_of, make_case, sign_in


def _cookie_attributes(header: str) -> dict[str, str]:
    parsed = SimpleCookie()
    parsed.load(header)
    morsel = parsed[session.COOKIE]
    return {k: str(v) for k, v in morsel.items() if v}


def test_a_reviewer_token_opens_a_session_in_an_httponly_samesite_strict_cookie(client: TestClient) -> None:
    answer = sign_in(client)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/reviews"
    attributes = _cookie_attributes(answer.headers["set-cookie"])
    assert attributes["httponly"] and attributes["samesite"].lower() == "strict"
    assert attributes["path"] == "/console" and int(attributes["max-age"]) == 30 * 60
    assert TOKENS["reviewer"] not in answer.headers["set-cookie"]  # the token never travels in the cookie
    queue = client.get("/console/reviews")
    assert queue.status_code == 200 and "reviewer-ana" in queue.text


def test_a_bus_token_is_refused_at_sign_in_with_a_message_naming_its_role(client: TestClient) -> None:
    answer = sign_in(client, "bus")
    assert answer.status_code == 403
    assert "This credential has the role “bus”. Only reviewers can sign in" in answer.text.replace("&#8220;", "“")
    after = client.get("/console/reviews", follow_redirects=False)
    assert after.status_code == 303 and after.headers["location"].startswith("/console/signin")


def test_an_unknown_or_empty_token_is_refused(client: TestClient) -> None:
    page = client.get("/console/signin?lang=en")
    unknown = client.post("/console/signin", data={"token": "not-a-token-at-all-000000",
                                                   "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert unknown.status_code == 401 and "This token is not recognised." in unknown.text
    empty = client.post("/console/signin", data={"token": "  ", "csrf_token": csrf_of(unknown.text)},
                        follow_redirects=False)
    assert empty.status_code == 422 and "Enter your token." in empty.text


def test_a_sign_in_form_without_the_consoles_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/console/signin")
    missing = client.post("/console/signin", data={"token": TOKENS["reviewer"]}, follow_redirects=False)
    assert missing.status_code == 403
    forged = client.post("/console/signin", data={"token": TOKENS["reviewer"], "csrf_token": "guessed"},
                         follow_redirects=False)
    assert forged.status_code == 403
    assert client.get("/console/reviews", follow_redirects=False).status_code == 303  # still not signed in


def test_pages_without_a_session_cookie_redirect_to_sign_in_and_come_back_after(client: TestClient) -> None:
    case = make_case(client, "FAM-BACKTO")
    answer = client.get(f"/console/reviews/{case.review_id}?lang=en", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/console/signin?next=%2Fconsole%2Freviews%2F{case.review_id}%3Flang%3Den"
    form = client.get(answer.headers["location"] + "&lang=en")
    assert "Please sign in first." in form.text
    signed = client.post("/console/signin", data={"token": TOKENS["reviewer"], "csrf_token": csrf_of(form.text),
                                                  "next": f"/console/reviews/{case.review_id}"}, follow_redirects=False)
    assert signed.headers["location"] == f"/console/reviews/{case.review_id}"


def test_sign_in_never_redirects_outside_the_console(client: TestClient) -> None:
    page = client.get("/console/signin")
    answer = client.post("/console/signin", data={"token": TOKENS["reviewer"], "csrf_token": csrf_of(page.text),
                                                  "next": "https://evil.example/console/"}, follow_redirects=False)
    assert answer.headers["location"] == "/console/reviews"


def test_an_api_bearer_token_does_not_open_the_console(client: TestClient) -> None:
    case = make_case(client, "FAM-BEARER")
    page = client.get("/console/reviews", headers=bearer("reviewer"), follow_redirects=False)
    assert page.status_code == 303
    post = client.post(f"/console/reviews/{case.review_id}/resolution", headers=bearer("reviewer"),
                       data={"resolution": "reject", "reason": "bearer tokens are for the API"}, follow_redirects=False)
    assert post.status_code == 401
    assert client.get(f"/v1/reviews/{case.review_id}", headers=bearer("reviewer")).json()["status"] == "pending"


def test_an_altered_cookie_is_ignored(client: TestClient) -> None:
    sign_in(client)
    value = client.cookies[session.COOKIE]
    payload, _, signature = value.partition(".")
    client.cookies.set(session.COOKIE, payload[:-2] + "xx." + signature, path="/console")
    assert client.get("/console/reviews", follow_redirects=False).status_code == 303


def test_signing_out_ends_the_session_and_needs_the_forms_csrf_token(client: TestClient) -> None:
    sign_in(client)
    queue = client.get("/console/reviews")
    assert client.post("/console/signout", data={}, follow_redirects=False).status_code == 403
    out = client.post("/console/signout", data={"csrf_token": csrf_of(queue.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/console/signin"
    assert "You have signed out." in client.get("/console/signin?lang=en").text
    assert client.get("/console/reviews", follow_redirects=False).status_code == 303


def _request(url: str) -> Request:
    scheme, rest = url.split("://")
    host = rest.split("/")[0]
    return Request({"type": "http", "method": "GET", "scheme": scheme, "server": (host.split(":")[0], 80),
                    "path": "/console/reviews", "query_string": b"", "headers": [(b"host", host.encode())]})


def test_the_cookie_is_secure_except_on_plain_http_to_localhost_unless_configured() -> None:
    auto = session.Sessions(ConsoleSettings(secret=SecretStr(SECRET)))
    assert not auto.secure(_request("http://127.0.0.1:8000/console"))
    assert not auto.secure(_request("http://localhost:8000/console"))
    assert auto.secure(_request("https://console.example.kz/console"))
    assert auto.secure(_request("http://10.0.0.5:8000/console"))
    never = session.Sessions(ConsoleSettings(secret=SecretStr(SECRET), secure_cookie="never"))
    always = session.Sessions(ConsoleSettings(secret=SecretStr(SECRET), secure_cookie="always"))
    assert not never.secure(_request("https://console.example.kz/console"))
    assert always.secure(_request("http://localhost:8000/console"))


def _cookie_request(value: str) -> Request:
    return Request({"type": "http", "method": "GET", "scheme": "http", "server": ("localhost", 80),
                    "path": "/console", "query_string": b"",
                    "headers": [(b"cookie", f"{session.COOKIE}={value}".encode())]})


def test_a_session_ends_after_its_maximum_length_even_when_active() -> None:
    sessions = session.Sessions(ConsoleSettings(secret=SecretStr(SECRET), max_session_hours=10))
    request = _cookie_request("")
    for started, alive in ((time.time() - 9 * 3600, True), (time.time() - 11 * 3600, False)):
        response = Response()
        sessions.write(response, request, session.signed_in("reviewer-ana", "en", now=started))
        value = SimpleCookie(response.headers["set-cookie"])[session.COOKIE].value
        assert (sessions.read(_cookie_request(value)) is not None) is alive


def test_a_cookie_signed_with_another_secret_is_not_a_session() -> None:
    ours = session.Sessions(ConsoleSettings(secret=SecretStr(SECRET)))
    theirs = session.Sessions(ConsoleSettings(secret=SecretStr("another-secret-" + "x" * 40)))
    response = Response()
    theirs.write(response, _cookie_request(""), session.signed_in("mallory", "en"))
    value = SimpleCookie(response.headers["set-cookie"])[session.COOKIE].value
    assert theirs.read(_cookie_request(value)) is not None
    assert ours.read(_cookie_request(value)) is None
