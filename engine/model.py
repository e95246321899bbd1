"""The family snapshot: what the state registries know about one family, validated strictly.

durable-rules coerces types silently ('abc' >= 4 matches) and ignores missing fields, so every
snapshot is validated here before anything reaches an evaluator: enums, finite non-negative
amounts, dates, IIN check digits and structure. IIN digits that disagree with the registry's birth
date or sex are accepted (the IIN law keeps a number when those data are corrected) and reported as a
data-quality finding by `iin_disagreements`, never a refusal. Unknown fields are refused, which is
also how ethnicity, nationality, religion, party and language are kept out: no
such field exists and none can be smuggled in.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from engine import iin as iin_mod

# `stepchild` and `ward` (a child under the family's guardianship) count for birth order (supplement §12 (b)).
Relation = Literal["head", "spouse", "child", "parent", "sibling", "other", "stepchild", "ward"]
Sex = Literal["male", "female"]
Citizenship = Literal["citizen", "kandas", "resident_foreigner", "other"]
Employment = Literal["employed", "self_employed", "unemployed", "student", "pensioner", "childcare_leave", "none"]
Award = Literal["altyn_alqa", "kumis_alqa", "mother_heroine", "materinskaya_slava_1", "materinskaya_slava_2"]
DisabilityCause = Literal["general", "since_childhood", "work_injury", "occupational_disease", "military", "other"]
Dwelling = Literal["only_owned_home", "state_rental", "private_rental", "other"]

RELATIONS: tuple[str, ...] = Relation.__args__  # type: ignore[attr-defined]
EMPLOYMENTS: tuple[str, ...] = Employment.__args__  # type: ignore[attr-defined]
CITIZENSHIPS: tuple[str, ...] = Citizenship.__args__  # type: ignore[attr-defined]
AWARDS: tuple[str, ...] = Award.__args__  # type: ignore[attr-defined]
CAUSES: tuple[str, ...] = DisabilityCause.__args__  # type: ignore[attr-defined]
DWELLINGS: tuple[str, ...] = Dwelling.__args__  # type: ignore[attr-defined]

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
    """An МСЭ decision: group 1-3, or None for a young child whose category carries no group.

    `cause` is optional: absent, the cause is read from `since_childhood` (general disease or since
    childhood), as before the field existed. Causes whose rates the sources do not confirm
    (work injury, occupational disease, military service, other) are routed to a caseworker by the
    rules, never paid at the general rate silently.
    """

    model_config = STRICT

    group: Literal[1, 2, 3] | None
    since_childhood: Flag = False
    cause: DisabilityCause | None = None

    @property
    def effective_cause(self) -> str:
        """The cause as the rules read it: the stated one, else from `since_childhood`."""
        if self.cause is not None:
            return self.cause
        return "since_childhood" if self.since_childhood else "general"


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
    # Loss of general working capacity established by МСЭ (supplement §2), in percent, and since when.
    work_capacity_loss_pct: Annotated[int, Field(ge=30, le=100, strict=True)] | None = None
    work_capacity_loss_since: dt.date | None = None
    # Years of participation record for the basic pension (supplement §9.1).
    pension_record_years: Annotated[int, Field(ge=0, le=80, strict=True)] | None = None
    # A parent of a professional foster family under contract with the guardianship authority (§7).
    professional_foster_parent: Flag = False

    @model_validator(mode="after")
    def _iin_is_possible(self) -> Member:
        # A wrong check digit or an impossible structure is refused; digits that merely disagree
        # with the registry's birth date or sex are not (see `iin_disagreements`).
        problem = iin_mod.structure_problem(self.iin)
        if problem:
            raise ValueError(f"iin: {problem}")
        return self


def iin_disagreements(family: Family) -> list[str]:
    """Data-quality findings: members whose IIN digits disagree with the registry's birth date or sex.

    The registry's `birth_date` and `sex` are the truth (IIN law art. 9: no new number when data in
    its structure change; supplement §12 (d)); each finding names the member by masked IIN.
    """
    out = []
    for m in family.members:
        problem = iin_mod.consistency_problem(m.iin, m.birth_date, m.sex)
        if problem:
            out.append(f"{mask_iin(m.iin)}: {problem}")
    return out


class Deceased(BaseModel):
    """A member whose death the civil registry recorded; kept for survivor and funeral payments."""

    model_config = STRICT

    iin: Annotated[str, Field(pattern=r"^\d{12}$")]
    relation: Relation
    date_of_death: dt.date
    employment: Employment = "none"
    gfss_participant: Flag = False
    received_benefit_or_pension: Flag = False
    # The deceased's social-insurance record, for the ГФСС survivor payment (supplement §1a).
    avg_insured_income_24m_kzt: Money | None = None
    insurance_record_months: Annotated[int, Field(ge=0, le=900, strict=True)] | None = None


class Loans(BaseModel):
    """Credit obligations from the credit bureau; mortgages do not exclude a family from АСП."""

    model_config = STRICT

    non_mortgage_outstanding: Money = 0


class Housing(BaseModel):
    """Housing costs within the consumption norms and the dwelling (housing assistance, supplement §6)."""

    model_config = STRICT

    costs_within_norms_kzt: Money
    dwelling: Dwelling


class Family(BaseModel):
    """The contract's family snapshot (see shared/spec/contract.md)."""

    model_config = STRICT

    family_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
    region: Region
    members: list[Member] = Field(min_length=1, max_length=60)
    loans: Loans = Field(default_factory=Loans)
    median_income_kzt: Money | None = None
    deceased: list[Deceased] = Field(default_factory=list, max_length=60)
    housing: Housing | None = None

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
