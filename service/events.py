"""The bus events the service understands: an envelope and one payload model per event type.

Every model refuses unknown fields, so a typo in a registry's message is a 422 naming the field,
never a silently ignored fact. `family.registered` carries a whole snapshot (`engine.model.Family`);
the others carry one registry fact about one family, or a citizen's answer to an offer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union

import orjson
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


# --- idempotency with conflict detection ---------------------------------------------------------

def _canonical(value: Any) -> Any:
    """JSON data in one spelling: integral floats as integers (a JSONB round trip turns 5.0 into 5)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def _instant(occurred_at: str | dt.datetime) -> str:
    """`occurred_at` as a UTC instant: the same moment written with another offset is the same event."""
    moment = dt.datetime.fromisoformat(occurred_at) if isinstance(occurred_at, str) else occurred_at
    return moment.astimezone(dt.UTC).isoformat()


def canonical_event(
    *, event_id: str, type: str, occurred_at: str | dt.datetime, source: str | None, payload: dict[str, Any]
) -> dict[str, Any]:
    """What an event says, in the one form its content hash is taken of.

    Built from the validated event (defaults filled in, payload as the service stores it), so a
    redelivery whose JSON differs only in key order, spacing, an omitted default or the offset of
    `occurred_at` is the same content; built the same way from a stored row that predates the hash.
    """
    return {"event_id": event_id, "type": type, "occurred_at": _instant(occurred_at), "source": source,
            "payload": _canonical(payload)}


def content_hash(canonical: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces) of `canonical_event`."""
    return hashlib.sha256(orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS)).hexdigest()


def hash_of(envelope: Envelope, payload: BaseModel) -> str:
    """The content hash of a received event."""
    return content_hash(canonical_event(event_id=envelope.event_id, type=envelope.type,
                                        occurred_at=envelope.occurred_at, source=envelope.source,
                                        payload=payload.model_dump(mode="json")))


def stored_hash(row: Mapping[str, Any]) -> str:
    """The content hash of an applied event as stored (computed for rows written before hashes were)."""
    kept = row.get("content_hash")
    if kept:
        return str(kept)
    return content_hash(canonical_event(event_id=row["event_id"], type=row["type"], occurred_at=row["occurred_at"],
                                        source=row["source"], payload=row["payload"]))


def conflict(seen: Mapping[str, Any], envelope: Envelope, payload: BaseModel) -> list[dict[str, Any]]:
    """Why a redelivery of an applied event id is not a duplicate (empty: it is one).

    Names the fields that differ, never their values (a payload holds IINs).
    """
    if stored_hash(seen) == hash_of(envelope, payload):
        return []
    old = canonical_event(event_id=seen["event_id"], type=seen["type"], occurred_at=seen["occurred_at"],
                          source=seen["source"], payload=seen["payload"])
    new = canonical_event(event_id=envelope.event_id, type=envelope.type, occurred_at=envelope.occurred_at,
                          source=envelope.source, payload=payload.model_dump(mode="json"))
    differing = [name for name in ("type", "occurred_at", "source") if old[name] != new[name]]
    if old["type"] != new["type"]:
        differing.append("payload")
    else:
        keys = sorted(set(old["payload"]) | set(new["payload"]))
        differing += [f"payload.{k}" for k in keys if old["payload"].get(k) != new["payload"].get(k)]
    named = ", ".join(differing) or "payload"
    msg = (f"event_id {envelope.event_id} was already applied (received {seen['received_at']}) with different "
           f"content (differs in: {named}); a reused event id is refused and this delivery is kept as a dead "
           "letter beside the original: send the new fact under a new event_id")
    return [{"loc": ["body", "event_id"], "msg": msg, "type": "event_id_conflict"}]
