"""Liveness and Prometheus metrics: open to all, no token."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request, Response

from service.deps import Ctx
from service.schemas import Health

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
async def healthz(ctx: Ctx) -> Health:
    """The process is up; the rule set this worker serves and whether it is the current generation."""
    return Health.model_validate({"status": "ok", "ruleset_version": ctx.rules.version, "pid": os.getpid(),
                                  "rules": ctx.rules.status()})


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(ctx: Ctx) -> Response:
    """Prometheus metrics in the text exposition format."""
    return Response(ctx.metrics.render(), media_type=ctx.metrics.content_type)


echo_router = APIRouter(tags=["operations"])


@echo_router.post("/v1/echo", include_in_schema=False)
async def echo(request: Request) -> Response:
    """The JSON body as received (only with FAMILYCARD_BENCH_ECHO=1, for the HTTP benchmark)."""
    return Response(await request.body(), media_type="application/json")
