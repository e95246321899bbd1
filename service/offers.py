"""Offers: the proactive message to a family that a benefit is due, and the family's answer.

An offer is made from an eligible decision and sent as an SMS from the 1414 contact centre, in
Kazakh and Russian, naming the benefit, the amount and how to answer. Its lifecycle:

    open ──► accepted   (consent: the entitlement starts on the date the right arose)
         ├─► refused    (explicit only; not offered again until the family's circumstances change)
         ├─► expired    (no answer in time: NOT a refusal, never an adverse finding, no entitlement
         │               changes; the family is offered again at its next event)
         ├─► superseded (a better offer replaced it, e.g. a higher amount after a birth)
         └─► withdrawn  (eligibility ended before an answer; adverse, so only after a review)

The texts never ask for a card number, a code or a password: 1414 only ever asks for "1" or "0".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from engine.decision import Texts
from service import audit, clock
from service.store import entitlements, offers

SENDER = "1414"
CHANNEL = "sms-1414"
OPEN = "open"

_PERIOD = {
    "monthly": ("айына", "в месяц"),
    "quarterly": ("тоқсанына", "в квартал"),
    "one_time": ("біржолғы", "единовременно"),
    "notice": ("", ""),
}


def tenge(amount: int) -> str:
    """An amount as people read it: groups of three digits separated by spaces."""
    return f"{amount:,}".replace(",", " ")


def sms_texts(*, name: Texts, amount_kzt: int, period: str, offer_id: str, expires_at: dt.datetime) -> Texts:
    """The offer SMS in Kazakh and Russian (English for the console), from 1414."""
    kk_period, ru_period = _PERIOD.get(period, ("", ""))
    deadline = expires_at.astimezone(dt.UTC).strftime("%d.%m.%Y")
    ref = offer_id[-8:].upper()
    kk = (
        f"1414: Сіздің отбасыңызға «{name.kk}» тиесілі: {tenge(amount_kzt)} теңге {kk_period}. "
        f"Келісу үшін осы SMS-ке 1, бас тарту үшін 0 деп {deadline} дейін жауап беріңіз (тегін). "
        f"Өтініш жазудың қажеті жоқ. 1414 ешқашан карта деректерін, кодтарды немесе құпиясөзді "
        f"сұрамайды. Ұсыныс №{ref}."
    )
    ru = (
        f"1414: Вашей семье положено «{name.ru}»: {tenge(amount_kzt)} тг {ru_period}. "
        f"Чтобы согласиться, ответьте на это SMS цифрой 1, чтобы отказаться — 0, до {deadline} "
        f"(бесплатно). Заявление подавать не нужно. 1414 никогда не запрашивает данные карты, коды "
        f"или пароли. Предложение №{ref}."
    )
    en = (
        f"1414: Your family is due '{name.en}': {tenge(amount_kzt)} KZT {period.replace('_', '-')}. "
        f"Reply 1 to accept or 0 to refuse by {deadline} (free). No application is needed. 1414 never "
        f"asks for card details, codes or passwords. Offer No. {ref}."
    )
    return Texts(kk=kk, ru=ru, en=en)


def notice_texts(*, name: Texts) -> Texts:
    """An informational notice (no answer expected), e.g. that a pension age has been reached."""
    return Texts(
        kk=f"1414: Хабарлама: «{name.kk}». Қосымша ақпарат 1414 нөмірінде (тегін).",
        ru=f"1414: Уведомление: «{name.ru}». Подробности по номеру 1414 (бесплатно).",
        en=f"1414: Notice: '{name.en}'. Details on 1414 (free).",
    )


def effective_status(offer: dict[str, Any], now: dt.datetime) -> str:
    """An offer's status as of now: an open offer past its window reads as expired."""
    if offer["status"] == OPEN and offer["expires_at"] < clock.iso(now):
        return "expired"
    return str(offer["status"])


def make(
    conn: sa.Connection, *, family_id: str, benefit: str, name: Texts, amount_kzt: int, period: str,
    decision_id: int, fingerprint: str, eligible_from: dt.date, trigger_event_id: str, recipient_iin: str,
    now: dt.datetime, expiry_days: int, actor: str,
) -> dict[str, Any]:
    """Record an offer, put its SMS in the outbox and audit it; the offer as stored."""
    offer_id = clock.new_id("of")
    expires = now + dt.timedelta(days=expiry_days)
    offer = {
        "offer_id": offer_id, "family_id": family_id, "benefit": benefit, "status": OPEN,
        "amount_kzt": amount_kzt, "period": period, "decision_id": decision_id, "fingerprint": fingerprint,
        "eligible_from": eligible_from.isoformat(), "trigger_event_id": trigger_event_id,
        "sent_at": clock.iso(now), "expires_at": clock.iso(expires), "answered_at": None,
        "answer_event_id": None, "channel": None, "closed_at": None,
    }
    offers.add(conn, offer=offer)
    texts = sms_texts(name=name, amount_kzt=amount_kzt, period=period, offer_id=offer_id, expires_at=expires)
    offers.add_message(
        conn,
        message={
            "id": clock.new_id("ms"), "family_id": family_id, "offer_id": offer_id, "channel": CHANNEL,
            "sender": SENDER, "recipient_iin": recipient_iin, "text_kk": texts.kk, "text_ru": texts.ru,
            "status": "pending", "created_at": clock.iso(now),
        },
    )
    audit.append(
        conn, kind="offer.created", actor=actor, at=clock.iso(now), family_id=family_id, subject=offer_id,
        data={"benefit": benefit, "amount_kzt": amount_kzt, "period": period, "decision_id": decision_id,
              "eligible_from": offer["eligible_from"], "expires_at": offer["expires_at"],
              "trigger_event_id": trigger_event_id},
    )
    return offer


def notify(
    conn: sa.Connection, *, family_id: str, benefit: str, name: Texts, recipient_iin: str, now: dt.datetime,
    decision_id: int, actor: str,
) -> str:
    """Put an informational notice in the outbox and audit it; the message id."""
    texts = notice_texts(name=name)
    message_id = clock.new_id("ms")
    offers.add_message(
        conn,
        message={
            "id": message_id, "family_id": family_id, "offer_id": None, "channel": CHANNEL, "sender": SENDER,
            "recipient_iin": recipient_iin, "text_kk": texts.kk, "text_ru": texts.ru, "status": "pending",
            "created_at": clock.iso(now),
        },
    )
    audit.append(
        conn, kind="notice.sent", actor=actor, at=clock.iso(now), family_id=family_id, subject=message_id,
        data={"benefit": benefit, "decision_id": decision_id},
    )
    return message_id


def message(conn: sa.Connection, *, family_id: str, recipient_iin: str, texts: Texts, now: dt.datetime) -> str:
    """Put an informational SMS from 1414 in the outbox (no answer expected); the message id."""
    message_id = clock.new_id("ms")
    offers.add_message(
        conn,
        message={
            "id": message_id, "family_id": family_id, "offer_id": None, "channel": CHANNEL, "sender": SENDER,
            "recipient_iin": recipient_iin, "text_kk": texts.kk, "text_ru": texts.ru, "status": "pending",
            "created_at": clock.iso(now),
        },
    )
    return message_id


def close(
    conn: sa.Connection, *, offer: dict[str, Any], status: str, now: dt.datetime, actor: str,
    data: dict[str, Any] | None = None,
) -> None:
    """End an open offer without an answer (expired, superseded, withdrawn), audited."""
    offers.update(conn, offer_id=offer["offer_id"], values={"status": status, "closed_at": clock.iso(now)})
    audit.append(
        conn, kind=f"offer.{status}", actor=actor, at=clock.iso(now), family_id=offer["family_id"],
        subject=offer["offer_id"], data={"benefit": offer["benefit"], **(data or {})},
    )


def sweep(conn: sa.Connection, *, now: dt.datetime, limit: int = 100) -> list[str]:
    """Expire open offers whose window has closed; no entitlement changes. The expired ids."""
    expired = []
    for offer in offers.overdue(conn, now=clock.iso(now), limit=limit):
        close(conn, offer=offer, status="expired", now=now, actor="system",
              data={"expires_at": offer["expires_at"], "note": "no answer: not a refusal"})
        expired.append(offer["offer_id"])
    return expired


class AnswerError(Exception):
    """A consent that cannot be applied to its offer; `kind` and `status_code` say why."""

    def __init__(self, message: str, kind: str, status_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.status_code = status_code


def answer(
    conn: sa.Connection, *, offer: dict[str, Any], accepted: bool, channel: str, event_id: str,
    answered_at: dt.datetime, now: dt.datetime,
) -> dict[str, Any]:
    """Apply the family's answer: acceptance starts the entitlement, refusal closes the offer."""
    status = offer["status"]
    timely = answered_at <= dt.datetime.fromisoformat(offer["expires_at"])
    # An answer given in time counts even if it reaches us after the sweep marked the offer expired.
    if status not in (OPEN, "expired") or (status == "expired" and not timely):
        if status == "expired":
            raise AnswerError(
                f"offer {offer['offer_id']} expired at {offer['expires_at']} before this answer "
                f"({answered_at.isoformat()}); the family is offered again at its next event", "offer_expired", 409)
        raise AnswerError(f"offer {offer['offer_id']} is {status}; it takes no answer", "offer_closed", 409)
    if not timely:
        raise AnswerError(
            f"offer {offer['offer_id']} expired at {offer['expires_at']} before this answer "
            f"({answered_at.isoformat()}); the family is offered again at its next event", "offer_expired", 409)
    new_status = "accepted" if accepted else "refused"
    offers.update(
        conn, offer_id=offer["offer_id"],
        values={"status": new_status, "answered_at": answered_at.isoformat(), "answer_event_id": event_id,
                "channel": channel, "closed_at": clock.iso(now)},
    )
    audit.append(
        conn, kind="consent.received", actor=channel, at=clock.iso(now), family_id=offer["family_id"],
        subject=offer["offer_id"],
        data={"accepted": accepted, "event_id": event_id, "answered_at": answered_at.isoformat(),
              "benefit": offer["benefit"]},
    )
    effect: dict[str, Any] = {"offer_id": offer["offer_id"], "benefit": offer["benefit"], "status": new_status}
    if accepted:
        entitlement = {
            "id": clock.new_id("en"), "family_id": offer["family_id"], "benefit": offer["benefit"],
            "status": "granted" if offer["period"] in ("one_time", "notice") else "active",
            "amount_kzt": offer["amount_kzt"], "period": offer["period"], "active_from": offer["eligible_from"],
            "ended_on": None, "decision_id": offer["decision_id"], "offer_id": offer["offer_id"],
            "fingerprint": offer["fingerprint"], "updated_at": clock.iso(now),
        }
        entitlements.add(conn, entitlement=entitlement)
        if entitlement["status"] == "active":
            entitlements.new_amount(conn, entitlement=entitlement, amount_kzt=int(offer["amount_kzt"]),
                                    decision_id=int(offer["decision_id"]),
                                    effective=dt.date.fromisoformat(offer["eligible_from"]))
        audit.append(
            conn, kind="entitlement.granted", actor="system", at=clock.iso(now), family_id=offer["family_id"],
            subject=entitlement["id"],
            data={"benefit": offer["benefit"], "amount_kzt": offer["amount_kzt"], "period": offer["period"],
                  "active_from": offer["eligible_from"], "offer_id": offer["offer_id"]},
        )
        effect["entitlement"] = {k: entitlement[k] for k in ("id", "status", "amount_kzt", "active_from")}
    return effect
