"""`POST /v1/eligibility`: evaluate a snapshot with the active rules; nothing is stored."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response

from engine import model
from engine.decision import EligibilityResponse
from engine.errors import EvaluationError
from service.deps import BusOrAnalyst, Ctx
from service.direct import DirectRoute
from service.errors import ServiceError
from service.routes import ERRORS
from service.store import uow

router = APIRouter(tags=["eligibility"], route_class=DirectRoute)

RULES_SYNC_SECONDS = 1.0  # how stale this worker's view of a reload by another worker may be, for reads


@router.post("/v1/eligibility", response_model=EligibilityResponse, responses=ERRORS)
async def eligibility(
    family: model.Family, ctx: Ctx, _caller: BusOrAnalyst,
    as_of: Annotated[dt.date | None, Query(description="evaluation date (default: today)")] = None,
) -> Response:
    """One decision per benefit, with explanations, for a family snapshot as of a date."""
    if ctx.rules.due(RULES_SYNC_SECONDS):
        with uow.UnitOfWork(ctx.db, write=False) as work:
            ctx.rules.sync(work.conn, throttle_seconds=RULES_SYNC_SECONDS)
    day = as_of or ctx.clock().date()
    started = ctx.metrics.evaluate.time()
    try:
        with started:
            body = ctx.rules.engine.evaluate_json(family, day)
    except EvaluationError as exc:
        raise ServiceError(422, ["body", *str(exc.field).split(".")], exc.message, "evaluation_error") from exc
    # The engine hands the `EligibilityResponse` over as JSON bytes, built once from plain data:
    # no model objects, no second validation against `response_model` (the schema documents it).
    return Response(body, media_type="application/json")
