"""Liveness, readiness and Prometheus metrics: open to all, no token."""

from __future__ import annotations

import os
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response

from service import degrade
from service.deps import Ctx
from service.schemas import Health

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
async def healthz(ctx: Ctx) -> Health:
    """The process is up; the rule set this worker serves and whether it is the current generation."""
    return Health.model_validate({"status": "ok", "ruleset_version": ctx.rules.version, "pid": os.getpid(),
                                  "rules": ctx.rules.status()})


@router.get("/readyz", responses={200: {"description": "ready"}, 503: {"description": "not ready (see checks)"}})
async def readyz(ctx: Ctx, request: Request) -> Response:
    """Whether this worker should get traffic: database reachable, rule set consistent, backlog bounded.

    200 when every check passes; 503 with Retry-After and the failing checks otherwise. Liveness
    (`/healthz`) stays 200 while the process runs: restart on that one, route traffic on this one.
    """
    found = degrade.readiness(ctx, getattr(request.app.state, "load", None))
    body: dict[str, Any] = {"status": "ready" if found.ready else "not_ready", "checks": found.checks}
    headers = None if found.ready else {"Retry-After": str(ctx.settings.retry_after_s)}
    return Response(orjson.dumps(body), status_code=200 if found.ready else 503, media_type="application/json",
                    headers=headers)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(ctx: Ctx) -> Response:
    """Prometheus metrics in the text exposition format."""
    return Response(ctx.metrics.render(), media_type=ctx.metrics.content_type)


echo_router = APIRouter(tags=["operations"])


@echo_router.post("/v1/echo", include_in_schema=False)
async def echo(request: Request) -> Response:
    """The JSON body as received (only with FAMILYCARD_BENCH_ECHO=1, for the HTTP benchmark)."""
    return Response(await request.body(), media_type="application/json")
