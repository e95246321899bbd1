"""What the registries record about each synthetic person: residence status, disability, work,
social insurance, leave, job loss and state awards.

Each status follows from age, sex and the household (`households`): pensioners by the statutory
pension age (reference §2.4), mothers of infants on childcare leave, insured women on maternity
leave of 126 or 140 days around a birth (§3.8), insured job losers with a recent `job_lost_on`
(§3.10), disability by age and group with some from childhood (§3.5), and awards for mothers of
six, seven or more children (§3.4). Where a target is a national count (disability, maternity
leave, deaths) the probability is scaled within the chunk so the expected count matches the
target share whatever the age structure; `calibration` holds the targets.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import numpy.typing as npt

from engine import model
from synthetic import calibration, dates
from synthetic.households import CHILD, DAYS_PER_YEAR, HEAD, OTHER, PARENT, SIBLING, SPOUSE, Households

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

EMP = {name: i for i, name in enumerate(model.EMPLOYMENTS)}
CIT = {name: i for i, name in enumerate(model.CITIZENSHIPS)}
AWARD = {name: i + 1 for i, name in enumerate(model.AWARDS)}  # 0: no award

CITIZENSHIP_SHARES = {"kandas": 0.0115, "resident_foreigner": 0.0078, "other": 0.0007}  # per family
STUDENT_18_22 = 0.5  # children and siblings aged 18-22 in full-time education
WORKING_PENSIONERS = 0.09
ADULT_EMPLOYMENT = {  # 18 to pension age, not students: employed, self-employed, unemployed, none
    True: (0.79, 0.155, 0.045, 0.01),
    False: (0.715, 0.165, 0.045, 0.075),
}
CHILDCARE_LEAVE = 0.8  # mothers of a child under 1.5 years
INSURED = {"employed": 0.83, "self_employed": 0.45, "childcare_leave": 0.55, "unemployed": 0.45}
RECENT_JOB_LOSS = 0.6  # insured unemployed who lost the job within 6 months
PRENATAL_DAYS, POSTNATAL_DAYS = 70, 56  # Labour Code art. 99 (reference §3.8)
COMPLICATED_BIRTH = 0.07  # 140 instead of 126 days besides twins
DISABILITY_GROUPS_CHILD = (0.25, 0.45, 0.30)  # groups 1-3 for children aged 7-17
DISABILITY_GROUPS_ADULT = (0.12, 0.48, 0.40)
DISABILITY_AGE_SLOPE = 0.045  # adult disability rises by this factor per year of age (exp)
NOT_WORKING_IF_DISABLED = (0.85, 0.6, 0.3)  # by group
PARENT_AWARD = 0.2  # women of 60+ living with a child's family, whose own births are not modelled
PARENT_AWARDS = (("altyn_alqa", 0.45), ("kumis_alqa", 0.35), ("mother_heroine", 0.1),
                 ("materinskaya_slava_1", 0.05), ("materinskaya_slava_2", 0.05))  # fmt: skip


@dataclasses.dataclass
class Statuses:
    """Per-member registry facts of one chunk (codes index engine.model's tuples; -1 is null)."""

    citizenship: Ints
    disability_group: Ints  # 0: no group
    has_disability: Bools
    since_childhood: Bools
    employment: Ints
    full_time_student: Bools
    gfss: Bools
    insurance_months: Ints
    maternity_days: Ints
    job_lost_days_ago: Ints
    award: Ints  # 0: none, else 1 + index into model.AWARDS
    pension_aged: Bools


def pension_age(as_of: dt.date) -> tuple[float, float]:
    """(men, women) pension age in years on a date (reference §2.4: women 61 to 2027, +0.5 a year to 63)."""
    women = 61.0 + 0.5 * min(4, max(0, as_of.year - 2027))
    return 63.0, women


def _choice(rng: np.random.Generator, probs: npt.ArrayLike, size: int) -> Ints:
    p = np.asarray(probs, dtype=np.float64)
    return np.asarray(np.searchsorted(np.cumsum(p / p.sum()), rng.random(size), side="right"), dtype=np.int64)


def _scaled(weights: Floats, expected: float) -> Floats:
    total = float(weights.sum())
    return np.minimum(weights * (expected / total), 0.9) if total > 0 else weights


def assign(h: Households, birth_days: Ints, as_of: dt.date, rng: np.random.Generator) -> Statuses:
    """Draw every member's registry facts."""
    m = len(h.fam)
    n = h.n_families
    age_days = h.age_days
    years = dates.completed_years(birth_days, as_of)
    age = age_days / DAYS_PER_YEAR
    men_age, women_age = pension_age(as_of)
    pension_aged = np.where(h.male, age >= men_age, age >= women_age)

    fam_cit = _choice(rng, [1 - sum(CITIZENSHIP_SHARES.values()), *CITIZENSHIP_SHARES.values()], n)
    citizenship = fam_cit[h.fam]

    # Disability: children flat, adults rising with age, scaled to the national shares.
    child = years < 18
    n_child_target = calibration.BY_NAME["disabled_children"].share * m
    n_adult_target = calibration.BY_NAME["disability"].share * m - n_child_target
    p_child = np.where(child, 1.0, 0.0)
    p_child = _scaled(p_child, n_child_target)
    w_adult = np.where(child, 0.0, np.exp(DISABILITY_AGE_SLOPE * (age - 18)))
    p_dis = np.where(child, p_child, _scaled(w_adult, n_adult_target))
    has_dis = rng.random(m) < p_dis
    group = np.where(child, 1 + _choice(rng, DISABILITY_GROUPS_CHILD, m), 1 + _choice(rng, DISABILITY_GROUPS_ADULT, m))
    group = np.where(has_dis & ~(child & (years < 7)), group, 0)
    since_childhood = has_dis & (child | (rng.random(m) < np.where(age < 30, 0.5, 0.1)))

    # Work.
    employment = np.full(m, EMP["none"])
    student = np.zeros(m, dtype=bool)
    school = (years >= 7) & (years < 18)
    employment[school] = EMP["student"]
    student |= school
    young = (years >= 18) & (years < 23) & np.isin(h.role, (CHILD, SIBLING, OTHER))
    studying = young & (rng.random(m) < STUDENT_18_22)
    employment[studying] = EMP["student"]
    student |= studying
    adult = (years >= 18) & ~pension_aged & ~studying
    draw = np.where(
        h.male,
        _choice(rng, ADULT_EMPLOYMENT[True], m),
        _choice(rng, ADULT_EMPLOYMENT[False], m),
    )
    codes = np.array([EMP["employed"], EMP["self_employed"], EMP["unemployed"], EMP["none"]])
    employment[adult] = codes[draw[adult]]
    not_working = has_dis & adult & (rng.random(m) < np.array((0.0, *NOT_WORKING_IF_DISABLED))[group])
    employment[not_working] = EMP["none"]
    working_pensioner = pension_aged & (rng.random(m) < WORKING_PENSIONERS)
    employment[pension_aged] = np.where(working_pensioner[pension_aged], EMP["employed"], EMP["pensioner"])

    # Mothers of infants: childcare leave; around a birth, maternity leave if insured.
    is_child = h.role == CHILD
    youngest = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(youngest, h.fam[is_child], age_days[is_child])
    twins_now = np.zeros(n, dtype=bool)
    last = is_child & (age_days == youngest[h.fam])
    twins_now[h.fam[last & h.twin]] = True
    mother = h.mother
    has_mother = mother >= 0
    infant = youngest < int(1.5 * DAYS_PER_YEAR)
    leave = has_mother & infant & (rng.random(n) < CHILDCARE_LEAVE)
    mother_idx = mother[leave]
    mother_idx = mother_idx[~pension_aged[mother_idx]]
    employment[mother_idx] = EMP["childcare_leave"]

    gfss = np.zeros(m, dtype=bool)
    u = rng.random(m)
    for name, p in INSURED.items():
        sel = employment == EMP[name]
        gfss[sel] = u[sel] < p

    # Maternity: insured mothers within 56 days after a birth, and insured pregnant women.
    maternity = np.full(m, -1)
    newborn = has_mother & (youngest <= POSTNATAL_DAYS)
    post = mother[newborn]
    post_insured = post[gfss[post]]
    long_leave = twins_now[h.fam[post_insured]] | (rng.random(len(post_insured)) < COMPLICATED_BIRTH)
    maternity[post_insured] = np.where(long_leave, 140, 126)
    births_year = int((is_child & (age_days < DAYS_PER_YEAR)).sum())
    insured_share = float(gfss[post].mean()) if len(post) else 0.55
    expected_pregnant = births_year * PRENATAL_DAYS / DAYS_PER_YEAR * insured_share
    could = (
        ~h.male & np.isin(h.role, (HEAD, SPOUSE)) & (years >= 19) & (years <= 44) & gfss
        & (employment == EMP["employed"]) & (maternity < 0) & ~infant[h.fam]
    )  # fmt: skip
    p_preg = _scaled(could.astype(np.float64), expected_pregnant)
    pregnant = could & (rng.random(m) < p_preg)
    maternity[pregnant] = np.where(rng.random(int(pregnant.sum())) < COMPLICATED_BIRTH, 140, 126)

    # Job loss: the insured unemployed mostly recently, some of the others long ago.
    job_lost = np.full(m, -1)
    unemployed = employment == EMP["unemployed"]
    recent = unemployed & gfss & (rng.random(m) < RECENT_JOB_LOSS)
    job_lost[recent] = rng.integers(3, 182, int(recent.sum()))
    older = unemployed & ~recent & (gfss | (rng.random(m) < 0.3))
    job_lost[older] = rng.integers(182, 900, int(older.sum()))

    insurance = np.full(m, -1)
    span = np.clip(age - 18, 0.5, 42.0) * 12
    months = (span * rng.uniform(0.3, 1.0, m)).astype(np.int64) + 6
    insurance[gfss] = months[gfss]

    award = _awards(h, years, rng)
    return Statuses(
        citizenship=citizenship,
        disability_group=group,
        has_disability=has_dis,
        since_childhood=since_childhood,
        employment=employment,
        full_time_student=student,
        gfss=gfss,
        insurance_months=insurance,
        maternity_days=maternity,
        job_lost_days_ago=job_lost,
        award=award,
        pension_aged=pension_aged,
    )


def _awards(h: Households, years: Ints, rng: np.random.Generator) -> Ints:
    """Awards by children borne: Kumis alqa for 6, Altyn alqa for 7+, Soviet titles for older mothers."""
    m = len(h.fam)
    award = np.zeros(m, dtype=np.int64)
    has_mother = h.mother >= 0
    mothers = h.mother[has_mother]
    births = h.births_total[has_mother]
    older = years[mothers] >= 60  # their children were born before 1991
    code = np.zeros(len(mothers), dtype=np.int64)
    code[births == 6] = AWARD["kumis_alqa"]
    code[births >= 7] = AWARD["altyn_alqa"]
    code[older & (births == 8)] = AWARD["materinskaya_slava_2"]
    code[older & (births == 9)] = AWARD["materinskaya_slava_1"]
    code[older & (births >= 10)] = AWARD["mother_heroine"]
    granted = rng.random(len(mothers)) < np.where(births >= 7, 0.85, 0.8)
    award[mothers] = np.where(granted & (years[mothers] >= 27), code, 0)

    elder = (h.role == PARENT) & ~h.male & (years >= 60) & (rng.random(m) < PARENT_AWARD)
    kinds = np.array([AWARD[k] for k, _ in PARENT_AWARDS])
    award[elder] = kinds[_choice(rng, [p for _, p in PARENT_AWARDS], int(elder.sum()))]
    return award
