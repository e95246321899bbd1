"""The bus intake: one event in, all its effects committed in one transaction, or none.

The proactive loop. `family.registered` creates the family's record; every later registry event
updates it (fact by fact, see `service.record`), recomputes the indicators, re-evaluates every
benefit and compares each decision with what the family holds:

- newly eligible → an offer and its SMS in the outbox (or a review first, if the rules flag it);
- more for the family (a higher amount) → applied at once;
- adverse (reduction, termination, withdrawing an open offer) → no change; a review opens;
- one-time payments and notices → offered when *this event* raised them (a birth, a death), i.e.
  the decision on the new record beats the decision on the old record as of the same date.

Exactly once over an at-least-once bus: the `events` table's primary key is the event id, written
in the same transaction as the effects, under the single writer lock, so a redelivery (even a
concurrent one) answers `duplicate` and changes nothing. An event that cannot be applied is
answered 4xx naming the problem and kept, with its raw body and reason, in `dead_letters`; a
rejected event holds no idempotency key, so a corrected redelivery can still be applied.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

import orjson
import sqlalchemy as sa
from pydantic import BaseModel, ValidationError

from engine import clocks, model
from engine.assessment import Assessment, Verdict
from engine.decision import Texts
from engine.errors import EvaluationError
from engine.review_policy import Change
from service import audit, clock, events, holdings, offers, record, reviews
from service.context import AppContext
from service.domain import policy, wording
from service.errors import clean, item
from service.store import decisions, entitlements, families, uow
from service.store import events as event_store
from service.store import offers as offer_store
from service.store import reviews as review_store

log = logging.getLogger("familycard.intake")

ONGOING = policy.ONGOING
QUIET = frozenset({"none", "unchanged"})  # changes that carry nothing out (see `policy.decide`)
NEVER = "9999-12-31"  # `families.next_change_on` of a family whose decisions time alone never moves
ACTORS = {policy.Trigger.EVENT: "engine", policy.Trigger.CALENDAR: "calendar", policy.Trigger.ROLLOUT: "rollout"}

# Work a family event out (read the record, evaluate) before taking the writer lock, so that with
# several workers the lock is held only for the writes (see `_plan_ahead`). Measured with two
# workers on SQLite: about twice the events per second of doing it all under the lock. Tests
# turn it off to cover the path that works everything out under the lock.
PLAN_AHEAD = True


class Refused(Exception):
    """An event that cannot be applied: the status code and the errors naming what is wrong."""

    def __init__(self, status_code: int, detail: list[dict[str, Any]]) -> None:
        super().__init__(detail[0]["msg"] if detail else "refused")
        self.status_code = status_code
        self.detail = detail


def _refuse(status_code: int, loc: list[str | int], msg: str, kind: str) -> Refused:
    return Refused(status_code, [item(loc, msg, kind)])


@dataclass
class Effects:
    """What an event changed, as its answer lists it."""

    offers_created: list[dict[str, Any]] = field(default_factory=list)
    entitlements_changed: list[dict[str, Any]] = field(default_factory=list)
    reviews_opened: list[dict[str, Any]] = field(default_factory=list)
    reviews_superseded: list[dict[str, Any]] = field(default_factory=list)
    offers_closed: list[dict[str, Any]] = field(default_factory=list)
    notices_sent: list[dict[str, Any]] = field(default_factory=list)
    not_offered: list[dict[str, Any]] = field(default_factory=list)
    decisions_recorded: list[dict[str, Any]] = field(default_factory=list)
    consent: dict[str, Any] | None = None


EFFECT_LISTS = tuple(f for f in fields(Effects) if f.name != "consent")


def fingerprint(d: Verdict) -> str:
    """What makes two decisions on one benefit the same for the family (not the explanation text)."""
    return _fingerprint(d.eligible, d.status, d.amount_kzt, d.period, d.amount_case, d.requires_human_review,
                        d.review_reasons)


@functools.lru_cache(maxsize=65_536)
def _fingerprint(
    eligible: bool, status: str, amount_kzt: int, period: str, case: str | None, review: bool, reasons: tuple[str, ...]
) -> str:
    # A pure function of a few small values, asked thirteen times per event and mostly for the
    # same values again: remembered. Stored fingerprints are compared across releases, so the
    # digest stays what it always was.
    key = {
        "eligible": eligible, "status": status, "amount_kzt": amount_kzt, "period": period, "case": case,
        "review": review, "reasons": sorted(reasons),
    }
    return hashlib.sha256(audit.canonical_flat(key).encode()).hexdigest()[:32]


# --- parsing -------------------------------------------------------------------------------------

def parse(raw: bytes) -> tuple[events.Envelope, BaseModel]:
    """The envelope and its typed payload, or `Refused` with every error and its field path."""
    try:
        data = orjson.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _refuse(422, ["body"], f"the body is not valid JSON ({exc})", "json_invalid") from exc
    if not isinstance(data, dict):
        raise _refuse(422, ["body"], "an event must be a JSON object", "model_attributes_type")
    try:
        envelope = events.Envelope.model_validate(data)
    except ValidationError as exc:
        raise Refused(422, [{**e, "loc": ["body", *e["loc"]]} for e in clean(exc.errors())]) from exc
    payload_model = events.PAYLOADS.get(envelope.type)
    if payload_model is None:
        raise _refuse(422, ["body", "type"],
                      f"unknown event type '{envelope.type}'; expected one of: {', '.join(events.EVENT_TYPES)}",
                      "unknown_event_type")
    try:
        payload = payload_model.model_validate(envelope.payload)
    except ValidationError as exc:
        raise Refused(422, [{**e, "loc": ["body", "payload", *e["loc"]]} for e in clean(exc.errors())]) from exc
    return envelope, payload


def _guess(raw: bytes) -> tuple[str | None, str | None]:
    """The event id and type of a message that failed validation, when it has usable ones."""
    try:
        data = orjson.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    event_id, kind = data.get("event_id"), data.get("type")
    return (
        event_id if isinstance(event_id, str) and 0 < len(event_id) <= 128 else None,
        kind if isinstance(kind, str) and len(kind) <= 40 else None,
    )


# --- the use case --------------------------------------------------------------------------------

def receive(ctx: AppContext, *, raw: bytes, actor: str) -> tuple[int, dict[str, Any]]:
    """Apply one bus message; (HTTP status, answer)."""
    started = time.perf_counter()
    try:
        envelope, payload = parse(raw)
    except Refused as refused:
        event_id, kind = _guess(raw)
        return _dead_letter(ctx, raw=raw, event_id=event_id, kind=kind, refused=refused, actor=actor)
    try:
        answer = _apply(ctx, envelope=envelope, payload=payload)
    except Refused as refused:
        return _dead_letter(ctx, raw=raw, event_id=envelope.event_id, kind=envelope.type, refused=refused,
                            actor=actor)
    except sa.exc.IntegrityError:
        # A concurrent delivery of the same event committed first: ours rolled back entirely.
        with uow.UnitOfWork(ctx.db, write=False) as work:
            seen = event_store.get(work.conn, event_id=envelope.event_id)
        if seen is None:
            raise
        answer = _duplicate(seen)
    ctx.metrics.events.labels(envelope.type, answer["status"]).inc()
    ctx.metrics.event_apply.labels(envelope.type).observe(time.perf_counter() - started)
    return 200, answer


def apply_internal(ctx: AppContext, *, envelope: events.Envelope, payload: BaseModel) -> dict[str, Any]:
    """Apply an event the service made itself (a calendar tick, a roll-out) through the bus's use case.

    The same transaction, the same idempotency key (`events.event_id`), the same policy; a
    `Refused` is raised to the caller (nothing the bus sent is at stake, so nothing is dead-lettered).
    """
    started = time.perf_counter()
    try:
        answer = _apply(ctx, envelope=envelope, payload=payload)
    except sa.exc.IntegrityError:
        with uow.UnitOfWork(ctx.db, write=False) as work:
            seen = event_store.get(work.conn, event_id=envelope.event_id)
        if seen is None:
            raise
        answer = _duplicate(seen)
    ctx.metrics.events.labels(envelope.type, answer["status"]).inc()
    ctx.metrics.event_apply.labels(envelope.type).observe(time.perf_counter() - started)
    return answer


def _duplicate(seen: dict[str, Any]) -> dict[str, Any]:
    return {**seen["effects"], "status": "duplicate", "first_received_at": seen["received_at"]}


def _apply(ctx: AppContext, *, envelope: events.Envelope, payload: BaseModel) -> dict[str, Any]:
    family_event = not isinstance(payload, events.ConsentReceived)
    ahead = _plan_ahead(ctx, envelope, payload) if family_event and PLAN_AHEAD else None
    return _apply_locked(ctx, envelope=envelope, payload=payload, ahead=ahead)


def _apply_locked(
    ctx: AppContext, *, envelope: events.Envelope, payload: BaseModel, ahead: _Plan | None
) -> dict[str, Any]:
    with uow.UnitOfWork(ctx.db, write=True) as work:
        conn = work.conn
        # A plan made ahead read, a moment ago, that the event was new and which rules generation
        # is current. A redelivery committed since then is caught by the events primary key (the
        # whole transaction rolls back and `receive` answers `duplicate`).
        if ahead is None:
            seen = event_store.get(conn, event_id=envelope.event_id)
            if seen is not None:
                return _duplicate(seen)
            ctx.rules.sync(conn)
        now = ctx.clock()
        effects = Effects()
        if _sweep_due(ctx, now):
            for offer_id in offers.sweep(conn, now=now):
                effects.offers_closed.append({"offer_id": offer_id, "status": "expired"})
        answer: dict[str, Any] = {"event_id": envelope.event_id, "status": "applied", "type": envelope.type}
        if isinstance(payload, events.ConsentReceived):
            family_id = _consent(conn, envelope=envelope, payload=payload, now=now, effects=effects)
            answer.update(family_id=family_id, late=False, superseded_facts=[])
        else:
            answer.update(_family_event(ctx, conn, envelope=envelope, payload=payload, now=now, effects=effects,
                                        ahead=ahead))
        # The lists as they are (`dataclasses.asdict` would deep-copy every effect for nothing).
        answer["effects"] = {f.name: getattr(effects, f.name) for f in EFFECT_LISTS}
        if effects.consent is not None:
            answer["effects"]["consent"] = effects.consent
        event_store.add(
            conn,
            event={
                "event_id": envelope.event_id, "type": envelope.type, "family_id": answer["family_id"],
                "occurred_at": envelope.occurred_at.isoformat(), "received_at": clock.iso(now),
                "source": envelope.source, "payload": payload.model_dump(mode="json"),
                "late": bool(answer["late"]), "effects": answer,
            },
        )
        work.commit()
    _count(ctx, effects)
    return answer


SWEEP_EVERY = dt.timedelta(seconds=1)


def _sweep_due(ctx: AppContext, now: dt.datetime) -> bool:
    """Whether this worker should write overdue offers as expired now (at most once per `SWEEP_EVERY`).

    An overdue offer already reads as expired everywhere (`offers.effective_status`); the sweep
    only writes that down and audits it, so once a second per worker is plenty. Measured on the
    service's clock, which tests move forward.
    """
    last = ctx.state.get("last_sweep")
    if last is not None and abs(now - last) < SWEEP_EVERY:
        return False
    ctx.state["last_sweep"] = now
    return True


def _count(ctx: AppContext, effects: Effects) -> None:
    for d in effects.decisions_recorded:
        ctx.metrics.decisions.labels(d["benefit"], d["change"]).inc()
    for o in effects.offers_created:
        ctx.metrics.offers.labels(o["benefit"], "open").inc()
    for r in effects.reviews_opened:
        ctx.metrics.reviews.labels(r["kind"], "pending").inc()
    if effects.consent is not None:
        ctx.metrics.offers.labels(effects.consent["benefit"], effects.consent["status"]).inc()


def _consent(
    conn: sa.Connection, *, envelope: events.Envelope, payload: events.ConsentReceived, now: dt.datetime,
    effects: Effects,
) -> str:
    offer = offer_store.get(conn, offer_id=payload.offer_id)
    if offer is None:
        raise _refuse(422, ["body", "payload", "offer_id"], f"no offer {payload.offer_id}", "unknown_offer")
    try:
        effect = offers.answer(conn, offer=offer, accepted=payload.accepted, channel=payload.channel,
                               event_id=envelope.event_id, answered_at=envelope.occurred_at, now=now)
    except offers.AnswerError as exc:
        raise _refuse(exc.status_code, ["body", "payload", "offer_id"], exc.message, exc.kind) from exc
    effects.consent = effect
    families.touch(conn, family_id=str(offer["family_id"]))
    if "entitlement" in effect:
        ent = effect["entitlement"]
        effects.entitlements_changed.append(
            {"benefit": offer["benefit"], "entitlement_id": ent["id"], "change": "grant", "from_kzt": 0,
             "to_kzt": ent["amount_kzt"], "active_from": ent["active_from"], "status": ent["status"]})
    return str(offer["family_id"])


@dataclass
class _Plan:
    """What a family event means for the record and the decisions, worked out from one reading of it.

    Everything here is a function of the record (snapshot, facts, last event time), the event and
    the rule set, so a plan made before the write lock (`_plan_ahead`) is used under the lock
    only if the record and the rule set are still exactly what it was made from: the record's
    `revision` (raised by every change to it) tells, in one small read.
    """

    row: dict[str, Any] | None  # the record it was made from; None: no record yet
    version: str
    outcome: record.Outcome
    family: model.Family
    last: dt.datetime
    late: bool
    as_of: dt.date
    evaluated: bool
    trigger: policy.Trigger = policy.Trigger.EVENT
    previous_as_of: dt.date | None = None
    next_change: dt.date | None = None
    assessment: Assessment | None = None
    before: dict[str, policy.Before] = field(default_factory=dict)
    fingerprints: list[str] = field(default_factory=list)
    indicators: dict[str, Any] = field(default_factory=dict)
    holdings: _Holdings | None = None  # read with the record (plans made ahead only)


def _plan(ctx: AppContext, row: dict[str, Any] | None, envelope: events.Envelope, payload: BaseModel) -> _Plan:
    """The new record, and (if anything changed) the evaluation with all it needs; `Refused` if it cannot be."""
    family_id = str(getattr(payload, "family_id"))  # noqa: B009 - every family payload has one
    version = ctx.rules.version
    if row is None:
        if not isinstance(payload, model.Family):
            raise _refuse(422, ["body", "payload", "family_id"],
                          f"unknown family {family_id}: no family.registered event has been applied for it",
                          "unknown_family")
        outcome = record.register(envelope, payload)
        previous_last: dt.datetime | None = None
    else:
        previous_last = record.parse_time(row["last_occurred_at"])
        try:
            outcome = record.apply(snapshot=row["snapshot"], facts=row["facts"], event=envelope, payload=payload,
                                   last_occurred_at=previous_last)
        except record.FactError as exc:
            raise _refuse(422, ["body", "payload", *exc.loc], exc.message, exc.kind) from exc
    family = _validate(outcome.snapshot, registration=isinstance(payload, model.Family))
    trigger = _trigger_of(payload)
    last = envelope.occurred_at if previous_last is None else max(previous_last, envelope.occurred_at)
    late = previous_last is not None and envelope.occurred_at < previous_last
    as_of = last.date()
    moved = previous_last is None or as_of != previous_last.date()
    plan = _Plan(row=row, version=version, outcome=outcome, family=family, last=last, late=late,
                 as_of=as_of, evaluated=bool(outcome.applied or moved or trigger is not policy.Trigger.EVENT),
                 trigger=trigger, previous_as_of=previous_last.date() if previous_last else None)
    if plan.evaluated:
        plan.assessment = assessed = _evaluate(ctx, family, as_of)
        plan.next_change = ctx.rules.engine.next_change(family, as_of)
        plan.fingerprints = [fingerprint(d) for d in assessed.verdicts]
        # Each indicator with the event that last changed it, as the record will keep them.
        plan.indicators = record.track_indicators(row["indicators"] if row else {}, assessed.all_indicators(),
                                                  envelope)
        # What the family had before is needed only when this evaluation makes a one-off payment
        # eligible (see `policy.occasion`): for a bus event, the record before it as of the same
        # date; when time or the rules moved, the decisions last given.
        if row is not None and any(d.eligible and d.period == "one_time" for d in assessed.verdicts):
            if trigger is policy.Trigger.EVENT:
                plan.before = _decisions_before(ctx, row["snapshot"], as_of)
            else:
                plan.before = _decisions_given(ctx, row, family, plan.previous_as_of or as_of)
    return plan


def _trigger_of(payload: BaseModel) -> policy.Trigger:
    if isinstance(payload, events.CalendarTick):
        return policy.Trigger.CALENDAR
    if isinstance(payload, events.RolloutTick):
        return policy.Trigger.ROLLOUT
    return policy.Trigger.EVENT


def _plan_ahead(ctx: AppContext, envelope: events.Envelope, payload: BaseModel) -> _Plan | None:
    """The plan made on a read of the record, before the write lock (None if it cannot be made).

    With several workers this keeps the rule engine, and every read, out of the time the writer
    lock is held: the record and the family's holdings are read here, in one read transaction,
    and under the lock the plan is used only if the record's revision (raised by every change
    to the record or the holdings) is still the one read here.
    """
    family_id = str(getattr(payload, "family_id"))  # noqa: B009 - every family payload has one
    try:
        with uow.UnitOfWork(ctx.db, write=False) as work:
            row, seen, generation = families.for_event(work.conn, family_id=family_id, event_id=envelope.event_id)
            if seen:
                return None  # a redelivery: the write path answers it from the stored effects
            ctx.rules.catch_up(generation)
            plan = _plan(ctx, row, envelope, payload)
            if plan.evaluated:  # a family with no record yet holds nothing
                plan.holdings = NOTHING_HELD if row is None else _read_holdings(work.conn, family_id)
        return plan
    except Exception:  # the write path works it out again, and refuses or fails there
        log.debug("no plan ahead for event %s", envelope.event_id, exc_info=True)
        return None


def _family_event(
    ctx: AppContext, conn: sa.Connection, *, envelope: events.Envelope, payload: BaseModel, now: dt.datetime,
    effects: Effects, ahead: _Plan | None = None,
) -> dict[str, Any]:
    family_id = str(getattr(payload, "family_id"))  # noqa: B009 - every family payload has one
    if ahead is not None and _still_good(ctx, conn, family_id, ahead):
        plan = ahead
    else:
        plan = _plan(ctx, families.get(conn, family_id=family_id), envelope, payload)
    row = plan.row
    family, as_of, late, outcome = plan.family, plan.as_of, plan.late, plan.outcome
    indicators_now = row["indicators"] if row else {}
    latest = row.get("latest") if row else {}
    ruleset_version = plan.version
    if plan.evaluated and plan.assessment is not None:
        assessed = plan.assessment
        ruleset_version = assessed.ruleset_version
        indicators_now = plan.indicators
        latest = _reconcile(ctx, conn, plan=plan, assessed=assessed, envelope=envelope, latest=latest, now=now,
                            effects=effects)
    values = {
        "region": family.region, "snapshot": outcome.snapshot, "facts": outcome.facts, "indicators": indicators_now,
        "last_occurred_at": plan.last.isoformat(), "updated_at": clock.iso(now),
        "last_event_id": envelope.event_id if not late else (row["last_event_id"] if row else envelope.event_id),
        "latest": latest, "revision": row["revision"] + 1 if row else 0,
    }
    if plan.evaluated:
        values["next_change_on"] = plan.next_change.isoformat() if plan.next_change else NEVER
    if row is None:
        families.add(conn, record={"family_id": family_id, "created_at": clock.iso(now), **values})
    else:
        families.update(conn, family_id=family_id, values=values)
    return {"family_id": family_id, "late": late, "superseded_facts": outcome.superseded, "as_of": as_of.isoformat(),
            "ruleset_version": ruleset_version}


def _still_good(ctx: AppContext, conn: sa.Connection, family_id: str, plan: _Plan) -> bool:
    """Whether a plan made ahead rests on the record and the rules as they are now (under the lock).

    One small read: the record's revision, and the rules generation, so that a reload another
    worker committed since the plan was made is caught up with here, before anything is decided.
    """
    revision, generation = families.stamp(conn, family_id=family_id)
    ctx.rules.catch_up(generation)
    if plan.version != ctx.rules.version:
        return False
    return revision is None if plan.row is None else revision == plan.row["revision"]


def _validate(snapshot: dict[str, Any], *, registration: bool) -> model.Family:
    try:
        return model.Family.model_validate(snapshot)
    except ValidationError as exc:
        prefix: list[str | int] = ["body", "payload"] if registration else ["body", "payload", "resulting_snapshot"]
        raise Refused(422, [{**e, "loc": [*prefix, *e["loc"]]} for e in clean(exc.errors())]) from exc


def _evaluate(ctx: AppContext, family: model.Family, as_of: dt.date) -> Assessment:
    started = time.perf_counter()
    try:
        return ctx.rules.engine.assess(family, as_of)
    except EvaluationError as exc:
        raise _refuse(422, ["body", "payload", *str(exc.field).split(".")], exc.message, "evaluation_error") from exc
    finally:
        ctx.metrics.evaluate.observe(time.perf_counter() - started)


# --- comparing decisions with holdings -----------------------------------------------------------

@dataclass
class _Family:
    """What reconciliation knows about one family while it runs."""

    latest: dict[str, dict[str, Any]]
    held: dict[str, holdings.Holding]
    pending: dict[str, dict[str, Any]]
    rejected: dict[str, dict[str, Any]]
    last_offer: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class _Holdings:
    """A family's offers, pending or rejected reviews and entitlements, as read from the store."""

    offers: list[dict[str, Any]]
    reviews: list[dict[str, Any]]
    entitlements: list[dict[str, Any]]


NOTHING_HELD = _Holdings([], [], [])


def _read_holdings(conn: sa.Connection, family_id: str) -> _Holdings:
    # Only pending reviews and rejections matter here (never the long tail of resolved ones).
    return _Holdings(offer_store.for_family(conn, family_id=family_id),
                     review_store.pending_or_rejected(conn, family_id=family_id),
                     entitlements.for_family(conn, family_id=family_id))


def _load(
    conn: sa.Connection, family_id: str, now: dt.datetime, latest: dict[str, Any] | None, read: _Holdings | None
) -> _Family:
    """What reconciliation needs; `read`: the holdings as the plan ahead read them (else read now)."""
    if read is None:
        read = _read_holdings(conn, family_id)
    family_offers, family_reviews = read.offers, read.reviews
    state = _Family(
        # The record keeps its latest decisions; one written before it did is read the old way.
        latest=decisions.latest_by_benefit(conn, family_id=family_id) if latest is None else dict(latest),
        held=holdings.index(family_entitlements=read.entitlements, family_offers=family_offers, now=now),
        pending={}, rejected={}, last_offer={},
    )
    for review in family_reviews:
        if review["status"] == reviews.PENDING:
            state.pending[review["benefit"]] = review
        elif review["status"] == "rejected":
            state.rejected[review["benefit"]] = review
    for offer in family_offers:
        state.last_offer[offer["benefit"]] = offer
    return state


def _reconcile(
    ctx: AppContext, conn: sa.Connection, *, plan: _Plan, assessed: Assessment, envelope: events.Envelope,
    latest: dict[str, Any] | None, now: dt.datetime, effects: Effects,
) -> dict[str, Any]:
    """Store the decisions that changed and act on each; the family's latest decision per benefit."""
    family, fingerprints, before, as_of, trigger = plan.family, plan.fingerprints, plan.before, plan.as_of, plan.trigger
    actor = ACTORS[trigger]
    is_new = latest == {}
    state = _load(conn, family.family_id, now, latest, plan.holdings)
    because = _why(ctx, plan) if trigger is policy.Trigger.CALENDAR else None
    head = next(m for m in family.members if m.relation == "head")
    # First every decision's change and amount, and the rows to store (all in one statement); then
    # what each decision means for the holdings, in the engine's order, as before.
    # (index, decision, fingerprint, change, amount, id of the stored decision it repeats or None)
    planned: list[tuple[int, Verdict, str, str, int, int | None]] = []
    new_rows: list[dict[str, Any]] = []
    for i, (d, fp) in enumerate(zip(assessed.verdicts, fingerprints, strict=True)):
        held = state.held.get(d.benefit)
        prev = state.latest.get(d.benefit)
        if d.period in ONGOING:
            change = policy.change_of(d, policy.Held(held.kind, held.amount_kzt) if held else None).value
            amount = d.amount_kzt
        else:
            told = d.eligible and d.period == "notice" and _told_eligible(conn, prev)
            amount = policy.occasion(d, trigger, before.get(d.benefit), told)
            change = "grant" if amount > 0 else "none"
        kept = int(prev["id"]) if not is_new and prev is not None and prev["fingerprint"] == fp else None
        planned.append((i, d, fp, change, amount, kept))
        if kept is None:
            new_rows.append({
                "family_id": family.family_id, "benefit": d.benefit, "eligible": d.eligible, "status": d.status,
                "amount_kzt": d.amount_kzt, "fingerprint": fp, "as_of": as_of.isoformat(),
                "ruleset_version": assessed.ruleset_version, "event_id": envelope.event_id, "change": change,
                "body": assessed.decision(i), "created_at": clock.iso(now),
            })
    new_ids = iter(decisions.add_many(conn, decisions=new_rows))
    stored: list[dict[str, Any]] = []
    for i, d, fp, change, amount, kept_id in planned:
        if kept_id is None:
            decision_id = next(new_ids)
            stored.append({"decision_id": decision_id, "benefit": d.benefit, "eligible": d.eligible,
                           "status": d.status, "amount_kzt": d.amount_kzt, "change": change})
        else:
            decision_id = kept_id
        state.latest[d.benefit] = _latest_entry(decision_id, fp, d)
        if change in QUIET and (d.period not in ONGOING or d.benefit not in state.pending):
            continue  # nothing to carry out, and no pending review for this decision to supersede
        target = holdings.Target(
            family_id=family.family_id, benefit=d.benefit, name=_texts(d.name), period=d.period, amount_kzt=amount,
            decision_id=decision_id, fingerprint=fp, as_of=as_of, event_id=envelope.event_id,
            recipient_iin=head.iin, actor=actor, why=because,
        )
        _act(ctx, conn, d=d, change=change, target=target, state=state, region=family.region, now=now,
             effects=effects, body=functools.partial(assessed.decision, i))
    if stored:
        audit.append(conn, kind="decisions", actor=actor, at=clock.iso(now), family_id=family.family_id,
                     subject=envelope.event_id,
                     data={"event_id": envelope.event_id, "as_of": as_of.isoformat(),
                           "ruleset_version": assessed.ruleset_version, "decisions": stored})
    effects.decisions_recorded.extend(stored)
    return state.latest


def _latest_entry(decision_id: int, fp: str, d: Verdict) -> dict[str, Any]:
    """What the record keeps of its latest decision on a benefit: enough to compare without reading it.

    (`eligible` and `amount_kzt` tell what the family was last told, for notices and for one-offs
    moved by time or the rules; `status` and `reasons` let a roll-out find the families whose
    decisions a new rule set changes, see `service.rollout`.)
    """
    return {"id": decision_id, "fingerprint": fp, "eligible": d.eligible, "status": d.status,
            "amount_kzt": d.amount_kzt, "reasons": ",".join(sorted(d.review_reasons))}


def _told_eligible(conn: sa.Connection, prev: dict[str, Any] | None) -> bool:
    """Whether the last decision the family was given on a benefit was eligible."""
    if prev is None:
        return False
    if "eligible" in prev:
        return bool(prev["eligible"])
    row = decisions.get(conn, decision_id=int(prev["id"]))  # a record kept before it remembered this
    return bool(row and row["eligible"])


def _decisions_given(
    ctx: AppContext, row: dict[str, Any], family: model.Family, previous_as_of: dt.date
) -> dict[str, policy.Before]:
    """The decisions last given, from the record (or, for a record older than that, worked out again)."""
    latest = row.get("latest") or {}
    if latest and all("eligible" in v for v in latest.values()):
        return {b: policy.Before(bool(v["eligible"]), int(v["amount_kzt"])) for b, v in latest.items()}
    try:
        verdicts = _evaluate(ctx, family, previous_as_of).verdicts
    except Refused:
        return {}
    return {d.benefit: policy.Before(d.eligible, d.amount_kzt) for d in verdicts}


def _why(ctx: AppContext, plan: _Plan) -> Texts | None:
    """What time did between the family's previous date and this one, in words."""
    if plan.previous_as_of is None or plan.previous_as_of >= plan.as_of:
        return None
    sched = ctx.rules.engine.schedule(plan.previous_as_of)
    return wording.why(clocks.moments(sched, plan.family, plan.previous_as_of, plan.as_of))


def _decisions_before(
    ctx: AppContext, previous_snapshot: dict[str, Any] | None, as_of: dt.date
) -> dict[str, policy.Before]:
    """The decisions on the record as it was before this event, as of the same date (no explanations)."""
    if previous_snapshot is None:
        return {}
    previous = model.Family.model_validate(previous_snapshot)
    try:
        return {d.benefit: policy.Before(d.eligible, d.amount_kzt) for d in _evaluate(ctx, previous, as_of).verdicts}
    except Refused:
        return {}


@functools.lru_cache(maxsize=256)
def _texts_of(kk: str, ru: str, en: str) -> Texts:
    return Texts(kk=kk, ru=ru, en=en)


def _texts(name: dict[str, str]) -> Texts:
    """A benefit's name as the offers' SMS texts take it (one frozen model per name, reused)."""
    return _texts_of(name["kk"], name["ru"], name["en"])


def _proposal(review: dict[str, Any] | None) -> policy.Proposal | None:
    if review is None:
        return None
    return policy.Proposal(review["kind"], review["proposed"]["fingerprint"], int(review["proposed"]["amount_kzt"]))


def _act(
    ctx: AppContext, conn: sa.Connection, *, d: Verdict, change: str, target: holdings.Target, state: _Family,
    region: str, now: dt.datetime, effects: Effects, body: Callable[[], dict[str, Any]],
) -> None:
    """Carry out what `policy.decide` says one decision means (`body()`: the decision with its explanation)."""
    benefit = d.benefit
    held = state.held.get(benefit)
    last = state.last_offer.get(benefit)
    situation = policy.Situation(
        held=policy.Held(held.kind, held.amount_kzt) if held else None,
        pending=_proposal(state.pending.get(benefit)),
        rejected=_proposal(state.rejected.get(benefit)),
        last_offer=policy.LastOffer(last["offer_id"], last["status"], last["fingerprint"]) if last else None,
    )
    actions = policy.decide(d, change=Change(change), amount_kzt=target.amount_kzt, fingerprint=target.fingerprint,
                            review_reasons=d.review_reasons, requires_human_review=d.requires_human_review,
                            situation=situation)
    expiry = ctx.settings.offer_expiry_days
    for action in actions:
        if isinstance(action, policy.SupersedeReview):
            effects.reviews_superseded.append(
                reviews.supersede(conn, review=state.pending[benefit], now=now, why=action.why))
        elif isinstance(action, policy.OpenReview):
            effects.reviews_opened.append(_open_review(conn, action, d=d, held=held, target=target, state=state,
                                                       region=region, now=now, body=body))
        elif isinstance(action, policy.SendNotice):
            message_id = offers.notify(conn, family_id=target.family_id, benefit=benefit, name=target.name,
                                       recipient_iin=target.recipient_iin, now=now, decision_id=target.decision_id,
                                       actor=target.actor)
            effects.notices_sent.append({"benefit": benefit, "message_id": message_id})
        elif isinstance(action, policy.NotOffered):
            effects.not_offered.append({"benefit": benefit, "why": action.why,
                                        "refused_offer_id": action.refused_offer_id})
        elif isinstance(action, policy.MakeOffer):
            effects.offers_created.append(holdings.offer(conn, target=target, now=now, expiry_days=expiry))
        elif isinstance(action, policy.RaiseAmount) and held is not None:
            changed = holdings.change_amount(conn, holding=held, target=target, now=now, expiry_days=expiry,
                                             actor=target.actor, change="increase")
            effects.entitlements_changed.append(changed)
            if changed.get("offer"):
                effects.offers_created.append(changed["offer"])


def _open_review(
    conn: sa.Connection, action: policy.OpenReview, *, d: Verdict, held: holdings.Holding | None,
    target: holdings.Target, state: _Family, region: str, now: dt.datetime, body: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """A review of the proposed change, with the previous decision (and holding) beside it."""
    previous = None
    previous_decision_id = None
    if held is not None:
        previous_decision_id = int(held.row["decision_id"])
        prior = decisions.get(conn, decision_id=previous_decision_id)
        previous = {"holding": held.summary(), "decision": prior["body"] if prior else None}
    elif d.benefit in state.latest:
        previous_decision_id = int(state.latest[d.benefit]["id"])
        prior = decisions.get(conn, decision_id=previous_decision_id)
        previous = {"holding": None, "decision": prior["body"] if prior else None}
    return reviews.open_review(conn, region=region, kind=action.kind, reasons=list(action.reasons), target=target,
                               decision=body(), previous=previous, previous_decision_id=previous_decision_id,
                               now=now)


# --- refusals ------------------------------------------------------------------------------------

def _dead_letter(
    ctx: AppContext, *, raw: bytes, event_id: str | None, kind: str | None, refused: Refused, actor: str
) -> tuple[int, dict[str, Any]]:
    """Keep a refused message with its reason (and audit it); the 4xx answer naming the problem."""
    now = ctx.clock()
    letter_id = clock.new_id("dl")
    with uow.UnitOfWork(ctx.db, write=True) as work:
        event_store.add_dead_letter(work.conn, letter={
            "id": letter_id, "event_id": event_id, "type": kind, "received_at": clock.iso(now),
            "status_code": refused.status_code, "reason": refused.detail,
            "raw_body": raw.decode("utf-8", errors="replace"),
        })
        audit.append(work.conn, kind="event.rejected", actor=actor, at=clock.iso(now), subject=event_id or letter_id,
                     data={"dead_letter_id": letter_id, "event_id": event_id, "type": kind,
                           "status_code": refused.status_code,
                           "reasons": [f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in refused.detail][:20]})
        work.commit()
    ctx.metrics.events.labels(kind if kind in events.PAYLOADS else "invalid", "rejected").inc()
    log.info("event rejected", extra={"event_id": event_id, "dead_letter_id": letter_id,
                                       "reason": refused.detail[0]["type"]})
    return refused.status_code, {"detail": refused.detail, "status": "rejected", "event_id": event_id,
                                 "dead_letter_id": letter_id}
