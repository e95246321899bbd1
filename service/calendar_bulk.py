"""Quiet calendar ticks in bulk: the families on whom 1 January changes nothing, recorded in one go.

On 1 January every family reaches its `next_change_on` (new parameters may move any decision),
but most families hold nothing and are due nothing, before and after. For them the bus's use case
would evaluate, find every decision unchanged, carry nothing out and write two rows: the tick's
event and the record's new date. This module does exactly that for a whole batch at once, and only
where it is provably the same:

- the day is the first of an epoch and no anchor of the family reaches a threshold that day (so
  no indicator moved: only the rules' constants did);
- the family holds nothing (no active entitlement, no open offer) and has no pending review;
- the vectorised path (`engine.vectorised.run`) decides every benefit as the family was last told
  (status, amount, review reasons), and no ongoing benefit is eligible (an eligible one the family
  does not hold would be offered again, which the full use case does);
- under the writer lock, the record's revision is still the one read, and the tick is not recorded.

Everything else goes through `intake.apply_internal` as before. The record's indicators are left
as they are (the rules' constants moved, not the family's facts).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import orjson
import sqlalchemy as sa

from engine import clocks, model
from engine.vectorised import run, tables
from service import clock, events, intake, rollout
from service.context import AppContext
from service.store import tables as db
from service.store import uow

F, E = db.families, db.events
_UPDATE = (
    F.update()
    .where(F.c.family_id == sa.bindparam("key_family_id"))
    .values(
        last_occurred_at=sa.bindparam("v_last"),
        last_event_id=sa.bindparam("v_event"),
        updated_at=sa.bindparam("v_updated"),
        next_change_on=sa.bindparam("v_next"),
        revision=F.c.revision + 1,
    )
)
_EMPTY: dict[str, list[Any]] = {f.name: [] for f in intake.EFFECT_LISTS}


def record_quiet(ctx: AppContext, items: list[tuple[str, dt.date]], local: dt.tzinfo) -> set[str]:
    """Record the ticks of `items` that change nothing, in bulk; the family ids done."""
    by_day: dict[dt.date, list[str]] = defaultdict(list)
    for family_id, day in items:
        by_day[day].append(family_id)
    done: set[str] = set()
    for day, ids in by_day.items():
        if ctx.rules.engine.program(day).start == day:
            done |= _one_day(ctx, day, ids, local)
    return done


def _one_day(ctx: AppContext, day: dt.date, ids: list[str], local: dt.tzinfo) -> set[str]:
    engine = ctx.rules.engine
    with uow.UnitOfWork(ctx.db, write=False) as work:
        rows = [
            dict(r)
            for r in work.conn.execute(
                sa.select(F.c.family_id, F.c.snapshot, F.c.latest, F.c.last_occurred_at, F.c.revision).where(
                    F.c.family_id.in_(ids)
                )
            ).mappings()
        ]
        busy = _holding_something(work.conn, ids)
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=local)
    sched = engine.schedule(day - dt.timedelta(days=1))
    candidates: list[tuple[dict[str, Any], model.Family]] = []
    for r in rows:
        latest = r["latest"] or {}
        if r["family_id"] in busy or not latest or not all("status" in v for v in latest.values()):
            continue
        if dt.datetime.fromisoformat(r["last_occurred_at"]) >= start:
            continue
        family = model.Family.model_validate(r["snapshot"])
        if any(m.kind != "epoch" for m in clocks.moments(sched, family, day - dt.timedelta(days=1), day)):
            continue
        candidates.append((r, family))
    if not candidates:
        return set()
    compiled = _compiled(ctx, day)
    decided = run.evaluate(compiled, tables.from_snapshots([f for _, f in candidates]), day)
    by_id = {d["family_id"]: d for d in decided.rows(named=True)}
    quiet = [(r, f) for r, f in candidates if _unchanged(r["latest"], by_id.get(r["family_id"]), compiled)]
    return _write(ctx, day, start, quiet)


def _holding_something(conn: sa.Connection, ids: list[str]) -> set[str]:
    ent, off, rev = db.entitlements, db.offers, db.reviews
    found = set(
        conn.execute(sa.select(ent.c.family_id).where(ent.c.family_id.in_(ids), ent.c.status == "active")).scalars()
    )
    found |= set(
        conn.execute(sa.select(off.c.family_id).where(off.c.family_id.in_(ids), off.c.status == "open")).scalars()
    )
    found |= set(
        conn.execute(sa.select(rev.c.family_id).where(rev.c.family_id.in_(ids), rev.c.status == "pending")).scalars()
    )
    return found


def _compiled(ctx: AppContext, day: dt.date) -> run.Compiled:
    cache: dict[tuple[str, dt.date], run.Compiled] = ctx.state.setdefault("calendar_compiled", {})
    key = (ctx.rules.version, day)
    if key not in cache:
        cache.clear()
        cache[key] = run.compile_program(ctx.rules.engine.program(day), ctx.rules.engine.book)
    return cache[key]


def _unchanged(latest: dict[str, Any], decided: dict[str, Any] | None, compiled: run.Compiled) -> bool:
    """Decided as last told, and no ongoing benefit eligible (one not held would be offered again)."""
    if decided is None or not rollout.as_told(latest, decided, compiled.benefit_ids):
        return False
    return not any(
        str(decided[f"{b}.status"]) == "eligible" and compiled.periods[b] in intake.ONGOING
        for b in compiled.benefit_ids
    )


def _write(
    ctx: AppContext, day: dt.date, start: dt.datetime, quiet: list[tuple[dict[str, Any], model.Family]]
) -> set[str]:
    if not quiet:
        return set()
    now = clock.iso(ctx.clock())
    version = ctx.rules.version
    kind = events.INTERNAL_TYPES[events.CalendarTick]
    with uow.UnitOfWork(ctx.db, write=True) as work:
        conn = work.conn
        ids = [r["family_id"] for r, _ in quiet]
        revisions = dict(conn.execute(sa.select(F.c.family_id, F.c.revision).where(F.c.family_id.in_(ids))).all())
        event_ids = {f"calendar:{i}:{day.isoformat()}": i for i in ids}
        seen = set(conn.execute(sa.select(E.c.event_id).where(E.c.event_id.in_(list(event_ids)))).scalars())
        added, updates = [], []
        for r, family in quiet:
            fid = r["family_id"]
            event_id = f"calendar:{fid}:{day.isoformat()}"
            if revisions.get(fid) != r["revision"] or event_id in seen:
                continue  # moved since it was read, or done: the full use case takes it
            nc = ctx.rules.engine.next_change(family, day)
            answer = {
                "event_id": event_id,
                "status": "applied",
                "type": kind,
                "family_id": fid,
                "late": False,
                "superseded_facts": [],
                "as_of": day.isoformat(),
                "ruleset_version": version,
                "effects": _EMPTY,
            }
            added.append(
                {
                    "event_id": event_id,
                    "type": kind,
                    "family_id": fid,
                    "occurred_at": start.isoformat(),
                    "received_at": now,
                    "source": "calendar",
                    "payload": {"family_id": fid, "date": day.isoformat()},
                    "late": False,
                    "effects": orjson.loads(orjson.dumps(answer)),
                }
            )
            updates.append(
                {
                    "key_family_id": fid,
                    "v_last": start.isoformat(),
                    "v_event": event_id,
                    "v_updated": now,
                    "v_next": nc.isoformat() if nc else intake.NEVER,
                }
            )
        if added:
            conn.execute(E.insert(), added)
            conn.execute(_UPDATE, updates)
        work.commit()
    return {u["key_family_id"] for u in updates}
