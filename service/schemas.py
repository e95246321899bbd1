"""The API's own request and response shapes (separate from the tables and the engine's models).

They document the answers in OpenAPI, so integrators and the schemathesis run can check them.
Rich documents (snapshots, explanations, effects) are typed as JSON objects; their inner shapes
are the engine's (`engine.decision`) or listed in service/README.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Json = dict[str, Any]


class ErrorItem(BaseModel):
    """One error: where, what, and a stable type."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every error answer (401, 403, 404, 409, 413, 422, 500)."""

    model_config = ConfigDict(extra="allow")

    detail: list[ErrorItem]


class EventAnswer(BaseModel):
    """The answer to a bus event that was applied now or before (`duplicate`)."""

    model_config = ConfigDict(extra="allow")

    event_id: str
    status: Literal["applied", "duplicate"]
    type: str
    family_id: str | None
    late: bool
    superseded_facts: list[str]
    effects: Json
    as_of: str | None = None
    ruleset_version: str | None = None
    first_received_at: str | None = None


class DeliveryAttempt(BaseModel):
    """One refused delivery of an event."""

    dead_letter_id: str
    received_at: str
    status_code: int
    reason: list[ErrorItem]


class EventStatus(BaseModel):
    """What became of an event id: applied (with its effects) or rejected (with every refusal)."""

    event_id: str
    status: Literal["applied", "rejected"]
    type: str | None = None
    family_id: str | None = None
    occurred_at: str | None = None
    received_at: str | None = None
    late: bool | None = None
    effects: Json | None = None
    attempts: list[DeliveryAttempt] = Field(default_factory=list)


class DeadLetter(BaseModel):
    """A refused message as it was received."""

    dead_letter_id: str
    event_id: str | None
    type: str | None
    received_at: str
    status_code: int
    reason: list[ErrorItem]
    raw_body: str


class FamilyRecord(BaseModel):
    """A family's current record, what it holds, what it was offered, and what waits for review."""

    family_id: str
    region: str
    snapshot: Json
    facts: Json
    indicators: Json
    last_occurred_at: str
    last_event_id: str
    created_at: str
    updated_at: str
    entitlements: list[EntitlementView]
    next_change_on: str | None = Field(
        default=None, description="the earliest date on which time alone can change the decisions (null: never)"
    )
    open_offers: list[Json]
    pending_reviews: list[Json]


class AmountInForce(BaseModel):
    """One amount an entitlement had, the dates it was in force and the decision behind it."""

    from_: str = Field(alias="from", serialization_alias="from")
    to: str | None
    amount_kzt: int
    decision_id: int

    model_config = ConfigDict(populate_by_name=True)


class EntitlementView(BaseModel):
    """An entitlement with the amount in force today and its amount history."""

    model_config = ConfigDict(extra="allow")

    id: str
    benefit: str
    status: str
    period: str
    amount_kzt: int = Field(description="the latest amount (kept for older callers)")
    amount_in_force_kzt: int | None = Field(description="the amount in force today; null when none is")
    active_from: str
    ended_on: str | None
    amounts: list[AmountInForce]


class MonthPayment(BaseModel):
    """What is due for one month and benefit."""

    month: str
    benefit: str
    amount_kzt: int
    decision_id: int


class Payments(BaseModel):
    """A family's payments by month (see `service/domain/payments.py` for the convention)."""

    family_id: str
    months: list[MonthPayment]


class RolloutStatus(BaseModel):
    """The latest roll-out of a rule set to the stored families."""

    id: str
    from_version: str
    to_version: str
    as_of: str
    status: str
    families_total: int
    checked: int
    changed: int
    applied: int
    reviews_opened: int
    started_at: str
    updated_at: str


class DecisionRecord(BaseModel):
    """One decision the family was given, with its explanation and the rule set that made it."""

    decision_id: int
    benefit: str
    eligible: bool
    status: str
    amount_kzt: int
    as_of: str
    ruleset_version: str
    event_id: str
    change: str
    created_at: str
    decision: Json


class DecisionHistory(BaseModel):
    """A page of a family's decisions, newest first."""

    family_id: str
    decisions: list[DecisionRecord]


class OfferList(BaseModel):
    """Every offer made to a family and every message sent to it."""

    family_id: str
    offers: list[Json]
    messages: list[Json]


class ReviewSummary(BaseModel):
    """A review as the queue lists it."""

    review_id: str
    family_id: str
    region: str
    benefit: str
    kind: str
    status: str
    reasons: list[str]
    created_at: str
    age_seconds: float
    age_days: float
    previous_amount_kzt: int | None
    proposed_amount_kzt: int
    effective_from: str = Field(description="the day the change takes effect if approved: the day the right changed")
    why: dict[str, str] | None = Field(
        default=None, description="what time did, in words (kk, ru, en), when the calendar proposed the change"
    )
    resolved_at: str | None
    reviewer: str | None


class ReviewQueue(BaseModel):
    """The review queue, oldest first."""

    count: int
    reviews: list[ReviewSummary]


class ReviewCase(ReviewSummary):
    """One case: previous and proposed decisions with explanations, and the family's indicators."""

    previous: Json | None
    proposed: Json
    resolution: str | None
    resolution_reason: str | None
    indicators: Json
    event_id: str


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=4000)]


class Resolution(BaseModel):
    """A reviewer's decision on a case, with the written reason the law asks for."""

    model_config = ConfigDict(extra="forbid")

    resolution: Literal["approve", "reject"]
    reason: Reason


class ResolutionAnswer(BaseModel):
    """What the resolution did."""

    review_id: str
    status: Literal["approved", "rejected"]
    resolution: str
    reviewer: str
    resolved_at: str
    effect: Json | None


class BenefitListing(BaseModel):
    """One benefit of the active rule set."""

    id: str
    name: Json
    legal_basis: str
    period: str
    proactive: bool


class RulesInfo(BaseModel):
    """The active rule set."""

    version: str
    generation: int
    benefits: list[BenefitListing]


class ReloadAnswer(RulesInfo):
    """A successful reload."""

    status: Literal["reloaded", "unchanged"]
    previous_version: str


class AuditEntry(BaseModel):
    """One link of the audit chain."""

    seq: int
    at: str
    kind: str
    actor: str
    family_id: str | None
    subject: str | None
    data: Json
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    """A page of the audit log in chain order."""

    entries: list[AuditEntry]
    next_after: int | None


class AuditCheck(BaseModel):
    """The result of verifying the chain."""

    ok: bool
    checked: int
    broken_seq: int | None
    problem: str | None


class Health(BaseModel):
    """Liveness."""

    status: Literal["ok"]
    ruleset_version: str
