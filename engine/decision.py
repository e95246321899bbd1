"""What the engine answers: one decision per benefit, with its explanation, and the well-being level.

These are the contract's eligibility response shapes (shared/spec/contract.md), extended with a
`status` that separates "not eligible" from "insufficient data" (missing data never produces a
refusal) and with the exact decimal amount behind the rounded one.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["eligible", "not_eligible", "insufficient_data", "not_in_force"]
Period = Literal["one_time", "monthly", "quarterly", "notice"]
Scalar = int | float | str | bool | None
Lang = Literal["kk", "ru", "en", "all"]  # the language of an answer's texts; "all": kk, ru and en


class Texts(BaseModel):
    """A text in Kazakh, Russian and English."""

    model_config = ConfigDict(frozen=True)

    kk: str
    ru: str
    en: str


class Condition(BaseModel):
    """One condition of a benefit, whether it held, and the values it was decided on."""

    rule: str
    holds: bool
    values: dict[str, Scalar] = Field(default_factory=dict)


class Withholding(BaseModel):
    """A deduction from the assigned (gross) amount, e.g. the 10% pension contribution sent to ЕНПФ."""

    parameter: str
    share: float
    withheld_kzt: int
    paid_kzt: int


class Explanation(BaseModel):
    """Why: conditions with values, parameters with their effective dates, the amount arithmetic."""

    summary: Texts
    conditions: list[Condition]
    parameters: dict[str, Scalar] = Field(default_factory=dict)
    parameter_dates: dict[str, str] = Field(default_factory=dict)
    amount_case: str | None = None
    formula: str | None = None
    formula_with_values: str | None = None
    missing: list[str] = Field(default_factory=list)
    # Data-quality findings on the family that did not refuse it (IIN digits disagreeing with the
    # registry); a decision they could change also carries the review reason `iin_disagrees_with_registry`.
    data_quality: list[str] = Field(
        default_factory=list,
        description="Findings that did not refuse the family, e.g. IIN digits disagreeing with the registry's "
        "birth date or sex (IIN masked)",
    )
    withholding: Withholding | None = Field(
        default=None, description="A share withheld from the gross amount (e.g. the 10% pension contribution)"
    )


class Decision(BaseModel):
    """The decision on one benefit for one family as of one date."""

    benefit: str
    name: Texts
    eligible: bool
    status: Status
    amount_kzt: int
    amount_exact_kzt: str
    period: Period
    requires_human_review: bool
    review_reasons: list[str]
    legal_basis: str
    # The currency the law states the amount in. A tenge amount is `amount_kzt`; a notice of an
    # amount in another currency (USD for the National Fund for Children) has `amount_kzt` 0 and
    # the amount, to the cent, in `amount_in_currency`.
    currency: str = Field(default="KZT", description="The currency the law states the amount in: KZT or USD")
    amount_in_currency: str | None = Field(
        default=None, description="A non-tenge amount to the cent (e.g. '360.61' USD); amount_kzt is then 0"
    )
    explanation: Explanation


class Deprivation(BaseModel):
    """One well-being indicator: whether the family is deprived in it, and its weight."""

    id: str
    dimension: str
    deprived: bool
    weight: float


class Wellbeing(BaseModel):
    """The project's documented well-being model (not the official order No. 267 methodology)."""

    level: int
    label: str
    score: float
    model_version: str
    deprivations: list[Deprivation] = Field(default_factory=list)


class EligibilityResponse(BaseModel):
    """The contract's eligibility response."""

    family_id: str
    as_of: str
    ruleset_version: str
    wellbeing: Wellbeing
    decisions: list[Decision]


class SomeTexts(BaseModel):
    """A text in the languages the caller asked for: one of kk, ru, en, or all three."""

    model_config = ConfigDict(frozen=True)

    kk: str | None = Field(default=None, description="Kazakh")
    ru: str | None = Field(default=None, description="Russian")
    en: str | None = Field(default=None, description="English")


class BriefDecision(BaseModel):
    """A decision without its trace: what a portal shows a family and a re-scoring compares."""

    benefit: str
    name: SomeTexts
    eligible: bool
    status: Status
    amount_kzt: int
    amount_exact_kzt: str
    period: Period
    requires_human_review: bool
    review_reasons: list[str]
    legal_basis: str
    summary: SomeTexts = Field(description="the explanation's summary, in the languages asked for")


class WellbeingLevel(BaseModel):
    """The well-being level with its label in the languages asked for; the deprivations are in the trace."""

    level: int
    label: SomeTexts
    score: float
    model_version: str


class EligibilityAnswer(BaseModel):
    """The eligibility answer's default shape: every decision, its texts in one language, no trace.

    `EligibilityResponse` (the trace: conditions with values, parameters with dates, the
    arithmetic, summaries in kk, ru and en) is the same evaluation explained; it is given on request.
    """

    family_id: str
    as_of: str
    ruleset_version: str
    lang: Lang = Field(description="the language of the texts; all: kk, ru and en")
    wellbeing: WellbeingLevel
    decisions: list[BriefDecision]
