"""Monthly incomes, insured averages, loans and the poor tail of the synthetic population.

Wages are log-normal (skewed to the right) around an assumed national median, scaled by the
region's assumed median income; pensions are narrower. Families whose income per member falls
below the region's АСП poverty line (0.35 x `median_income_kzt`, reference §2.3) are the poor
tail: a share of them, set so that about 1.5% of families live on under 35,000 tenge a member
(`calibration`), keep a deep-poverty income; the others are lifted above the line by other
income (transfers, informal work), so the number of families the АСП rules find is controlled
rather than an accident of the wage draw. Insured people carry 12- and 24-month averages close
to their pay, which the ГФСС payments need (§3.8-3.10). Every amount is a non-negative whole
number of tenge.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from synthetic import calibration, regions
from synthetic.households import Households
from synthetic.people import EMP, Statuses

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

# All ASSUMPTIONS (README.md): levels chosen so per-capita incomes centre near the regional medians.
WAGE_MEDIAN_KZT = 255_000.0
NATIONAL_MEDIAN_INCOME_KZT = 135_000.0  # the regions' median incomes are relative to this
WAGE_SIGMA = 0.55
WOMEN_WAGE = 0.82
SELF_EMPLOYED_WAGE = 0.6
PENSION_MEDIAN_KZT = 140_000.0
PENSION_SIGMA = 0.22
STIPEND = (0.3, 42_000.0)  # share of students 18+ with a stipend, and its size
POVERTY_LINE_SHARE = 0.35  # of the regional median (order No. 473, reference §2.3)
LIFT = (1.45, 3.0)  # non-poor families below the line end up at this multiple of it
LOANS = (0.385, 0.25)  # share of families with a non-mortgage loan: others, deeply poor
LOAN_MEDIAN_KZT = 700_000.0
LOAN_SIGMA = 1.0


@dataclasses.dataclass
class Money:
    """Per-member incomes and insured averages (NaN is null), per-family loans and medians."""

    income: Floats
    avg_12m: Floats
    avg_24m: Floats
    loans: Floats
    median_income: Floats
    deep_poor: Bools


def assign(h: Households, st: Statuses, rng: np.random.Generator) -> Money:
    """Draw incomes, apply the poor tail, then the insured averages and loans."""
    m, n = len(h.fam), h.n_families
    median = regions.column("median_income_kzt")[h.region]
    factor = (median / NATIONAL_MEDIAN_INCOME_KZT)[h.fam]
    wage = WAGE_MEDIAN_KZT * factor * np.exp(rng.normal(0.0, WAGE_SIGMA, m)) * np.where(h.male, 1.0, WOMEN_WAGE)
    pension = PENSION_MEDIAN_KZT * np.exp(rng.normal(0.0, PENSION_SIGMA, m))
    emp = st.employment

    income = np.zeros(m)
    income = np.where(emp == EMP["employed"], wage, income)
    income = np.where(emp == EMP["self_employed"], wage * SELF_EMPLOYED_WAGE, income)
    income = np.where(emp == EMP["pensioner"], pension, income)
    stipend = (emp == EMP["student"]) & (h.age_days >= 18 * 365.25) & (rng.random(m) < STIPEND[0])
    income = np.where(stipend, STIPEND[1], income)
    working_pensioner = (emp == EMP["employed"]) & st.pension_aged
    income = np.where(working_pensioner, income + pension, income)

    size = np.bincount(h.fam, minlength=n).astype(np.float64)
    total = np.bincount(h.fam, weights=income, minlength=n)
    per_capita = total / size
    line = POVERTY_LINE_SHARE * median
    below = per_capita < line
    # Deep poverty is kept more often in larger families, as among АСП recipients (5.3 people on
    # average in 2024, reference §3.7), and scaled so the expected share of families is the target.
    target = calibration.BY_NAME["deep_poor_families"].share * n
    weight = np.where(below, np.sqrt(size), 0.0)
    p_keep = np.minimum(1.0, weight * target / max(1.0, float(weight.sum())))
    deep = below & (rng.random(n) < p_keep)
    poor_pc = calibration.DEEP_POVERTY_KZT * (0.15 + 0.83 * rng.beta(2.0, 1.4, n))
    lifted_pc = line * rng.uniform(LIFT[0], LIFT[1], n)
    wanted_pc = np.where(deep, poor_pc, np.where(below, lifted_pc, per_capita))
    wanted_total = wanted_pc * size
    scale = np.divide(wanted_total, total, out=np.ones(n), where=total > 0)
    income = income * scale[h.fam]
    # Families with no income at all get it as the head's other income.
    starts = h.starts()
    no_income = (total <= 0) & (wanted_total > 0)
    income[starts[no_income]] = wanted_total[no_income]
    income = np.round(income)

    base = np.where(np.isin(emp, (EMP["employed"], EMP["self_employed"])), income, np.round(wage))
    avg_12m = np.where(st.gfss, np.round(base * rng.uniform(0.9, 1.1, m)), np.nan)
    avg_24m = np.where(st.gfss, np.round(base * rng.uniform(0.85, 1.05, m)), np.nan)

    has_loan = rng.random(n) < np.where(deep, LOANS[1], LOANS[0])
    amount = np.round(LOAN_MEDIAN_KZT * np.exp(rng.normal(0.0, LOAN_SIGMA, n)))
    loans = np.where(has_loan, amount, 0.0)
    return Money(
        income=income,
        avg_12m=avg_12m,
        avg_24m=avg_24m,
        loans=loans,
        median_income=median.astype(np.float64),
        deep_poor=deep,
    )
