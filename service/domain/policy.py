"""The proactive policy: what a new decision means for what a family holds, whatever moved it.

A decision can move because the bus reported a fact (`Trigger.EVENT`), because time passed
(`Trigger.CALENDAR`: a birthday, the end of a window, 1 January), because the law changed
(`Trigger.ROLLOUT`: a new rule set), or because a reviewer resolved a case. Whatever the trigger,
the same safeguards hold, and they live here, once, free of storage and web code:

- **more for the family** (a new right, a higher amount) is offered or applied at once;
- **less or nothing** (a reduction, an end, withdrawing an open offer) is never applied: a review
  opens with the previous and the proposed decision and waits for a person;
- **silence is never adverse**: nothing here reads an unanswered offer as a refusal;
- **a refusal is respected** until the circumstances change: the same decision is not offered again;
- **a one-off payment or notice is given once per occasion**: a second birth gives a second birth
  allowance, an income report does not, and a notice reaches a family once;
- a review the family's newer situation makes moot is superseded; one a reviewer rejected is not
  reopened for exactly the same proposal.

`decide` returns the actions; `service.intake` carries them out in the family's transaction.
Effective dates are the decision's own date (the day the right changed), never the day a
scheduler or a worker happened to run: the caller puts that date in the target it acts on.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

from engine.review_policy import Change, Current, Proposed, classify

ONGOING = frozenset({"monthly", "quarterly"})
QUIET = frozenset({Change.NONE, Change.UNCHANGED})
ADVERSE_KINDS = frozenset({"reduction", "termination"})


class Trigger(enum.StrEnum):
    """What moved the decision."""

    EVENT = "event"  # a registry fact from the bus
    CALENDAR = "calendar"  # the passage of time alone
    ROLLOUT = "rollout"  # a new rule set (or a rule version taking effect)


@dataclass(frozen=True)
class Held:
    """An active entitlement or an open offer for the benefit."""

    kind: Literal["entitlement", "offer"]
    amount_kzt: int


@dataclass(frozen=True)
class Proposal:
    """A review's proposal, as far as deciding whether it still stands needs it."""

    kind: str
    fingerprint: str
    amount_kzt: int

    def is_(self, kind: str, fingerprint: str, amount_kzt: int) -> bool:
        """Whether this proposes exactly that change."""
        return self.kind == kind and self.fingerprint == fingerprint and self.amount_kzt == amount_kzt


@dataclass(frozen=True)
class LastOffer:
    """The family's latest offer for the benefit."""

    offer_id: str
    status: str
    fingerprint: str


@dataclass(frozen=True)
class Situation:
    """What the family holds and has been through for one benefit."""

    held: Held | None = None
    pending: Proposal | None = None  # a review waiting for a person
    rejected: Proposal | None = None  # the latest review a person rejected
    last_offer: LastOffer | None = None


# --- actions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupersedeReview:
    """Close the pending review: the family's newer situation no longer proposes that change."""

    why: str


@dataclass(frozen=True)
class OpenReview:
    """Ask a person: nothing changes until a reviewer approves."""

    kind: str  # grant | increase | reduction | termination
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class MakeOffer:
    """Offer the benefit by SMS (consent assigns it)."""


@dataclass(frozen=True)
class SendNotice:
    """An informational notice in the outbox; no answer expected."""


@dataclass(frozen=True)
class RaiseAmount:
    """More for the family: raise the entitlement (or replace the open offer by a higher one)."""


@dataclass(frozen=True)
class NotOffered:
    """The family refused exactly this decision; it is not offered again."""

    why: str
    refused_offer_id: str


Action = SupersedeReview | OpenReview | MakeOffer | SendNotice | RaiseAmount | NotOffered


# --- deciding --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Before:
    """The decision before the trigger, for one-off payments and notices (see `occasion`)."""

    eligible: bool
    amount_kzt: int


def change_of(proposed: Proposed, held: Held | None) -> Change:
    """How an ongoing decision compares with what the family holds (an open offer counts as held)."""
    return classify(Current(True, held.amount_kzt) if held else None, proposed)


def occasion(proposed: Proposed, trigger: Trigger, before: Before | None, told_eligible: bool) -> int:
    """What this trigger newly gives for a one-time payment (its amount) or a notice (1); 0: nothing.

    - A notice reaches the family once: only if the last decision the family was given for it was
      not eligible (`told_eligible`), whether a bus event or the calendar gets there first.
    - A one-time payment, on a bus event: the rise over the decision on the record before the
      event *as of the same date* (a second birth raises it, an income report does not).
    - A one-time payment moved by time or by a rule change: only a right that did not exist before
      (`before`: the same record at the previous date, or under the previous rules), in full; a
      payment already due is not paid again because 1 January raised its amount.
    """
    if not proposed.eligible:
        return 0
    if proposed.period == "notice":
        return 0 if told_eligible else 1
    had = before is not None and before.eligible
    if trigger is Trigger.EVENT:
        return max(0, proposed.amount_kzt - (before.amount_kzt if had and before is not None else 0))
    return 0 if had else proposed.amount_kzt


def review_kind(change: Change, requires_human_review: bool) -> str | None:
    """The review a change needs before it takes effect, if any."""
    if change is Change.GRANT and requires_human_review:
        return "grant"
    if change is Change.INCREASE and requires_human_review:
        return "increase"
    if change in (Change.REDUCTION, Change.TERMINATION):
        return change.value
    return None


def decide(
    proposed: Proposed,
    *,
    change: Change,
    amount_kzt: int,
    fingerprint: str,
    review_reasons: tuple[str, ...],
    requires_human_review: bool,
    situation: Situation,
) -> list[Action]:
    """The actions one decision calls for, given what the family holds (in the order to carry them out).

    `change` is `change_of` for ongoing benefits; for one-offs it is GRANT when `occasion` gave
    something (`amount_kzt`), else NONE.
    """
    one_off = proposed.period not in ONGOING
    pending = None if one_off else situation.pending  # each occasion is its own proposal
    if change in QUIET and pending is None:
        return []
    kind = review_kind(change, requires_human_review)
    actions: list[Action] = []
    if pending is not None and (kind is None or not pending.is_(kind, fingerprint, amount_kzt)):
        actions.append(SupersedeReview("a newer decision no longer proposes this change"))
        pending = None
    if kind is not None:
        if pending is not None:
            return actions  # exactly this change already waits for a person
        rejected = situation.rejected
        if rejected is not None and rejected.is_(kind, fingerprint, amount_kzt):
            return actions  # a reviewer already kept the current entitlement against this very proposal
        reasons = (*review_reasons, *((f"adverse_{kind}",) if kind in ADVERSE_KINDS else ())) or (f"{kind}_flagged",)
        actions.append(OpenReview(kind, reasons))
        return actions
    if change is Change.GRANT:
        if proposed.period == "notice":
            actions.append(SendNotice())
            return actions
        last = situation.last_offer
        if not one_off and last is not None and last.status == "refused" and last.fingerprint == fingerprint:
            actions.append(NotOffered("refused_unchanged", last.offer_id))
            return actions
        actions.append(MakeOffer())
    elif change is Change.INCREASE and situation.held is not None:
        actions.append(RaiseAmount())
    return actions


# --- review resolution -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EndHolding:
    """End the entitlement from the proposal's date (or withdraw the open offer)."""


@dataclass(frozen=True)
class ChangeHolding:
    """Raise or reduce the entitlement from the proposal's date."""

    change: str


@dataclass(frozen=True)
class NothingToDo:
    """Approving changes nothing (said why, for the record)."""

    note: str


Resolution = MakeOffer | EndHolding | ChangeHolding | NothingToDo


def on_approval(kind: str, period: str, held: Held | None) -> Resolution:
    """What approving a review of this kind carries out, given what the family holds now."""
    if kind == "grant":
        if held is not None and period not in ("one_time", "notice"):
            return NothingToDo("the family already holds this benefit; nothing to offer")
        return MakeOffer()
    if held is None:
        return NothingToDo("the family no longer holds this benefit; nothing to change")
    if kind == "termination":
        return EndHolding()
    return ChangeHolding(kind)
