"""Fixtures for the console tests: an application with the console mounted, tokens, a pending case.

The application is the service's own (`create_app`, real rules, a temporary SQLite database), which
mounts the console; the tests give it their own console settings (a fixed secret). A pending case
is made the way production makes one: bus events through `POST /v1/events`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from service import console
from service.app import create_app
from service.console.settings import ConsoleSettings
from service.settings import Settings
from tests.service import builders as b

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
SECRET = "console-test-secret-0123456789abcdef-0123456789"
TOKENS = {
    "bus": "console-bus-token-0123456789abcdef",
    "reviewer": "console-reviewer-token-0123456789abcdef",
    "auditor": "console-auditor-token-0123456789abcdef",
}
NAMES = {"bus": "bus-1", "reviewer": "reviewer-ana", "auditor": "auditor-1"}


def bearer(role: str) -> dict[str, str]:
    """The Authorization header of the test token with this role (for the API, never the console)."""
    return {"Authorization": f"Bearer {TOKENS[role]}"}


def write_tokens(path: Path) -> Path:
    """A tokens file with one token per role."""
    entries = [{"name": NAMES[role], "role": role, "token": token} for role, token in TOKENS.items()]
    path.write_text(json.dumps({"tokens": entries}), encoding="utf-8")
    return path


class Clock:
    """A settable clock, so the age of a case is known."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


def mounted(app: Any) -> bool:
    """Whether the application already serves the console (`console.install` ran)."""
    return hasattr(app.state, "console")


@pytest.fixture
def clock() -> Clock:
    """A clock on 1 March 2026, 06:00 UTC."""
    return Clock(dt.datetime(2026, 3, 1, 6, 0, tzinfo=dt.UTC))


@pytest.fixture
def client(tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    """A started application on a fresh SQLite database, with the console."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'familycard.db'}",
                        tokens_file=write_tokens(tmp_path / "tokens.json"), rules_dir=RULES, calendar_interval_s=0)
    app = create_app(settings, clock=clock)
    console_settings = ConsoleSettings(secret=SecretStr(SECRET), secure_cookie="never", overdue_days=5)
    assert mounted(app), "create_app must mount the console"
    app.state.console = console.pages.Console(console_settings)
    with TestClient(app, raise_server_exceptions=False, base_url="http://localhost") as c:
        yield c


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def sign_in(client: TestClient, role: str = "reviewer", lang: str = "en") -> Any:
    """Sign in through the form as a real browser would (GET the form, POST it with its token)."""
    page = client.get(f"/console/signin?lang={lang}")
    return client.post("/console/signin", data={"token": TOKENS[role], "csrf_token": csrf_of(page.text)},
                       follow_redirects=False)


@dataclass
class Case:
    """A pending case made through the bus, and what it is about."""

    review_id: str
    family_id: str
    snapshot: dict[str, Any]


def post_event(client: TestClient, event: dict[str, Any]) -> dict[str, Any]:
    """Deliver one bus event; its answer (asserting it was applied)."""
    answer = client.post("/v1/events", json=event, headers=bearer("bus"))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def make_case(client: TestClient, family_id: str, *, region: str = "KZ-75") -> Case:
    """A large family that takes its allowance, then a child dies: a termination waits for review."""
    snapshot = b.make_family(family_id, children=4, first_child_born="2010-03-10", region=region)
    registered = post_event(client, b.event("family.registered", snapshot, "2026-03-01T09:00:00+05:00"))
    [offer] = [o for o in registered["effects"]["offers_created"] if o["benefit"] == "large_family_allowance"]
    post_event(client, b.event("consent.received", {"offer_id": offer["offer_id"], "accepted": True,
                                                    "channel": "sms-1414"}, "2026-03-02T09:00:00+05:00"))
    child = snapshot["members"][3]["iin"]
    died = post_event(client, b.event("death.registered", {"family_id": family_id, "iin": child,
                                                           "date_of_death": "2026-03-03"}, "2026-03-04T09:00:00+05:00"))
    [review] = [r for r in died["effects"]["reviews_opened"] if r["benefit"] == "large_family_allowance"]
    return Case(review["review_id"], family_id, snapshot)
