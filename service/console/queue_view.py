"""The review queue as the console lists it: pending cases oldest first, filtered, counted, aged.

Read with the API's own repository (`service.store.reviews.search`); a case waiting longer than
the configured deadline is marked overdue, since waiting is the state's inaction, which the
citizen can appeal.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from engine import model
from service.console import display, i18n
from service.store import reviews

PENDING = "pending"
ALL = 10**9


@dataclass(frozen=True)
class Option:
    """One choice of a filter, with how many pending cases it holds."""

    value: str
    label: str
    count: int


@dataclass(frozen=True)
class QueueRow:
    """One pending case as the queue lists it."""

    review_id: str
    family_id: str
    benefit: str
    region: str
    kind: str
    reasons: list[str]
    previous_amount: str
    proposed_amount: str
    opened: str
    age: str
    age_days: float
    overdue: bool


@dataclass(frozen=True)
class Queue:
    """The filtered queue page and the counts behind the filters."""

    rows: list[QueueRow]
    total: int
    matching: int
    overdue: int
    benefits: list[Option]
    regions: list[Option]
    reasons: list[Option]
    offset: int
    has_next: bool


def queue(
    conn: sa.Connection, *, lang: str, now: dt.datetime, names: Mapping[str, Mapping[str, str]],
    benefit: str | None, region: str | None, reason: str | None, offset: int, page_size: int, overdue_days: float,
) -> Queue:
    """Pending reviews, oldest first, filtered, with counts by benefit, region and reason."""
    everything = reviews.search(conn, status=PENDING, benefit=None, region=None, kind=None, reason=None,
                                limit=ALL, offset=0)
    matching = reviews.search(conn, status=PENDING, benefit=benefit, region=region, kind=None, reason=reason,
                              limit=ALL, offset=0)
    by_benefit = Counter(r["benefit"] for r in everything)
    by_region = Counter(r["region"] for r in everything)
    by_reason = Counter(code for r in everything for code in r["reasons"])
    overdue_after = overdue_days * 86400
    rows = []
    for r in matching[offset : offset + page_size]:
        age = display.age_seconds(r, now)
        holding = (r["previous"] or {}).get("holding") or {}
        rows.append(QueueRow(
            review_id=r["review_id"], family_id=r["family_id"],
            benefit=display.benefit_name(names, r["benefit"], lang, r), region=i18n.code(lang, "region", r["region"]),
            kind=i18n.code(lang, "kind", r["kind"]), reasons=[i18n.code(lang, "reason", c) for c in r["reasons"]],
            previous_amount=display.money(holding.get("amount_kzt")),
            proposed_amount=display.money(r["proposed"]["amount_kzt"]),
            opened=display.when(r["created_at"]), age=display.age_text(lang, age), age_days=age / 86400,
            overdue=age > overdue_after,
        ))
    return Queue(
        rows=rows, total=len(everything), matching=len(matching),
        overdue=sum(1 for r in everything if display.age_seconds(r, now) > overdue_after),
        benefits=_options(by_benefit, names.keys(), lambda b: display.benefit_name(names, b, lang)),
        regions=_options(by_region, model.REGIONS, lambda c: f"{i18n.code(lang, 'region', c)} ({c})"),
        reasons=_options(by_reason, (), lambda c: i18n.code(lang, "reason", c)),
        offset=offset, has_next=offset + page_size < len(matching),
    )


def _options(counts: Counter[str], known: Any, label: Any) -> list[Option]:
    """Every known value and every value in the queue, labelled and counted, sorted by label."""
    values = set(known) | set(counts)
    return sorted((Option(v, label(v), counts.get(v, 0)) for v in values), key=lambda o: o.label.casefold())


