"""The snapshot fields added for issue 13 (legal depth), drawn at plausible rates.

Its own random stream (the sixth of a chunk), so every earlier column of a seed's population is
unchanged. Rates, with what they stand for:

- disability cause: stated for a third of the disabled (the rest fall back to `since_childhood`);
  among adults disabled after childhood 88% general disease, 5% work injury, 3% occupational
  disease, 2% military service, 2% other;
- loss of working capacity: about 1% of insured adults under 63 (86.2 thousand recipients against
  some nine million insured, supplement §2), degree 30-100%, set in the last three years;
- participation record for the basic pension: known for 85% of members aged 50 or over, 25 ± 9
  years, 0-50;
- wards: 0.3% of the children under 18 are under guardianship; in one family in ten with a ward the
  head is a professional foster parent;
- housing: 3% of families have housing costs on record (they applied), 10-60 thousand tenge, the
  only owned home (70%), a state rental (15%) or a private one (15%);
- the deceased's insurance record: for insured deceased, a 24-month average like the living's
  (lognormal around 250 thousand, 10% unknown) and 12-300 months of record.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from engine import model
from synthetic import households

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
YEAR = 365


@dataclasses.dataclass
class Legal:
    """Per member, per family and per deceased columns (-1 / NaN: none)."""

    cause: Ints  # -1 none, else index into model.CAUSES
    ward: Bools
    foster_parent: Bools
    wcl_pct: Ints
    wcl_days_ago: Ints
    record_years: Ints
    housing_costs: Floats  # per family
    dwelling: Ints  # per family, -1 none, else index into model.DWELLINGS
    dead_avg_24m: Floats  # per deceased
    dead_record: Ints  # per deceased


def assign(h: households.Households, has_disability: Bools, since_childhood: Bools, gfss: Bools,
           dead_gfss: Bools, n_families: int, rng: np.random.Generator) -> Legal:
    """Draw the new fields for one chunk."""
    m = len(h.fam)
    age = h.age_days // YEAR
    adult = age >= 18
    stated = has_disability & (rng.random(m) < 1 / 3)
    later = rng.choice(np.array([0, 2, 3, 4, 5]), m, p=[0.88, 0.05, 0.03, 0.02, 0.02])  # general, work injury, ...
    cause = np.where(stated, np.where(since_childhood | ~adult, 1, later), -1)
    ward = (h.role == households.CHILD) & (age < 18) & (rng.random(m) < 0.003)
    fam_ward = np.zeros(n_families, dtype=bool)
    fam_ward[h.fam[ward]] = True
    foster_family = fam_ward & (rng.random(n_families) < 0.1)
    foster_parent = (h.role == households.HEAD) & foster_family[h.fam]
    lost = gfss & adult & (age < 63) & (rng.random(m) < 0.01)
    pct = np.where(lost, rng.choice(np.arange(30, 101, 5), m), -1)
    wcl_days_ago = np.where(lost, rng.integers(0, 3 * YEAR, m), -1)
    known = (age >= 50) & (rng.random(m) < 0.85)
    record = np.where(known, np.clip(np.round(rng.normal(25, 9, m)), 0, 50).astype(np.int64), -1)
    housed = rng.random(n_families) < 0.03
    costs = np.where(housed, np.round(rng.uniform(10_000, 60_000, n_families)), np.nan)
    dwelling = np.where(housed, rng.choice(np.array([0, 1, 2]), n_families, p=[0.7, 0.15, 0.15]), -1)
    d = len(dead_gfss)
    avg = np.round(np.exp(rng.normal(np.log(250_000), 0.5, d)))
    dead_avg = np.where(dead_gfss & (rng.random(d) < 0.9), avg, np.nan)
    dead_record = np.where(dead_gfss, rng.integers(12, 301, d), -1)
    assert len(model.CAUSES) == 6 and len(model.DWELLINGS) == 4
    return Legal(cause, ward, foster_parent, pct, wcl_days_ago, record, costs, dwelling, dead_avg, dead_record)
