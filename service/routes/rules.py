"""The active rule set, and reloading edited rule files without a restart."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from engine.errors import RuleErrors
from service import rule_removal
from service.deps import Analyst, Ctx
from service.errors import ServiceError
from service.routes import ERRORS, NOT_FOUND
from service.ruleset import Rules
from service.schemas import ReloadAnswer, RolloutStatus, RulesInfo
from service.store import uow

router = APIRouter(tags=["rules"])


def _benefits(rules: Rules) -> list[dict[str, Any]]:
    return [
        {
            "id": b.id,
            "name": b.name.model_dump(),
            "legal_basis": b.legal_basis,
            "period": b.period,
            "proactive": b.proactive,
        }
        for b in rules.engine.benefits()
    ]


@router.get("/v1/rules", response_model=RulesInfo, responses=ERRORS)
async def get_rules(ctx: Ctx, _caller: Analyst) -> RulesInfo:
    """The active rule-set version and its benefits."""
    with uow.UnitOfWork(ctx.db, write=False) as work:
        ctx.rules.sync(work.conn)
    return RulesInfo.model_validate(
        {"version": ctx.rules.version, "generation": ctx.rules.generation, "benefits": _benefits(ctx.rules)}
    )


@router.post("/v1/rules/reload", response_model=ReloadAnswer, responses=ERRORS)
async def reload_rules(
    ctx: Ctx,
    caller: Analyst,
    allow_removal: Annotated[
        bool, Query(description="accept removing benefits that families hold; each holder then goes to review")
    ] = False,
) -> ReloadAnswer:
    """Validate the rule files and swap them in on every worker; on any error the old rules keep serving.

    A reload that removes a benefit some family holds (an active entitlement or an open offer) is
    refused with 409 unless `allow_removal=true`; then a termination review opens for each holder.
    """
    now = ctx.clock()
    with uow.UnitOfWork(ctx.db, write=True) as work:
        try:
            prepared, removed = ctx.rules.prepare(work.conn, actor=caller.name, now=now)
        except RuleErrors as exc:
            errors = [e.as_dict() for e in exc.errors]
            ctx.rules.record_rejected_reload(work.conn, actor=caller.name, now=now, errors=errors)
            work.commit()
            raise ServiceError(
                422,
                ["rules"],
                f"{len(errors)} error(s) in the rule files; the old rules ({ctx.rules.version}) keep serving",
                "rule_errors",
                extra={"errors": errors},
                items=[
                    {"loc": ["rules", e["path"], e["line"], e["column"]], "msg": e["text"], "type": e["code"]}
                    for e in errors
                ],
            ) from exc
        holders = rule_removal.holders(work.conn, benefits=removed, now=now)
        if holders and not allow_removal:
            counts = {b: sum(1 for h in holders if h.benefit == b) for b in removed}
            held = ", ".join(f"{b} ({n} famil{'y' if n == 1 else 'ies'})" for b, n in counts.items() if n)
            ctx.rules.record_rejected_reload(
                work.conn, actor=caller.name, now=now, errors=[], why=f"removes held benefits: {held}"
            )
            work.commit()
            raise ServiceError(
                409,
                ["query", "allow_removal"],
                f"the new rules remove benefits that families hold: {held}; the old rules ({ctx.rules.version}) "
                "keep serving. Reload with allow_removal=true to send every holder to review",
                "removes_held_benefit",
                extra={"removed_benefits": removed, "holders": len(holders)},
            )
        names = {b.id: b.name for b in ctx.rules.engine.benefits()}
        committed = ctx.rules.commit(
            work.conn,
            prepared,
            actor=caller.name,
            now=now,
            removed=removed,
            data={"reviews_opened": len(holders)} if holders else None,
        )
        opened = rule_removal.open_reviews(
            work.conn, found=holders, names=names, version=committed.version, generation=committed.generation, now=now
        )
        work.commit()
    ctx.rules.adopt(committed)
    return ReloadAnswer.model_validate(
        {
            "status": "reloaded" if committed.previous_version != committed.version else "unchanged",
            "previous_version": committed.previous_version,
            "version": committed.version,
            "generation": committed.generation,
            "benefits": _benefits(ctx.rules),
            "removed_benefits": removed,
            "reviews_opened": [r["review_id"] for r in opened],
        }
    )


@router.get("/v1/rules/rollout", response_model=RolloutStatus, responses={**ERRORS, **NOT_FOUND})
async def get_rollout(ctx: Ctx, _caller: Analyst) -> RolloutStatus:
    """The latest roll-out of a rule set to the stored families: checked, changed, applied, reviews opened."""
    from service import rollout

    found = rollout.latest(ctx.db)
    if found is None:
        raise ServiceError(404, ["path"], "no roll-out yet", "not_found")
    return RolloutStatus.model_validate(found)
