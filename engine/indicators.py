"""Family indicators: the socio-economic facts the rules read, derived from the snapshot as of a date.

Each indicator is a pure function of (family, as_of): no I/O, no clock, no parameters. It is
registered with its name, type, unit, meaning and source registry; the analysts' catalogue
(`familycard rules catalogue`, `rules/INDICATORS.md`) is generated from this registry. Indicators
marked `optional` may be unknown (None) because the registries do not always hold the datum; a
benefit that reads one must list it under `requires`, and a family without it is routed to a
person as `insufficient_data`, never refused.

Amounts are tenge per month in exact decimals rounded half-up to the tiyn (2 decimals), as the
rules state money: a snapshot's amount is read as the decimal it is written as (`repr` of the
number), sums and quotients are formed in `Decimal`, never in binary floats, so every evaluator
sees the same numbers and a half-tiyn income per person rounds up, not by the double's error.
Counts of "none" use a sentinel documented with the indicator (e.g. 999 months).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Generic, Literal, NamedTuple, TypeVar

from engine import model

Kind = Literal["number", "bool", "str"]
IndicatorValue = int | float | bool | str | None
NONE_MONTHS = 999
SEVEN_AWARD = frozenset({"altyn_alqa", "mother_heroine", "materinskaya_slava_1", "materinskaya_slava_2"})
RESIDENT = frozenset({"citizen", "kandas", "resident_foreigner"})
BIRTH_ORDER_RELATIONS = frozenset({"child", "stepchild", "ward"})
CENT = Decimal("0.01")


Anchor = Literal["birth", "death", "job_loss", "capacity_loss"]
Elapsed = Literal["months", "years", "fractional_years"]


@dataclass(frozen=True)
class Clock:
    """One way an indicator's value moves with the as-of date alone, the family unchanged.

    Time reaches an indicator only through dates in the snapshot, its anchors: every member's
    `birth_date` ("birth"), every deceased's `date_of_death` ("death"), every member's `job_lost_on`
    ("job_loss") and `work_capacity_loss_since` ("capacity_loss"). The value can change only on the
    day an anchor is reached (an anchor later than the as-of date) or on the day the completed
    months since an anchor (`months_between`) reach one of `months`: 216 for "under 18", 18 for
    "under one and a half". An indicator whose value *is* the time since an anchor says so in
    `elapsed` (completed months, completed years, or months / 12); its thresholds are then not its
    own but the constants the rules compare it with, found in the compiled rules (`engine.clocks`).
    The declarations are checked against brute force over synthetic families
    (`tests/engine/test_clocks.py`), so a missing threshold fails a test rather than a family.
    """

    anchor: Anchor
    months: tuple[int, ...] = ()
    elapsed: Elapsed | None = None


def _ages(*months: int) -> tuple[Clock, ...]:
    return (Clock("birth", months),)


@dataclass(frozen=True)
class Indicator:
    """One registered indicator."""

    name: str
    kind: Kind
    unit: str
    meaning: str
    source: str
    fn: Callable[[Ctx], IndicatorValue]
    optional: bool = False
    sex_dependent: bool = False
    values: tuple[str, ...] = ()
    # How the value moves with time alone (empty: it does not); see `Clock`.
    clocks: tuple[Clock, ...] = ()


def months_between(start: dt.date, end: dt.date) -> int:
    """Completed months from `start` to `end` (negative if end is earlier)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day < start.day:
        months -= 1
    return months


class Person(NamedTuple):
    """A member with ages precomputed for the as-of date."""

    m: model.Member
    age_months: int
    age: int
    is_child: bool
    order: int  # birth order among the family's children (1-based), 0 for non-children


_T = TypeVar("_T")


class _OnFirstUse(Generic[_T]):
    """`functools.cached_property` without its lock (Python 3.11 takes one on every first use; a Ctx
    lives in one thread and one call): computed when first read, then an ordinary attribute."""

    def __init__(self, fn: Callable[[Ctx], _T]) -> None:
        self.fn = fn
        self.name = fn.__name__

    def __get__(self, ctx: Ctx, owner: type | None = None) -> _T:
        value = self.fn(ctx)
        ctx.__dict__[self.name] = value
        return value


class Ctx:
    """The family as of a date, with the per-member facts and the groups several indicators share.

    Every eligibility answer computes some fifty indicators of one family, each a pass over its
    members: the groups most of them start from (children, infants, the disabled, the awarded)
    are sorted out once here, and what two indicators both need is computed once, on first use.
    """

    def __init__(self, family: model.Family, as_of: dt.date):
        self.family = family
        self.as_of = as_of
        members = family.members
        # Birth order counts the family's children as the 2023 draft rules compose the family: born
        # alive or adopted (`child`), under guardianship (`ward`) and stepchildren (supplement §12 (b)).
        kids = [m for m in members if m.relation in BIRTH_ORDER_RELATIONS]
        if len(kids) > 1:
            kids.sort(key=_birth_order)
        order = {m.iin: i + 1 for i, m in enumerate(kids)}
        year, month, day = as_of.year, as_of.month, as_of.day
        people = []
        for m in members:
            born = m.birth_date
            # `months_between(born, as_of)`, written out: it runs for every member of every family.
            months = (year - born.year) * 12 + (month - born.month) - (day < born.day)
            people.append(Person._make((m, months, months // 12, m.relation == "child", order.get(m.iin, 0))))
        self.people = people
        self.children = [p for p in people if p.is_child]
        self.disabled = [p for p in people if p.m.disability is not None]
        self.awarded = [p for p in people if p.m.awards]
        self.carer = _carer(family)

    def count(self, pred: Callable[[Person], bool]) -> int:
        """How many members satisfy `pred`."""
        return len(list(filter(pred, self.people)))

    @_OnFirstUse
    def infants(self) -> list[Person]:
        """Children under one and a half years."""
        return [p for p in self.children if 0 <= p.age_months < 18]

    @_OnFirstUse
    def newborns(self) -> list[Person]:
        """Children born in the 12 months up to the as-of date."""
        return [p for p in self.children if 0 <= p.age_months < 12 and p.m.birth_date <= self.as_of]

    @_OnFirstUse
    def minors(self) -> int:
        """Children under 18."""
        return len([p for p in self.children if p.age < 18])

    @_OnFirstUse
    def employed(self) -> int:
        """Adults employed or self-employed."""
        return len([p for p in self.people if p.age >= 18 and p.m.employment in ("employed", "self_employed")])

    @_OnFirstUse
    def dependants(self) -> int:
        """Members without income who are minors, students under 23, pensioners or disabled."""
        return len(list(filter(_dependant, self.people)))

    @_OnFirstUse
    def income(self) -> Decimal:
        """The members' monthly incomes added up exactly, each read as the decimal it is written as."""
        incomes = [p.m.monthly_income_kzt for p in self.people]
        if all(float(x).is_integer() for x in incomes):  # whole tenge (most families): integer sum
            return Decimal(int(sum(int(x) for x in incomes)))
        return sum((money_decimal(x) for x in incomes), Decimal(0))

    @_OnFirstUse
    def maternity(self) -> model.Member | None:
        """The insured member with the longest maternity leave (ties: the greatest IIN), if any."""
        cands = [p.m for p in self.people if p.m.gfss_participant and (p.m.maternity_leave_days or 0) > 0]
        return max(cands, key=lambda m: (m.maternity_leave_days or 0, m.iin)) if cands else None

    @_OnFirstUse
    def job_loser(self) -> model.Member | None:
        """The insured unemployed member who lost a job last (on or before the as-of date), if any."""
        cands = [
            p.m
            for p in self.people
            if p.m.employment == "unemployed"
            and p.m.gfss_participant
            and p.m.job_lost_on is not None
            and p.m.job_lost_on <= self.as_of
        ]
        return max(cands, key=lambda m: (m.job_lost_on, m.iin)) if cands else None

    @_OnFirstUse
    def breadwinner_deaths(self) -> list[model.Deceased]:
        """Deaths of a head or spouse on or before the as-of date."""
        return [d for d in self.family.deceased if d.relation in ("head", "spouse") and d.date_of_death <= self.as_of]


def _birth_order(m: model.Member) -> tuple[dt.date, str]:
    return m.birth_date, m.iin


def _carer(family: model.Family) -> model.Member | None:
    """Who cares for the youngest children: a parent on childcare leave, else one not working."""
    parents = [m for m in family.members if m.relation in ("head", "spouse")]
    for m in parents:
        if m.employment == "childcare_leave":
            return m
    for m in parents:
        if m.employment in ("none", "unemployed", "student"):
            return m
    for m in parents:
        if m.relation == "spouse":
            return m
    return parents[0] if parents else None


REGISTRY: dict[str, Indicator] = {}


def indicator(
    name: str,
    kind: Kind,
    unit: str,
    meaning: str,
    source: str,
    *,
    optional: bool = False,
    sex_dependent: bool = False,
    values: tuple[str, ...] = (),
    clocks: tuple[Clock, ...] = (),
) -> Callable[[Callable[[Ctx], IndicatorValue]], Callable[[Ctx], IndicatorValue]]:
    """Register an indicator function under `name`."""

    def register(fn: Callable[[Ctx], IndicatorValue]) -> Callable[[Ctx], IndicatorValue]:
        if name in REGISTRY:
            raise ValueError(f"indicator {name} registered twice")
        REGISTRY[name] = Indicator(name, kind, unit, meaning, source, fn, optional, sex_dependent, values, clocks)
        return fn

    return register


POP = "ГБД ФЛ (population registry)"
CIVIL = "civil registry (births, deaths)"
MSE = "МСЭ (medical-social expertise) decisions"
LABOUR = "labour-market database / enbek.kz"
GFSS = "ГФСС (State Social Insurance Fund) contributions"
TAX = "income data (tax, contributions, benefits paid)"
EDU = "education information systems (full-time study)"
CREDIT = "credit bureau"
AWARDS = "state-award records"
STATS = "Bureau of National Statistics (regional median income)"
MIGR = "migration registry (kandas, residence permits)"


def money_decimal(x: float) -> Decimal:
    """A snapshot amount as the decimal it is written as (`repr`: the shortest that reads back)."""
    return Decimal(0) if x == 0 else Decimal(repr(x))


def to_tiyn(d: Decimal) -> float:
    """An exact amount rounded half-up to the tiyn, as the number an indicator holds."""
    return float(d.quantize(CENT, rounding=ROUND_HALF_UP)) + 0.0


def _money(x: float) -> float:
    x = float(x)
    if x.is_integer() and abs(x) < 2**53:  # whole tenge: exact as it is
        return x + 0.0
    return to_tiyn(money_decimal(x))


# --- composition ---------------------------------------------------------------------------------


@indicator("family_size", "number", "persons", "Members of the family living together", POP)
def _family_size(c: Ctx) -> int:
    return len(c.people)


@indicator("adults", "number", "persons", "Members aged 18 or over", POP, clocks=_ages(216))
def _adults(c: Ctx) -> int:
    return len([p for p in c.people if p.age >= 18])


@indicator("children_under_18", "number", "persons", "Children (relation child) under 18", POP, clocks=_ages(216))
def _children_under_18(c: Ctx) -> int:
    return c.minors


@indicator(
    "students_18_22", "number", "persons", "Children aged 18-22 in full-time education", EDU, clocks=_ages(216, 276)
)
def _students(c: Ctx) -> int:
    return len([p for p in c.children if 18 <= p.age < 23 and p.m.full_time_student])


@indicator(
    "children_under_18_or_students",
    "number",
    "persons",
    "Children under 18 plus children under 23 in full-time education (the large-family count)",
    POP,
    clocks=_ages(216, 276),
)
def _children_or_students(c: Ctx) -> int:
    return len([p for p in c.children if p.age < 18 or (p.age < 23 and p.m.full_time_student)])


@indicator("children_under_3", "number", "persons", "Children under 3 years", POP, clocks=_ages(36))
def _under3(c: Ctx) -> int:
    return len([p for p in c.children if 0 <= p.age_months < 36])


@indicator("children_1_to_6", "number", "persons", "Children aged 1 to 6 inclusive", POP, clocks=_ages(12, 84))
def _one_to_six(c: Ctx) -> int:
    return len([p for p in c.children if 12 <= p.age_months < 84])


@indicator("infants_under_1_5", "number", "persons", "Children under one and a half years", CIVIL, clocks=_ages(18))
def _infants(c: Ctx) -> int:
    return len(c.infants)


def _infants_of_order(lo: int, hi: int) -> Callable[[Ctx], int]:
    return lambda c: len([p for p in c.infants if lo <= p.order <= hi])


for _n, _lo, _hi, _label in ((1, 1, 1, "first"), (2, 2, 2, "second"), (3, 3, 3, "third")):
    indicator(
        f"infants_order_{_n}",
        "number",
        "persons",
        f"Children under 1.5 years who are the {_label} child of the family",
        CIVIL,
        clocks=_ages(18),
    )(_infants_of_order(_lo, _hi))
indicator(
    "infants_order_4plus",
    "number",
    "persons",
    "Children under 1.5 years who are the fourth or later child",
    CIVIL,
    clocks=_ages(18),
)(_infants_of_order(4, 99))


@indicator(
    "births_last_12m",
    "number",
    "persons",
    "Children born in the 12 months up to the as-of date",
    CIVIL,
    clocks=_ages(12),
)
def _births(c: Ctx) -> int:
    return len(c.newborns)


@indicator(
    "births_last_12m_order_1_3",
    "number",
    "persons",
    "Children born in the last 12 months who are the 1st, 2nd or 3rd child",
    CIVIL,
    clocks=_ages(12),
)
def _births13(c: Ctx) -> int:
    return len([p for p in c.newborns if p.order <= 3])


@indicator(
    "births_last_12m_order_4plus",
    "number",
    "persons",
    "Children born in the last 12 months who are the 4th or later child",
    CIVIL,
    clocks=_ages(12),
)
def _births4(c: Ctx) -> int:
    return len([p for p in c.newborns if p.order >= 4])


@indicator(
    "youngest_child_age_months",
    "number",
    "months",
    "Age of the youngest child in completed months (999 when there are no children)",
    POP,
    clocks=(Clock("birth", elapsed="months"),),
)
def _youngest(c: Ctx) -> int:
    ages = [p.age_months for p in c.children]
    return min(ages) if ages else NONE_MONTHS


@indicator("elderly_70_plus", "number", "persons", "Members aged 70 or over", POP, clocks=_ages(840))
def _elderly(c: Ctx) -> int:
    return len([p for p in c.people if p.age >= 70])


@indicator(
    "head_age_years",
    "number",
    "years",
    "Age of the head of the family in completed years",
    POP,
    clocks=(Clock("birth", elapsed="years"),),
)
def _head_age(c: Ctx) -> int:
    return next(p.age for p in c.people if p.m.relation == "head")


@indicator(
    "single_parent_family",
    "bool",
    "flag",
    "Children under 18 live with only one parent (a head without a spouse)",
    POP,
    clocks=_ages(216),
)
def _single_parent(c: Ctx) -> bool:
    has_spouse = any(p.m.relation == "spouse" for p in c.people)
    return (not has_spouse) and c.minors > 0


@indicator("region", "str", "code", "ISO 3166-2:KZ code of the family's region", POP, values=model.REGIONS)
def _region(c: Ctx) -> str:
    return c.family.region


# --- residence -----------------------------------------------------------------------------------


@indicator(
    "parent_eligible_residency",
    "bool",
    "flag",
    "A parent (head or spouse) is a citizen, a kandas or a permanently resident foreigner",
    MIGR,
)
def _parent_residency(c: Ctx) -> bool:
    return any(p.m.citizenship in RESIDENT for p in c.people if p.m.relation in ("head", "spouse"))


@indicator(
    "all_members_residents",
    "bool",
    "flag",
    "Every member is a citizen, a kandas or a permanently resident foreigner",
    MIGR,
)
def _all_residents(c: Ctx) -> bool:
    return all(p.m.citizenship in RESIDENT for p in c.people)


@indicator("kandas_members", "number", "persons", "Members with kandas status (a legal residence status)", MIGR)
def _kandas(c: Ctx) -> int:
    return len([p for p in c.people if p.m.citizenship == "kandas"])


# --- pension age ---------------------------------------------------------------------------------


def _oldest_non_pensioner(c: Ctx, sex: str) -> float:
    ages = [p.age_months / 12 for p in c.people if p.m.sex == sex and p.m.employment != "pensioner"]
    return round(max(ages), 4) if ages else 0.0


@indicator(
    "oldest_male_non_pensioner_age_years",
    "number",
    "years",
    "Age in years (completed months / 12) of the oldest man not yet a pensioner; 0 if none",
    POP,
    sex_dependent=True,
    clocks=(Clock("birth", elapsed="fractional_years"),),
)
def _oldest_men(c: Ctx) -> float:
    return _oldest_non_pensioner(c, "male")


@indicator(
    "oldest_female_non_pensioner_age_years",
    "number",
    "years",
    "Age in years (completed months / 12) of the oldest woman not yet a pensioner; 0 if none",
    POP,
    sex_dependent=True,
    clocks=(Clock("birth", elapsed="fractional_years"),),
)
def _oldest_women(c: Ctx) -> float:
    return _oldest_non_pensioner(c, "female")


@indicator("pensioners", "number", "persons", "Members receiving a pension", "ЕНПФ / pension records")
def _pensioners(c: Ctx) -> int:
    return len([p for p in c.people if p.m.employment == "pensioner"])


# --- disability (Social Code art. 177 categories) -------------------------------------------------


def _dis(p: Person) -> model.Disability | None:
    return p.m.disability


@indicator("members_with_disability", "number", "persons", "Members with an established disability", MSE)
def _disabled(c: Ctx) -> int:
    return len(c.disabled)


# The disability indicators read `c.disabled`: the members with a disability (usually nobody).
def _adult_general(group: int) -> Callable[[Ctx], int]:
    def fn(c: Ctx) -> int:
        return len(
            [
                p
                for p in c.disabled
                if p.age >= 18 and (d := _dis(p)) is not None and d.effective_cause == "general" and d.group == group
            ]
        )

    return fn


def _childhood(group: int) -> Callable[[Ctx], int]:
    def fn(c: Ctx) -> int:
        return len(
            [
                p
                for p in c.disabled
                if (d := _dis(p)) is not None
                and d.group == group
                and ((7 <= p.age < 18) or (p.age >= 18 and d.effective_cause == "since_childhood"))
            ]
        )

    return fn


for _g in (1, 2, 3):
    indicator(
        f"disabled_adult_general_group_{_g}",
        "number",
        "persons",
        f"Adults with group {_g} disability from general disease (cause `general`, or none and not since childhood)",
        MSE,
        clocks=_ages(216),
    )(_adult_general(_g))
    indicator(
        f"disabled_childhood_group_{_g}",
        "number",
        "persons",
        f"Children aged 7-17 with group {_g} disability, and adults disabled since childhood, group {_g}",
        MSE,
        clocks=_ages(84, 216),
    )(_childhood(_g))


@indicator(
    "disabled_children_under_7", "number", "persons", "Children under 7 with a disability", MSE, clocks=_ages(84)
)
def _dis_under7(c: Ctx) -> int:
    return len([p for p in c.disabled if p.age < 7])


@indicator(
    "disabled_children_under_18",
    "number",
    "persons",
    "Children (relation child, or a ward raised by a guardian) under 18 with a disability",
    MSE,
    clocks=_ages(216),
)
def _dis_children(c: Ctx) -> int:
    return len([p for p in c.disabled if p.m.relation in ("child", "ward") and p.age < 18])


@indicator(
    "disabled_children_7_17_without_group",
    "number",
    "persons",
    "Children aged 7-17 with a disability whose decision carries no group (data to check)",
    MSE,
    clocks=_ages(84, 216),
)
def _dis_nogroup(c: Ctx) -> int:
    return len([p for p in c.disabled if (d := _dis(p)) is not None and d.group is None and 7 <= p.age < 18])


@indicator("disabled_group_1_or_2", "number", "persons", "Members with group 1 or 2 disability", MSE)
def _dis12(c: Ctx) -> int:
    return len([p for p in c.disabled if (d := _dis(p)) is not None and d.group in (1, 2)])


# --- work and insurance --------------------------------------------------------------------------


@indicator("insured_members", "number", "persons", "Participants of compulsory social insurance", GFSS)
def _insured(c: Ctx) -> int:
    return len([p for p in c.people if p.m.gfss_participant])


@indicator("employed_adults", "number", "persons", "Adults employed or self-employed", LABOUR, clocks=_ages(216))
def _employed(c: Ctx) -> int:
    return c.employed


@indicator("unemployed_adults", "number", "persons", "Adults registered as unemployed", LABOUR, clocks=_ages(216))
def _unemployed(c: Ctx) -> int:
    return len([p for p in c.people if p.age >= 18 and p.m.employment == "unemployed"])


@indicator("working_age_adults", "number", "persons", "Members aged 18 to 62", POP, clocks=_ages(216, 756))
def _working_age(c: Ctx) -> int:
    return len([p for p in c.people if 18 <= p.age < 63])


def _able(p: Person) -> bool:
    d = _dis(p)
    return (
        18 <= p.age < 63
        and not (d is not None and d.group in (1, 2))
        and not p.m.full_time_student
        and p.m.employment not in ("childcare_leave", "pensioner", "student")
    )


@indicator(
    "able_bodied_adults",
    "number",
    "persons",
    "Members aged 18-62 without group 1/2 disability, not studying, not caring for an infant, not retired",
    LABOUR,
    clocks=_ages(216, 756),
)
def _able_bodied(c: Ctx) -> int:
    return c.count(_able)


@indicator(
    "carer_insured",
    "bool",
    "flag",
    "The parent caring for the youngest children participates in social insurance",
    GFSS,
)
def _carer_insured(c: Ctx) -> bool:
    return bool(c.carer and c.carer.gfss_participant)


@indicator(
    "carer_avg_insured_income_24m_kzt",
    "number",
    "KZT",
    "The insured carer's average monthly insured income over 24 months (0 when no insured carer of an infant)",
    GFSS,
    optional=True,
    clocks=_ages(18),
)
def _carer_income(c: Ctx) -> float | None:
    # Unknown only where it matters: an insured carer of an infant whose record lacks the average.
    if c.carer is None or not c.carer.gfss_participant or not c.infants:
        return 0.0
    v = c.carer.avg_insured_income_24m_kzt
    return None if v is None else _money(v)


def _record_of(member: model.Member | None, field: str) -> float | None:
    """An insured person's income record: 0 when nobody is concerned, None when it is unknown."""
    if member is None:
        return 0.0
    value = getattr(member, field)
    return None if value is None else _money(value)


@indicator(
    "maternity_leave_days",
    "number",
    "days",
    "Days of maternity leave certified for an insured member (0 if none)",
    GFSS,
)
def _mat_days(c: Ctx) -> int:
    m = c.maternity
    return (m.maternity_leave_days or 0) if m else 0


@indicator(
    "maternity_avg_income_12m_kzt",
    "number",
    "KZT",
    "Average monthly insured income over 12 months of the member on maternity leave",
    GFSS,
    optional=True,
)
def _mat_income(c: Ctx) -> float | None:
    return _record_of(c.maternity, "avg_insured_income_12m_kzt")


@indicator(
    "months_since_insured_job_loss",
    "number",
    "months",
    "Completed months since an insured member lost a job (999 when none did)",
    LABOUR,
    clocks=(Clock("job_loss", elapsed="months"),),
)
def _since_job_loss(c: Ctx) -> int:
    m = c.job_loser
    return months_between(m.job_lost_on, c.as_of) if m and m.job_lost_on else NONE_MONTHS


@indicator(
    "job_loser_avg_income_24m_kzt",
    "number",
    "KZT",
    "Average monthly insured income over 24 months of the member who lost a job (0 when none)",
    GFSS,
    optional=True,
    clocks=(Clock("job_loss"),),
)
def _job_loser_income(c: Ctx) -> float | None:
    return _record_of(c.job_loser, "avg_insured_income_24m_kzt")


@indicator(
    "job_loser_insurance_months",
    "number",
    "months",
    "Months of social-insurance record of the member who lost a job (0 when none)",
    GFSS,
    optional=True,
    clocks=(Clock("job_loss"),),
)
def _job_loser_record(c: Ctx) -> int | None:
    m = c.job_loser
    if m is None:
        return 0
    return m.insurance_record_months


# --- income and loans ----------------------------------------------------------------------------


@indicator("total_income_kzt", "number", "KZT", "Monthly income of all members in the reference period", TAX)
def _total_income(c: Ctx) -> float:
    return to_tiyn(c.income)


@indicator(
    "per_capita_income_kzt",
    "number",
    "KZT",
    "Average monthly income per member in the reference quarter (total / members)",
    TAX,
)
def _per_capita(c: Ctx) -> float:
    return to_tiyn(c.income / len(c.people))


@indicator("income_earners", "number", "persons", "Members with any income", TAX)
def _earners(c: Ctx) -> int:
    return len([p for p in c.people if p.m.monthly_income_kzt > 0])


def _dependant(p: Person) -> bool:
    d = _dis(p)
    return p.m.monthly_income_kzt == 0 and (
        p.age < 18 or (p.age < 23 and p.m.full_time_student) or p.m.employment == "pensioner" or d is not None
    )


@indicator(
    "dependants",
    "number",
    "persons",
    "Members without income who are minors, students under 23, pensioners or disabled",
    TAX,
    clocks=_ages(216, 276),
)
def _dependants(c: Ctx) -> int:
    return c.dependants


@indicator(
    "dependency_ratio",
    "number",
    "ratio",
    "Dependants per employed adult (dependants if nobody works)",
    TAX,
    clocks=_ages(216, 276),
)
def _dependency(c: Ctx) -> float:
    return round(c.dependants / max(1, c.employed), 4)


@indicator(
    "median_income_kzt",
    "number",
    "KZT",
    "Median per-capita income of the region for the quarter before the as-of quarter",
    STATS,
    optional=True,
)
def _median(c: Ctx) -> float | None:
    v = c.family.median_income_kzt
    return None if v is None else _money(v)


@indicator(
    "median_income_known",
    "bool",
    "flag",
    "The region's median per-capita income for the reference quarter is known (unknown is not zero)",
    STATS,
)
def _median_known(c: Ctx) -> bool:
    return c.family.median_income_kzt is not None


@indicator("non_mortgage_loans_kzt", "number", "KZT", "Outstanding credit other than mortgages", CREDIT)
def _loans(c: Ctx) -> float:
    return _money(c.family.loans.non_mortgage_outstanding)


@indicator("has_non_mortgage_loan", "bool", "flag", "The family has credit obligations other than a mortgage", CREDIT)
def _has_loan(c: Ctx) -> bool:
    return c.family.loans.non_mortgage_outstanding > 0


# --- awards --------------------------------------------------------------------------------------


@indicator(
    "altyn_alqa_mothers",
    "number",
    "persons",
    "Members awarded Altyn alqa, Mother-heroine or Materinskaya slava I/II (the 7.40 MRP group)",
    AWARDS,
)
def _altyn(c: Ctx) -> int:
    return len([p for p in c.awarded if SEVEN_AWARD.intersection(p.m.awards)])


@indicator(
    "kumis_alqa_mothers", "number", "persons", "Members awarded Kumis alqa and none of the 7.40 MRP group", AWARDS
)
def _kumis(c: Ctx) -> int:
    return len([p for p in c.awarded if "kumis_alqa" in p.m.awards and not SEVEN_AWARD.intersection(p.m.awards)])


# --- deaths --------------------------------------------------------------------------------------


@indicator(
    "deceased_breadwinners",
    "number",
    "persons",
    "Deceased heads or spouses of the family",
    CIVIL,
    clocks=(Clock("death"),),
)
def _dead_bw(c: Ctx) -> int:
    return len(c.breadwinner_deaths)


@indicator(
    "months_since_breadwinner_death",
    "number",
    "months",
    "Completed months since the latest death of a head or spouse (999 when none)",
    CIVIL,
    clocks=(Clock("death", elapsed="months"),),
)
def _since_bw(c: Ctx) -> int:
    deaths = c.breadwinner_deaths
    return months_between(max(d.date_of_death for d in deaths), c.as_of) if deaths else NONE_MONTHS


@indicator(
    "survivor_dependants",
    "number",
    "persons",
    "After a breadwinner's death: children (also stepchildren and wards) and siblings under 18, or under 23"
    " in full-time study (0 otherwise); elders of pension age and a carer are counted separately",
    CIVIL,
    clocks=(Clock("death"), Clock("birth", (216, 276))),
)
def _survivors(c: Ctx) -> int:
    if not c.breadwinner_deaths:
        return 0
    return c.count(_young_dependant)


def _young_dependant(p: Person) -> bool:
    return p.m.relation in YOUNG_DEPENDANT_RELATIONS and (p.age < 18 or (p.age < 23 and p.m.full_time_student))


YOUNG_DEPENDANT_RELATIONS = frozenset({"child", "stepchild", "ward", "sibling"})


@indicator(
    "months_since_death_of_recipient",
    "number",
    "months",
    "Completed months since the death of a member who received a pension or benefit (999 when none)",
    CIVIL,
    clocks=(Clock("death", elapsed="months"),),
)
def _since_recipient_death(c: Ctx) -> int:
    deaths = [d for d in c.family.deceased if d.received_benefit_or_pension and d.date_of_death <= c.as_of]
    return months_between(max(d.date_of_death for d in deaths), c.as_of) if deaths else NONE_MONTHS


# --- legal depth (issue 13): guardianship, causes, pensions, ГФСС risks, housing, National Fund ------

GUARD = "guardianship authority records (wards, foster-family contracts)"
HOUSING = "housing and utilities records (akimat housing departments)"
ENPF_NF = "ЕНПФ target claims (National Fund for Children)"
ENPF = "ЕНПФ / pension records"
UNCONFIRMED_CAUSES = frozenset({"work_injury", "occupational_disease", "military", "other"})
# Under 18 on 31 December 2023, the first accrual year (Law No. 40-VIII of 16.11.2023, supplement §5).
NF_FIRST_COHORT = dt.date(2006, 1, 1)


def _ward(p: Person) -> bool:
    return p.m.relation == "ward" and p.age < 18


@indicator(
    "wards_under_18", "number", "persons", "Children under 18 under the family's guardianship", GUARD, clocks=_ages(216)
)
def _wards(c: Ctx) -> int:
    return c.count(_ward)


@indicator(
    "stepchildren_under_18", "number", "persons", "Stepchildren under 18 living in the family", POP, clocks=_ages(216)
)
def _stepchildren(c: Ctx) -> int:
    return c.count(lambda p: p.m.relation == "stepchild" and p.age < 18)


@indicator(
    "professional_foster_parents",
    "number",
    "persons",
    "Members under contract as professional foster parents (приёмная профессиональная семья)",
    GUARD,
)
def _foster_parents(c: Ctx) -> int:
    return c.count(lambda p: p.m.professional_foster_parent)


@indicator(
    "guardian_wards_under_18",
    "number",
    "persons",
    "Wards under 18 in a family without a professional foster parent (the guardian allowance)",
    GUARD,
    clocks=_ages(216),
)
def _guardian_wards(c: Ctx) -> int:
    if any(p.m.professional_foster_parent for p in c.people):
        return 0
    return c.count(_ward)


@indicator(
    "foster_wards_under_18",
    "number",
    "persons",
    "Wards under 18 placed in a family with a professional foster parent",
    GUARD,
    clocks=_ages(216),
)
def _foster_wards(c: Ctx) -> int:
    if not any(p.m.professional_foster_parent for p in c.people):
        return 0
    return c.count(_ward)


@indicator(
    "disabled_adults_cause_unconfirmed",
    "number",
    "persons",
    "Adults with a disability whose cause (work injury, occupational disease, military, other) has no confirmed rate",
    MSE,
    clocks=_ages(216),
)
def _dis_other_cause(c: Ctx) -> int:
    return len([p for p in c.disabled if p.age >= 18 and (d := _dis(p)) is not None
                and d.effective_cause in UNCONFIRMED_CAUSES])


@indicator(
    "group_1_adults_with_family_carer",
    "number",
    "persons",
    "Adults with group 1 disability in a family with another adult able to care (not group 1/2 disabled)",
    MSE,
    clocks=_ages(216),
)
def _group1_cared(c: Ctx) -> int:
    group1 = [p for p in c.disabled if p.age >= 18 and (d := _dis(p)) is not None and d.group == 1]
    if not group1:
        return 0
    carers = [p for p in c.people if p.age >= 18 and not ((d := _dis(p)) is not None and d.group in (1, 2))]
    return len(group1) if carers else 0


# The member with the greatest established loss of working capacity (ties: the greatest IIN).
def _capacity_loser(c: Ctx) -> Person | None:
    memo = c.__dict__  # seven indicators ask; chosen once per family and date
    if "_capacity_loser" in memo:
        return memo["_capacity_loser"]  # type: ignore[no-any-return]
    memo["_capacity_loser"] = found = _choose_capacity_loser(c)
    return found


def _choose_capacity_loser(c: Ctx) -> Person | None:
    cands = [p for p in c.people if p.m.work_capacity_loss_pct is not None and p.m.gfss_participant
             and p.m.work_capacity_loss_since is not None and p.m.work_capacity_loss_since <= c.as_of]
    return max(cands, key=lambda p: (p.m.work_capacity_loss_pct or 0, p.m.iin)) if cands else None


@indicator(
    "work_capacity_loss_members",
    "number",
    "persons",
    "Insured members with a degree of loss of working capacity set by МСЭ on or before the as-of date",
    MSE,
    clocks=(Clock("capacity_loss"),),
)
def _wcl_members(c: Ctx) -> int:
    return c.count(lambda p: p.m.work_capacity_loss_pct is not None and p.m.gfss_participant
                   and p.m.work_capacity_loss_since is not None and p.m.work_capacity_loss_since <= c.as_of)


@indicator(
    "work_capacity_loss_pct",
    "number",
    "percent",
    "Greatest degree of loss of working capacity (30-100) of an insured member; 0 when none",
    MSE,
    clocks=(Clock("capacity_loss"),),
)
def _wcl_pct(c: Ctx) -> int:
    p = _capacity_loser(c)
    return p.m.work_capacity_loss_pct or 0 if p else 0


@indicator(
    "months_since_work_capacity_loss",
    "number",
    "months",
    "Completed months since МСЭ set that degree (999 when none)",
    MSE,
    clocks=(Clock("capacity_loss", elapsed="months"),),
)
def _wcl_since(c: Ctx) -> int:
    p = _capacity_loser(c)
    if p is None or p.m.work_capacity_loss_since is None:
        return NONE_MONTHS
    return months_between(p.m.work_capacity_loss_since, c.as_of)


@indicator(
    "work_capacity_loss_avg_income_24m_kzt",
    "number",
    "KZT",
    "Average monthly insured income over 24 months of that member (0 when none)",
    GFSS,
    optional=True,
    clocks=(Clock("capacity_loss"),),
)
def _wcl_income(c: Ctx) -> float | None:
    p = _capacity_loser(c)
    return _record_of(p.m if p else None, "avg_insured_income_24m_kzt")


@indicator(
    "work_capacity_loss_record_months",
    "number",
    "months",
    "Months of social-insurance record of that member (0 when none)",
    GFSS,
    optional=True,
    clocks=(Clock("capacity_loss"),),
)
def _wcl_record(c: Ctx) -> int | None:
    p = _capacity_loser(c)
    return 0 if p is None else p.m.insurance_record_months


def _wcl_age(sex: str) -> Callable[[Ctx], float]:
    def fn(c: Ctx) -> float:
        p = _capacity_loser(c)
        return round(p.age_months / 12, 4) if p is not None and p.m.sex == sex else 0.0

    return fn


for _sex, _word in (("male", "man"), ("female", "woman")):
    indicator(
        f"work_capacity_loss_{_word}_age_years",
        "number",
        "years",
        f"Age (completed months / 12) of that member when a {_word}; 0 otherwise (the payment stops at pension age)",
        POP,
        sex_dependent=True,
        clocks=(Clock("birth", elapsed="fractional_years"), Clock("capacity_loss")),
    )(_wcl_age(_sex))


def _oldest_non_pensioner_person(c: Ctx, sex: str) -> Person | None:
    """The earliest-born non-pensioner of that sex (ties: the greatest IIN): the one the pension age
    reaches first, chosen by birth date so that the choice never moves with time."""
    key = "_oldest_" + sex
    memo = c.__dict__  # two indicators per sex ask
    if key not in memo:
        cands = [p for p in c.people if p.m.sex == sex and p.m.employment != "pensioner"]
        memo[key] = max(cands, key=lambda p: (-p.m.birth_date.toordinal(), p.m.iin)) if cands else None
    return memo[key]  # type: ignore[no-any-return]


def _record_years(sex: str) -> Callable[[Ctx], int]:
    def fn(c: Ctx) -> int:
        p = _oldest_non_pensioner_person(c, sex)
        return (p.m.pension_record_years or 0) if p is not None else 0

    return fn


def _record_known(sex: str) -> Callable[[Ctx], bool]:
    def fn(c: Ctx) -> bool:
        p = _oldest_non_pensioner_person(c, sex)
        return p is not None and p.m.pension_record_years is not None

    return fn


for _sex in ("male", "female"):
    indicator(
        f"oldest_{_sex}_non_pensioner_record_years",
        "number",
        "years",
        f"Basic-pension participation record in years of the oldest {_sex} non-pensioner (0 when unknown or none)",
        ENPF,
        sex_dependent=True,
    )(_record_years(_sex))
    indicator(
        f"oldest_{_sex}_non_pensioner_record_known",
        "bool",
        "flag",
        f"The participation record of the oldest {_sex} non-pensioner is known",
        ENPF,
        sex_dependent=True,
    )(_record_known(_sex))


def _nf_saver(c: Ctx) -> Callable[[Person], bool]:
    def pred(p: Person) -> bool:
        return (p.m.citizenship == "citizen" and 216 <= p.age_months < 228
                and p.m.birth_date >= NF_FIRST_COHORT)

    return pred


@indicator(
    "nf_savers_turned_18_last_12m",
    "number",
    "persons",
    "Citizens born in 2006 or later (participants since the first accrual) who turned 18 in the last 12 months",
    ENPF_NF,
    clocks=_ages(216, 228),
)
def _nf_savers(c: Ctx) -> int:
    return c.count(_nf_saver(c))


@indicator(
    "nf_participants_under_18",
    "number",
    "persons",
    "Citizens under 18 (participants of the National Fund for Children)",
    ENPF_NF,
    clocks=_ages(216),
)
def _nf_participants(c: Ctx) -> int:
    return c.count(lambda p: p.m.citizenship == "citizen" and 0 <= p.age_months < 216)


@indicator("housing_record", "bool", "flag", "The family's housing costs and dwelling are on record", HOUSING)
def _housing_record(c: Ctx) -> bool:
    return c.family.housing is not None


@indicator(
    "housing_costs_within_norms_kzt",
    "number",
    "KZT",
    "Monthly housing costs within the consumption norms (0 when not on record)",
    HOUSING,
)
def _housing_costs(c: Ctx) -> float:
    h = c.family.housing
    return _money(h.costs_within_norms_kzt) if h is not None else 0.0


@indicator(
    "housing_dwelling_eligible",
    "bool",
    "flag",
    "The dwelling is the family's only owned home or rented from the state housing stock",
    HOUSING,
)
def _housing_dwelling(c: Ctx) -> bool:
    h = c.family.housing
    return h is not None and h.dwelling in ("only_owned_home", "state_rental")


# --- survivors: dependants by pension age, a carer, the ГФСС survivor payment -------------------------


def _elders(sex: str, months: int) -> Callable[[Ctx], int]:
    def fn(c: Ctx) -> int:
        if not c.breadwinner_deaths:
            return 0
        return c.count(lambda p: p.m.relation in ("head", "spouse", "parent") and p.m.sex == sex
                       and p.age_months >= months)

    return fn


indicator(
    "survivor_elders_men_63_plus",
    "number",
    "persons",
    "After a breadwinner's death: surviving head, spouse or parents who are men aged 63 or over (0 otherwise)",
    CIVIL,
    sex_dependent=True,
    clocks=(Clock("death"), Clock("birth", (63 * 12,))),
)(_elders("male", 63 * 12))
for _months, _label in ((61 * 12, "61"), (61 * 12 + 6, "61_5"), (62 * 12, "62"), (62 * 12 + 6, "62_5"),
                        (63 * 12, "63")):
    indicator(
        f"survivor_elders_women_{_label}_plus",
        "number",
        "persons",
        f"After a breadwinner's death: surviving head, spouse or parents who are women aged {_label.replace('_', '.')}"
        " or over (0 otherwise; the rules pick the age in force)",
        CIVIL,
        sex_dependent=True,
        clocks=(Clock("death"), Clock("birth", (_months,))),
    )(_elders("female", _months))


@indicator(
    "survivor_carer_of_child_under_8",
    "number",
    "persons",
    "After a breadwinner's death: 1 when a surviving head, spouse or parent raises a child under 8 (0 otherwise)",
    CIVIL,
    clocks=(Clock("death"), Clock("birth", (96, 216))),
)
def _survivor_carer(c: Ctx) -> int:
    if not c.breadwinner_deaths:
        return 0
    young = any(p.m.relation in BIRTH_ORDER_RELATIONS and 0 <= p.age_months < 96 for p in c.people)
    adult = any(p.m.relation in ("head", "spouse", "parent") and p.age >= 18 for p in c.people)
    return 1 if young and adult else 0


def _insured_death(c: Ctx) -> model.Deceased | None:
    """The latest death of an insured head or spouse on or before the as-of date (ties: greatest IIN)."""
    if not c.family.deceased:
        return None
    cands = [d for d in c.breadwinner_deaths if d.gfss_participant]
    return max(cands, key=lambda d: (d.date_of_death, d.iin)) if cands else None


@indicator(
    "months_since_insured_breadwinner_death",
    "number",
    "months",
    "Completed months since the latest death of an insured head or spouse (999 when none)",
    GFSS,
    clocks=(Clock("death", elapsed="months"),),
)
def _since_insured_death(c: Ctx) -> int:
    d = _insured_death(c)
    return months_between(d.date_of_death, c.as_of) if d else NONE_MONTHS


@indicator(
    "deceased_insured_avg_income_24m_kzt",
    "number",
    "KZT",
    "Average monthly insured income over 24 months of that insured breadwinner (0 when none)",
    GFSS,
    optional=True,
    clocks=(Clock("death"),),
)
def _dead_income(c: Ctx) -> float | None:
    d = _insured_death(c)
    if d is None:
        return 0.0
    v = d.avg_insured_income_24m_kzt
    return None if v is None else _money(v)


@indicator(
    "deceased_insured_record_months",
    "number",
    "months",
    "Months of social-insurance record of that insured breadwinner (0 when none)",
    GFSS,
    optional=True,
    clocks=(Clock("death"),),
)
def _dead_record(c: Ctx) -> int | None:
    d = _insured_death(c)
    return 0 if d is None else d.insurance_record_months


@indicator(
    "gfss_survivor_dependants",
    "number",
    "persons",
    "After an insured breadwinner's death: children and siblings under 18 or students under 23, plus one"
    " surviving parent or spouse caring for a child under 3 (0 otherwise)",
    GFSS,
    clocks=(Clock("death"), Clock("birth", (36, 216, 276))),
)
def _gfss_dependants(c: Ctx) -> int:
    if _insured_death(c) is None:
        return 0
    young = c.count(_young_dependant)
    infant = any(p.m.relation in BIRTH_ORDER_RELATIONS and 0 <= p.age_months < 36 for p in c.people)
    carer = any(p.m.relation in ("head", "spouse") and p.age >= 18 for p in c.people)
    return young + (1 if infant and carer else 0)



# Indicators kept for the family record, the caseworkers' screens and population reports, which no
# rule reads on purpose (`familycard rules lint` names any other indicator no rule reads).
DESCRIPTIVE = frozenset({
    "adults", "children_under_18", "children_under_3", "youngest_child_age_months", "elderly_70_plus",
    "head_age_years", "pensioners", "members_with_disability", "insured_members", "working_age_adults",
    "able_bodied_adults", "dependants", "months_since_breadwinner_death", "nf_participants_under_18",
})


# --- the public face -----------------------------------------------------------------------------


def compute(family: model.Family, as_of: dt.date) -> dict[str, IndicatorValue]:
    """Every registered indicator for the family as of the date."""
    ctx = Ctx(family, as_of)
    return {name: ind.fn(ctx) for name, ind in REGISTRY.items()}


def compute_some(family: model.Family, as_of: dt.date, wanted: list[str]) -> dict[str, IndicatorValue]:
    """Only the named indicators (the compiled rulebook asks for the ones it reads)."""
    ctx = Ctx(family, as_of)
    return {name: REGISTRY[name].fn(ctx) for name in wanted}


def catalogue_markdown() -> str:
    """The analysts' indicator catalogue, generated from the registry."""
    lines = [
        "# Indicator catalogue",
        "",
        "Generated by `familycard rules catalogue` from `engine/indicators.py`; do not edit by hand.",
        "Optional indicators may be unknown; a benefit reading one lists it under `requires`.",
        "",
        "| name | type | unit | meaning | source | notes |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for ind in REGISTRY.values():
        notes = ", ".join(
            n
            for n, on in (
                ("optional", ind.optional),
                ("sex-dependent: needs sex_basis", ind.sex_dependent),
                ("descriptive: read by no rule", ind.name in DESCRIPTIVE),
            )
            if on
        )
        if ind.values:
            notes = (notes + "; " if notes else "") + "values: " + ", ".join(ind.values)
        lines.append(f"| `{ind.name}` | {ind.kind} | {ind.unit} | {ind.meaning} | {ind.source} | {notes} |")
    return "\n".join(lines) + "\n"
