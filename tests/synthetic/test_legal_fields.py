"""The issue-13 fields of the synthetic population appear at their documented rates (`synthetic.legal`)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from engine import model
from synthetic import chunk

AS_OF = dt.date(2026, 3, 1)


def test_the_new_fields_appear_at_plausible_rates_and_validate():
    c = next(chunk.iter_chunks(40_000, 5, AS_OF, with_names=False))
    m, f, d = c.members, c.families, c.deceased
    age = (pl.lit(AS_OF) - pl.col("birth_date")).dt.total_days() // 365
    insured_adults = m.filter(pl.col("gfss_participant") & (age >= 18) & (age < 63)).height
    lost = m.filter(pl.col("work_capacity_loss_pct").is_not_null())
    assert 0.006 < lost.height / insured_adults < 0.014
    assert lost.get_column("work_capacity_loss_pct").is_between(30, 100).all()
    assert (lost.get_column("work_capacity_loss_since") <= AS_OF).all()
    older = m.filter(age >= 50)
    assert 0.8 < older.get_column("pension_record_years").is_not_null().mean() < 0.9  # type: ignore[operator]
    minors = m.filter(pl.col("relation").is_in(["child", "ward"]) & (age < 18))
    wards = minors.filter(pl.col("relation") == "ward").height
    assert 0.001 < wards / minors.height < 0.006
    assert m.get_column("professional_foster_parent").sum() <= wards
    housed = f.get_column("housing_dwelling").is_not_null()
    assert 0.02 < housed.mean() < 0.04  # type: ignore[operator]
    assert set(f.get_column("housing_dwelling").drop_nulls().unique()) <= set(model.DWELLINGS)
    causes = m.get_column("disability_cause").drop_nulls()
    assert set(causes.unique()) <= set(model.CAUSES) and causes.len() > 0
    assert m.filter(pl.col("disability_cause").is_not_null() & ~pl.col("has_disability")).height == 0
    insured_dead = d.filter(pl.col("gfss_participant"))
    assert insured_dead.get_column("insurance_record_months").is_not_null().all()
    assert d.filter(~pl.col("gfss_participant")).get_column("avg_insured_income_24m_kzt").is_null().all()
