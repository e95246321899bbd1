"""The family page's storage on SQLite and PostgreSQL: a member's family found by IIN, codes, appeals.

The sign-in looks the IIN up in the families' JSON snapshots (cast to text, then confirmed on the
parsed members), so both databases must find the family and never a wrong one; codes are spent
once; an appeal becomes a pending review of kind `appeal` that the review queue lists.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service.family_page import appeals, signin
from service.family_page.settings import FamilyPageSettings
from service.store import citizens, reviews, tables, uow
from tests.service import builders as b
from tests.service.conftest import auth

SECRET = "family-store-test-secret-0123456789abcdef"


def test_a_member_is_found_signs_in_once_and_appeals_on_both_databases(any_client: Any) -> None:
    ctx = any_client.app.state.ctx
    snapshot = b.make_family("FAM-STORE-1", children=4, first_child_born="2010-03-10")
    other = b.make_family("FAM-STORE-2", children=1)
    for s in (snapshot, other):
        answer = any_client.post("/v1/events", json=b.event("family.registered", s), headers=auth("bus"))
        assert answer.status_code == 200, answer.text
    spouse = snapshot["members"][1]["iin"]
    with uow.UnitOfWork(ctx.db, write=False) as work:
        found = citizens.family_of(work.conn, iin=spouse)
        assert found is not None and found["family_id"] == "FAM-STORE-1"
        assert citizens.family_of(work.conn, iin=spouse[:-1] + str((int(spouse[-1]) + 1) % 10)) is None
    settings = FamilyPageSettings()
    sent = signin.request_code(ctx, iin=spouse, secret=SECRET, settings=settings, print_codes=False)
    assert sent.code_id is not None
    with ctx.db.connect() as conn:
        text = conn.execute(
            sa.select(tables.outbox.c.text_ru).where(tables.outbox.c.recipient_iin == spouse)
        ).scalar_one()
        stored = conn.execute(sa.select(tables.citizen_codes)).mappings().one()
    code = text.split("семьи ")[1][:6]
    assert code not in str(dict(stored)) and spouse not in str(dict(stored))  # only digests are kept
    checked = signin.check_code(ctx, code_id=sent.code_id, code=code, secret=SECRET, settings=settings)
    assert (checked.family_id, checked.member) == ("FAM-STORE-1", "********" + spouse[-4:])
    again = signin.check_code(ctx, code_id=sent.code_id, code=code, secret=SECRET, settings=settings)
    assert again.refused == "code_used"
    history = any_client.get("/v1/families/FAM-STORE-1/decisions", headers=auth("reviewer")).json()
    decision_id = history["decisions"][0]["decision_id"]
    filed = appeals.file(
        ctx,
        family_id="FAM-STORE-1",
        member=str(checked.member),
        reason="  We disagree.  ",
        decision_id=int(decision_id),
        review_id=None,
        appeal_days=10,
        review_days=5,
    )
    with uow.UnitOfWork(ctx.db, write=False) as work:
        case = reviews.get(work.conn, review_id=filed["review_id"])
    assert case is not None and (case["kind"], case["status"]) == ("appeal", "pending")
    assert case["proposed"]["appeal"]["text"] == "We disagree."
    queue = any_client.get("/v1/reviews", headers=auth("reviewer")).json()
    assert filed["review_id"] in str(queue)
