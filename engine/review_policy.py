"""The primacy of human decision: which changes to a family's rights a person must approve.

A decision that creates, changes or ends a right is rights-affecting. When it is adverse to the
family (a termination, a reduction, a refusal of something the family has or asked for) the engine
never applies it alone: the service opens a review and changes nothing until a reviewer approves it
with a written reason. Silence is never adverse: an unanswered offer expires and nothing else moves.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class Change(enum.StrEnum):
    """How a proposed decision compares with what the family has now."""

    GRANT = "grant"  # newly eligible: an offer
    INCREASE = "increase"  # more for the family: applied
    UNCHANGED = "unchanged"
    REDUCTION = "reduction"  # adverse: review
    TERMINATION = "termination"  # adverse: review
    NONE = "none"  # not eligible and holds nothing: nothing to do


ADVERSE = frozenset({Change.REDUCTION, Change.TERMINATION})


class Proposed(Protocol):
    """What a comparison reads of a proposed decision (a `Decision`, or an `assessment.Verdict`)."""

    @property
    def status(self) -> str: ...

    @property
    def eligible(self) -> bool: ...

    @property
    def period(self) -> str: ...

    @property
    def amount_kzt(self) -> int: ...


@dataclass(frozen=True)
class Current:
    """What the family holds now for one benefit: an active entitlement and its amount."""

    active: bool
    amount_kzt: int


def classify(current: Current | None, proposed: Proposed) -> Change:
    """Compare the family's current entitlement with a freshly evaluated decision.

    `insufficient_data` never ends or reduces anything: missing data is not evidence, so an
    active entitlement stays as it is and the data gap goes to a reviewer as its own reason.
    """
    holds = current is not None and current.active
    if proposed.status == "insufficient_data":
        return Change.UNCHANGED if holds else Change.NONE
    if not holds:
        return Change.GRANT if proposed.eligible else Change.NONE
    assert current is not None
    if not proposed.eligible:
        return Change.TERMINATION
    if proposed.period == "one_time":
        return Change.UNCHANGED
    if proposed.amount_kzt > current.amount_kzt:
        return Change.INCREASE
    if proposed.amount_kzt < current.amount_kzt:
        return Change.REDUCTION
    return Change.UNCHANGED


def is_adverse(change: Change) -> bool:
    """True for the changes that wait for a human: reductions and terminations."""
    return change in ADVERSE
