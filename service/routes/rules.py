"""The active rule set, and reloading edited rule files without a restart."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from engine.errors import RuleErrors
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
async def reload_rules(ctx: Ctx, caller: Analyst) -> ReloadAnswer:
    """Validate the rule files and swap them in at once; on any error the old rules keep serving."""
    now = ctx.clock()
    with uow.UnitOfWork(ctx.db, write=True) as work:
        try:
            old, new = ctx.rules.reload(work.conn, actor=caller.name, now=now)
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
        work.commit()
    return ReloadAnswer.model_validate(
        {
            "status": "reloaded" if old != new else "unchanged",
            "previous_version": old,
            "version": new,
            "generation": ctx.rules.generation,
            "benefits": _benefits(ctx.rules),
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
