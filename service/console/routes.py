"""The console's routes under `/console`: sign-in, the review queue, a case, and its resolution.

Routes are thin: they check the session (and the CSRF token on every POST), read through
`queue_view` and `case_view`, and resolve a case with the very use case the API's
`POST /v1/reviews/{id}/resolution` calls (`service.reviews.resolve`), so the console writes the
same review update and the same audit entry, with the reviewer's token name as the actor.

Refusals: a page without a valid session redirects (303) to sign-in; a POST without one answers
401; a POST whose CSRF token is missing or wrong answers 403; a credential of another role (a bus
token) is refused at sign-in. The console never accepts an `Authorization` header.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import ValidationError

from engine import model
from service import reviews as review_cases
from service.console import case_view, i18n, pages, queue_view, server_sessions, session
from service.context import AppContext
from service.deps import Ctx, Db, client_address
from service.errors import ServiceError
from service.family_page import access as family_access
from service.schemas import Resolution
from service.store import uow

router = APIRouter(prefix=pages.PREFIX, include_in_schema=False)

REVIEWER = "reviewer"
STATIC_FILES = {"console.css": "text/css; charset=utf-8"}
ReviewId = Annotated[str, Path(min_length=1, max_length=40)]
Lang = Annotated[str | None, Query(max_length=5)]
FormText = Annotated[str | None, Form()]


def _lang(request: Request, requested: str | None, s: session.Session | None) -> str:
    return i18n.negotiate(requested, s.lang if s else None, request.headers.get("accept-language"))


def _current(request: Request, requested_lang: str | None) -> tuple[pages.Console, session.Session | None]:
    """The console and the request's valid session (in the requested language, if any).

    A signed-in cookie counts only while its server-side session lives (not signed out, not idle,
    its token still valid); otherwise the visitor is treated as not signed in.
    """
    console = pages.get(request)
    s = console.sessions.read(request)
    if s is not None and s.signed_in and not _alive(request.app.state.ctx, console, s):
        s = None
    if s is not None:
        s = session.with_lang(s, _lang(request, requested_lang, s))
    return console, s


def _alive(ctx: AppContext, console: pages.Console, s: session.Session) -> bool:
    """Whether the server still holds this signed-in session open (ending it if it just ran out)."""
    if not s.sid:
        return False
    now = ctx.clock()
    idle = dt.timedelta(minutes=console.settings.idle_minutes)
    with uow.UnitOfWork(ctx.db, write=False) as work:
        found = server_sessions.check(work.conn, secret=s.sid, tokens=ctx.tokens, now=now, idle=idle)
    if isinstance(found, str) and found in ("idle", "token_revoked"):
        with uow.UnitOfWork(ctx.db, write=True) as work:
            server_sessions.end(work.conn, secret=s.sid, now=now, why=found)
            work.commit()
    if isinstance(found, str) or found.reviewer != s.reviewer:
        return False
    if found.touch:
        with uow.UnitOfWork(ctx.db, write=True) as work:
            server_sessions.touch(work.conn, secret=s.sid, now=now)
            work.commit()
    return True


def _to_sign_in(console: pages.Console, request: Request, s: session.Session | None, lang: str) -> Response:
    """Send a visitor without a reviewer session to the sign-in page, remembering where they were going."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    fresh = s or session.anonymous(lang)
    fresh = session.with_notice(fresh, {"key": "notice_sign_in_first"})
    return console.redirect(request, f"{pages.PREFIX}/signin?{urlencode({'next': target})}", fresh)


def _safe_next(value: str | None) -> str:
    """Only a path inside the console is a place to go back to (no open redirect)."""
    if value and value.startswith(pages.PREFIX + "/") and "//" not in value and "\\" not in value:
        return value
    return f"{pages.PREFIX}/reviews"


def _refused(
    console: pages.Console, request: Request, s: session.Session | None, lang: str, status: int, key: str
) -> Response:
    """The refusal page (401 not signed in, 403 forged form); a valid session is kept, not ended."""
    return console.render(request, s or session.anonymous(lang), "refused.html", status=status, message_key=key,
                          path=f"{pages.PREFIX}/signin")


def _benefit_names(ctx: Ctx) -> dict[str, dict[str, str]]:
    """Benefit names from the active rules, in the three languages."""
    return {b.id: b.name.model_dump() for b in ctx.rules.engine.benefits()}


@router.get("")
@router.get("/")
async def home(request: Request) -> RedirectResponse:
    """The console starts at the queue."""
    return RedirectResponse(f"{pages.PREFIX}/reviews", status_code=303)


@router.get("/static/{name}")
async def static(name: str) -> Response:
    """The console's own stylesheet (a fixed list of files; nothing from outside)."""
    media = STATIC_FILES.get(name)
    if media is None:
        return Response(status_code=404)
    return FileResponse(pages.STATIC / name, media_type=media,
                        headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"})


@router.get("/signin")
async def sign_in_page(
    request: Request, lang: Lang = None, next_: Annotated[str | None, Query(alias="next")] = None
) -> Response:
    """The sign-in form."""
    console, s = _current(request, lang)
    if s is not None and s.signed_in:
        return console.redirect(request, _safe_next(next_), s)
    s = s or session.anonymous(_lang(request, lang, None))
    return console.render(request, s, "signin.html", next=_safe_next(next_), error=None)


@router.post("/signin")
async def sign_in(
    request: Request, ctx: Ctx, token: FormText = None, csrf_token: FormText = None,
    next_: Annotated[str | None, Form(alias="next")] = None,
) -> Response:
    """Check a reviewer's bearer token (constant time, the service's token store) and open a session."""
    console, s = _current(request, None)
    lang = _lang(request, None, s)
    if not session.csrf_ok(s, csrf_token) or s is None:
        return _refused(console, request, s, lang, 403, "refused_form")
    presented = (token or "").strip()
    error = None
    status = 200
    client = client_address(request)
    wait = ctx.throttle.retry_after(client)
    caller = ctx.tokens.authenticate(presented) if presented and wait is None else None
    if wait is not None:
        error, status = i18n.text(lang, "error_too_many_attempts"), 429
    elif not presented:
        error, status = i18n.text(lang, "error_token_missing"), 422
    elif caller is None:
        ctx.throttle.failed(client)
        error, status = i18n.text(lang, "error_token_unknown"), 401
    elif caller.role != REVIEWER:
        error, status = i18n.text(lang, "error_token_role", role=caller.role), 403
    if error is not None or caller is None:
        page = console.render(request, s, "signin.html", status=status, next=_safe_next(next_), error=error,
                              path=f"{pages.PREFIX}/signin")
        if wait is not None:
            page.headers["Retry-After"] = str(max(1, int(wait + 0.999)))
        return page
    with uow.UnitOfWork(ctx.db, write=True) as work:
        sid = server_sessions.open_session(work.conn, reviewer=caller.name, token=presented, now=ctx.clock())
        work.commit()
    return console.redirect(request, _safe_next(next_), session.signed_in(caller.name, lang, sid=sid))


@router.post("/signout")
async def sign_out(request: Request, ctx: Ctx, csrf_token: FormText = None) -> Response:
    """End the session, on the server too: the cookie replayed afterwards opens nothing."""
    console, s = _current(request, None)
    lang = _lang(request, None, s)
    if s is None or not s.signed_in:
        return _refused(console, request, None, lang, 401, "refused_not_signed_in")
    if not session.csrf_ok(s, csrf_token):
        return _refused(console, request, s, lang, 403, "refused_form")
    if s.sid:
        with uow.UnitOfWork(ctx.db, write=True) as work:
            server_sessions.end(work.conn, secret=s.sid, now=ctx.clock(), why="signed_out")
            work.commit()
    fresh = session.with_notice(session.anonymous(lang), {"key": "notice_signed_out"})
    return console.redirect(request, f"{pages.PREFIX}/signin", fresh)


@router.get("/reviews")
async def queue_page(
    request: Request, ctx: Ctx, db: Db, lang: Lang = None,
    benefit: Annotated[str | None, Query(max_length=64)] = None,
    region: Annotated[str | None, Query(max_length=8)] = None,
    reason: Annotated[str | None, Query(max_length=100)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """The queue of pending cases, oldest first, filterable by benefit, region and reason."""
    console, s = _current(request, lang)
    if s is None or not s.signed_in:
        return _to_sign_in(console, request, s, _lang(request, lang, s))
    names = _benefit_names(ctx)
    filters = {
        "benefit": benefit if benefit else None,
        "region": region if region in model.REGIONS else None,
        "reason": reason if reason else None,
    }
    found = queue_view.queue(db, lang=s.lang, now=ctx.clock(), names=names, offset=offset,
                        page_size=console.settings.page_size, overdue_days=console.settings.overdue_days, **filters)
    kept = [(k, v) for k, v in filters.items() if v]
    return console.render(
        request, s, "queue.html", queue=found, filters=filters, overdue_days=console.settings.overdue_days,
        next_url=f"?{urlencode([*kept, ('offset', offset + console.settings.page_size)])}",
        previous_url=f"?{urlencode([*kept, ('offset', max(0, offset - console.settings.page_size))])}",
    )


@router.get("/reviews/{review_id}")
async def case_page(request: Request, review_id: ReviewId, ctx: Ctx, db: Db, lang: Lang = None) -> Response:
    """One case: the family, indicators, current and proposed decisions, history, audit trail."""
    console, s = _current(request, lang)
    if s is None or not s.signed_in:
        return _to_sign_in(console, request, s, _lang(request, lang, s))
    found = case_view.case(db, review_id=review_id, lang=s.lang, now=ctx.clock(), names=_benefit_names(ctx),
                       overdue_days=console.settings.overdue_days)
    if found is None:
        return console.render(request, s, "not_found.html", status=404, review_id=review_id)
    # Every view of a family's data by a caseworker is audited, and the family's page shows it.
    family_access.record_view(ctx, family_id=found.family_id, actor=str(s.reviewer), via="console", subject=review_id)
    return console.render(request, s, "case.html", case=found, errors=[], entered={}, conflict=None)


@router.post("/reviews/{review_id}/resolution")
async def resolve(
    request: Request, review_id: ReviewId, ctx: Ctx,
    csrf_token: FormText = None, resolution: FormText = None, reason: FormText = None,
) -> Response:
    """Approve or reject a pending case with a written reason, through the API's own use case."""
    console, s = _current(request, None)
    lang = _lang(request, None, s)
    if s is None or not s.signed_in or s.reviewer is None:
        return _refused(console, request, None, lang, 401, "refused_not_signed_in")
    if not session.csrf_ok(s, csrf_token):
        return _refused(console, request, s, lang, 403, "refused_form")
    entered = {"resolution": resolution or "", "reason": reason or ""}
    try:
        body = Resolution.model_validate(entered)
    except ValidationError as exc:
        fields = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
        errors = [(f, i18n.text(lang, f"error_{f}_required")) for f in ("resolution", "reason") if f in fields]
        return _case_again(console, request, s, ctx, review_id, status=422, errors=errors, entered=entered)
    try:
        answer = review_cases.resolve(ctx, review_id=review_id, resolution=body.resolution, reason=body.reason,
                                      reviewer=s.reviewer)
    except ServiceError as exc:
        if exc.status_code == 409:
            return _case_again(console, request, s, ctx, review_id, status=409, errors=[], entered={},
                               conflict=True)
        if exc.status_code == 404:
            return console.render(request, s, "not_found.html", status=404, review_id=review_id,
                                  path=f"{pages.PREFIX}/reviews")
        raise
    notice = {"key": "notice_resolved", "params": {"id": review_id, "status": answer["status"]}}
    return console.redirect(request, f"{pages.PREFIX}/reviews", session.with_notice(s, notice))


def _case_again(
    console: pages.Console, request: Request, s: session.Session, ctx: Ctx, review_id: str, *, status: int,
    errors: Sequence[tuple[str, str]], entered: dict[str, str], conflict: bool | None = None,
) -> Response:
    """The case page again, after a refused resolution (with what the reviewer typed, and why)."""
    with uow.UnitOfWork(ctx.db, write=False) as work:
        found = case_view.case(work.conn, review_id=review_id, lang=s.lang, now=ctx.clock(), names=_benefit_names(ctx),
                           overdue_days=console.settings.overdue_days)
    path = f"{pages.PREFIX}/reviews/{review_id}"
    if found is None:
        return console.render(request, s, "not_found.html", status=404, review_id=review_id, path=path)
    return console.render(request, s, "case.html", status=status, case=found, errors=errors, entered=entered,
                          conflict=conflict, path=path)
