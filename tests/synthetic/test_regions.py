"""The region table: the engine's 20 codes, and family sizes that still match the model."""

from __future__ import annotations

import numpy as np

from engine import model
from synthetic import households, regions


def test_the_regions_are_the_engines_seventeen_regions_and_three_cities():
    assert regions.CODES == model.REGIONS
    assert len(regions.REGIONS) == 20
    assert abs(sum(r.population_share for r in regions.REGIONS) - 1) < 1e-9
    assert all(100_000 <= r.median_income_kzt <= 180_000 for r in regions.REGIONS)


def test_the_tabulated_mean_family_sizes_are_what_the_model_produces():
    # family_weights() divides population shares by these sizes; if the household model changes,
    # the table must be re-measured or the regional population shares drift.
    h = households.generate(300_000, np.random.default_rng(123))
    size = np.bincount(h.fam)
    for i, region in enumerate(regions.REGIONS):
        sample = size[h.region == i]
        standard_error = sample.std() / np.sqrt(len(sample))
        gap = abs(sample.mean() - region.mean_family_size)
        assert gap < 0.01 + 4 * standard_error, (region.code, sample.mean())
