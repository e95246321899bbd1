"""A dead letter as an auditor sees it: IINs masked, unless asked for in full, which is audited.

Refused messages are kept as received, so their raw bodies hold IINs in full. Reading them is the
auditors' job alone (the bus, which wrote them, sees each event's status, not the bodies), and even
auditors see the IINs masked unless they ask with `unmask=true`; that access is an audit entry
(`dead_letter.unmasked`) naming who looked at which letter.
"""

from __future__ import annotations

from typing import Any

from service import audit, clock, logs
from service.context import AppContext
from service.errors import ServiceError
from service.store import events as event_store
from service.store import uow


def show(ctx: AppContext, *, letter_id: str, unmask: bool, actor: str) -> dict[str, Any]:
    """The dead letter's fields (raw body and reasons masked unless `unmask`); 404 if there is none."""
    with uow.UnitOfWork(ctx.db, write=unmask) as work:
        letter = event_store.dead_letter(work.conn, letter_id=letter_id)
        if letter is None:
            raise ServiceError(404, ["path", "dead_letter_id"], f"no dead letter {letter_id}", "not_found")
        if unmask:
            audit.append(
                work.conn,
                kind="dead_letter.unmasked",
                actor=actor,
                at=clock.iso(ctx.clock()),
                subject=letter_id,
                data={"dead_letter_id": letter_id, "event_id": letter["event_id"]},
            )
            work.commit()
    reason = letter["reason"]
    raw = letter["raw_body"]
    if not unmask:
        raw = logs.mask(raw)
        reason = [{**r, "msg": logs.mask(str(r.get("msg", "")))} for r in reason]
    return {
        "dead_letter_id": letter["id"],
        "event_id": letter["event_id"],
        "type": letter["type"],
        "received_at": letter["received_at"],
        "status_code": letter["status_code"],
        "reason": reason,
        "raw_body": raw,
        "masked": not unmask,
    }
