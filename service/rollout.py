"""Roll-outs: when the law changes, every family whose decisions change is re-decided.

A reload (or a restart on new rule files) brings a rule set of another version. The calendar's
lease holder notices (`resume_async`, every scheduler round) and rolls it out: the stored families
are read in `family_id` order, a chunk at a time; the vectorised path (`engine.vectorised.run`)
decides each chunk under the new rules in one pass, and the families whose decisions differ from
the ones they were last given (status, amount, review reasons, kept on the record as `latest`)
are re-decided one by one through the bus's use case (`intake.apply_internal`, key
`rollout:{rollout_id}:{family_id}`, actor `rollout`): increases applied, new rights offered, cuts
and ends sent to review, never applied.

The progress is a row of `rollouts` (`GET /v1/rules/rollout`, the `familycard_rollout_families`
gauge, log lines): families checked, changed, applied, reviews opened, and the last family done,
so a roll-out interrupted by a crash resumes where it stopped (a family re-decided just before the
crash answers `duplicate` under its key and is not applied twice).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa

from engine import model
from engine.vectorised import run, tables
from service import calendar, clock, events, intake
from service.context import AppContext
from service.store import tables as db_tables
from service.store import uow

log = logging.getLogger("familycard.rollout")

CHUNK = 2000
R = db_tables.rollouts
F = db_tables.families


def latest(db: sa.Engine) -> dict[str, Any] | None:
    """The most recent roll-out, or None."""
    with uow.UnitOfWork(db, write=False) as work:
        row = work.conn.execute(sa.select(R).order_by(R.c.started_at.desc(), R.c.id.desc()).limit(1)).first()
    return dict(row._mapping) if row else None


def _begin(ctx: AppContext, *, from_version: str, to_version: str, done: bool) -> dict[str, Any]:
    now = clock.iso(ctx.clock())
    with uow.UnitOfWork(ctx.db, write=True) as work:
        total = work.conn.execute(sa.select(sa.func.count()).select_from(F)).scalar_one()
        row = {
            "id": clock.new_id("ro"),
            "from_version": from_version,
            "to_version": to_version,
            "as_of": calendar.today(ctx).isoformat(),
            "status": "done" if done else "running",
            "families_total": 0 if done else total,
            "checked": 0,
            "changed": 0,
            "applied": 0,
            "reviews_opened": 0,
            "after_family_id": None,
            "started_at": now,
            "updated_at": now,
            "started_by": "scheduler",
        }
        work.conn.execute(R.insert(), row)
        if not done:
            from service import audit

            audit.append(
                work.conn,
                kind="rules.rollout.started",
                actor="rollout",
                at=now,
                subject=str(row["id"]),
                data={"from_version": from_version, "to_version": to_version, "families": total},
            )
        work.commit()
    return row


def pending(ctx: AppContext) -> dict[str, Any] | None:
    """The roll-out to work on now: a running one, or a new one if the rules moved since the last."""
    with uow.UnitOfWork(ctx.db, write=False) as work:
        ctx.rules.sync(work.conn)
    current = ctx.rules.version
    last = latest(ctx.db)
    if last is None:
        # The first start: the families were decided under these rules; nothing to roll out.
        _begin(ctx, from_version=current, to_version=current, done=True)
        return None
    if last["status"] == "running":
        return last
    if last["to_version"] != current:
        return _begin(ctx, from_version=last["to_version"], to_version=current, done=False)
    return None


def resume(ctx: AppContext, *, keep_going: Callable[[], bool] = lambda: True) -> dict[str, Any] | None:
    """Run the pending roll-out to its end (or until `keep_going` says stop); its row.

    What time changed up to the roll-out's date is applied first, each change on its own date
    (as the scheduler does before it rolls out), so a roll-out moves decisions for the law only.
    """
    calendar.run(ctx, keep_going=keep_going)
    row = pending(ctx)
    if row is None:
        return None
    for _ in _steps(ctx, row, keep_going):
        pass
    return latest(ctx.db)


async def resume_async(ctx: AppContext, *, keep_going: Callable[[], bool] = lambda: True) -> None:
    """`resume` inside the server: the event loop serves requests between two families."""
    row = pending(ctx)
    if row is None:
        return
    for _ in _steps(ctx, row, keep_going):
        await asyncio.sleep(0)


def _steps(ctx: AppContext, row: dict[str, Any], keep_going: Callable[[], bool]) -> Iterator[None]:
    engine = ctx.rules.engine
    if engine.version != row["to_version"]:
        return  # this worker does not serve that rule set yet; the next round catches up
    day = dt.date.fromisoformat(row["as_of"])
    compiled = run.compile_program(engine.program(day), engine.book)
    after = row["after_family_id"]
    while keep_going():
        chunk = _chunk(ctx.db, after)
        if not chunk:
            _finish(ctx, row)
            return
        families = [model.Family.model_validate(r["snapshot"]) for r in chunk]
        decided = run.evaluate(compiled, tables.from_snapshots(families), day)
        by_id = {r["family_id"]: r for r in decided.rows(named=True)}
        changed = applied = reviews = 0
        for r in chunk:
            if not _differs(r, by_id.get(r["family_id"]), compiled.benefit_ids, day):
                continue
            changed += 1
            answer = _apply(ctx, row, r["family_id"])
            fx = answer.get("effects", {})
            applied += bool(fx.get("entitlements_changed") or fx.get("offers_created") or fx.get("notices_sent"))
            reviews += len(fx.get("reviews_opened", []))
            yield None
        after = chunk[-1]["family_id"]
        row = _progress(ctx, row, checked=len(chunk), changed=changed, applied=applied, reviews=reviews, after=after)
        ctx.metrics.rollout.labels("checked").set(row["checked"])
        ctx.metrics.rollout.labels("changed").set(row["changed"])
        ctx.metrics.rollout.labels("applied").set(row["applied"])
        ctx.metrics.rollout.labels("reviews_opened").set(row["reviews_opened"])
        log.info(
            f"rollout {row['id']}: {row['checked']}/{row['families_total']} families checked, "
            f"{row['changed']} changed, {row['applied']} applied, {row['reviews_opened']} reviews opened"
        )
        yield None


def _chunk(db: sa.Engine, after: str | None) -> list[dict[str, Any]]:
    query = sa.select(F.c.family_id, F.c.snapshot, F.c.latest, F.c.last_occurred_at).order_by(F.c.family_id)
    if after is not None:
        query = query.where(F.c.family_id > after)
    with uow.UnitOfWork(db, write=False) as work:
        return [dict(r._mapping) for r in work.conn.execute(query.limit(CHUNK))]


def _differs(record: dict[str, Any], decided: dict[str, Any] | None, benefit_ids: list[str], day: dt.date) -> bool:
    """Whether the new rules decide otherwise than the family was last told (unknown: yes)."""
    if decided is None or dt.datetime.fromisoformat(record["last_occurred_at"]).date() > day:
        return True
    return not as_told(record["latest"] or {}, decided, benefit_ids)


def as_told(latest: dict[str, Any], decided: dict[str, Any], benefit_ids: list[str]) -> bool:
    """Whether a vectorised decision row says, for every benefit, what the record's `latest` says the
    family was last told (status, amount, review reasons); a benefit not recorded so: no."""
    for b in benefit_ids:
        told = latest.get(b)
        if told is None or "status" not in told:
            return False
        if (told["status"], int(told["amount_kzt"]), told["reasons"]) != (
            str(decided[f"{b}.status"]),
            int(decided[f"{b}.amount_kzt"] or 0),
            str(decided[f"{b}.review_reasons"]),
        ):
            return False
    return True


def _apply(ctx: AppContext, row: dict[str, Any], family_id: str) -> dict[str, Any]:
    payload = events.RolloutTick(family_id=family_id, rollout_id=row["id"], ruleset_version=row["to_version"])
    envelope = events.Envelope(
        event_id=f"rollout:{row['id']}:{family_id}",
        type=events.INTERNAL_TYPES[events.RolloutTick],
        occurred_at=ctx.clock(),
        source="rollout",
        payload=payload.model_dump(mode="json"),
    )
    try:
        return intake.apply_internal(ctx, envelope=envelope, payload=payload)
    except intake.Refused as refused:
        log.error(
            "rollout: family could not be re-decided",
            extra={"family_id": family_id, "reason": refused.detail[0]["msg"]},
        )
        return {}


def _progress(
    ctx: AppContext, row: dict[str, Any], *, checked: int, changed: int, applied: int, reviews: int, after: str
) -> dict[str, Any]:
    values = {
        "checked": row["checked"] + checked,
        "changed": row["changed"] + changed,
        "applied": row["applied"] + applied,
        "reviews_opened": row["reviews_opened"] + reviews,
        "after_family_id": after,
        "updated_at": clock.iso(ctx.clock()),
    }
    with uow.UnitOfWork(ctx.db, write=True) as work:
        work.conn.execute(R.update().where(R.c.id == row["id"]).values(**values))
        work.commit()
    return {**row, **values}


def _finish(ctx: AppContext, row: dict[str, Any]) -> None:
    from service import audit

    now = clock.iso(ctx.clock())
    with uow.UnitOfWork(ctx.db, write=True) as work:
        work.conn.execute(R.update().where(R.c.id == row["id"]).values(status="done", updated_at=now))
        audit.append(
            work.conn,
            kind="rules.rollout.done",
            actor="rollout",
            at=now,
            subject=row["id"],
            data={
                k: row[k]
                for k in (
                    "from_version",
                    "to_version",
                    "families_total",
                    "checked",
                    "changed",
                    "applied",
                    "reviews_opened",
                )
            },
        )
        work.commit()
    log.info(
        f"rollout {row['id']} done: {row['checked']} families checked, {row['changed']} changed, "
        f"{row['applied']} applied, {row['reviews_opened']} reviews opened"
    )
