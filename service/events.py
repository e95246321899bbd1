"""The bus events the service understands: an envelope and one payload model per event type.

Every model refuses unknown fields, so a typo in a registry's message is a 422 naming the field,
never a silently ignored fact. `family.registered` carries a whole snapshot (`engine.model.Family`);
the others carry one registry fact about one family, or a citizen's answer to an offer.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Union

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, create_model

from engine import model

STRICT = ConfigDict(extra="forbid", frozen=True)
FamilyId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Iin = Annotated[str, Field(pattern=r"^\d{12}$")]
Money = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]


class Envelope(BaseModel):
    """What every bus message carries; `event_id` is the idempotency key."""

    model_config = STRICT

    event_id: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@/+=-]+$")]
    type: str
    occurred_at: AwareDatetime
    source: Annotated[str, Field(max_length=100)] | None = None
    payload: dict[str, Any]


class Child(BaseModel):
    """A newborn as the civil registry reports it; the rest of `Member` takes newborn defaults."""

    model_config = STRICT

    iin: Iin
    birth_date: dt.date
    sex: model.Sex
    relation: Literal["child"] = "child"
    citizenship: model.Citizenship | None = None  # None: the head of family's citizenship
    disability: model.Disability | None = None


class BirthRegistered(BaseModel):
    """The civil registry recorded a birth in the family."""

    model_config = STRICT

    family_id: FamilyId
    child: Child


class DeathRegistered(BaseModel):
    """The civil registry recorded the death of a member."""

    model_config = STRICT

    family_id: FamilyId
    iin: Iin
    date_of_death: dt.date
    received_benefit_or_pension: bool | None = None


class DisabilityAssigned(BaseModel):
    """МСЭ established a disability group for a member."""

    model_config = STRICT

    family_id: FamilyId
    iin: Iin
    group: Literal[1, 2, 3] | None
    since_childhood: bool = False


class DisabilityRevoked(BaseModel):
    """МСЭ found that a member no longer has a disability."""

    model_config = STRICT

    family_id: FamilyId
    iin: Iin


class EmploymentChanged(BaseModel):
    """The labour-market database reports a member's current employment."""

    model_config = STRICT

    family_id: FamilyId
    iin: Iin
    employment: model.Employment
    gfss_participant: bool | None = None
    job_lost_on: dt.date | None = None
    insurance_record_months: Annotated[int, Field(ge=0, le=900)] | None = None


class IncomeReported(BaseModel):
    """Tax and contribution data give a member's monthly income."""

    model_config = STRICT

    family_id: FamilyId
    iin: Iin
    monthly_income_kzt: Money
    avg_insured_income_12m_kzt: Money | None = None
    avg_insured_income_24m_kzt: Money | None = None


class LoanChanged(BaseModel):
    """The credit bureau reports the family's non-mortgage debt."""

    model_config = STRICT

    family_id: FamilyId
    non_mortgage_outstanding: Money


class AwardGranted(BaseModel):
    """A state award to a mother (Алтын алқа, Күміс алқа, ...)."""

    model_config = STRICT

    family_id: FamilyId
    iin: Iin
    award: model.Award


class HouseholdChanged(BaseModel):
    """The population registry reports members moving in or out, or the family moving region."""

    model_config = STRICT

    family_id: FamilyId
    add: Annotated[list[model.Member], Field(max_length=60)] = Field(default_factory=list)
    remove: Annotated[list[Iin], Field(max_length=60)] = Field(default_factory=list)
    region: model.Region | None = None


class ConsentReceived(BaseModel):
    """The citizen's answer to an offer, relayed by the 1414 contact centre."""

    model_config = STRICT

    offer_id: Annotated[str, Field(min_length=1, max_length=40)]
    accepted: bool
    channel: Annotated[str, Field(min_length=1, max_length=40)] = "sms-1414"


class CalendarTick(BaseModel):
    """Time alone may have moved the family's decisions: the scheduler's own event, never the bus's.

    Recorded like a bus event under the key `calendar:{family_id}:{date}` (so a second run, or a
    run resumed after a crash, applies nothing twice); it carries no fact, it moves the date the
    family is decided as of to `date`, the day the right changed.
    """

    model_config = STRICT

    family_id: FamilyId
    date: dt.date


class RolloutTick(BaseModel):
    """A new rule set may have moved the family's decisions: a roll-out's own event, never the bus's."""

    model_config = STRICT

    family_id: FamilyId
    rollout_id: Annotated[str, Field(min_length=1, max_length=40)]
    ruleset_version: Annotated[str, Field(min_length=1, max_length=80)]


# Events the service makes itself; the bus cannot send them (they are not in PAYLOADS).
INTERNAL_TYPES: dict[type[BaseModel], str] = {CalendarTick: "calendar.tick", RolloutTick: "rules.rollout"}

PAYLOADS: dict[str, type[BaseModel]] = {
    "family.registered": model.Family,
    "birth.registered": BirthRegistered,
    "death.registered": DeathRegistered,
    "disability.assigned": DisabilityAssigned,
    "disability.revoked": DisabilityRevoked,
    "employment.changed": EmploymentChanged,
    "income.reported": IncomeReported,
    "loan.changed": LoanChanged,
    "award.granted": AwardGranted,
    "household.changed": HouseholdChanged,
    "consent.received": ConsentReceived,
}
EVENT_TYPES: tuple[str, ...] = tuple(PAYLOADS)


def _typed_event(event_type: str, payload: type[BaseModel]) -> type[BaseModel]:
    name = "".join(part.capitalize() for part in event_type.replace(".", "_").split("_")) + "Event"
    fields: dict[str, Any] = {
        "event_id": (str, Envelope.model_fields["event_id"]),
        "type": (Literal[event_type], ...),
        "occurred_at": (AwareDatetime, ...),
        "source": (str | None, Field(default=None, max_length=100)),
        "payload": (payload, ...),
    }
    created: type[BaseModel] = create_model(name, __config__=STRICT, **fields)
    return created


TYPED_EVENTS = [_typed_event(t, p) for t, p in PAYLOADS.items()]


def openapi_schema() -> dict[str, Any]:
    """The JSON schema of a bus event (one of the typed events), with `$defs` for components."""
    union: Any = Union[tuple(TYPED_EVENTS)]  # noqa: UP007 - built from a runtime list
    adapter: TypeAdapter[Any] = TypeAdapter(Annotated[union, Field(discriminator="type")])
    schema: dict[str, Any] = adapter.json_schema(ref_template="#/components/schemas/{model}")
    return schema
