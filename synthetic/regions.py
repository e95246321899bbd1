"""The 17 regions and 3 cities of republican significance, with what the generator assumes of each.

Codes are ISO 3166-2:KZ since November 2022 (reference §1.2, [S60]–[S62]), the same tuple as
`engine.model.REGIONS`. Every number here is a calibration ASSUMPTION, not a published figure the
reference confirms: population shares are rounded from the Bureau of National Statistics'
estimates for the start of 2025 (about 20.2 million people); the regional median per-capita
income (the `median_income_kzt` of the snapshot, which the АСП poverty line multiplies by 0.35,
reference §2.3) spans the 100–180 thousand tenge the project assumes; `fertility` scales the
number of children a mother has (the south has larger families than the north), and
`kk_names` is the share of families whose names the generator draws from the Kazakh pools.
`README.md` lists them with the tolerance the tests allow.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from engine import model


@dataclasses.dataclass(frozen=True)
class Region:
    """One region as the generator sees it."""

    code: str
    name: str
    population_share: float
    median_income_kzt: float
    fertility: float
    kk_names: float
    mean_family_size: float


# mean_family_size is what the generator itself produces for the region (measured on 2 M
# families, seed 99); it turns population shares into family shares. A test re-measures it.
REGIONS: tuple[Region, ...] = (
    Region("KZ-71", "Astana", 0.0735, 180_000, 1.00, 0.85, 3.18),
    Region("KZ-75", "Almaty City", 0.1140, 175_000, 0.80, 0.70, 3.02),
    Region("KZ-79", "Shymkent", 0.0620, 110_000, 1.35, 0.90, 3.43),
    Region("KZ-10", "Abai", 0.0300, 125_000, 0.90, 0.80, 3.09),
    Region("KZ-11", "Akmola", 0.0390, 130_000, 0.72, 0.55, 2.95),
    Region("KZ-15", "Aktobe", 0.0465, 135_000, 1.05, 0.85, 3.22),
    Region("KZ-19", "Almaty Region", 0.0770, 120_000, 1.05, 0.80, 3.22),
    Region("KZ-23", "Atyrau", 0.0350, 180_000, 1.25, 0.95, 3.35),
    Region("KZ-27", "West Kazakhstan", 0.0340, 130_000, 0.95, 0.80, 3.13),
    Region("KZ-31", "Jambyl", 0.0605, 105_000, 1.20, 0.80, 3.33),
    Region("KZ-33", "Jetisu", 0.0345, 110_000, 1.00, 0.75, 3.18),
    Region("KZ-35", "Karaganda", 0.0560, 145_000, 0.70, 0.55, 2.93),
    Region("KZ-39", "Kostanay", 0.0410, 135_000, 0.62, 0.45, 2.87),
    Region("KZ-43", "Kyzylorda", 0.0415, 115_000, 1.35, 0.95, 3.43),
    Region("KZ-47", "Mangystau", 0.0390, 165_000, 1.40, 0.95, 3.44),
    Region("KZ-55", "Pavlodar", 0.0370, 145_000, 0.70, 0.50, 2.94),
    Region("KZ-59", "North Kazakhstan", 0.0265, 130_000, 0.62, 0.40, 2.87),
    Region("KZ-61", "Turkistan", 0.1055, 100_000, 1.45, 0.90, 3.49),
    Region("KZ-62", "Ulytau", 0.0110, 150_000, 0.90, 0.80, 3.10),
    Region("KZ-63", "East Kazakhstan", 0.0365, 140_000, 0.66, 0.50, 2.90),
)

CODES: tuple[str, ...] = tuple(r.code for r in REGIONS)
assert set(CODES) == set(model.REGIONS), "regions must match engine.model.REGIONS"
assert abs(sum(r.population_share for r in REGIONS) - 1.0) < 1e-9


def family_weights() -> npt.NDArray[np.float64]:
    """Probability that a family lives in each region, so that people follow the population shares."""
    w = np.array([r.population_share / r.mean_family_size for r in REGIONS])
    return np.asarray(w / w.sum(), dtype=np.float64)


def column(name: str) -> npt.NDArray[np.float64]:
    """One numeric attribute of every region, in the order of `REGIONS`."""
    return np.array([getattr(r, name) for r in REGIONS], dtype=np.float64)
