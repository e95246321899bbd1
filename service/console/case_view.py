"""One case as the console shows it: the family, indicators, both decisions explained, history, audit.

Read with the API's own repositories (`service.store`, `service.audit.entries`) and turned into
plain view objects: names instead of codes, amounts in tenge, IINs masked except the last four
digits.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from engine import indicators, model
from service import audit, record
from service.console import display, i18n
from service.store import decisions, families, reviews

PENDING = "pending"
AUDIT_PAGE = 500
AUDIT_SHOWN = 200
HISTORY_SHOWN = 500


@dataclass(frozen=True)
class ConditionView:
    """One condition of a decision: the rule, whether it held, the values it was decided on."""

    rule: str
    holds: bool
    values: list[tuple[str, str]]


@dataclass(frozen=True)
class DecisionView:
    """One side of the comparison (or a history row's explanation)."""

    status: str
    eligible: bool
    amount: str
    period: str
    summary: str
    conditions: list[ConditionView]
    parameters: list[tuple[str, str, str]]
    formula: str | None
    calculation: str | None
    legal_basis: str
    missing: list[str]
    as_of: str
    ruleset: str


@dataclass(frozen=True)
class Side:
    """What the family has now (holding and decision), or what is proposed."""

    holding: str | None
    decision: DecisionView | None


@dataclass(frozen=True)
class MemberView:
    """A family member as a caseworker sees them; the IIN masked."""

    iin: str
    relation: str
    birth_date: str
    age: str
    employment: str
    student: str
    disability: str
    income: str
    source: str


@dataclass(frozen=True)
class DeceasedView:
    """A member who died; the IIN masked."""

    iin: str
    relation: str
    date_of_death: str


@dataclass(frozen=True)
class IndicatorView:
    """One indicator's value, meaning, and the event that set it."""

    name: str
    meaning: str
    value: str
    unit: str
    registry: str
    event: str
    date: str


@dataclass(frozen=True)
class HistoryRow:
    """One decision in the family's history."""

    recorded: str
    benefit_id: str
    benefit: str
    status: str
    amount: str
    change: str
    event_id: str
    summary: str
    this_case: bool


@dataclass(frozen=True)
class AuditRow:
    """One audit entry about the family."""

    seq: int
    at: str
    kind: str
    kind_code: str
    actor: str
    details: str
    this_case: bool


@dataclass(frozen=True)
class Case:
    """Everything the case page shows."""

    review_id: str
    family_id: str
    status: str
    status_code: str
    pending: bool
    benefit: str
    kind: str
    reasons: list[str]
    region: str
    opened: str
    age: str
    overdue: bool
    event_id: str
    reviewer: str | None
    resolved_at: str
    resolution_reason: str | None
    members: list[MemberView]
    deceased: list[DeceasedView]
    used_indicators: list[IndicatorView]
    all_indicators: list[IndicatorView]
    current: Side
    proposed: Side
    history: list[HistoryRow]
    history_all: list[HistoryRow]
    audit: list[AuditRow] = field(default_factory=list)
    appeal: AppealInfo | None = None


@dataclass(frozen=True)
class AppealInfo:
    """An appeal filed on the family's page: against what, the citizen's own text, by whom, answer due."""

    against: str
    text: str
    member: str
    due: str


def _appeal(lang: str, review: Mapping[str, Any]) -> AppealInfo | None:
    found = review["proposed"].get("appeal") if review["kind"] == "appeal" else None
    if not found:
        return None
    return AppealInfo(i18n.code(lang, "reason", f"appeal_{found.get('against')}"), str(found.get("text", "")),
                      str(found.get("member", "")), str(found.get("due", "")))


def case(
    conn: sa.Connection, *, review_id: str, lang: str, now: dt.datetime, names: Mapping[str, Mapping[str, str]],
    overdue_days: float,
) -> Case | None:
    """One review with its family, both decisions explained, the history and the audit trail."""
    review = reviews.get(conn, review_id=review_id)
    if review is None:
        return None
    family = families.get(conn, family_id=review["family_id"]) or {}
    snapshot: dict[str, Any] = family.get("snapshot") or {"members": []}
    facts: dict[str, Any] = family.get("facts") or {}
    today = now.date()
    previous = review["previous"] or {}
    current_decision = _decision_view(conn, lang, review["previous_decision_id"], previous.get("decision"))
    proposed_decision = _decision_view(conn, lang, review["proposed_decision_id"], review["proposed"].get("decision"))
    used = _used_indicators(previous.get("decision"), review["proposed"].get("decision"))
    all_indicators = _indicators(lang, record.indicators_view(family.get("indicators") or {}))
    age = display.age_seconds(review, now)
    ids = (review["proposed_decision_id"], review["previous_decision_id"])
    history = [_history_row(lang, names, d, ids)
               for d in decisions.history(conn, family_id=review["family_id"], limit=HISTORY_SHOWN)]
    return Case(
        review_id=review_id, family_id=review["family_id"],
        status=i18n.code(lang, "review", review["status"]), status_code=review["status"],
        pending=review["status"] == PENDING,
        benefit=display.benefit_name(names, review["benefit"], lang, review),
        kind=i18n.code(lang, "kind", review["kind"]),
        reasons=[i18n.code(lang, "reason", c) for c in review["reasons"]],
        region=f"{i18n.code(lang, 'region', review['region'])} ({review['region']})",
        opened=display.when(review["created_at"]), age=display.age_text(lang, age), overdue=age > overdue_days * 86400,
        event_id=review["event_id"], reviewer=review["reviewer"], resolved_at=display.when(review["resolved_at"]),
        resolution_reason=review["resolution_reason"],
        members=[_member(lang, m, facts, today) for m in snapshot.get("members", [])],
        deceased=[DeceasedView(model.mask_iin(d["iin"]), i18n.code(lang, "relation", d.get("relation")),
                               d.get("date_of_death", "—")) for d in snapshot.get("deceased", []) or []],
        used_indicators=[i for i in all_indicators if i.name in used],
        all_indicators=all_indicators,
        current=Side(_holding(lang, previous.get("holding")), current_decision),
        proposed=Side(None, proposed_decision),
        history=[h for h in history if h.benefit_id == review["benefit"]],
        history_all=history,
        audit=audit_trail(conn, lang=lang, family_id=review["family_id"], review_id=review_id),
        appeal=_appeal(lang, review),
    )


def _history_row(
    lang: str, names: Mapping[str, Mapping[str, str]], d: Mapping[str, Any], ids: tuple[int | None, ...]
) -> HistoryRow:
    return HistoryRow(
        recorded=display.when(d["created_at"]), benefit_id=d["benefit"],
        benefit=display.benefit_name(names, d["benefit"], lang),
        status=i18n.code(lang, "decision", d["status"]), amount=display.money(d["amount_kzt"]),
        change=i18n.code(lang, "change", d["change"]), event_id=d["event_id"],
        summary=i18n.localised((d["body"].get("explanation") or {}).get("summary"), lang), this_case=d["id"] in ids,
    )


def _holding(lang: str, holding: Mapping[str, Any] | None) -> str | None:
    if not holding:
        return None
    key = "holding_entitlement" if holding.get("kind") == "entitlement" else "holding_offer"
    amount, period = display.money(holding.get("amount_kzt")), i18n.period(lang, holding.get("period"))
    return i18n.text(lang, key, amount=amount, period=period)


def _decision_view(
    conn: sa.Connection, lang: str, decision_id: int | None, body: Mapping[str, Any] | None
) -> DecisionView | None:
    """A stored decision (by id, for its date and rule set) explained; else the body the review kept."""
    row = decisions.get(conn, decision_id=decision_id) if decision_id is not None else None
    if row is not None:
        body = row["body"]
    if not body:
        return None
    ex: Mapping[str, Any] = body.get("explanation") or {}
    dates: Mapping[str, str] = ex.get("parameter_dates") or {}
    return DecisionView(
        status=i18n.code(lang, "decision", body.get("status")), eligible=bool(body.get("eligible")),
        amount=display.money(body.get("amount_kzt")), period=i18n.period(lang, body.get("period")),
        summary=i18n.localised(ex.get("summary"), lang),
        conditions=[
            ConditionView(c["rule"], bool(c["holds"]),
                          [(k, display.scalar(lang, v)) for k, v in (c.get("values") or {}).items()])
            for c in ex.get("conditions") or []
        ],
        parameters=[(k, display.scalar(lang, v), dates.get(k, "")) for k, v in (ex.get("parameters") or {}).items()],
        formula=ex.get("formula"), calculation=ex.get("formula_with_values"),
        legal_basis=str(body.get("legal_basis") or ""), missing=list(ex.get("missing") or []),
        as_of=row["as_of"] if row else "—", ruleset=row["ruleset_version"] if row else "—",
    )


def _used_indicators(*bodies: Mapping[str, Any] | None) -> set[str]:
    """The names the decisions' conditions were decided on."""
    used: set[str] = set()
    for body in bodies:
        for c in ((body or {}).get("explanation") or {}).get("conditions") or []:
            used.update((c.get("values") or {}).keys())
        used.update(((body or {}).get("explanation") or {}).get("missing") or [])
    return used


def _indicators(lang: str, stored: Mapping[str, Any]) -> list[IndicatorView]:
    out = []
    for name in sorted(stored):
        entry = stored[name] or {}
        known = indicators.REGISTRY.get(name)
        out.append(IndicatorView(
            name=name, meaning=known.meaning if known else "", value=display.scalar(lang, entry.get("value")),
            unit=known.unit if known else "", registry=known.source if known else "",
            event=f"{entry.get('type', '—')} · {entry.get('event_id', '—')}",
            date=display.when(entry.get("occurred_at")),
        ))
    return out


def _member(lang: str, m: Mapping[str, Any], facts: Mapping[str, Any], today: dt.date) -> MemberView:
    born = dt.date.fromisoformat(m["birth_date"])
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    d = m.get("disability")
    if d is None:
        disability = i18n.text(lang, "none")
    else:
        group = i18n.text(lang, "disability_group", g=d["group"]) if d.get("group") else i18n.text(
            lang, "disability_no_group")
        disability = f"{group}, {i18n.text(lang, 'since_childhood')}" if d.get("since_childhood") else group
    source = facts.get(f"member:{m['iin']}") or facts.get("family") or {}
    return MemberView(
        iin=model.mask_iin(m["iin"]), relation=i18n.code(lang, "relation", m.get("relation")),
        birth_date=m["birth_date"], age=str(years), employment=i18n.code(lang, "employment", m.get("employment")),
        student=i18n.text(lang, "yes" if m.get("full_time_student") else "no"), disability=disability,
        income=display.money(m.get("monthly_income_kzt")),
        source=f"{source.get('type', '—')} · {display.when(source.get('occurred_at'))}",
    )


def audit_trail(conn: sa.Connection, *, lang: str, family_id: str, review_id: str) -> list[AuditRow]:
    """The family's audit entries, newest first (the latest AUDIT_SHOWN)."""
    found: list[dict[str, Any]] = []
    after = 0
    while True:
        page = audit.entries(conn, after=after, limit=AUDIT_PAGE, family_id=family_id)
        found.extend(page)
        if len(page) < AUDIT_PAGE:
            break
        after = page[-1]["seq"]
        found = found[-AUDIT_SHOWN:]
    return [
        AuditRow(seq=e["seq"], at=display.when(e["at"]), kind=i18n.code(lang, "audit", e["kind"]), kind_code=e["kind"],
                 actor=e["actor"],
                 details=_audit_details(lang, e), this_case=e["subject"] == review_id)
        for e in reversed(found[-AUDIT_SHOWN:])
    ]


def _audit_details(lang: str, entry: Mapping[str, Any]) -> str:
    data: Mapping[str, Any] = entry["data"] if isinstance(entry["data"], Mapping) else {}
    if entry["kind"] == "review.resolved":
        status = "approved" if data.get("resolution") == "approve" else "rejected"
        return display.mask_iins(i18n.text(lang, "resolution_recorded", status=i18n.code(lang, "review", status),
                                   reason=data.get("reason", "")))
    if entry["kind"] == "review.opened":
        reasons = ", ".join(i18n.code(lang, "reason", c) for c in data.get("reasons", []))
        return f"{i18n.code(lang, 'kind', data.get('kind'))}: {data.get('benefit', '')} ({reasons})"
    if entry["kind"] == "decisions":
        listed = data.get("decisions") or []
        changed = [d for d in listed if d.get("change") not in ("none", "unchanged")] or listed
        return "; ".join(
            f"{d.get('benefit')}: {i18n.code(lang, 'decision', d.get('status'))}, "
            f"{display.money(d.get('amount_kzt'))} ₸ ({i18n.code(lang, 'change', d.get('change'))})" for d in changed)
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
    return display.mask_iins(text if len(text) <= 300 else text[:299] + "…")
