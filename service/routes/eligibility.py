"""`POST /v1/eligibility`: evaluate a snapshot with the active rules; nothing is stored."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from engine import model
from engine.decision import EligibilityResponse
from engine.errors import EvaluationError
from service.deps import BusOrAnalyst, Ctx
from service.errors import ServiceError
from service.routes import ERRORS
from service.store import uow

router = APIRouter(tags=["eligibility"])


@router.post("/v1/eligibility", response_model=EligibilityResponse, responses=ERRORS)
async def eligibility(
    family: model.Family, ctx: Ctx, _caller: BusOrAnalyst,
    as_of: Annotated[dt.date | None, Query(description="evaluation date (default: today)")] = None,
) -> EligibilityResponse:
    """One decision per benefit, with explanations, for a family snapshot as of a date."""
    with uow.UnitOfWork(ctx.db, write=False) as work:
        ctx.rules.sync(work.conn, throttle_seconds=1.0)
    day = as_of or ctx.clock().date()
    started = ctx.metrics.evaluate.time()
    try:
        with started:
            return ctx.rules.engine.evaluate(family, day)
    except EvaluationError as exc:
        raise ServiceError(422, ["body", *str(exc.field).split(".")], exc.message, "evaluation_error") from exc
