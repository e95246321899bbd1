"""Who lives in each synthetic family, and how old they are: the household composition model.

A family is drawn around its head: the head's age and sex, a spouse for most, the children a
mother has borne so far (more in the south, `regions.Region.fertility`) of whom those still at
home are members, and sometimes a parent, a sibling or a grandchild of the head. Children are
born when the model says, so births in the last year, infants under 1.5, large families and the
number of children a mother has ever had (for awards) all come out of the same timeline.

The constants below are the knobs that were tuned to the targets in `calibration`; the tests
check the targets, not the knobs. Everything is vectorised over the families of one chunk.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from synthetic import regions

HEAD, SPOUSE, CHILD, PARENT, SIBLING, OTHER = range(6)
ROLE_NAMES: tuple[str, ...] = ("head", "spouse", "child", "parent", "sibling", "other")
DAYS_PER_YEAR = 365.2425
MAX_CHILDREN = 12

# Age of the head: (from, to, share of families).
HEAD_AGE_BANDS = ((18, 25, 0.04), (25, 35, 0.245), (35, 45, 0.22), (45, 55, 0.155),
                  (55, 65, 0.155), (65, 75, 0.12), (75, 92, 0.065))  # fmt: skip
PARTNERED = (0.5, 0.8, 0.82, 0.78, 0.7, 0.58, 0.34)  # by head age band
SINGLE_HEAD_MALE = (0.55, 0.40, 0.28, 0.28, 0.26, 0.22, 0.2)  # by head age band
PARTNERED_HEAD_MALE = 0.9
HAS_CHILDREN = {"couple": 0.93, "single_female": 0.62, "single_male": 0.12}
CHILDREN_BASE = 2.35  # mean of the Poisson part: a mother has 1 + Poisson(base x fertility) children
# Fertility by the mother's current age (her cohort): births fell in the 1990s and rose in the
# 2010s (fertility near 3 in the early 2020s), and Soviet-era mothers had more children.
COHORT_FERTILITY = ((35, 1.2), (45, 1.0), (60, 0.8), (200, 1.05))  # (below age, multiplier)
FIRST_BIRTH_AGE = (18.5, 2.0, 2.2)  # offset, gamma shape, gamma scale (years)
BIRTH_INTERVAL = (1.0, 2.0, 1.0)
LAST_BIRTH_AGE = 46.0
TWINS = 0.012  # share of births that are twins
# Probability a child of this age still lives with the family: (below age, probability).
AT_HOME = ((18, 0.985), (23, 0.72), (28, 0.3), (35, 0.1), (200, 0.03))
PARENT_AT_HOME = ((25, 60, 0.10, 0.03),)  # head ages, one parent, both parents
SIBLING_AT_HOME = (18, 35, 0.1)
GRANDCHILDREN = (50, 80, 0.05)

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclasses.dataclass
class Households:
    """One chunk's families and members; member arrays are sorted by family, then member order."""

    region: Ints  # per family: index into regions.REGIONS
    births_total: Ints  # per family: children the family's mother has borne so far
    mother: Ints  # per family: member index of the mother (female head or spouse), -1 if none
    father: Ints  # per family: member index of the male head or spouse, -1 if none
    fam: Ints  # per member: family index within the chunk
    role: Ints  # per member: HEAD..OTHER
    age_days: Ints  # per member: age in days at as_of
    male: Bools
    twin: Bools  # per member: born the same day as a sibling

    @property
    def n_families(self) -> int:
        """Families in the chunk."""
        return len(self.region)

    def starts(self) -> Ints:
        """Index of each family's first member (its head)."""
        return np.asarray(np.flatnonzero(self.role == HEAD), dtype=np.int64)


def _band_values(values: tuple[float, ...], band: Ints) -> Floats:
    return np.asarray(np.array(values, dtype=np.float64)[band], dtype=np.float64)


def _to_days(years: Floats) -> Ints:
    return np.asarray(np.floor(years * DAYS_PER_YEAR), dtype=np.int64)


def spread_clip(years: Floats, lo: float, hi: float, rng: np.random.Generator) -> Floats:
    """Keep ages within [lo, hi] by redrawing outliers over the edge year, not piling them on it.

    Piling many people on one exact age would give them one birth date, and a birth date has
    room for only 8,991 IINs per sex (`iins`).
    """
    u = rng.random(years.shape)
    return np.asarray(np.where(years < lo, lo + u, np.where(years > hi, hi - u, years)), dtype=np.float64)


def _at_home(child_age: Floats, rng: np.random.Generator) -> Bools:
    limits = np.array([a for a, _ in AT_HOME])
    probs = np.array([p for _, p in AT_HOME])
    return np.asarray(rng.random(child_age.shape) < probs[np.searchsorted(limits, child_age, side="right")])


def generate(n: int, rng: np.random.Generator) -> Households:
    """Compose `n` families: heads, spouses, children at home, and other relatives."""
    region = rng.choice(len(regions.REGIONS), size=n, p=regions.family_weights()).astype(np.int64)
    weights = np.array([w for _, _, w in HEAD_AGE_BANDS])
    band = rng.choice(len(HEAD_AGE_BANDS), size=n, p=weights / weights.sum()).astype(np.int64)
    lo = np.array([a for a, _, _ in HEAD_AGE_BANDS], dtype=np.float64)[band]
    hi = np.array([b for _, b, _ in HEAD_AGE_BANDS], dtype=np.float64)[band]
    head_age = lo + (hi - lo) * rng.random(n)

    partnered = rng.random(n) < _band_values(PARTNERED, band)
    head_male = np.where(
        partnered, rng.random(n) < PARTNERED_HEAD_MALE, rng.random(n) < _band_values(SINGLE_HEAD_MALE, band)
    )
    gap = rng.normal(3.0, 2.5, n).clip(-4.0, 12.0)  # husband older than wife by `gap` years
    spouse_age = spread_clip(np.where(head_male, head_age - gap, head_age + gap), 18.0, 96.0, rng)
    mother_age = np.where(partnered, np.where(head_male, spouse_age, head_age), head_age)
    mother_age = np.where(~partnered & head_male, head_age - 3.0, mother_age)

    intent = np.where(
        partnered,
        HAS_CHILDREN["couple"],
        np.where(head_male, HAS_CHILDREN["single_male"], HAS_CHILDREN["single_female"]),
    )
    cohort_limits = np.array([a for a, _ in COHORT_FERTILITY])
    cohort = np.array([f for _, f in COHORT_FERTILITY])[np.searchsorted(cohort_limits, mother_age, side="right")]
    fertility = regions.column("fertility")[region] * cohort
    wanted = np.where(rng.random(n) < intent, 1 + rng.poisson(CHILDREN_BASE * fertility), 0).clip(0, MAX_CHILDREN)

    # Birth ages, one row per child the mother wants: the first, then intervals.
    b_fam = np.repeat(np.arange(n), wanted)
    first_row = np.cumsum(wanted) - wanted
    first = FIRST_BIRTH_AGE[0] + rng.gamma(FIRST_BIRTH_AGE[1], FIRST_BIRTH_AGE[2], n)
    steps = BIRTH_INTERVAL[0] + rng.gamma(BIRTH_INTERVAL[1], BIRTH_INTERVAL[2], len(b_fam))
    steps[first_row[wanted > 0]] = 0.0
    run = np.cumsum(steps)
    birth_age = first[b_fam] + run - (run - steps)[np.repeat(first_row, wanted)]
    m_age = mother_age[b_fam]
    born = (birth_age <= LAST_BIRTH_AGE) & (birth_age <= m_age)
    births_total = np.bincount(b_fam[born], minlength=n).astype(np.int64)
    child_age = m_age - birth_age
    present = born & _at_home(child_age, rng)
    twins = present & (rng.random(len(b_fam)) < TWINS)
    c_fam = np.r_[b_fam[present], b_fam[twins]]
    c_age = np.r_[child_age[present], child_age[twins]]
    c_twin = np.r_[twins[present], np.ones(int(twins.sum()), dtype=bool)]

    # Relatives of the head: parents, a sibling, grandchildren.
    (p_lo, p_hi, p_one, p_two) = PARENT_AT_HOME[0]
    eligible = (head_age >= p_lo) & (head_age < p_hi)
    u = rng.random(n)
    n_parents = np.where(eligible & (u < p_two), 2, np.where(eligible & (u < p_one + p_two), 1, 0))
    parent_age_1 = head_age + 24 + rng.gamma(2.0, 2.5, n)
    parent_age_2 = parent_age_1 + rng.normal(2.0, 2.0, n).clip(-3, 8)
    par_fam = np.r_[np.flatnonzero(n_parents >= 1), np.flatnonzero(n_parents == 2)]
    par_age = np.r_[parent_age_1[n_parents >= 1], parent_age_2[n_parents == 2]]
    par_male = np.r_[rng.random(int((n_parents >= 1).sum())) < 0.22, np.ones(int((n_parents == 2).sum()), bool)]
    # With two parents the first is the mother and the second the father.
    par_male[: int((n_parents >= 1).sum())] &= n_parents[n_parents >= 1] == 1
    alive = par_age < 97
    par_fam, par_age, par_male = par_fam[alive], par_age[alive], par_male[alive]

    s_lo, s_hi, s_p = SIBLING_AT_HOME
    sib = (head_age >= s_lo) & (head_age < s_hi) & (rng.random(n) < s_p)
    sib_fam = np.flatnonzero(sib)
    sib_age = spread_clip(head_age[sib] + rng.uniform(-8, 6, len(sib_fam)), 14.0, 100.0, rng)

    g_lo, g_hi, g_p = GRANDCHILDREN
    grand = (head_age >= g_lo) & (head_age < g_hi) & (rng.random(n) < g_p)
    g_fam = np.repeat(np.flatnonzero(grand), 1 + (rng.random(int(grand.sum())) < 0.4))
    g_age = rng.uniform(0.0, 16.0, len(g_fam))

    sp_fam = np.flatnonzero(partnered)
    fam = np.r_[np.arange(n), sp_fam, c_fam, par_fam, sib_fam, g_fam]
    role = np.r_[
        np.full(n, HEAD), np.full(len(sp_fam), SPOUSE), np.full(len(c_fam), CHILD),
        np.full(len(par_fam), PARENT), np.full(len(sib_fam), SIBLING), np.full(len(g_fam), OTHER),
    ]  # fmt: skip
    age = np.r_[head_age, spouse_age[sp_fam], c_age, par_age, sib_age, g_age]
    male = np.r_[
        head_male, ~head_male[sp_fam], rng.random(len(c_fam)) < 0.513, par_male,
        rng.random(len(sib_fam)) < 0.5, rng.random(len(g_fam)) < 0.513,
    ]  # fmt: skip
    twin = np.r_[np.zeros(n + len(sp_fam), bool), c_twin, np.zeros(len(par_fam) + len(sib_fam) + len(g_fam), bool)]
    age_days = _to_days(age)  # twins were drawn with their sibling's age, so they share a birthday

    # Order: head, spouse, children eldest first, then parents, siblings, grandchildren.
    # One integer key (family, role, then age descending) sorts three times faster than lexsort.
    order = np.argsort((fam << 24) | (role << 21) | ((1 << 21) - 1 - age_days), kind="stable")
    fam, role, age_days, male, twin = fam[order], role[order], age_days[order], male[order], twin[order]

    index = np.arange(len(fam))
    mother = np.full(n, -1, dtype=np.int64)
    father = np.full(n, -1, dtype=np.int64)
    couple = role <= SPOUSE
    mother[fam[couple & ~male]] = index[couple & ~male]
    father[fam[couple & male]] = index[couple & male]
    return Households(
        region=region,
        births_total=births_total,
        mother=mother,
        father=father,
        fam=fam.astype(np.int64),
        role=role.astype(np.int64),
        age_days=age_days,
        male=male.astype(bool),
        twin=twin.astype(bool),
    )
