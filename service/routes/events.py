"""Bus events: `POST /v1/events` applies one, `GET /v1/events/{event_id}` tells what became of it."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from service import dead_letter_view, degrade, intake
from service.deps import Auditor, Bus, BusOrAuditor, Ctx, Db
from service.direct import DirectRoute
from service.errors import ServiceError
from service.routes import ERRORS, NOT_FOUND
from service.schemas import DeadLetter, ErrorBody, EventAnswer, EventStatus
from service.store import events as event_store

router = APIRouter(tags=["events"], route_class=DirectRoute)

EVENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BusEvent"}}},
    }
}
EventId = Annotated[str, Path(min_length=1, max_length=128)]
EVENT_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    409: {"model": ErrorBody, "description": "The event id was already applied with different content "
          "(`event_id_conflict`; kept as a dead letter beside the original), or a consent to a closed offer"},
    422: {"model": ErrorBody, "description": "A malformed or implausible event (control characters, a time or "
          "date that cannot be, incoherent membership); `loc` names the field; kept as a dead letter"},
    503: {"model": ErrorBody, "description": "The database is unavailable (`database_unavailable`) or the worker is "
          "overloaded (`overloaded`); nothing was changed: retry after `Retry-After` seconds"},
}


@router.post("/v1/events", response_model=EventAnswer, openapi_extra=EVENT_BODY, responses=EVENT_ERRORS)
async def post_event(request: Request, ctx: Ctx, caller: Bus) -> Response:
    """Apply one bus event exactly once; a redelivery answers `duplicate` and changes nothing.

    The same `event_id` with different content is not a redelivery: 409 `event_id_conflict`.
    """
    raw = await request.body()
    # A connection PostgreSQL dropped mid-way rolled the event back: applied again once, on a new one.
    status_code, answer = degrade.once_more_on_disconnect(lambda: intake.receive(ctx, raw=raw, actor=caller.name))
    try:  # the same JSON as JSONResponse would write, several times faster
        return Response(orjson.dumps(answer), status_code=status_code, media_type="application/json")
    except TypeError:
        return JSONResponse(answer, status_code=status_code)


@router.get("/v1/events/{event_id}", response_model=EventStatus, responses={**ERRORS, **NOT_FOUND})
async def get_event(event_id: EventId, db: Db, caller: BusOrAuditor) -> EventStatus:
    """Whether an event was applied (and, for auditors, what it changed) or rejected (and why).

    The bus sees the status of its events only: what they decided (amounts, offers, reviews) is
    for auditors.
    """
    seen = event_store.get(db, event_id=event_id)
    letters = event_store.dead_letters(db, event_id=event_id)
    attempts = [
        {"dead_letter_id": d["id"], "received_at": d["received_at"], "status_code": d["status_code"],
         "reason": d["reason"]}
        for d in letters
    ]
    if seen is not None:
        return EventStatus.model_validate({
            "event_id": event_id, "status": "applied", "type": seen["type"], "family_id": seen["family_id"],
            "occurred_at": seen["occurred_at"], "received_at": seen["received_at"], "late": seen["late"],
            "effects": seen["effects"] if caller.role != "bus" else None, "attempts": attempts,
        })
    if letters:
        last = letters[-1]
        return EventStatus.model_validate({"event_id": event_id, "status": "rejected", "type": last["type"],
                                           "received_at": last["received_at"], "attempts": attempts})
    raise ServiceError(404, ["path", "event_id"], f"no event {event_id} was received", "not_found")


@router.get("/v1/dead-letters/{dead_letter_id}", response_model=DeadLetter, responses={**ERRORS, **NOT_FOUND})
async def get_dead_letter(
    dead_letter_id: Annotated[str, Path(min_length=1, max_length=40)], ctx: Ctx, caller: Auditor,
    unmask: Annotated[bool, Query(description="show IINs in full (audited)")] = False,
) -> DeadLetter:
    """A refused message as received, with its reason, for auditors; IINs masked unless `unmask=true`."""
    return DeadLetter.model_validate(
        dead_letter_view.show(ctx, letter_id=dead_letter_id, unmask=unmask, actor=caller.name))
