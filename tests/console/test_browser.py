"""End to end in a real headless Chromium: a case made through the bus, resolved in the console.

The real server (`familycard serve`) runs as a subprocess on a free port with a temporary SQLite
database and tokens file; the bus feeds it through `POST /v1/events`; Playwright drives Debian's
`chromium` (installed by `scripts/ensure_browser.py`). Without the browser these tests skip with
the reason, unless FAMILYCARD_REQUIRE_BROWSER=1 (CI), which makes that a failure.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from service import localserver
from tests.console.conftest import NAMES, SECRET, TOKENS, bearer, write_tokens
from tests.service import builders as b

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "artifacts"
SCREENSHOT = ARTIFACTS / "console-case.png"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _need_browser() -> None:
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return
    why = f"{CHROMIUM} is missing; run `python -m scripts.ensure_browser` (as root)"
    if os.environ.get("FAMILYCARD_REQUIRE_BROWSER") == "1":
        pytest.fail(f"FAMILYCARD_REQUIRE_BROWSER=1 but {why}")
    pytest.skip(why)


@dataclass
class Server:
    """A running service: its base URL and the log file of its process."""

    url: str
    log: Path


def _start(command: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`familycard serve` on a free port, a temporary database and tokens file, with the console."""
    _need_browser()
    home = tmp_path_factory.mktemp("live")
    env = {
        **os.environ,
        "FAMILYCARD_DATABASE_URL": f"sqlite:///{home / 'familycard.db'}",
        "FAMILYCARD_TOKENS_FILE": str(write_tokens(home / "tokens.json")),
        "FAMILYCARD_RULES_DIR": str(REPO / "rules"),
        "FAMILYCARD_CONSOLE_SECRET": SECRET,
        "FAMILYCARD_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    port = localserver.free_port()
    url = f"http://127.0.0.1:{port}"
    log = home / "server.log"
    process = _start([sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                     env, home, log)
    try:
        localserver.wait_healthy(url, process, timeout=60, log=log)
        assert httpx.get(f"{url}/console/signin").status_code == 200, "familycard serve must mount the console"
        yield Server(url, log)
    finally:
        localserver.stop(process)


def _post(server: Server, event: dict[str, Any]) -> dict[str, Any]:
    answer = httpx.post(f"{server.url}/v1/events", json=event, headers=bearer("bus"), timeout=30)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _case_through_the_bus(server: Server, family_id: str, region: str) -> tuple[str, dict[str, Any]]:
    """A large family takes its allowance; then a child dies: the termination waits for a reviewer."""
    snapshot = b.make_family(family_id, children=4, first_child_born="2010-03-10", region=region)
    registered = _post(server, b.event("family.registered", snapshot, "2026-03-01T09:00:00+05:00"))
    [offer] = [o for o in registered["effects"]["offers_created"] if o["benefit"] == "large_family_allowance"]
    _post(server, b.event("consent.received", {"offer_id": offer["offer_id"], "accepted": True,
                                               "channel": "sms-1414"}, "2026-03-02T09:00:00+05:00"))
    died = _post(server, b.event("death.registered", {"family_id": family_id, "iin": snapshot["members"][3]["iin"],
                                                      "date_of_death": "2026-03-03"}, "2026-03-04T09:00:00+05:00"))
    [review] = died["effects"]["reviews_opened"]
    return review["review_id"], snapshot


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium from the distribution, driven by Playwright."""
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_a_reviewer_signs_in_filters_opens_a_bus_case_rejects_it_and_sees_it_in_the_audit_log(
    server: Server, browser: Any
) -> None:
    other_id, _ = _case_through_the_bus(server, "FAM-E2E-ASTANA", "KZ-71")
    review_id, snapshot = _case_through_the_bus(server, "FAM-E2E-ALMATY", "KZ-75")
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        # Keyboard first: the first Tab reaches the skip link.
        page.goto(f"{server.url}/console/reviews")
        assert page.url.startswith(f"{server.url}/console/signin")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"

        page.get_by_label("Reviewer token").fill(TOKENS["reviewer"])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{server.url}/console/reviews")
        assert page.locator("tr[data-review-id]").count() == 2
        assert page.get_by_text(f"Signed in as {NAMES['reviewer']}").is_visible()

        page.get_by_label("Region").select_option("KZ-75")
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url("**region=KZ-75**")
        rows = page.locator("tr[data-review-id]")
        assert rows.count() == 1 and rows.first.get_attribute("data-review-id") == review_id

        page.get_by_role("link", name="FAM-E2E-ALMATY").click()
        page.wait_for_url(f"{server.url}/console/reviews/{review_id}")
        assert page.locator("#case-status").get_attribute("data-status") == "pending"
        html = page.content()
        for m in snapshot["members"]:
            assert m["iin"] not in html and f"********{m['iin'][-4:]}" in html
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

        page.get_by_label("Reject: keep the current entitlement").check()
        reason = "Civil registry record under correction; keep the allowance"
        page.get_by_label("Reason (required)").fill(reason)
        page.get_by_role("button", name="Record the decision").click()
        page.wait_for_url(f"{server.url}/console/reviews")
        assert "recorded: rejected. The case has left the queue." in page.locator("#notice").inner_text()
        ids = page.locator("tr[data-review-id]").evaluate_all("rows => rows.map(r => r.dataset.reviewId)")
        assert ids == [other_id]

        page.goto(f"{server.url}/console/reviews/{review_id}")
        assert page.locator("#case-status").get_attribute("data-status") == "rejected"
        resolved = page.locator('#audit tr[data-kind="review.resolved"]')
        assert resolved.count() == 1
        assert resolved.locator(".actor").inner_text() == NAMES["reviewer"]
        assert reason in resolved.locator(".details").inner_text()

        page.get_by_role("link", name="Русский").click()
        assert page.locator("html").get_attribute("lang") == "ru"
        assert page.get_by_role("heading", name="Журнал аудита").is_visible()
    finally:
        context.close()

    audit = httpx.get(f"{server.url}/v1/audit", params={"kind": "review.resolved"}, headers=bearer("auditor")).json()
    [entry] = [e for e in audit["entries"] if e["subject"] == review_id]
    assert (entry["actor"], entry["data"]["resolution"], entry["data"]["reason"]) == (NAMES["reviewer"], "reject",
                                                                                      reason)
    width, height = _png_size(SCREENSHOT)
    assert width >= 1000 and height >= 900 and SCREENSHOT.stat().st_size > 20_000


def test_a_bus_credential_cannot_sign_in_to_the_console(server: Server, browser: Any) -> None:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    try:
        page.goto(f"{server.url}/console/signin")
        page.get_by_label("Reviewer token").fill(TOKENS["bus"])
        page.get_by_role("button", name="Sign in").click()
        assert page.get_by_role("alert").inner_text() == (
            "This credential has the role “bus”. Only reviewers can sign in to the console.")
        page.goto(f"{server.url}/console/reviews")
        assert page.url.startswith(f"{server.url}/console/signin")
    finally:
        context.close()
