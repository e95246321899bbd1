"""The family snapshot: what the state registries know about one family, validated strictly.

durable-rules coerces types silently ('abc' >= 4 matches) and ignores missing fields, so every
snapshot is validated here before anything reaches an evaluator: enums, finite non-negative
amounts, dates, IIN check digits and their agreement with birth date and sex. Unknown fields are
refused, which is also how ethnicity, nationality, religion, party and language are kept out: no
such field exists and none can be smuggled in.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from engine import iin as iin_mod

Relation = Literal["head", "spouse", "child", "parent", "sibling", "other"]
Sex = Literal["male", "female"]
Citizenship = Literal["citizen", "kandas", "resident_foreigner", "other"]
Employment = Literal["employed", "self_employed", "unemployed", "student", "pensioner", "childcare_leave", "none"]
Award = Literal["altyn_alqa", "kumis_alqa", "mother_heroine", "materinskaya_slava_1", "materinskaya_slava_2"]

RELATIONS: tuple[str, ...] = Relation.__args__  # type: ignore[attr-defined]
EMPLOYMENTS: tuple[str, ...] = Employment.__args__  # type: ignore[attr-defined]
CITIZENSHIPS: tuple[str, ...] = Citizenship.__args__  # type: ignore[attr-defined]
AWARDS: tuple[str, ...] = Award.__args__  # type: ignore[attr-defined]

# ISO 3166-2:KZ since November 2022: 17 regions and 3 cities of republican significance.
REGIONS: tuple[str, ...] = (
    "KZ-71", "KZ-75", "KZ-79", "KZ-10", "KZ-11", "KZ-15", "KZ-19", "KZ-23", "KZ-27", "KZ-31",
    "KZ-33", "KZ-35", "KZ-39", "KZ-43", "KZ-47", "KZ-55", "KZ-59", "KZ-61", "KZ-62", "KZ-63",
)  # fmt: skip
Region = Literal[
    "KZ-71", "KZ-75", "KZ-79", "KZ-10", "KZ-11", "KZ-15", "KZ-19", "KZ-23", "KZ-27", "KZ-31",
    "KZ-33", "KZ-35", "KZ-39", "KZ-43", "KZ-47", "KZ-55", "KZ-59", "KZ-61", "KZ-62", "KZ-63",
]  # fmt: skip


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Money = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False, strict=True), AfterValidator(_finite)]
# Booleans are strict too: "yes", 1 or "true" are refused rather than guessed.
Flag = Annotated[bool, Field(strict=True)]
STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class Disability(BaseModel):
    """An МСЭ decision: group 1-3, or None for a young child whose category carries no group."""

    model_config = STRICT

    group: Literal[1, 2, 3] | None
    since_childhood: Flag = False


class Member(BaseModel):
    """One person of the family as the population, labour, tax and МСЭ registries describe them.

    The fields after `awards` extend the contract with what the social-insurance (ГФСС) payments
    need; they are optional, and a benefit that needs one that is missing is routed to a human
    as `insufficient_data`, never refused.
    """

    model_config = STRICT

    iin: Annotated[str, Field(pattern=r"^\d{12}$")]
    relation: Relation
    birth_date: dt.date
    sex: Sex
    citizenship: Citizenship
    disability: Disability | None = None
    employment: Employment
    gfss_participant: Flag
    monthly_income_kzt: Money
    full_time_student: Flag = False
    awards: list[Award] = Field(default_factory=list, max_length=5)
    avg_insured_income_12m_kzt: Money | None = None
    avg_insured_income_24m_kzt: Money | None = None
    insurance_record_months: Annotated[int, Field(ge=0, le=900, strict=True)] | None = None
    maternity_leave_days: Annotated[int, Field(ge=0, le=366, strict=True)] | None = None
    job_lost_on: dt.date | None = None

    @model_validator(mode="after")
    def _iin_agrees(self) -> Member:
        problem = iin_mod.consistency_problem(self.iin, self.birth_date, self.sex)
        if problem:
            raise ValueError(f"iin: {problem}")
        return self


class Deceased(BaseModel):
    """A member whose death the civil registry recorded; kept for survivor and funeral payments."""

    model_config = STRICT

    iin: Annotated[str, Field(pattern=r"^\d{12}$")]
    relation: Relation
    date_of_death: dt.date
    employment: Employment = "none"
    gfss_participant: Flag = False
    received_benefit_or_pension: Flag = False


class Loans(BaseModel):
    """Credit obligations from the credit bureau; mortgages do not exclude a family from АСП."""

    model_config = STRICT

    non_mortgage_outstanding: Money = 0


class Family(BaseModel):
    """The contract's family snapshot (see shared/spec/contract.md)."""

    model_config = STRICT

    family_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
    region: Region
    members: list[Member] = Field(min_length=1, max_length=60)
    loans: Loans = Field(default_factory=Loans)
    median_income_kzt: Money | None = None
    deceased: list[Deceased] = Field(default_factory=list, max_length=60)

    @model_validator(mode="after")
    def _household_is_coherent(self) -> Family:
        iins = [m.iin for m in self.members]
        if len(set(iins)) != len(iins):  # rare: find the first repeated one to name it
            seen: set[str] = set()
            for i, iin in enumerate(iins):
                if iin in seen:
                    raise ValueError(f"members[{i}].iin: duplicate IIN in the family")
                seen.add(iin)
        heads = [m.relation for m in self.members].count("head")
        if heads != 1:
            raise ValueError(f"members: exactly one member must have relation 'head', found {heads}")
        return self

    def member_index(self, iin: str) -> int | None:
        """Position of the member with this IIN, or None."""
        for i, member in enumerate(self.members):
            if member.iin == iin:
                return i
        return None


def mask_iin(value: str) -> str:
    """An IIN for logs and screens: only the last four digits stay visible."""
    return "********" + value[-4:] if len(value) >= 4 else "****"


def parse_date(value: str | dt.date) -> dt.date:
    """An ISO date from a command-line argument or a query string."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
