"""The proactive calendar: families whose decisions time has moved are re-decided on the very day.

Every family record carries `next_change_on`, the earliest date on which its decisions can change
by time alone (`engine.clocks`: a birthday at an age a rule reads, the end of a window after a
death or a job loss, 1 January's new parameters, a rule version taking effect). `run` re-evaluates
every family whose date has come through the bus's own use case (`intake.apply_internal`), one
transaction per family, under the idempotency key `calendar:{family_id}:{date}`, recorded like an
event (`GET /v1/events/{id}`) and audited with the actor `calendar`. The policy is the bus's: more
for the family is applied or offered at once (with an SMS naming the new amount and its date), less
or nothing waits for a reviewer, a notice is sent once.

The date a tick carries is the day the right changed, never the day the scheduler ran: a service
that was down over several dates catches up family by family in date order (each tick moves the
family's `next_change_on` to its next date, which the next pass picks up). Running it twice
changes nothing the second time; a kill in the middle loses nothing, since each tick commits
alone and a committed one is not due again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from service import events, intake, leases
from service.context import AppContext
from service.store import tables, uow

log = logging.getLogger("familycard.calendar")

LOCAL = dt.timezone(dt.timedelta(hours=5), "Asia/Almaty")  # Kazakhstan's one time zone since 2024
BATCH = 200
LEASE = "calendar"


def today(ctx: AppContext) -> dt.date:
    """The date in Kazakhstan now, by the service's clock."""
    return ctx.clock().astimezone(LOCAL).date()


@dataclass
class Summary:
    """What a run did."""

    until: dt.date
    ticks: int = 0
    families: set[str] = field(default_factory=set)
    increases: int = 0
    offers: int = 0
    reviews: int = 0
    notices: int = 0
    duplicates: int = 0
    failed: int = 0

    def add(self, answer: dict[str, Any]) -> None:
        """Count one tick's answer."""
        if answer.get("status") == "duplicate":
            self.duplicates += 1
            return
        self.ticks += 1
        self.families.add(str(answer["family_id"]))
        fx = answer["effects"]
        self.increases += sum(1 for e in fx["entitlements_changed"] if e.get("change") == "increase")
        self.offers += len(fx["offers_created"])
        self.reviews += len(fx["reviews_opened"])
        self.notices += len(fx["notices_sent"])

    def lines(self) -> list[str]:
        """The summary as the CLI prints it."""
        return [
            f"calendar run until {self.until.isoformat()}: "
            f"{self.ticks} re-evaluations of {len(self.families)} families",
            f"  amounts raised: {self.increases}, offers made: {self.offers}, reviews opened: {self.reviews}, "
            f"notices sent: {self.notices}",
            f"  already applied: {self.duplicates}, failed: {self.failed}",
        ]


_DUE = (
    sa.select(tables.families.c.family_id, tables.families.c.next_change_on, tables.families.c.last_occurred_at)
    .where(
        sa.or_(tables.families.c.next_change_on <= sa.bindparam("until"), tables.families.c.next_change_on.is_(None))
    )
    .order_by(
        tables.families.c.next_change_on.is_not(None), tables.families.c.next_change_on, tables.families.c.family_id
    )
    .limit(sa.bindparam("limit"))
)


def due(db: sa.Engine, *, until: dt.date, limit: int = BATCH) -> list[tuple[str, dt.date]]:
    """Families whose next change date has come by `until`, earliest first, with that date.

    A record older than the calendar (no date yet) is due at its own date: re-deciding it there
    changes nothing but fills its date in.
    """
    with uow.UnitOfWork(db, write=False) as work:
        found = work.conn.execute(_DUE, {"until": until.isoformat(), "limit": limit}).all()
    out = []
    for family_id, next_on, last in found:
        day = dt.date.fromisoformat(next_on) if next_on else dt.datetime.fromisoformat(last).date()
        out.append((family_id, min(day, until)))
    return out


def tick(ctx: AppContext, *, family_id: str, day: dt.date) -> dict[str, Any]:
    """Re-decide one family as of `day` (the bus's use case; idempotent under `calendar:{family}:{day}`)."""
    payload = events.CalendarTick(family_id=family_id, date=day)
    envelope = events.Envelope(
        event_id=f"calendar:{family_id}:{day.isoformat()}",
        type=events.INTERNAL_TYPES[events.CalendarTick],
        occurred_at=dt.datetime.combine(day, dt.time(0, 0), tzinfo=LOCAL),
        source="calendar",
        payload=payload.model_dump(mode="json"),
    )
    return intake.apply_internal(ctx, envelope=envelope, payload=payload)


def run(ctx: AppContext, *, until: dt.date | None = None, keep_going: Callable[[], bool] = lambda: True) -> Summary:
    """Apply every change due by `until` (default today), in date order; what was done."""
    summary = Summary(until or today(ctx))
    for family_id, day in _pending(ctx, summary, keep_going):
        _one(ctx, summary, family_id, day)
    return summary


async def run_async(
    ctx: AppContext, *, until: dt.date | None = None, keep_going: Callable[[], bool] = lambda: True
) -> Summary:
    """`run` inside the server: the event loop serves requests between two families."""
    summary = Summary(until or today(ctx))
    for family_id, day in _pending(ctx, summary, keep_going):
        _one(ctx, summary, family_id, day)
        await asyncio.sleep(0)
    return summary


def _pending(ctx: AppContext, summary: Summary, keep_going: Callable[[], bool]) -> Any:
    """Due families batch after batch until none is left (a failed one is retried the next day)."""
    while keep_going():
        batch = due(ctx.db, until=summary.until)
        if not batch:
            return
        for item in batch:
            if not keep_going():
                return
            yield item


def _one(ctx: AppContext, summary: Summary, family_id: str, day: dt.date) -> None:
    try:
        answer = tick(ctx, family_id=family_id, day=day)
    except intake.Refused as refused:
        summary.failed += 1
        ctx.metrics.calendar.labels("failed").inc()
        log.error(
            "calendar: family could not be re-decided",
            extra={"family_id": family_id, "date": day.isoformat(), "reason": refused.detail[0]["msg"]},
        )
        _postpone(ctx, family_id, day)
        return
    summary.add(answer)
    ctx.metrics.calendar.labels(str(answer.get("status"))).inc()
    if answer.get("status") == "duplicate":
        _postpone(ctx, family_id, day)  # applied before, yet still due: never spin on it


def _postpone(ctx: AppContext, family_id: str, day: dt.date) -> None:
    """Try a family again the next day (its date is early, never late, so this loses nothing)."""
    with uow.UnitOfWork(ctx.db, write=True) as work:
        work.conn.execute(
            tables.families.update()
            .where(tables.families.c.family_id == family_id)
            .values(next_change_on=(day + dt.timedelta(days=1)).isoformat())
        )
        work.commit()


async def scheduler(ctx: AppContext, *, interval_s: float, holder: str) -> None:
    """Inside `familycard serve`: every `interval_s`, the holder of the calendar lease runs what is due.

    Every worker runs this loop; the lease (`service.leases`) lets one work and the others stand
    by. The lease is renewed between families and given up if lost, so a worker that hangs or dies
    is replaced within three intervals.
    """
    ttl = dt.timedelta(seconds=max(30.0, 3 * interval_s))
    renewed = [ctx.clock()]

    def still_leader() -> bool:
        now = ctx.clock()
        if now - renewed[0] < ttl / 3:
            return True
        renewed[0] = now
        return leases.hold(ctx.db, name=LEASE, holder=holder, now=now, ttl=ttl)

    try:
        while True:
            try:
                renewed[0] = ctx.clock()
                if leases.hold(ctx.db, name=LEASE, holder=holder, now=renewed[0], ttl=ttl):
                    summary = await run_async(ctx, keep_going=still_leader)
                    if summary.ticks or summary.failed:
                        log.info(
                            "calendar: " + " ".join(summary.lines()).replace("  ", " "),
                            extra={"ticks": summary.ticks, "families": len(summary.families)},
                        )
                    from service import rollout

                    await rollout.resume_async(ctx, keep_going=still_leader)
            except Exception:  # the next round tries again; the scheduler never takes the server down
                log.exception("calendar: the run failed")
            await asyncio.sleep(interval_s)
    finally:
        try:
            leases.release(ctx.db, name=LEASE, holder=holder)
        except Exception:  # shutting down: a lease that runs out is taken over anyway
            log.debug("calendar: lease not released", exc_info=True)
