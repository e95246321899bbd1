"""A family's record, decision history and offers, for reviewers and auditors."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from service import offers, record
from service.calendar import today
from service.deps import CaseReader, Ctx, Db
from service.domain import payments
from service.errors import ServiceError
from service.routes import ERRORS, NOT_FOUND
from service.schemas import DecisionHistory, FamilyRecord, OfferList, Payments
from service.store import decisions, entitlements, families, reviews
from service.store import offers as offer_store

router = APIRouter(tags=["families"])
FamilyId = Annotated[str, Path(min_length=1, max_length=64)]


def _family(db: Any, family_id: str) -> dict[str, Any]:
    found = families.get(db, family_id=family_id)
    if found is None:
        raise ServiceError(404, ["path", "family_id"], f"no family {family_id}", "not_found")
    return found


@router.get("/v1/families/{family_id}", response_model=FamilyRecord, responses={**ERRORS, **NOT_FOUND})
async def get_family(family_id: FamilyId, ctx: Ctx, db: Db, _caller: CaseReader) -> FamilyRecord:
    """The current record, indicators with their source event, entitlements, open offers, pending reviews."""
    row = _family(db, family_id)
    now = ctx.clock()
    open_offers = []
    for offer in offer_store.for_family(db, family_id=family_id):
        if offers.effective_status(offer, now) == offers.OPEN:
            open_offers.append(offer)
    pending = [
        {k: r[k] for k in ("review_id", "benefit", "kind", "reasons", "created_at")}
        for r in reviews.for_family(db, family_id=family_id)
        if r["status"] == "pending"
    ]
    return FamilyRecord.model_validate(
        {
            **{
                k: row[k]
                for k in (
                    "family_id",
                    "region",
                    "snapshot",
                    "facts",
                    "last_occurred_at",
                    "last_event_id",
                    "created_at",
                    "updated_at",
                )
            },
            "indicators": record.indicators_view(row["indicators"]),
            "entitlements": _entitlement_views(db, family_id, today(ctx)),
            "next_change_on": None if row.get("next_change_on") in (None, "9999-12-31") else row["next_change_on"],
            "open_offers": open_offers,
            "pending_reviews": pending,
        }
    )


def _entitlements(db: Any, family_id: str) -> list[tuple[dict[str, Any], payments.Entitlement]]:
    """The family's entitlements with their amount history (an older one without: one period)."""
    history: dict[str, list[payments.AmountPeriod]] = {}
    for a in entitlements.amounts(db, family_id=family_id):
        history.setdefault(a["entitlement_id"], []).append(
            payments.AmountPeriod(
                dt.date.fromisoformat(a["from_date"]),
                dt.date.fromisoformat(a["to_date"]) if a["to_date"] else None,
                int(a["amount_kzt"]),
                int(a["decision_id"]),
            )
        )
    out = []
    for e in entitlements.for_family(db, family_id=family_id):
        start = dt.date.fromisoformat(e["active_from"])
        ended = dt.date.fromisoformat(e["ended_on"]) if e["ended_on"] else None
        periods = history.get(e["id"]) or [
            payments.AmountPeriod(
                start, ended - dt.timedelta(days=1) if ended else None, int(e["amount_kzt"]), int(e["decision_id"])
            )
        ]
        out.append((e, payments.Entitlement(e["benefit"], e["period"], e["status"], start, ended, tuple(periods))))
    return out


def _entitlement_views(db: Any, family_id: str, day: dt.date) -> list[dict[str, Any]]:
    views = []
    for row, ent in _entitlements(db, family_id):
        now = payments.in_force(ent, day) if ent.status == "active" or ent.ended_on else None
        views.append(
            {
                **row,
                "amount_in_force_kzt": now.amount_kzt if now else None,
                "amounts": [
                    {
                        "from": p.start.isoformat(),
                        "to": p.end.isoformat() if p.end else None,
                        "amount_kzt": p.amount_kzt,
                        "decision_id": p.decision_id,
                    }
                    for p in ent.amounts
                ],
            }
        )
    return views


@router.get("/v1/families/{family_id}/payments", response_model=Payments, responses={**ERRORS, **NOT_FOUND})
async def get_payments(
    family_id: FamilyId,
    db: Db,
    _caller: CaseReader,
    from_: Annotated[str, Query(alias="from", pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="first month, YYYY-MM")],
    to: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="last month, YYYY-MM")],
) -> Payments:
    """What is due to the family for each month and benefit (one-time payments in the month of their date)."""
    _family(db, family_id)
    first, last = payments.month_start(from_), payments.month_start(to)
    if last < first:
        raise ServiceError(422, ["query", "to"], f"'to' ({to}) is before 'from' ({from_})", "value_error")
    if (last.year - first.year) * 12 + last.month - first.month > 240:
        raise ServiceError(422, ["query", "to"], "at most 240 months at a time", "value_error")
    due = payments.months([e for _, e in _entitlements(db, family_id)], first, last)
    return Payments.model_validate(
        {
            "family_id": family_id,
            "months": [
                {"month": m.month, "benefit": m.benefit, "amount_kzt": m.amount_kzt, "decision_id": m.decision_id}
                for m in due
            ],
        }
    )


@router.get("/v1/families/{family_id}/decisions", response_model=DecisionHistory, responses={**ERRORS, **NOT_FOUND})
async def get_decisions(
    family_id: FamilyId,
    db: Db,
    _caller: CaseReader,
    benefit: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    before: Annotated[int | None, Query(ge=1, le=2**62, description="decision ids below this one (paging)")] = None,
) -> DecisionHistory:
    """Every decision the family was given, newest first, each with its explanation and rule-set version."""
    _family(db, family_id)
    found = decisions.history(db, family_id=family_id, benefit=benefit, limit=limit, before=before)
    return DecisionHistory.model_validate(
        {
            "family_id": family_id,
            "decisions": [
                {
                    "decision_id": d["id"],
                    "decision": d["body"],
                    **{
                        k: d[k]
                        for k in (
                            "benefit",
                            "eligible",
                            "status",
                            "amount_kzt",
                            "as_of",
                            "ruleset_version",
                            "event_id",
                            "change",
                            "created_at",
                        )
                    },
                }
                for d in found
            ],
        }
    )


@router.get("/v1/families/{family_id}/offers", response_model=OfferList, responses={**ERRORS, **NOT_FOUND})
async def get_offers(family_id: FamilyId, ctx: Ctx, db: Db, _caller: CaseReader) -> OfferList:
    """Every offer made to the family (with its status as of now) and every message sent."""
    _family(db, family_id)
    now = ctx.clock()
    found = [{**o, "status": offers.effective_status(o, now)} for o in offer_store.for_family(db, family_id=family_id)]
    return OfferList.model_validate(
        {"family_id": family_id, "offers": found, "messages": offer_store.messages(db, family_id=family_id)}
    )
