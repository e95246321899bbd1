"""Reloads that would take a benefit away: who holds it, and a termination review for each holder.

A rule reload that drops a benefit file would silently stop a benefit for every family holding it
(an active entitlement or an open offer). That is an adverse decision, and adverse decisions are
a person's to make: the reload is refused unless the analyst says so explicitly, and then each
holding goes to a caseworker as a termination review (`service.reviews.open_review`), exactly as
an adverse re-evaluation would. Nothing ends until a reviewer approves.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from engine.decision import Texts
from service import clock, holdings, offers, reviews
from service.store import decisions, families, rows, tables

REASON = "benefit_removed_from_rules"
SUMMARY = {
    "kk": "Бұл төлем енді ережелерде жоқ (ережелер нұсқасы {version}). Оны тоқтату туралы маман шешеді.",
    "ru": "Этой выплаты больше нет в правилах (версия правил {version}). Прекращать ли её, решает специалист.",
    "en": "This benefit is no longer in the rules (rule set {version}). A caseworker decides whether it ends.",
}


@dataclass(frozen=True)
class Holder:
    """One family's holding of a benefit that a reload removes."""

    family_id: str
    benefit: str
    holding: holdings.Holding


def holders(conn: sa.Connection, *, benefits: list[str], now: dt.datetime) -> list[Holder]:
    """Every active entitlement and open (unexpired) offer of these benefits, one per family and benefit."""
    if not benefits:
        return []
    ent, off = tables.entitlements, tables.offers
    found: dict[tuple[str, str], Holder] = {}
    for offer in rows.many(conn, sa.select(off).where(off.c.benefit.in_(benefits), off.c.status == offers.OPEN)):
        if offers.effective_status(offer, now) == offers.OPEN:
            found[(offer["family_id"], offer["benefit"])] = Holder(
                offer["family_id"], offer["benefit"], holdings.Holding("offer", offer)
            )
    for row in rows.many(conn, sa.select(ent).where(ent.c.benefit.in_(benefits), ent.c.status == "active")):
        found[(row["family_id"], row["benefit"])] = Holder(
            row["family_id"], row["benefit"], holdings.Holding("entitlement", row)
        )
    return [found[k] for k in sorted(found)]


def open_reviews(
    conn: sa.Connection,
    *,
    found: list[Holder],
    names: dict[str, Texts],
    version: str,
    generation: int,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """A termination review for each holder, proposing the end of what it holds; the reviews opened."""
    opened: list[dict[str, Any]] = []
    event_id = f"rules-generation-{generation}"
    as_of = now.date()
    for holder in found:
        family = families.get(conn, family_id=holder.family_id)
        if family is None:
            continue
        name = names.get(holder.benefit) or Texts(kk=holder.benefit, ru=holder.benefit, en=holder.benefit)
        body = {
            "benefit": holder.benefit,
            "name": name.model_dump(),
            "eligible": False,
            "status": "not_eligible",
            "amount_kzt": 0,
            "period": holder.holding.row["period"],
            "legal_basis": "",
            "requires_human_review": True,
            "review_reasons": [REASON],
            "explanation": {
                "summary": {lang: text.format(version=version) for lang, text in SUMMARY.items()},
                "conditions": [],
                "parameters": {},
                "missing": [],
            },
        }
        fingerprint = hashlib.sha256(f"{REASON}:{version}:{holder.benefit}".encode()).hexdigest()[:32]
        decision_id = decisions.add(
            conn,
            decision={
                "family_id": holder.family_id,
                "benefit": holder.benefit,
                "eligible": False,
                "status": "not_eligible",
                "amount_kzt": 0,
                "fingerprint": fingerprint,
                "as_of": as_of.isoformat(),
                "ruleset_version": version,
                "event_id": event_id,
                "change": "termination",
                "body": body,
                "created_at": clock.iso(now),
            },
        )
        target = holdings.Target(
            family_id=holder.family_id,
            benefit=holder.benefit,
            name=name,
            period=str(holder.holding.row["period"]),
            amount_kzt=0,
            decision_id=decision_id,
            fingerprint=fingerprint,
            as_of=as_of,
            event_id=event_id,
            recipient_iin="",
        )
        previous_id = int(holder.holding.row["decision_id"])
        prior = decisions.get(conn, decision_id=previous_id)
        opened.append(
            reviews.open_review(
                conn,
                region=family["region"],
                kind="termination",
                reasons=[REASON],
                target=target,
                decision=body,
                previous={"holding": holder.holding.summary(), "decision": prior["body"] if prior else None},
                previous_decision_id=previous_id,
                now=now,
            )
        )
        families.touch(conn, family_id=holder.family_id)
    return opened
