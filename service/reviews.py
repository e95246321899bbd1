"""Human review: the primacy of human decision over changes that are adverse to a family.

A review holds the previous decision (and what the family holds under it) and the proposed one,
with both explanations. Nothing changes for the family while it is pending. `approve` carries the
proposal out (ends or reduces the entitlement, or makes the offer a flagged decision held back);
`reject` keeps what the family has. Either way the reviewer's identity (the token's name) and
written reason are stored and audited, and a resolved review cannot be resolved again.

A newer event can make a pending proposal moot (the family is eligible again, or a different
change is now proposed): the old review is then closed as `superseded`, which changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, replace
from typing import Any

import sqlalchemy as sa

from service import audit, clock, holdings
from service.context import AppContext
from service.domain import policy
from service.errors import ServiceError
from service.store import entitlements, families, offers, reviews, uow

PENDING = "pending"


def open_review(
    conn: sa.Connection, *, region: str, kind: str, reasons: list[str], target: holdings.Target,
    decision: dict[str, Any], previous: dict[str, Any] | None, previous_decision_id: int | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """Open a review of a proposed change; audited. The effect."""
    review_id = clock.new_id("rv")
    proposed = {
        "decision": decision, "decision_id": target.decision_id, "amount_kzt": target.amount_kzt,
        "fingerprint": target.fingerprint, "target": {**asdict(target), "as_of": target.as_of.isoformat(),
                                                     "name": target.name.model_dump(),
                                                     "why": target.why.model_dump() if target.why else None},
        # The day the change takes effect if approved: the day the right changed, not the day it was found.
        "effective_from": target.as_of.isoformat(),
        "why": target.why.model_dump() if target.why else None,
    }
    reviews.add(
        conn,
        review={
            "review_id": review_id, "family_id": target.family_id, "region": region, "benefit": target.benefit,
            "kind": kind, "status": PENDING, "reasons": reasons, "previous": previous, "proposed": proposed,
            "previous_decision_id": previous_decision_id, "proposed_decision_id": target.decision_id,
            "event_id": target.event_id, "created_at": clock.iso(now), "resolved_at": None, "reviewer": None,
            "resolution": None, "resolution_reason": None,
        },
    )
    audit.append(
        conn, kind="review.opened", actor=target.actor, at=clock.iso(now), family_id=target.family_id,
        subject=review_id,
        data={"benefit": target.benefit, "kind": kind, "reasons": reasons, "proposed_decision_id": target.decision_id,
              "previous_decision_id": previous_decision_id, "amount_kzt": target.amount_kzt},
    )
    return {"review_id": review_id, "benefit": target.benefit, "kind": kind, "reasons": reasons}


def matches(review: dict[str, Any], *, kind: str, fingerprint: str, amount_kzt: int) -> bool:
    """Whether a review already proposes exactly this change."""
    proposed = review["proposed"]
    return bool(
        review["kind"] == kind and proposed["fingerprint"] == fingerprint and proposed["amount_kzt"] == amount_kzt
    )


def supersede(conn: sa.Connection, *, review: dict[str, Any], now: dt.datetime, why: str) -> dict[str, Any]:
    """Close a pending review whose proposal no longer stands; nothing changes for the family."""
    reviews.update(conn, review_id=review["review_id"],
                   values={"status": "superseded", "resolved_at": clock.iso(now), "resolution_reason": why})
    audit.append(conn, kind="review.superseded", actor="engine", at=clock.iso(now), family_id=review["family_id"],
                 subject=review["review_id"], data={"benefit": review["benefit"], "why": why})
    return {"review_id": review["review_id"], "benefit": review["benefit"], "kind": review["kind"], "why": why}


def _target(review: dict[str, Any]) -> holdings.Target:
    from engine.decision import Texts

    t = dict(review["proposed"]["target"])
    t["as_of"] = dt.date.fromisoformat(t["as_of"])
    t["name"] = Texts(**t["name"])
    t["why"] = Texts(**t["why"]) if t.get("why") else None
    return holdings.Target(**t)


def resolve(ctx: AppContext, *, review_id: str, resolution: str, reason: str, reviewer: str) -> dict[str, Any]:
    """Carry out (approve) or decline (reject) a pending review, in one transaction."""
    with uow.UnitOfWork(ctx.db, write=True) as work:
        conn = work.conn
        review = reviews.get(conn, review_id=review_id)
        if review is None:
            raise ServiceError(404, ("path", "review_id"), f"no review {review_id}", "not_found")
        if review["status"] != PENDING:
            raise ServiceError(
                409, ("path", "review_id"),
                f"review {review_id} is already {review['status']} ({review['resolved_at']}); it cannot be resolved "
                "again", "review_resolved")
        now = ctx.clock()
        effect: dict[str, Any] | None = None
        if resolution == "approve":
            effect = _carry_out(ctx, conn, review, now, reviewer)
        status = "approved" if resolution == "approve" else "rejected"
        reviews.update(
            conn, review_id=review_id,
            values={"status": status, "resolved_at": clock.iso(now), "reviewer": reviewer,
                    "resolution": resolution, "resolution_reason": reason},
        )
        families.touch(conn, family_id=review["family_id"])
        audit.append(
            conn, kind="review.resolved", actor=reviewer, at=clock.iso(now), family_id=review["family_id"],
            subject=review_id,
            data={"resolution": resolution, "reason": reason, "benefit": review["benefit"], "kind": review["kind"],
                  "effect": effect},
        )
        work.commit()
    ctx.metrics.reviews.labels(review["kind"], status).inc()
    return {"review_id": review_id, "status": status, "resolution": resolution, "reviewer": reviewer,
            "resolved_at": clock.iso(now), "effect": effect}


def _carry_out(
    ctx: AppContext, conn: sa.Connection, review: dict[str, Any], now: dt.datetime, reviewer: str
) -> dict[str, Any]:
    """What approving does, as `policy.on_approval` says, carried out from the proposal's own date."""
    target = replace(_target(review), actor=reviewer)
    held = holdings.index(
        family_entitlements=entitlements.for_family(conn, family_id=review["family_id"]),
        family_offers=offers.for_family(conn, family_id=review["family_id"]),
        now=now,
    ).get(review["benefit"])
    expiry = ctx.settings.offer_expiry_days
    step = policy.on_approval(review["kind"], target.period,
                              policy.Held(held.kind, held.amount_kzt) if held is not None else None)
    if isinstance(step, policy.NothingToDo):
        return {"note": step.note}
    if isinstance(step, policy.MakeOffer):
        return {"offer_created": holdings.offer(conn, target=target, now=now, expiry_days=expiry)}
    assert held is not None
    if isinstance(step, policy.EndHolding):
        return {"entitlement_changed": holdings.end(conn, holding=held, target=target, now=now, actor=reviewer)}
    return {"entitlement_changed": holdings.change_amount(
        conn, holding=held, target=target, now=now, expiry_days=expiry, actor=reviewer, change=step.change)}
