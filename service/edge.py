"""What the bus intake checks at its edge, before and around applying an event.

- `screen_raw`: control characters anywhere in the message (a 422 naming the field);
- `screen_event`: plausibility of times, dates and membership (`service.plausibility`);
- `hold_on_conflict`: a member whose IIN another family also holds. The event is applied (the
  registries are the source of truth and may be mid-correction), but every grant or increase it
  would give goes to a caseworker with the review reason `iin_in_another_family`, so one person
  never brings two sets of benefits without a human deciding which family they belong to.

The intake (`service.intake`) calls these in three small places; the checks live here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import orjson
import sqlalchemy as sa
from pydantic import BaseModel

from engine import model
from engine.assessment import Assessment, Verdict
from service import clock, control_chars, events, plausibility
from service.context import AppContext
from service.store import members

log = logging.getLogger("familycard.edge")

IIN_CONFLICT = "iin_in_another_family"


def screen_raw(raw: bytes) -> list[dict[str, Any]]:
    """Control characters in any string of the message (empty: none, or not JSON at all)."""
    if not control_chars.maybe_present(raw):
        return []
    try:
        data = orjson.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return []  # not JSON: `parse` names that
    return control_chars.found(data, ["body"])


def limits(ctx: AppContext) -> plausibility.Limits:
    """The plausibility bounds the settings give."""
    s = ctx.settings
    return plausibility.limits_from(s.max_clock_skew_s, s.min_occurred_at, s.min_birth_date)


def now_for(ctx: AppContext) -> dt.datetime:
    """The latest of the service's clock and the wall clock.

    They are the same in production; a test (or a replay) may set the service's clock back, and
    an event is only "from the future" if it is after both.
    """
    return max(ctx.clock(), clock.utc_now())


def screen_event(ctx: AppContext, envelope: events.Envelope, payload: BaseModel) -> list[dict[str, Any]]:
    """Implausible times, dates or membership in a parsed event (empty: none)."""
    return plausibility.problems(envelope, payload, now=now_for(ctx), limits=limits(ctx))


class HeldAssessment(Assessment):
    """An assessment whose eligible decisions all wait for a caseworker, with one more review reason."""

    def __init__(self, inner: Assessment, reason: str) -> None:
        self.__dict__.update(inner.__dict__)
        self.reason = reason
        self.held = [v.eligible for v in inner.verdicts]
        self.__dict__["verdicts"] = [
            v._replace(requires_human_review=True, review_reasons=(*v.review_reasons, reason)) if v.eligible else v
            for v in inner.verdicts
        ]

    def decision(self, i: int) -> dict[str, Any]:
        """The i-th decision; a held one says it needs review and why."""
        body = super().decision(i)
        if not self.held[i]:
            return body
        return {**body, "requires_human_review": True, "review_reasons": [*body["review_reasons"], self.reason]}


def hold_on_conflict(
    conn: sa.Connection,
    family: model.Family,
    previous: dict[str, Any] | None,
    assessed: Assessment,
    fingerprints: list[str],
    fingerprint: Callable[[Verdict], str],
) -> tuple[Assessment, list[str]]:
    """Keep the member index current; if a member is in another family, the held assessment.

    `previous`: the family's snapshot before this event (None for a new family).

    Returns the assessment and fingerprints to act on (unchanged when there is no conflict).
    """
    held_before = [m["iin"] for m in previous.get("members", ())] if previous else []
    others = members.sync(conn, family_id=family.family_id, iins=[m.iin for m in family.members], previous=held_before)
    if not others:
        return assessed, fingerprints
    log.warning(
        "member in another family",
        extra={
            "family_id": family.family_id,
            "members": [model.mask_iin(i) for i in sorted(others)],
            "other_families": sorted({f for fams in others.values() for f in fams}),
        },
    )
    held = HeldAssessment(assessed, IIN_CONFLICT)
    return held, [fingerprint(v) for v in held.verdicts]
