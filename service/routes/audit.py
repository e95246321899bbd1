"""The append-only audit log, for auditors: pages in chain order, and a verification of the chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service import audit, audit_checkpoint, audit_cli
from service.deps import Auditor, Ctx, Db
from service.routes import ERRORS
from service.schemas import AuditCheck, AuditPage

router = APIRouter(tags=["audit"])


@router.get("/v1/audit", response_model=AuditPage, responses=ERRORS)
async def get_audit(
    db: Db, _caller: Auditor,
    after: Annotated[int, Query(ge=0, le=2**62, description="entries after this sequence number")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    family_id: Annotated[str | None, Query(max_length=64)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
) -> AuditPage:
    """Audit entries in chain order, each with its hash and the previous entry's hash."""
    entries = audit.entries(db, after=after, limit=limit, family_id=family_id, kind=kind)
    return AuditPage.model_validate(
        {"entries": entries, "next_after": entries[-1]["seq"] if len(entries) == limit else None})


@router.get("/v1/audit/verify", response_model=AuditCheck, responses=ERRORS)
async def verify_audit(db: Db, ctx: Ctx, _caller: Auditor) -> AuditCheck:
    """Recompute the hash chain and compare it with the keyed checkpoints (as `familycard audit verify`)."""
    report = audit_checkpoint.verify(db, audit_cli.checkpoint_file(ctx.settings))
    result = report.chain
    return AuditCheck(ok=report.ok, checked=result.checked, broken_seq=result.broken_seq,
                      problem=result.problem or (report.problems[0] if report.problems else None),
                      checkpoint_problems=report.problems,
                      checkpoint_seq=report.latest.seq if report.latest else None)
