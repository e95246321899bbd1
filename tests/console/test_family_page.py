"""The family's own page (issue 12): sign-in by IIN and SMS code, what the family receives and why,
offers answered through the SMS path, appeals into the caseworkers' queue, and who may see what.

The application is the service's own (`create_app` with real rules, a temporary SQLite database),
fed through the bus as production is; the sign-in code is read from the SMS outbox.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from engine import iin
from service.store import tables
from tests.console.conftest import Clock, bearer, csrf_of, make_case, post_event, sign_in
from tests.service import builders as b

CODE = re.compile(r"\b(\d{6})\b")


def _db(client: TestClient) -> sa.Engine:
    engine: sa.Engine = client.app.state.ctx.db  # type: ignore[attr-defined]
    return engine


def outbox_code(client: TestClient, iin: str) -> str:
    """The latest sign-in code the outbox holds for this IIN (what the member's phone would show)."""
    with _db(client).connect() as conn:
        rows = conn.execute(
            sa.select(tables.outbox.c.text_ru)
            .where(tables.outbox.c.recipient_iin == iin, tables.outbox.c.sender == "eGov")
            .order_by(tables.outbox.c.created_at.desc(), sa.literal_column("rowid").desc())  # SQLite: newest first
        ).all()
    assert rows, "no sign-in code in the outbox"
    found = CODE.search(rows[0][0])
    assert found
    return found.group(1)


def family_sign_in(client: TestClient, iin: str, lang: str = "ru") -> Any:
    """IIN, then the code from the outbox, through the forms as a browser would."""
    page = client.get(f"/family/signin?lang={lang}")
    sent = client.post("/family/signin", data={"iin": iin, "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/family/code", sent.text
    form = client.get("/family/code")
    return client.post(
        "/family/code",
        data={"code": outbox_code(client, iin), "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )


def register(client: TestClient, family_id: str, children: int = 5) -> tuple[dict[str, Any], dict[str, Any]]:
    snapshot = b.make_family(family_id, children=children, first_child_born="2010-03-10")
    answer = post_event(client, b.event("family.registered", snapshot, "2026-03-01T09:00:00+05:00"))
    return snapshot, answer


def test_a_member_signs_in_with_the_code_from_the_outbox_and_sees_why_the_family_is_offered_the_allowance(
    client: TestClient,
) -> None:
    snapshot, _ = register(client, "FAM-PAGE-1")
    head = snapshot["members"][0]["iin"]
    done = family_sign_in(client, head)
    assert done.status_code == 303 and done.headers["location"] == "/family/FAM-PAGE-1"
    page = client.get("/family/FAM-PAGE-1?lang=ru")
    assert page.status_code == 200
    html = page.text
    assert "Пособие многодетной семье" in html and "86 673 ₸" in html
    assert "в семье: 5; нужно не меньше 4" in html  # why, with the family's values
    assert head not in html and "********" + head[-4:] in html  # IINs masked, even the member's own
    assert "Content-Security-Policy" in page.headers and "script" not in html.lower()


def test_accepting_on_the_page_grants_the_entitlement_exactly_as_an_sms_reply(client: TestClient) -> None:
    snapshot, registered = register(client, "FAM-PAGE-2")
    [offer] = [o for o in registered["effects"]["offers_created"] if o["benefit"] == "large_family_allowance"]
    family_sign_in(client, snapshot["members"][0]["iin"])
    page = client.get("/family/FAM-PAGE-2")
    accepted = client.post(
        f"/family/FAM-PAGE-2/offers/{offer['offer_id']}",
        data={"answer": "accept", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    record = client.get("/v1/families/FAM-PAGE-2", headers=bearer("reviewer")).json()
    [ent] = [e for e in record["entitlements"] if e["benefit"] == "large_family_allowance"]
    # The same entitlement an SMS reply makes (compare test_offers: accepted through consent.received).
    assert (ent["status"], ent["amount_kzt"], ent["offer_id"]) == ("active", 86673, offer["offer_id"])
    events = client.app.state.ctx.db  # type: ignore[attr-defined]
    with events.connect() as conn:
        kinds = [r.type for r in conn.execute(sa.select(tables.events.c.type))]
    assert "consent.received" in kinds
    after = client.get("/family/FAM-PAGE-2?lang=ru").text
    assert "Что семья получает сейчас" in after and "86 673 ₸ в месяц" in after
    # And what is due month by month (the payments view): the month the right arose, at its amount.
    months = after[after.index('id="months"') : after.index('id="offers"')]
    assert "Что положено по месяцам" in months and "86 673 ₸" in months and "2026" in months


def test_a_member_of_another_family_gets_403_on_every_family_route(client: TestClient) -> None:
    register(client, "FAM-PAGE-A")
    other, registered = register(client, "FAM-PAGE-B", children=4)
    [offer] = [o for o in registered["effects"]["offers_created"] if o["benefit"] == "large_family_allowance"]
    family_sign_in(client, other["members"][0]["iin"])
    csrf = csrf_of(client.get("/family/FAM-PAGE-B").text)
    assert client.get("/family/FAM-PAGE-A").status_code == 403
    assert (
        client.post(
            f"/family/FAM-PAGE-A/offers/{offer['offer_id']}", data={"answer": "accept", "csrf_token": csrf}
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/family/FAM-PAGE-A/appeals", data={"decision_id": "1", "reason": "x", "csrf_token": csrf}
        ).status_code
        == 403
    )


def test_a_forged_form_is_refused(client: TestClient) -> None:
    snapshot, registered = register(client, "FAM-PAGE-3")
    [offer] = [o for o in registered["effects"]["offers_created"] if o["benefit"] == "large_family_allowance"]
    family_sign_in(client, snapshot["members"][0]["iin"])
    forged = client.post(
        f"/family/FAM-PAGE-3/offers/{offer['offer_id']}", data={"answer": "accept", "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    record = client.get("/v1/families/FAM-PAGE-3", headers=bearer("reviewer")).json()
    assert record["entitlements"] == []  # nothing changed


def test_codes_are_single_use_expire_and_sign_in_is_throttled(client: TestClient, clock: Clock) -> None:
    snapshot, _ = register(client, "FAM-PAGE-4")
    iin = snapshot["members"][0]["iin"]
    page = client.get("/family/signin")
    client.post("/family/signin", data={"iin": iin, "csrf_token": csrf_of(page.text)})
    code = outbox_code(client, iin)
    form = client.get("/family/code")
    wrong = client.post(
        "/family/code", data={"code": "000000" if code != "000000" else "111111", "csrf_token": csrf_of(form.text)}
    )
    assert wrong.status_code == 401
    clock.now += dt.timedelta(minutes=6)  # past the 5 minutes a code lives
    late = client.post("/family/code", data={"code": code, "csrf_token": csrf_of(wrong.text)})
    assert late.status_code == 410
    clock.now += dt.timedelta(minutes=30)
    assert family_sign_in(client, iin).status_code == 303
    again = client.get("/family/code")  # the session no longer waits for a code
    assert again.status_code in (200, 303)
    # Three codes per 15 minutes per IIN, then refused (429) without sending another.
    statuses = []
    for _ in range(4):
        page = client.get("/family/signin")
        statuses.append(
            client.post(
                "/family/signin", data={"iin": iin, "csrf_token": csrf_of(page.text)}, follow_redirects=False
            ).status_code
        )
    assert statuses[-1] == 429 and statuses.count(303) == 2


def test_a_used_code_cannot_sign_in_twice(client: TestClient) -> None:
    snapshot, _ = register(client, "FAM-PAGE-5")
    iin = snapshot["members"][0]["iin"]
    page = client.get("/family/signin")
    client.post("/family/signin", data={"iin": iin, "csrf_token": csrf_of(page.text)})
    code = outbox_code(client, iin)
    form = client.get("/family/code")
    cookie = client.cookies.get("fc_family")
    first = client.post("/family/code", data={"code": code, "csrf_token": csrf_of(form.text)}, follow_redirects=False)
    assert first.status_code == 303
    client.cookies.set("fc_family", cookie or "", path="/family")  # replay the pre-sign-in session
    replay = client.post("/family/code", data={"code": code, "csrf_token": csrf_of(form.text)})
    assert replay.status_code == 410


def test_an_appeal_reaches_the_console_and_the_answer_reaches_the_family(client: TestClient) -> None:
    case = make_case(client, "FAM-PAGE-6")  # a termination waiting for a caseworker
    head = case.snapshot["members"][0]["iin"]
    family_sign_in(client, head, lang="en")
    page = client.get("/family/FAM-PAGE-6?lang=en").text
    assert "Cases waiting for a caseworker" in page and "An ending" in page
    decision_id = re.search(r'name="decision_id" value="(\d+)"', page)
    assert decision_id
    filed = client.post(
        "/family/FAM-PAGE-6/appeals",
        data={
            "decision_id": decision_id.group(1),
            "reason": "Our son still lives with us.",
            "csrf_token": csrf_of(page),
        },
        follow_redirects=False,
    )
    assert filed.status_code == 303
    shown = client.get("/family/FAM-PAGE-6").text
    assert "Our son still lives with us." in shown and "Being considered" in shown
    # The caseworker: the queue lists the appeal; the case shows the decision appealed and the text.
    assert sign_in(client).status_code == 303
    queue = client.get("/console/reviews?lang=en").text
    with _db(client).connect() as conn:
        appeal_id_db = conn.execute(
            sa.select(tables.reviews.c.review_id).where(tables.reviews.c.kind == "appeal")
        ).scalar_one()
    assert f"/console/reviews/{appeal_id_db}" in queue and "Appeal" in queue
    case_page = client.get(f"/console/reviews/{appeal_id_db}?lang=en").text
    assert '<dd id="appeal-text">Our son still lives with us.</dd>' in case_page
    assert "The family appeals a decision" in case_page
    resolved = client.post(
        f"/console/reviews/{appeal_id_db}/resolution",
        data={
            "resolution": "approve",
            "reason": "The registry entry was wrong; the allowance continues.",
            "csrf_token": csrf_of(case_page),
        },
        follow_redirects=False,
    )
    assert resolved.status_code == 303
    assert family_sign_in(client, head, lang="en").status_code == 303
    answered = client.get("/family/FAM-PAGE-6?lang=en").text
    assert "Upheld" in answered and "The registry entry was wrong; the allowance continues." in answered
    # The caseworker's look at the case is in the family's access log.
    assert "reviewer-ana" in answered and "caseworkers&#39; console" in answered


def test_inaction_can_be_appealed_once_a_case_is_past_its_deadline(client: TestClient, clock: Clock) -> None:
    case = make_case(client, "FAM-PAGE-7")
    head = case.snapshot["members"][0]["iin"]
    family_sign_in(client, head, lang="en")
    page = client.get("/family/FAM-PAGE-7?lang=en").text
    early = client.post(
        "/family/FAM-PAGE-7/appeals",
        data={"review_id": case.review_id, "reason": "Nobody answered.", "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert early.status_code == 303
    assert "not past its deadline" in client.get("/family/FAM-PAGE-7?lang=en").text
    clock.now += dt.timedelta(days=14)
    family_sign_in(client, head, lang="en")
    page = client.get("/family/FAM-PAGE-7?lang=en").text
    assert "you can appeal against the delay" in page
    filed = client.post(
        "/family/FAM-PAGE-7/appeals",
        data={"review_id": case.review_id, "reason": "Nobody answered.", "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert filed.status_code == 303
    shown = client.get("/family/FAM-PAGE-7?lang=en").text
    assert "Against a delay" in shown and "Nobody answered." in shown


def test_an_unknown_iin_gets_the_same_answer_and_no_message(client: TestClient) -> None:
    page = client.get("/family/signin")
    unknown = iin.make(dt.date(1985, 1, 1), "male", 777)
    sent = client.post(
        "/family/signin", data={"iin": unknown, "csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    page = client.get("/family/signin")
    bad = client.post("/family/signin", data={"iin": "12345", "csrf_token": csrf_of(page.text)})
    assert sent.status_code == 303 and bad.status_code == 422
    with _db(client).connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tables.outbox)).scalar_one() == 0


def test_every_family_page_text_exists_in_three_languages_and_every_asked_key_exists() -> None:
    import string
    from pathlib import Path

    from service.family_page import texts

    for key, words in texts._T.items():
        assert len(words) == 3 and all(w.strip() for w in words), key
        names = {frozenset(n for _, n, _, _ in string.Formatter().parse(w) if n) for w in words}
        assert len(names) == 1, f"{key}: placeholders differ"
    templates = Path(texts.__file__).parent / "templates"
    asked = set()
    for path in templates.glob("*.html"):
        asked |= set(re.findall(r"\bt\('([a-z_]+)'", path.read_text(encoding="utf-8")))
    assert asked and not asked - set(texts._T)


def test_every_caseworker_read_of_the_family_is_audited_and_shown_but_not_the_auditors(client: TestClient) -> None:
    snapshot, _ = register(client, "FAM-PAGE-8")
    for path in ("", "/decisions", "/offers"):
        assert client.get(f"/v1/families/FAM-PAGE-8{path}", headers=bearer("reviewer")).status_code == 200
        assert client.get(f"/v1/families/FAM-PAGE-8{path}", headers=bearer("auditor")).status_code == 200
    seen = client.get("/v1/audit", params={"kind": "family.viewed"}, headers=bearer("auditor")).json()["entries"]
    assert [(e["actor"], e["data"]["via"]) for e in seen] == [("reviewer-ana", "api")] * 3
    family_sign_in(client, snapshot["members"][0]["iin"], lang="en")
    page = client.get("/family/FAM-PAGE-8?lang=en").text
    assert page.count("<td>reviewer-ana</td>") == 3 and "auditor-1" not in page
