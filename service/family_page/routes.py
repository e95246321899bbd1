"""The family's page under `/family`: sign-in with an IIN and an SMS code, the page, offers, appeals.

Routes are thin: they check the session (and the CSRF token on every POST), then call one use
case. An answer to an offer is a `consent.received` event put through the bus intake's own use
case (`service.intake.receive`), exactly as an SMS reply to 1414 relayed by the contact centre;
an appeal goes through `appeals.file`.

Refusals: a page without a signed-in session redirects (303) to sign-in, a POST without one
answers 401; a member signed in for another family gets 403 on every route of this family; a
POST whose CSRF token is missing or wrong answers 403.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from service import intake
from service.deps import Ctx, Db
from service.errors import ServiceError
from service.family_page import appeals, pages, session, signin, texts, view
from service.store import offers, uow

router = APIRouter(prefix=pages.PREFIX, include_in_schema=False)

FamilyId = Annotated[str, Path(min_length=1, max_length=64)]
OfferId = Annotated[str, Path(min_length=1, max_length=40)]
Lang = Annotated[str | None, Query(max_length=5)]
FormText = Annotated[str | None, Form()]


def _current(request: Request, lang: str | None) -> tuple[pages.FamilyPage, session.Session]:
    """The page state and the request's session (a fresh anonymous one if none), in its language."""
    fp = pages.get(request)
    s = fp.sessions.read(request)
    chosen = texts.negotiate(lang, s.lang if s else None, request.headers.get("accept-language"))
    return fp, session.with_(s, lang=chosen) if s else session.anonymous(chosen)


def _names(ctx: Ctx) -> dict[str, dict[str, str]]:
    return {b.id: b.name.model_dump() for b in ctx.rules.engine.benefits()}


def _guard(
    fp: pages.FamilyPage, request: Request, s: session.Session, family_id: str, *, post: bool, csrf: str | None = None
) -> Response | None:
    """None when this session may act on this family; else the refusal (redirect, 401 or 403)."""
    if not s.signed_in:
        if post:
            return fp.render(
                request, s, "refused.html", status=401, message=texts.text(s.lang, "refused_not_signed_in")
            )
        return fp.redirect(request, f"{pages.PREFIX}/signin", s)
    if s.family_id != family_id:
        return fp.render(request, s, "refused.html", status=403, message=texts.text(s.lang, "refused_other_family"))
    if post and not session.csrf_ok(s, csrf):
        return fp.render(request, s, "refused.html", status=403, message=texts.text(s.lang, "refused_form"))
    return None


@router.get("")
@router.get("/")
async def home(request: Request, lang: Lang = None) -> Response:
    """The signed-in family's page, else sign-in."""
    fp, s = _current(request, lang)
    target = f"{pages.PREFIX}/{s.family_id}" if s.signed_in else f"{pages.PREFIX}/signin"
    return fp.redirect(request, target, s)


@router.get("/signin")
async def signin_page(request: Request, lang: Lang = None) -> Response:
    """Step one: the IIN."""
    fp, s = _current(request, lang)
    return fp.render(request, s, "signin.html", error=None)


@router.post("/signin")
async def ask_code(request: Request, ctx: Ctx, iin: FormText = None, csrf_token: FormText = None) -> Response:
    """Send a one-time code through the SMS outbox (throttled; the same answer whether or not the IIN is known)."""
    fp, s = _current(request, None)
    if not session.csrf_ok(fp.sessions.read(request), csrf_token):
        return fp.render(request, s, "refused.html", status=403, message=texts.text(s.lang, "refused_form"))
    sent = signin.request_code(ctx, iin=iin or "", secret=fp.secret, settings=fp.settings, print_codes=fp.print_codes)
    if sent.code_id is None:
        status = 429 if sent.refused == "throttled" else 422
        return fp.render(request, s, "signin.html", status=status, error=texts.text(s.lang, f"error_{sent.refused}"))
    fresh = session.with_(session.anonymous(s.lang), code_id=sent.code_id, notice="code_sent")
    return fp.redirect(request, f"{pages.PREFIX}/code", fresh)


@router.get("/code")
async def code_page(request: Request, lang: Lang = None) -> Response:
    """Step two: the code from the SMS."""
    fp, s = _current(request, lang)
    if s.code_id is None:
        return fp.redirect(request, f"{pages.PREFIX}/signin", s)
    return fp.render(request, s, "code.html", error=None)


@router.post("/code")
async def enter_code(request: Request, ctx: Ctx, code: FormText = None, csrf_token: FormText = None) -> Response:
    """Check the code; a right one opens the family's page (a new session, a new CSRF token)."""
    fp, s = _current(request, None)
    if not session.csrf_ok(fp.sessions.read(request), csrf_token):
        return fp.render(request, s, "refused.html", status=403, message=texts.text(s.lang, "refused_form"))
    if s.code_id is None:
        return fp.redirect(request, f"{pages.PREFIX}/signin", s)
    checked = signin.check_code(ctx, code_id=s.code_id, code=code or "", secret=fp.secret, settings=fp.settings)
    if checked.family_id is None or checked.member is None:
        status = 401 if checked.refused == "code_wrong" else 410
        return fp.render(request, s, "code.html", status=status, error=texts.text(s.lang, f"error_{checked.refused}"))
    fresh = session.signed_in(checked.family_id, checked.member, s.lang)
    return fp.redirect(request, f"{pages.PREFIX}/{checked.family_id}", fresh)


@router.post("/signout")
async def sign_out(request: Request, csrf_token: FormText = None) -> Response:
    """End the session."""
    fp, s = _current(request, None)
    if not session.csrf_ok(fp.sessions.read(request), csrf_token):
        return fp.render(request, s, "refused.html", status=403, message=texts.text(s.lang, "refused_form"))
    return fp.redirect(request, f"{pages.PREFIX}/signin", session.anonymous(s.lang))


@router.get("/{family_id}")
async def family_page(request: Request, family_id: FamilyId, ctx: Ctx, db: Db, lang: Lang = None) -> Response:
    """The family's page: what it receives and why, offers, waiting cases, history, appeals, access log."""
    fp, s = _current(request, lang)
    refused = _guard(fp, request, s, family_id, post=False)
    if refused is not None:
        return refused
    found = view.page(
        db,
        family_id=family_id,
        member=s.member or "",
        lang=s.lang,
        now=ctx.clock(),
        names=_names(ctx),
        review_days=fp.settings.review_working_days,
    )
    if found is None:
        return fp.render(request, s, "refused.html", status=404, message=texts.text(s.lang, "not_found"))
    return fp.render(request, s, "family.html", page=found)


@router.post("/{family_id}/offers/{offer_id}")
async def answer_offer(
    request: Request,
    family_id: FamilyId,
    offer_id: OfferId,
    ctx: Ctx,
    answer: FormText = None,
    csrf_token: FormText = None,
) -> Response:
    """Accept or refuse an offer: a `consent.received` event through the intake, as an SMS reply to 1414."""
    fp, s = _current(request, None)
    refused = _guard(fp, request, s, family_id, post=True, csrf=csrf_token)
    if refused is not None:
        return refused
    with uow.UnitOfWork(ctx.db, write=False) as work:
        offer = offers.get(work.conn, offer_id=offer_id)
    if offer is None or offer["family_id"] != family_id or answer not in ("accept", "refuse"):
        return fp.render(request, s, "refused.html", status=404, message=texts.text(s.lang, "not_found"))
    now = ctx.clock()
    event = {
        "event_id": f"family-page:{offer_id}:{int(now.timestamp() * 1000)}",
        "type": "consent.received",
        "occurred_at": now.isoformat(),
        "source": "family-page",
        "payload": {"offer_id": offer_id, "accepted": answer == "accept", "channel": "egov-family-page"},
    }
    status, _ = intake.receive(ctx, raw=json.dumps(event).encode(), actor=f"citizen:{s.member}")
    notice = ("answered_accepted" if answer == "accept" else "answered_refused") if status == 200 else "error_offer"
    return fp.redirect(request, f"{pages.PREFIX}/{family_id}", session.with_(s, notice=notice))


@router.post("/{family_id}/appeals")
async def appeal(
    request: Request,
    family_id: FamilyId,
    ctx: Ctx,
    reason: FormText = None,
    decision_id: FormText = None,
    review_id: FormText = None,
    csrf_token: FormText = None,
) -> Response:
    """File an appeal against a decision, or against a case left past its deadline."""
    fp, s = _current(request, None)
    refused = _guard(fp, request, s, family_id, post=True, csrf=csrf_token)
    if refused is not None:
        return refused
    try:
        filed = appeals.file(
            ctx,
            family_id=family_id,
            member=s.member or "",
            reason=reason or "",
            decision_id=int(decision_id) if decision_id and decision_id.isdigit() else None,
            review_id=review_id or None,
            appeal_days=fp.settings.appeal_working_days,
            review_days=fp.settings.review_working_days,
        )
    except ServiceError as exc:
        if exc.status_code == 404:
            return fp.render(request, s, "refused.html", status=404, message=texts.text(s.lang, "not_found"))
        notice = f"error_{exc.kind}"
        return fp.redirect(request, f"{pages.PREFIX}/{family_id}", session.with_(s, notice=notice))
    return fp.redirect(request, f"{pages.PREFIX}/{family_id}", session.with_(s, notice=f"appeal_filed:{filed['due']}"))
