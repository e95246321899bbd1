"""What a family holds for a benefit, and the changes to it: offer, raise, reduce, end.

A family "holds" an ongoing benefit when it has an active entitlement or an open offer for it; an
open offer counts because taking it away before the family answers is as adverse as ending a
payment. Both the event intake (favourable changes, applied at once) and the review resolution
(adverse changes, applied only when a reviewer approves) change holdings through this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa

from engine.decision import Texts
from service import audit, clock, offers
from service.domain import wording
from service.store import entitlements


@dataclass(frozen=True)
class Holding:
    """An active entitlement or an open offer for one benefit."""

    kind: Literal["entitlement", "offer"]
    row: dict[str, Any]

    @property
    def amount_kzt(self) -> int:
        """What the family receives, or was offered."""
        return int(self.row["amount_kzt"])

    def summary(self) -> dict[str, Any]:
        """The holding as a review shows it."""
        key = "id" if self.kind == "entitlement" else "offer_id"
        return {
            "kind": self.kind, "id": self.row[key], "amount_kzt": self.amount_kzt, "period": self.row["period"],
            "decision_id": self.row["decision_id"], "status": self.row["status"],
        }


def index(
    *, family_entitlements: list[dict[str, Any]], family_offers: list[dict[str, Any]], now: dt.datetime
) -> dict[str, Holding]:
    """The family's holdings by benefit (an active entitlement wins over an open offer)."""
    held: dict[str, Holding] = {}
    for offer in family_offers:
        if offers.effective_status(offer, now) == offers.OPEN:
            held[offer["benefit"]] = Holding("offer", offer)
    for ent in family_entitlements:
        if ent["status"] == "active":
            held[ent["benefit"]] = Holding("entitlement", ent)
    return held


@dataclass(frozen=True)
class Target:
    """The decision a change carries out, with what an offer needs to be written."""

    family_id: str
    benefit: str
    name: Texts
    period: str
    amount_kzt: int
    decision_id: int
    fingerprint: str
    as_of: dt.date
    event_id: str
    recipient_iin: str
    actor: str = "engine"  # who carries the change out: engine (a bus event), calendar, rollout, a reviewer
    why: Texts | None = None  # what time did, in words, when the calendar moved the decision


def offer(conn: sa.Connection, *, target: Target, now: dt.datetime, expiry_days: int) -> dict[str, Any]:
    """Make an offer for the target decision (SMS in the outbox, audited); the effect."""
    made = offers.make(
        conn, family_id=target.family_id, benefit=target.benefit, name=target.name,
        amount_kzt=target.amount_kzt, period=target.period, decision_id=target.decision_id,
        fingerprint=target.fingerprint, eligible_from=target.as_of, trigger_event_id=target.event_id,
        recipient_iin=target.recipient_iin, now=now, expiry_days=expiry_days, actor=target.actor,
    )
    return {"offer_id": made["offer_id"], "benefit": target.benefit, "amount_kzt": target.amount_kzt,
            "period": target.period, "expires_at": made["expires_at"]}


def change_amount(
    conn: sa.Connection, *, holding: Holding, target: Target, now: dt.datetime, expiry_days: int, actor: str,
    change: str,
) -> dict[str, Any]:
    """Raise or reduce what is held: an entitlement in place, an open offer by a new offer."""
    if holding.kind == "entitlement":
        ent = holding.row
        entitlements.update(
            conn, entitlement_id=ent["id"],
            values={"amount_kzt": target.amount_kzt, "decision_id": target.decision_id,
                    "fingerprint": target.fingerprint, "updated_at": clock.iso(now)},
        )
        entitlements.new_amount(conn, entitlement=ent, amount_kzt=target.amount_kzt, decision_id=target.decision_id,
                                effective=target.as_of)
        if change == "increase":
            texts = wording.amount_change(name=target.name, amount_kzt=target.amount_kzt, effective=target.as_of,
                                          because=target.why)
            offers.message(conn, family_id=target.family_id, recipient_iin=target.recipient_iin, texts=texts,
                           now=now)
        audit.append(
            conn, kind="entitlement.changed", actor=actor, at=clock.iso(now), family_id=target.family_id,
            subject=ent["id"],
            data={"benefit": target.benefit, "change": change, "from_kzt": holding.amount_kzt,
                  "to_kzt": target.amount_kzt, "decision_id": target.decision_id,
                  "effective": target.as_of.isoformat()},
        )
        return {"benefit": target.benefit, "entitlement_id": ent["id"], "change": change,
                "from_kzt": holding.amount_kzt, "to_kzt": target.amount_kzt}
    offers.close(conn, offer=holding.row, status="superseded", now=now, actor=actor,
                 data={"reason": change, "to_kzt": target.amount_kzt})
    made = offer(conn, target=target, now=now, expiry_days=expiry_days)
    return {"benefit": target.benefit, "offer_id": holding.row["offer_id"], "replaced_by": made["offer_id"],
            "change": change, "from_kzt": holding.amount_kzt, "to_kzt": target.amount_kzt, "offer": made}


def end(
    conn: sa.Connection, *, holding: Holding, target: Target, now: dt.datetime, actor: str
) -> dict[str, Any]:
    """End what is held: the entitlement stops on the decision's date, an open offer is withdrawn."""
    if holding.kind == "entitlement":
        ent = holding.row
        entitlements.update(
            conn, entitlement_id=ent["id"],
            values={"status": "ended", "ended_on": target.as_of.isoformat(), "decision_id": target.decision_id,
                    "updated_at": clock.iso(now)},
        )
        entitlements.end_amounts(conn, entitlement=ent, ended_on=target.as_of)
        audit.append(
            conn, kind="entitlement.ended", actor=actor, at=clock.iso(now), family_id=target.family_id,
            subject=ent["id"],
            data={"benefit": target.benefit, "ended_on": target.as_of.isoformat(), "decision_id": target.decision_id},
        )
        return {"benefit": target.benefit, "entitlement_id": ent["id"], "change": "termination",
                "from_kzt": holding.amount_kzt, "to_kzt": 0}
    offers.close(conn, offer=holding.row, status="withdrawn", now=now, actor=actor,
                 data={"decision_id": target.decision_id})
    return {"benefit": target.benefit, "offer_id": holding.row["offer_id"], "change": "withdrawn",
            "from_kzt": holding.amount_kzt, "to_kzt": 0}
