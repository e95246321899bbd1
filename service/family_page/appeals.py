"""Appeals (Law "On State Services": decisions, actions and inaction can be appealed).

An appeal is a case in the caseworkers' queue: a review of kind `appeal` with its own deadline
(`appeal_working_days`), holding the decision appealed (as `proposed.decision`, so the console
shows it as it shows any case) and the citizen's written reason. A family may appeal any decision
about it, or inaction: a case that has waited past its deadline. The caseworker answers with the
console's usual resolution (approve: upheld; reject: dismissed) and a written reason, which the
family's page shows. Filing is audited with the member's masked IIN as the actor.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from engine import plain
from service import audit, clock
from service.context import AppContext
from service.errors import ServiceError
from service.store import decisions, families, reviews, uow

KIND = "appeal"
MAX_REASON = 4000


def deadline(created_at: str, working_days: int) -> dt.date:
    """The day by which a case opened at `created_at` must be decided."""
    return plain.add_working_days(dt.datetime.fromisoformat(created_at).date(), working_days)


def overdue(review: dict[str, Any], now: dt.datetime, working_days: int) -> bool:
    """Whether a pending case has waited past its deadline: inaction, which the family may appeal."""
    return review["status"] == "pending" and now.date() > deadline(review["created_at"], working_days)


def file(
    ctx: AppContext,
    *,
    family_id: str,
    member: str,
    reason: str,
    decision_id: int | None,
    review_id: str | None,
    appeal_days: int,
    review_days: int,
) -> dict[str, Any]:
    """Open an appeal against a decision about this family, or against a case left past its deadline."""
    text = " ".join(reason.split())
    if not text:
        raise ServiceError(422, ("body", "reason"), "write why you appeal", "reason_required")
    if len(text) > MAX_REASON:
        raise ServiceError(422, ("body", "reason"), f"at most {MAX_REASON} characters", "reason_too_long")
    now = ctx.clock()
    with uow.UnitOfWork(ctx.db, write=True) as work:
        conn = work.conn
        record = families.get(conn, family_id=family_id)
        if record is None:
            raise ServiceError(404, ("path", "family_id"), f"no family {family_id}", "not_found")
        against = "decision"
        waited: dict[str, Any] | None = None
        if review_id is not None:
            waited = reviews.get(conn, review_id=review_id)
            if waited is None or waited["family_id"] != family_id:
                raise ServiceError(404, ("body", "review_id"), f"no case {review_id} of this family", "not_found")
            if not overdue(waited, now, review_days):
                raise ServiceError(409, ("body", "review_id"), "the case is not past its deadline yet", "not_overdue")
            against = "inaction"
            decision_id = int(waited["proposed_decision_id"])
        if decision_id is None:
            raise ServiceError(422, ("body", "decision_id"), "name the decision appealed", "decision_required")
        decided = decisions.get(conn, decision_id=decision_id)
        if decided is None or decided["family_id"] != family_id:
            raise ServiceError(404, ("body", "decision_id"), f"no decision {decision_id} of this family", "not_found")
        appeal_id = clock.new_id("rv")
        due = plain.add_working_days(now.date(), appeal_days)
        reviews.add(
            conn,
            review={
                "review_id": appeal_id,
                "family_id": family_id,
                "region": record["region"],
                "benefit": decided["benefit"],
                "kind": KIND,
                "status": "pending",
                "reasons": [f"appeal_{against}"],
                "previous": None,
                "proposed": {
                    "decision": decided["body"],
                    "decision_id": decision_id,
                    "amount_kzt": decided["amount_kzt"],
                    "appeal": {
                        "against": against,
                        "text": text,
                        "member": member,
                        "due": due.isoformat(),
                        "review_id": review_id,
                        "decision_id": decision_id,
                    },
                },
                "previous_decision_id": None,
                "proposed_decision_id": decision_id,
                "event_id": f"appeal:{appeal_id}",
                "created_at": clock.iso(now),
                "resolved_at": None,
                "reviewer": None,
                "resolution": None,
                "resolution_reason": None,
            },
        )
        audit.append(
            conn,
            kind="appeal.filed",
            actor=f"citizen:{member}",
            at=clock.iso(now),
            family_id=family_id,
            subject=appeal_id,
            data={
                "against": against,
                "decision_id": decision_id,
                "review_id": review_id,
                "benefit": decided["benefit"],
                "due": due.isoformat(),
            },
        )
        work.commit()
    return {"review_id": appeal_id, "against": against, "due": due.isoformat(), "benefit": decided["benefit"]}
