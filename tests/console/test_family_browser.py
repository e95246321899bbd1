"""The family's page end to end in a real headless Chromium (issue 12).

The real server (`familycard serve`, started by `test_browser`'s fixture) is fed through the bus. A
member signs in with the code the SMS outbox holds, reads why the family is offered the
large-family allowance, accepts it on the page (the entitlement appears exactly as after an SMS
reply to 1414), appeals a decision; a caseworker sees the appeal in the console and answers it;
the member reads the answer. A member of another family gets 403 on every route of this family,
and a forged form is refused. Screenshots of the page in Kazakh and Russian go to `artifacts/`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import httpx
import pytest

from tests.console.conftest import TOKENS, bearer
from tests.console.test_browser import ARTIFACTS, Server, _png_size, _post, browser, server  # noqa: F401
from tests.service import builders as b

pytestmark = pytest.mark.browser


def _outbox_code(live: Server, iin: str) -> str:
    """The newest sign-in code sent to this IIN, read from the server's SMS outbox."""
    with sqlite3.connect(live.log.parent / "familycard.db") as db:
        row = db.execute(
            "SELECT text_ru FROM outbox WHERE recipient_iin = ? AND sender = 'eGov' ORDER BY rowid DESC LIMIT 1",
            (iin,),
        ).fetchone()
    assert row, f"no code in the outbox for ********{iin[-4:]}"
    text: str = row[0]
    return text.split("семьи ")[1][:6]


def _sign_in(page: Any, live: Server, iin: str) -> None:
    """The simulated eGov sign-in, as a member does it: IIN, then the code from the SMS."""
    page.goto(f"{live.url}/family/signin?lang=ru")
    page.get_by_label("ИИН (12 цифр)").fill(iin)
    page.get_by_role("button", name="Получить код").click()
    page.wait_for_url(f"{live.url}/family/code")
    page.get_by_label("Код (6 цифр)").fill(_outbox_code(live, iin))
    page.get_by_role("button", name="Войти").click()


def test_a_member_accepts_an_offer_appeals_and_reads_the_caseworkers_answer(server: Server, browser: Any) -> None:  # noqa: F811
    snapshot = b.make_family("FAM-E2E-PAGE", children=5, first_child_born="2010-03-10")
    registered = _post(server, b.event("family.registered", snapshot, "2026-03-01T09:00:00+05:00"))
    [offer] = [o for o in registered["effects"]["offers_created"] if o["benefit"] == "large_family_allowance"]
    head = snapshot["members"][0]["iin"]
    member = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    page = member.new_page()
    try:
        _sign_in(page, server, head)
        page.wait_for_url(f"{server.url}/family/FAM-E2E-PAGE")
        assert head not in page.content()  # every IIN masked, the member's own too

        # Why the family is offered the allowance, in words, with its values.
        card = page.locator(f"#offer-{offer['offer_id']}")
        assert "Пособие многодетной семье" in card.inner_text()
        why = card.locator(".summary").inner_text()
        assert "семье положено 86 673 ₸ в месяц" in why and "в семье: 5; нужно не меньше 4" in why
        assert "_" not in why and ">=" not in why

        card.get_by_role("button", name="Согласен(на)").click()
        page.wait_for_url(f"{server.url}/family/FAM-E2E-PAGE")
        assert page.locator("#notice").inner_text() == "Ваше согласие записано."
        receiving = page.locator("#receiving").inner_text()
        assert "Пособие многодетной семье" in receiving and "86 673 ₸ в месяц" in receiving
        assert "20,04 МРП для семьи с 5 детьми" in receiving  # how it is computed, in words

        # Exactly as after an SMS reply: one consent.received through the intake, one active entitlement.
        record = httpx.get(f"{server.url}/v1/families/FAM-E2E-PAGE", headers=bearer("reviewer")).json()
        [ent] = [e for e in record["entitlements"] if e["benefit"] == "large_family_allowance"]
        assert (ent["status"], ent["amount_kzt"], ent["offer_id"]) == ("active", 86673, offer["offer_id"])
        offers = httpx.get(f"{server.url}/v1/families/FAM-E2E-PAGE/offers", headers=bearer("reviewer")).json()
        [answered] = [o for o in offers["offers"] if o["offer_id"] == offer["offer_id"]]
        assert answered["status"] == "accepted"

        # Appeal a decision: the targeted social assistance refusal in the history.
        decision = page.locator("#history details").filter(has_text="Адресная социальная помощь").first
        decision.locator("summary").click()
        decision.get_by_label("Почему вы не согласны (обязательно)").fill("Доход семьи за квартал указан неверно.")
        decision.get_by_role("button", name="Обжаловать это решение").click()
        page.wait_for_url(f"{server.url}/family/FAM-E2E-PAGE")
        assert page.locator("#notice").inner_text().startswith("Жалоба принята. Специалист ответит до")
        assert "Рассматривается" in page.locator("#appeals").inner_text()

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "family-page-ru.png"), full_page=True)
        page.get_by_role("link", name="Қазақша").click()
        assert page.locator("html").get_attribute("lang") == "kk"
        assert page.get_by_role("heading", name="Отбасы қазір не алады").is_visible()
        page.screenshot(path=str(ARTIFACTS / "family-page-kk.png"), full_page=True)
    finally:
        member.close()

    # The caseworker sees the appeal in the console, with the decision appealed and the citizen's text.
    filed = httpx.get(f"{server.url}/v1/audit", params={"kind": "appeal.filed"}, headers=bearer("auditor")).json()
    [entry] = [e for e in filed["entries"] if e["family_id"] == "FAM-E2E-PAGE"]
    appeal_id = entry["subject"]
    caseworker = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = caseworker.new_page()
    try:
        page.goto(f"{server.url}/console/signin?lang=en")
        page.get_by_label("Reviewer token").fill(TOKENS["reviewer"])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{server.url}/console/reviews")
        assert page.locator(f'tr[data-review-id="{appeal_id}"]').count() == 1
        page.goto(f"{server.url}/console/reviews/{appeal_id}")
        assert page.locator("#appeal-text").inner_text() == "Доход семьи за квартал указан неверно."
        assert "targeted social assistance" in page.locator("#proposed").inner_text()
        page.get_by_label("Reject: dismiss the appeal").check()
        page.get_by_label("Reason (required)").fill("Доход подтверждён налоговыми данными за квартал.")
        page.get_by_role("button", name="Record the decision").click()
        page.wait_for_url(f"{server.url}/console/reviews")
    finally:
        caseworker.close()

    # The member reads the answer, and sees that a caseworker looked at the family's data.
    member = browser.new_context(locale="ru-RU")
    page = member.new_page()
    try:
        _sign_in(page, server, snapshot["members"][1]["iin"])  # the spouse, this time
        page.wait_for_url(f"{server.url}/family/FAM-E2E-PAGE")
        appeals = page.locator("#appeals").inner_text()
        assert "Отклонена" in appeals and "Доход подтверждён налоговыми данными за квартал." in appeals
        assert "reviewer-ana" in page.locator("#access").inner_text()
    finally:
        member.close()
    for lang in ("kk", "ru"):
        width, height = _png_size(ARTIFACTS / f"family-page-{lang}.png")
        assert width >= 1000 and height >= 900


def test_a_member_of_another_family_gets_403_and_a_forged_form_is_refused(server: Server, browser: Any) -> None:  # noqa: F811
    ours = b.make_family("FAM-E2E-OURS", children=4, first_child_born="2010-03-10")
    theirs = b.make_family("FAM-E2E-THEIRS", children=4, first_child_born="2011-03-10")
    mine = _post(server, b.event("family.registered", ours, "2026-03-01T09:00:00+05:00"))
    _post(server, b.event("family.registered", theirs, "2026-03-01T09:00:00+05:00"))
    [offer] = [o for o in mine["effects"]["offers_created"] if o["benefit"] == "large_family_allowance"]
    context = browser.new_context(locale="ru-RU")
    page = context.new_page()
    try:
        _sign_in(page, server, theirs["members"][0]["iin"])
        page.wait_for_url(f"{server.url}/family/FAM-E2E-THEIRS")
        assert page.goto(f"{server.url}/family/FAM-E2E-OURS").status == 403
        assert "Эта страница принадлежит другой семье." in page.locator("#refusal").inner_text()
        page.goto(f"{server.url}/family/FAM-E2E-THEIRS")
        csrf = page.locator('input[name="csrf_token"]').first.get_attribute("value")
        for path, form in [
            (f"/family/FAM-E2E-OURS/offers/{offer['offer_id']}", {"answer": "accept"}),
            ("/family/FAM-E2E-OURS/appeals", {"decision_id": "1", "reason": "x"}),
        ]:
            answer = page.request.post(f"{server.url}{path}", form={**form, "csrf_token": csrf})
            assert answer.status == 403, path
        # A forged form on the member's own family: no CSRF token, or a wrong one.
        own = page.request.post(
            f"{server.url}/family/FAM-E2E-THEIRS/appeals",
            form={"decision_id": "1", "reason": "x", "csrf_token": "forged"},
        )
        assert own.status == 403
    finally:
        context.close()
    record = httpx.get(f"{server.url}/v1/families/FAM-E2E-OURS", headers=bearer("reviewer")).json()
    assert record["entitlements"] == []
