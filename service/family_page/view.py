"""The family's page as a family reads it: what it receives, offers, cases waiting, history, appeals, access.

Read with the API's own repositories. Every explanation shown is the decision's own plain summary
in the page's language (written from the rule files' texts, see `engine.explain`); identifiers stay
in the caseworkers' trace. Other members' IINs are masked, and so is the signed-in member's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa

from engine import model, plain
from service import offers as offer_rules
from service.domain import payments
from service.family_page import access, appeals, texts
from service.store import decisions, entitlements, families, offers, reviews

HISTORY_SHOWN = 60


@dataclass(frozen=True)
class Receiving:
    """A benefit the family receives now."""

    benefit: str
    amount: str
    since: str
    summary: str


@dataclass(frozen=True)
class MonthPaid:
    """What is due for one month and benefit (`service.domain.payments`)."""

    month: str
    benefit: str
    amount: str


@dataclass(frozen=True)
class OpenOffer:
    """An offer waiting for the family's answer."""

    offer_id: str
    benefit: str
    amount: str
    expires: str
    summary: str


@dataclass(frozen=True)
class Waiting:
    """A case a caseworker has not decided yet."""

    review_id: str
    benefit: str
    what: str
    waited: str
    deadline: str
    overdue: bool
    appealed: bool


@dataclass(frozen=True)
class PastDecision:
    """One decision about the family."""

    decision_id: int
    benefit: str
    outcome: str
    as_of: str
    ruleset_version: str
    summary: str


@dataclass(frozen=True)
class AppealView:
    """An appeal the family filed, and the caseworker's answer once given."""

    review_id: str
    benefit: str
    against: str
    text: str
    filed: str
    due: str
    status: str
    answer: str | None
    answered: str | None


@dataclass(frozen=True)
class AccessRow:
    """One view of the family's data by a caseworker."""

    at: str
    who: str
    via: str


@dataclass(frozen=True)
class MemberRow:
    """A member as the page lists them: relation and masked IIN."""

    relation: str
    iin: str
    me: bool


@dataclass(frozen=True)
class Page:
    """Everything the family's page shows."""

    family_id: str
    members: list[MemberRow]
    receiving: list[Receiving]
    months: list[MonthPaid]
    offers: list[OpenOffer]
    waiting: list[Waiting]
    history: list[PastDecision]
    appeals: list[AppealView]
    access: list[AccessRow]


def _summary(body: Mapping[str, Any] | None, lang: str) -> str:
    summary = ((body or {}).get("explanation") or {}).get("summary") or {}
    return str(summary.get(lang) or summary.get("ru") or "")


def _name(names: Mapping[str, Mapping[str, str]], benefit: str, lang: str) -> str:
    return str((names.get(benefit) or {}).get(lang) or benefit)


def _day(value: str | None, lang: str) -> str:
    if not value:
        return "—"
    day = dt.datetime.fromisoformat(value).date() if "T" in value else dt.date.fromisoformat(value)
    return plain.date_text(day, cast(plain.Lang, lang))


def _amount(amount: int, period: str, lang: str) -> str:
    if period == "notice":
        return texts.text(lang, "notice")
    money = plain.money_text(amount, cast(plain.Lang, lang))
    words = texts.text(lang, "period_" + period)
    return f"{words} {money}" if lang == "kk" else f"{money} {words}"  # "ай сайын 86 673 ₸", "86 673 ₸ в месяц"


def page(
    conn: sa.Connection,
    *,
    family_id: str,
    member: str,
    lang: str,
    now: dt.datetime,
    names: Mapping[str, Mapping[str, str]],
    review_days: int,
) -> Page | None:
    """The page of one family, or None when no such family is recorded."""
    record = families.get(conn, family_id=family_id)
    if record is None:
        return None
    bodies: dict[int, dict[str, Any]] = {}

    def body(decision_id: int | None) -> dict[str, Any] | None:
        if decision_id is None:
            return None
        if decision_id not in bodies:
            found = decisions.get(conn, decision_id=decision_id)
            bodies[decision_id] = found["body"] if found else {}
        return bodies[decision_id]

    receiving = [
        Receiving(
            _name(names, e["benefit"], lang),
            _amount(int(e["amount_kzt"]), e["period"], lang),
            _day(e["active_from"], lang),
            _summary(body(e["decision_id"]), lang),
        )
        for e in entitlements.for_family(conn, family_id=family_id)
        if e["status"] in ("active", "granted")
    ]
    open_offers = [
        OpenOffer(
            o["offer_id"],
            _name(names, o["benefit"], lang),
            _amount(int(o["amount_kzt"]), o["period"], lang),
            _day(o["expires_at"], lang),
            _summary(body(o["decision_id"]), lang),
        )
        for o in offers.for_family(conn, family_id=family_id)
        if offer_rules.effective_status(o, now) == "open"
    ]
    cases = reviews.for_family(conn, family_id=family_id)
    appealed = {c["proposed"].get("appeal", {}).get("review_id") for c in cases if c["kind"] == appeals.KIND}
    waiting = []
    for c in cases:
        if c["status"] != "pending" or c["kind"] == appeals.KIND:
            continue
        days = (now - dt.datetime.fromisoformat(c["created_at"])).days
        waiting.append(
            Waiting(
                c["review_id"],
                _name(names, c["benefit"], lang),
                texts.text(lang, "kind_" + c["kind"]),
                texts.text(lang, "days_waited", n=days),
                _day(appeals.deadline(c["created_at"], review_days).isoformat(), lang),
                appeals.overdue(c, now, review_days),
                c["review_id"] in appealed,
            )
        )
    history = [
        PastDecision(
            d["id"],
            _name(names, d["benefit"], lang),
            texts.text(lang, "status_" + d["status"]),
            _day(d["as_of"], lang),
            d["ruleset_version"],
            _summary(d["body"], lang),
        )
        for d in decisions.history(conn, family_id=family_id, limit=HISTORY_SHOWN)
        if d["status"] != "not_in_force"
    ]
    appeal_rows = []
    for c in cases:
        if c["kind"] != appeals.KIND:
            continue
        a = c["proposed"]["appeal"]
        status = c["status"] if c["status"] == "pending" else c["resolution"] or c["status"]
        appeal_rows.append(
            AppealView(
                c["review_id"],
                _name(names, c["benefit"], lang),
                texts.text(lang, "against_" + a["against"]),
                a["text"],
                _day(c["created_at"], lang),
                _day(a["due"], lang),
                texts.text(lang, "appeal_" + status),
                c["resolution_reason"],
                _day(c["resolved_at"], lang) if c["resolved_at"] else None,
            )
        )
    seen = [
        AccessRow(e["at"][:16].replace("T", " "), e["actor"], texts.text(lang, "via_" + str(e["data"].get("via"))))
        for e in access.views(conn, family_id=family_id)
    ]
    members = [
        MemberRow(
            texts.text(lang, "relation_" + str(m.get("relation"))),
            model.mask_iin(str(m.get("iin", ""))),
            model.mask_iin(str(m.get("iin", ""))) == member,
        )
        for m in (record.get("snapshot") or {}).get("members", [])
    ]
    return Page(
        family_id,
        members,
        receiving,
        _months(conn, family_id, names, now, lang),
        open_offers,
        waiting,
        history,
        appeal_rows,
        seen,
    )


MONTHS_SHOWN = 12


def _months(
    conn: sa.Connection, family_id: str, names: Mapping[str, Mapping[str, str]], now: dt.datetime, lang: str
) -> list[MonthPaid]:
    """What is due for each of the last twelve months, newest first."""
    last = now.date().replace(day=1)
    first = last
    for _ in range(MONTHS_SHOWN - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    held = [
        e
        for _, e in payments.from_rows(
            entitlements.for_family(conn, family_id=family_id), entitlements.amounts(conn, family_id=family_id)
        )
    ]
    due = payments.months(held, first, last)
    label = cast(plain.Lang, lang)
    return [
        MonthPaid(_month(m.month, label), _name(names, m.benefit, lang), plain.money_text(m.amount_kzt, label))
        for m in reversed(due)
    ]


def _month(month: str, lang: plain.Lang) -> str:
    """'2026 жылғы қаңтар', 'январь 2026', 'January 2026'."""
    day = payments.month_start(month)
    if lang == "kk":
        return f"{day.year} жылғы {plain.MONTHS_KK[day.month - 1]}"
    if lang == "ru":
        return f"{texts.RU_MONTHS_NOMINATIVE[day.month - 1]} {day.year}"
    return f"{plain.MONTHS_EN[day.month - 1]} {day.year}"
