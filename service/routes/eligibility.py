"""`POST /v1/eligibility` and `POST /v1/eligibility/batch`: evaluate snapshots with the active rules; nothing is stored.

The answer is shaped for its caller. By default every decision (eligible, status, amount, period,
review flag and reasons, legal basis) with its name and summary in one language, chosen by
`?lang=` or `Accept-Language` (Kazakh when neither says); `?lang=all` gives kk, ru and en. The
trace, the answer as it was before this shape existed (conditions with their values, parameters
with their dates, the arithmetic, summaries in all three languages), comes with `?explain=full`.
Both are the same evaluation: the default is the trace without its reasons.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from engine import model
from engine.decision import EligibilityAnswer, EligibilityResponse, Lang
from engine.errors import EvaluationError
from service import batch, languages
from service.context import AppContext
from service.deps import BusOrAnalyst, Ctx
from service.direct import DirectRoute
from service.errors import ServiceError
from service.routes import ERRORS
from service.schemas import ErrorBody
from service.store import uow

router = APIRouter(tags=["eligibility"], route_class=DirectRoute)

BATCH_PATH = "/v1/eligibility/batch"
RULES_SYNC_SECONDS = 1.0  # how stale this worker's view of a reload by another worker may be, for reads

Explain = Literal["none", "full"]
AsOf = Annotated[dt.date | None, Query(description="evaluation date (default: today)")]
LangQuery = Annotated[Lang | None, Query(
    description="the language of names and summaries: kk, ru or en, or all three with `all` "
                "(default: the best of kk, ru, en by Accept-Language, else kk); the trace has all three")]
ExplainQuery = Annotated[Explain, Query(
    description="`full`: the trace (`EligibilityResponse`, conditions with values, parameters with dates, the "
                "arithmetic, summaries in kk, ru and en) instead of the default answer (`EligibilityAnswer`)")]
ACCEPT_LANGUAGE: dict[str, Any] = {
    "name": "Accept-Language", "in": "header", "required": False, "schema": {"type": "string"},
    "description": "the reader's languages (e.g. `ru-RU,ru;q=0.9,en;q=0.8`); `?lang=` wins over it",
}
ANSWER_HEADERS: dict[str, Any] = {
    "Content-Language": {"description": "the language of the texts (`kk, ru, en` for `lang=all`)",
                         "schema": {"type": "string"}},
}


@router.post(
    "/v1/eligibility",
    response_model=EligibilityAnswer | EligibilityResponse,
    responses={**ERRORS, 200: {"description": "`EligibilityAnswer` by default, `EligibilityResponse` with "
                                              "`explain=full`", "headers": ANSWER_HEADERS}},
    openapi_extra={"parameters": [ACCEPT_LANGUAGE]},
)
async def eligibility(
    family: model.Family, ctx: Ctx, _caller: BusOrAnalyst, request: Request,
    as_of: AsOf = None, lang: LangQuery = None, explain: ExplainQuery = "none",
) -> Response:
    """One decision per benefit for a family snapshot as of a date: by default without the trace, in one language."""
    _sync_rules(ctx)
    day = as_of or ctx.clock().date()
    chosen = languages.choose(lang, request.headers.get("accept-language"))
    try:
        with ctx.metrics.evaluate.time():
            body = _evaluator(ctx, day, chosen, explain)(family)
    except EvaluationError as exc:
        raise ServiceError(422, ["body", *str(exc.field).split(".")], exc.message, "evaluation_error") from exc
    # The engine hands the answer over as JSON bytes, built once from plain data: no model objects,
    # no second validation against `response_model` (the schema documents it).
    return Response(body, media_type="application/json", headers=_headers(chosen, explain))


BATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "Family snapshots: a JSON array, or NDJSON (one snapshot per line, read as it arrives). "
                       "At most FAMILYCARD_BATCH_MAX_FAMILIES (1000) families, and FAMILYCARD_BATCH_MAX_BODY_BYTES.",
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Family"}}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    },
}
BATCH_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "NDJSON, one line per family in the order sent: its answer (`EligibilityAnswer`, or "
                       "`EligibilityResponse` with `explain=full`) or its error, `{index, family_id, status, detail, "
                       "line}` (`line`: NDJSON only), `detail` in the one error shape with `loc` from "
                       "`[\"body\", index]`. A family past the limits of an NDJSON body ends the stream with an error "
                       "line (status 413).",
        "content": {batch.MEDIA_TYPE: {"schema": {"type": "string"}}},
        "headers": ANSWER_HEADERS,
    },
    413: {"model": ErrorBody, "description": "The body is larger than FAMILYCARD_BATCH_MAX_BODY_BYTES, or a JSON array "
                                             "holds more than FAMILYCARD_BATCH_MAX_FAMILIES families"},
    415: {"model": ErrorBody, "description": "Neither JSON nor NDJSON by its Content-Type"},
}


@router.post(
    BATCH_PATH,
    response_class=batch.NdjsonStream,
    responses={**ERRORS, **BATCH_ANSWER},
    openapi_extra={**BATCH_BODY, "parameters": [ACCEPT_LANGUAGE]},
)
async def eligibility_batch(
    request: Request, ctx: Ctx, _caller: BusOrAnalyst,
    as_of: AsOf = None, lang: LangQuery = None, explain: ExplainQuery = "none",
) -> Response:
    """Many families in one request, answered as NDJSON in order: each line an answer or that family's error."""
    kind = batch.body_format(request.headers.get("content-type"))
    if kind is None:
        raise ServiceError(415, ["header", "content-type"], "a batch is application/json (an array of snapshots) "
                           f"or {batch.MEDIA_TYPE} (one snapshot per line)", "unsupported_media_type")
    limit = ctx.settings.batch_max_families
    items: list[Any] = []
    if kind == "array":
        try:
            items = batch.array_items(await request.body())
        except ValueError as exc:
            raise ServiceError(422, ["body"], str(exc), "json_invalid") from exc
        if len(items) > limit:
            raise ServiceError(413, ["body"], f"a batch holds at most {limit} families; this one has {len(items)}",
                               "batch_too_large")
    _sync_rules(ctx)
    day = as_of or ctx.clock().date()
    chosen = languages.choose(lang, request.headers.get("accept-language"))
    evaluate = batch.timed(_evaluator(ctx, day, chosen, explain), ctx.metrics.evaluate.observe)
    if kind == "array":
        lines = batch.answer_array(items, evaluate)
    else:
        lines = batch.answer_ndjson(request.stream(), evaluate, max_families=limit,
                                    max_bytes=ctx.settings.batch_max_body_bytes)
    return batch.NdjsonStream(lines, headers=_headers(chosen, explain))


def _sync_rules(ctx: AppContext) -> None:
    """Catch up with a reload made by another worker (looked at no more than once a second)."""
    if ctx.rules.due(RULES_SYNC_SECONDS):
        with uow.UnitOfWork(ctx.db, write=False) as work:
            ctx.rules.sync(work.conn, throttle_seconds=RULES_SYNC_SECONDS)


def _evaluator(ctx: AppContext, day: dt.date, lang: Lang, explain: Explain) -> batch.Evaluate:
    """The function that answers one family in the shape asked for, as JSON bytes."""
    engine = ctx.rules.engine
    if explain == "full":
        return lambda family: engine.evaluate_json(family, day)
    return lambda family: engine.answer_json(family, day, lang)


def _headers(lang: Lang, explain: Explain) -> dict[str, str]:
    """`Content-Language` of the texts (all three in the trace); the answer varies by `Accept-Language`."""
    shown = languages.CONTENT_LANGUAGE["all" if explain == "full" else lang]
    return {"content-language": shown, "vary": "Accept-Language"}
