"""The human-review queue and its cases; resolutions carry the reviewer's identity and reason."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from service import record
from service import reviews as review_cases
from service.deps import Ctx, Db, Reviewer
from service.errors import ServiceError
from service.routes import CONFLICT, ERRORS, NOT_FOUND
from service.schemas import Resolution, ResolutionAnswer, ReviewCase, ReviewQueue, ReviewSummary
from service.store import families, reviews

router = APIRouter(tags=["reviews"])
ReviewId = Annotated[str, Path(min_length=1, max_length=40)]


def _summary(review: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    age = (now - dt.datetime.fromisoformat(review["created_at"])).total_seconds()
    previous = review["previous"] or {}
    holding = previous.get("holding") or {}
    return {
        **{k: review[k] for k in ("review_id", "family_id", "region", "benefit", "kind", "status", "reasons",
                                  "created_at", "resolved_at", "reviewer")},
        "age_seconds": round(age, 3), "age_days": round(age / 86400, 3),
        "previous_amount_kzt": holding.get("amount_kzt"), "proposed_amount_kzt": review["proposed"]["amount_kzt"],
        "effective_from": review["proposed"].get("effective_from") or review["proposed"]["target"]["as_of"],
        "why": review["proposed"].get("why"),
    }


@router.get("/v1/reviews", response_model=ReviewQueue, responses=ERRORS)
async def list_reviews(
    ctx: Ctx, db: Db, _caller: Reviewer,
    status: Literal["pending", "approved", "rejected", "superseded", "all"] = "pending",
    benefit: Annotated[str | None, Query(max_length=64)] = None,
    region: Annotated[str | None, Query(max_length=8)] = None,
    reason: Annotated[str | None, Query(max_length=100)] = None,
    kind: Literal["grant", "increase", "reduction", "termination"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ReviewQueue:
    """The review queue, oldest first, with each case's age; filter by benefit, region, reason, kind."""
    found = reviews.search(db, status=None if status == "all" else status, benefit=benefit, region=region,
                           kind=kind, reason=reason, limit=limit, offset=offset)
    now = ctx.clock()
    items = [ReviewSummary.model_validate(_summary(r, now)) for r in found]
    return ReviewQueue(count=len(items), reviews=items)


@router.get("/v1/reviews/{review_id}", response_model=ReviewCase, responses={**ERRORS, **NOT_FOUND})
async def get_review(review_id: ReviewId, ctx: Ctx, db: Db, _caller: Reviewer) -> ReviewCase:
    """One case: previous and proposed decision with explanations, and the family's indicators."""
    review = reviews.get(db, review_id=review_id)
    if review is None:
        raise ServiceError(404, ["path", "review_id"], f"no review {review_id}", "not_found")
    family = families.get(db, family_id=review["family_id"])
    return ReviewCase.model_validate({
        **_summary(review, ctx.clock()),
        "previous": review["previous"], "proposed": review["proposed"], "resolution": review["resolution"],
        "resolution_reason": review["resolution_reason"], "event_id": review["event_id"],
        "indicators": record.indicators_view(family["indicators"]) if family else {},
    })


@router.post("/v1/reviews/{review_id}/resolution", response_model=ResolutionAnswer,
             responses={**ERRORS, **NOT_FOUND, **CONFLICT})
async def resolve(review_id: ReviewId, body: Resolution, ctx: Ctx, caller: Reviewer) -> ResolutionAnswer:
    """Approve (carry out) or reject (keep the current entitlement) a pending case, with a reason."""
    answer = review_cases.resolve(ctx, review_id=review_id, resolution=body.resolution, reason=body.reason,
                                  reviewer=caller.name)
    return ResolutionAnswer.model_validate(answer)
