"""Recent deaths in synthetic families, for the survivor (§3.11) and funeral (§3.13) payments.

Three kinds, each a count per 100,000 families (issue 4 asks for "a few hundred"; the split is an
ASSUMPTION): a working-age partner leaving a head with children, mostly insured (the breadwinner
payments); an elderly partner of a widowed pensioner; and an elderly parent of the head. Both
of the last were pensioners (the funeral payment's "recipient of pension payments or benefits").
A deceased partner appears as `spouse` when the survivor was the head, or as `head` when the
survivor has become the head; the contract allows both.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from synthetic.households import CHILD, DAYS_PER_YEAR, HEAD, PARENT, SPOUSE, Households, spread_clip
from synthetic.people import EMP

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

PER_100K = {"partner_with_children": 200, "elderly_partner": 120, "parent": 80}
PARTNER_EMPLOYMENT = (("employed", 0.7, 0.85), ("self_employed", 0.12, 0.45),
                      ("unemployed", 0.06, 0.3), ("none", 0.12, 0.0))  # name, share, insured  # fmt: skip


@dataclasses.dataclass
class Deaths:
    """Deceased members of one chunk, sorted by family."""

    fam: Ints
    role: Ints
    male: Bools
    age_days: Ints  # age the person would have on as_of, for a birth date consistent with the IIN
    days_ago: Ints  # date of death = as_of - days_ago
    employment: Ints
    gfss: Bools
    received_benefit: Bools


def _pick(eligible: Bools, per_100k: int, n: int, rng: np.random.Generator) -> Ints:
    count = int(eligible.sum())
    p = min(1.0, per_100k * n / 100_000 / count) if count else 0.0
    return np.asarray(np.flatnonzero(eligible & (rng.random(n) < p)), dtype=np.int64)


def generate(h: Households, rng: np.random.Generator) -> Deaths:
    """Draw the deceased members of each family."""
    n = h.n_families
    starts = h.starts()
    head_age = h.age_days[starts] / DAYS_PER_YEAR
    head_male = h.male[starts]
    partnered = np.zeros(n, dtype=bool)
    partnered[h.fam[h.role == SPOUSE]] = True
    young = np.zeros(n, dtype=bool)
    young[h.fam[(h.role == CHILD) & (h.age_days < 18 * DAYS_PER_YEAR)]] = True

    widowed = _pick(~partnered & young & (head_age >= 22) & (head_age < 62), PER_100K["partner_with_children"], n, rng)
    elderly = _pick(~partnered & (head_age >= 62), PER_100K["elderly_partner"], n, rng)
    parent = _pick((head_age >= 35) & (head_age < 65), PER_100K["parent"], n, rng)

    shares = np.array([s for _, s, _ in PARTNER_EMPLOYMENT])
    kind = np.searchsorted(np.cumsum(shares / shares.sum()), rng.random(len(widowed)), side="right")
    w_emp = np.array([EMP[k] for k, _, _ in PARTNER_EMPLOYMENT])[kind]
    w_gfss = rng.random(len(widowed)) < np.array([p for _, _, p in PARTNER_EMPLOYMENT])[kind]

    partners = np.r_[widowed, elderly]
    gap = rng.normal(3.0, 2.5, len(partners)).clip(-4, 12)
    p_age = head_age[partners] + np.where(head_male[partners], -gap, gap)
    parent_age = head_age[parent] + 26 + rng.gamma(2.0, 2.5, len(parent))

    fam = np.r_[partners, parent]
    role = np.r_[np.where(rng.random(len(partners)) < 0.5, SPOUSE, HEAD), np.full(len(parent), PARENT)]
    male = np.r_[~head_male[partners], rng.random(len(parent)) < 0.45]
    age = np.r_[spread_clip(p_age, 20.0, 99.0, rng), spread_clip(parent_age, 55.0, 104.0, rng)]
    employment = np.r_[w_emp, np.full(len(elderly) + len(parent), EMP["pensioner"])]
    gfss = np.r_[w_gfss, np.zeros(len(elderly) + len(parent), dtype=bool)]
    received = np.r_[rng.random(len(widowed)) < 0.05, rng.random(len(elderly) + len(parent)) < 0.97]
    days_ago = rng.integers(1, 365, len(fam))
    order = np.argsort(fam, kind="stable")
    return Deaths(
        fam=fam[order],
        role=role[order],
        male=male[order],
        age_days=np.floor(age * DAYS_PER_YEAR).astype(np.int64)[order],
        days_ago=days_ago[order],
        employment=employment[order],
        gfss=gfss[order],
        received_benefit=received[order],
    )
