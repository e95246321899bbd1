"""The simulated eGov sign-in: an IIN, then a one-time code sent through the SMS outbox.

A code is six digits, stored only as a keyed digest, valid for `code_minutes`, good for one
sign-in and for `code_attempts` wrong entries at most. Asking for codes is throttled per IIN
(`codes_per_window` within `window_minutes`), whether or not a family holds the IIN, and the answer
is the same either way, so the form does not tell who is registered. In development the code is
also logged, with the IIN masked, so a developer can sign in without a phone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

from engine import iin as iin_rules
from engine import model
from service import audit, clock
from service.context import AppContext
from service.family_page.settings import FamilyPageSettings
from service.store import citizens, offers, uow

log = logging.getLogger("familycard.family_page")
SENDER = "eGov"
CHANNEL = "sms"


@dataclass(frozen=True)
class Sent:
    """A code asked for: its id (kept in the session), or why none was sent."""

    code_id: str | None
    refused: str | None = None  # "iin_invalid" | "throttled"


@dataclass(frozen=True)
class Checked:
    """A code entered: the family and member it signs in, or why not."""

    family_id: str | None
    member: str | None
    refused: str | None = None  # "code_wrong" | "code_expired" | "code_used" | "too_many_attempts"


def _digest(secret: str, *parts: str) -> str:
    return hmac.new(secret.encode(), "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def request_code(ctx: AppContext, *, iin: str, secret: str, settings: FamilyPageSettings, print_codes: bool) -> Sent:
    """Send a code to the member with this IIN (if a family holds it), within the throttle."""
    iin = iin.strip()
    if not iin_rules.is_valid(iin):
        return Sent(None, "iin_invalid")
    now = ctx.clock()
    iin_digest = _digest(secret, "iin", iin)
    masked = model.mask_iin(iin)
    with uow.UnitOfWork(ctx.db, write=True) as work:
        conn = work.conn
        since = clock.iso(now - dt.timedelta(minutes=settings.window_minutes))
        if citizens.codes_since(conn, iin_digest=iin_digest, since=since) >= settings.codes_per_window:
            audit.append(
                conn,
                kind="citizen.signin_throttled",
                actor=f"citizen:{masked}",
                at=clock.iso(now),
                family_id=None,
                subject=None,
                data={},
            )
            work.commit()
            return Sent(None, "throttled")
        family = citizens.family_of(conn, iin=iin)
        code = f"{secrets.randbelow(10**6):06d}"
        code_id = clock.new_id("sc")
        citizens.add_code(
            conn,
            code={
                "code_id": code_id,
                "iin_digest": iin_digest,
                "member": masked,
                "family_id": family["family_id"] if family else None,
                "code_digest": _digest(secret, code_id, code),
                "created_at": clock.iso(now),
                "expires_at": clock.iso(now + dt.timedelta(minutes=settings.code_minutes)),
                "used_at": None,
                "attempts": 0,
            },
        )
        if family is not None:
            minutes = int(settings.code_minutes)
            offers.add_message(
                conn,
                message={
                    "id": clock.new_id("ms"),
                    "family_id": family["family_id"],
                    "offer_id": None,
                    "channel": CHANNEL,
                    "sender": SENDER,
                    "recipient_iin": iin,
                    "text_kk": f"eGov: отбасы парақшасына кіру коды {code}. {minutes} минут жарамды. "
                    "Кодты ешкімге айтпаңыз.",
                    "text_ru": f"eGov: код входа на страницу семьи {code}. Действует {minutes} мин. "
                    "Никому не сообщайте код.",
                    "status": "pending",
                    "created_at": clock.iso(now),
                },
            )
            audit.append(
                conn,
                kind="citizen.code_sent",
                actor=f"citizen:{masked}",
                at=clock.iso(now),
                family_id=family["family_id"],
                subject=code_id,
                data={},
            )
        work.commit()
    if print_codes and family is not None:
        log.warning("family page sign-in code for %s: %s (development only)", masked, code)
    return Sent(code_id)


def check_code(ctx: AppContext, *, code_id: str, code: str, secret: str, settings: FamilyPageSettings) -> Checked:
    """Sign in with a code: right, unexpired, unused, within the attempts; the code is then spent."""
    now = ctx.clock()
    with uow.UnitOfWork(ctx.db, write=True) as work:
        conn = work.conn
        row = citizens.get_code(conn, code_id=code_id)
        if row is None:
            return Checked(None, None, "code_expired")
        if row["used_at"] is not None:
            return Checked(None, None, "code_used")
        if row["attempts"] >= settings.code_attempts:
            return Checked(None, None, "too_many_attempts")
        if dt.datetime.fromisoformat(row["expires_at"]) < now:
            return Checked(None, None, "code_expired")
        right = hmac.compare_digest(row["code_digest"], _digest(secret, code_id, code.strip()))
        if not right or row["family_id"] is None:
            citizens.update_code(conn, code_id=code_id, values={"attempts": row["attempts"] + 1})
            work.commit()
            return Checked(None, None, "code_wrong")
        citizens.update_code(conn, code_id=code_id, values={"used_at": clock.iso(now), "attempts": row["attempts"] + 1})
        audit.append(
            conn,
            kind="citizen.signed_in",
            actor=f"citizen:{row['member']}",
            at=clock.iso(now),
            family_id=row["family_id"],
            subject=code_id,
            data={},
        )
        work.commit()
    return Checked(str(row["family_id"]), str(row["member"]))
