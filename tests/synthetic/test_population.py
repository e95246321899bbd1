"""`familycard synth --families 100000`: deterministic, valid, well-formed, and calibrated.

The distribution checks recount every target here from the written Parquet with their own
polars expressions (not `synthetic.stats`), and compare with `synthetic.calibration.TARGETS`.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from kz_iin_validator import validate_iin

from engine import iin, model
from synthetic import calibration, chunk, regions
from tests.synthetic.conftest import AS_OF, FAMILIES, SEED, Population, synth

_BORN = pl.col("birth_date")
_LATER_IN_YEAR = (_BORN.dt.month() > AS_OF.month) | ((_BORN.dt.month() == AS_OF.month) & (_BORN.dt.day() > AS_OF.day))
AGE = pl.lit(AS_OF.year) - _BORN.dt.year().cast(pl.Int32) - _LATER_IN_YEAR.cast(pl.Int32)


def test_the_same_seed_writes_the_same_population_and_another_seed_a_different_one(population, tmp_path):
    again = tmp_path / "again"
    assert synth(again) == 0
    for name in ("families", "members", "deceased"):
        assert pl.read_parquet(again / f"{name}.parquet").equals(getattr(population, name)), name
        assert (again / f"{name}.parquet").read_bytes() == (population.path / f"{name}.parquet").read_bytes()
    other = tmp_path / "other"
    assert synth(other, families=2000, seed=SEED + 1) == 0
    mine = population.members.filter(pl.col("family_id") <= "FAM-0002000")
    assert not pl.read_parquet(other / "members.parquet").equals(mine)


def test_the_tables_have_the_fixed_schema(population):
    assert dict(population.families.schema) == chunk.FAMILY_SCHEMA
    assert dict(population.members.schema) == chunk.MEMBER_SCHEMA
    assert dict(population.deceased.schema) == chunk.DECEASED_SCHEMA
    assert population.families.height == FAMILIES
    assert population.families["family_id"][0] == "FAM-0000001"
    assert population.families["family_id"][-1] == "FAM-0100000"


def test_every_iin_passes_the_independent_validator_and_agrees_with_the_person(population):
    rows = population.members.select("iin", "birth_date", "sex").iter_rows()
    for value, born, sex in rows:
        parsed = validate_iin(value)
        assert parsed.born_date.datetime.date() == born, value
        assert parsed.gender.name == sex, value
    for value in population.deceased["iin"]:
        validate_iin(value)


def test_every_iin_passes_the_engines_check_digit_and_consistency_rules(population):
    m = population.members
    digits = np.frombuffer("".join(m["iin"]).encode(), dtype=np.uint8).reshape(-1, 12).astype(np.int64) - 48
    assert (iin.check_digits_vectorised(digits[:, :11]) == digits[:, 11]).all()
    assert m.select((pl.col("iin").str.slice(0, 6) == pl.col("birth_date").dt.strftime("%y%m%d")).all()).item()
    century = (pl.col("birth_date").dt.year() // 100 - 18) * 2 + 1 + (pl.col("sex") == "female").cast(pl.Int32)
    assert m.select((pl.col("iin").str.slice(6, 1).cast(pl.Int32) == century).all()).item()
    for value, born, sex in m.select("iin", "birth_date", "sex").sample(20_000, seed=1).iter_rows():
        assert iin.consistency_problem(value, born, sex) is None, value
    assert all(iin.is_valid(value) for value in population.deceased["iin"])


def test_every_iin_is_unique_across_members_and_deceased(population):
    everyone = pl.concat([population.members["iin"], population.deceased["iin"]])
    assert everyone.n_unique() == everyone.len()


def test_members_are_contiguous_per_family_in_family_order_head_first(population):
    m = population.members
    assert m["family_id"].is_sorted()
    assert population.families["family_id"].is_sorted()
    assert population.deceased["family_id"].is_sorted()
    assert m["family_id"].unique().sort().equals(population.families["family_id"])
    rank = {"head": 0, "spouse": 1, "child": 2, "ward": 2, "stepchild": 2, "parent": 3, "sibling": 4, "other": 5}
    ordered = m.with_columns(
        rank=pl.col("relation").replace_strict(rank, return_dtype=pl.Int8),
        pos=pl.int_range(pl.len()).over("family_id"),
    )
    heads = ordered.filter(pl.col("relation") == "head")
    assert heads.height == FAMILIES
    assert heads["pos"].max() == 0
    assert ordered.select((pl.col("rank").diff().over("family_id").fill_null(0) >= 0).all()).item()
    kids = ordered.filter(pl.col("relation") == "child")
    assert kids.select(
        (pl.col("birth_date").diff().over("family_id").fill_null(dt.timedelta(0)) >= dt.timedelta(0)).all()
    ).item(), "children are listed eldest first"


def test_values_are_within_the_contract_vocabulary_and_amounts_are_finite(population):
    m, f = population.members, population.families
    assert set(m["relation"].unique()) <= set(model.RELATIONS)
    assert set(m["employment"].unique()) <= set(model.EMPLOYMENTS)
    assert set(m["citizenship"].unique()) <= set(model.CITIZENSHIPS)
    assert set(m["awards"].explode().drop_nulls().unique()) <= set(model.AWARDS)
    assert set(f["region"].unique()) == set(model.REGIONS)
    for column in ("monthly_income_kzt", "avg_insured_income_12m_kzt", "avg_insured_income_24m_kzt"):
        values = m[column].drop_nulls()
        assert values.is_finite().all() and values.min() >= 0, column
    assert f["non_mortgage_outstanding"].min() >= 0
    assert f["median_income_kzt"].min() >= 100_000 and f["median_income_kzt"].max() <= 180_000
    assert m.filter(pl.col("has_disability").not_() & pl.col("disability_group").is_not_null()).height == 0
    grouped = m.filter(pl.col("has_disability") & pl.col("disability_group").is_null())
    assert grouped.select((AGE < 7).all()).item(), "only the youngest children have a group-less disability"
    assert m.filter(pl.col("maternity_leave_days").is_not_null())["maternity_leave_days"].is_in([126, 140]).all()


def test_insured_people_carry_insured_averages_close_to_their_pay(population):
    m = population.members
    insured = m.filter(pl.col("gfss_participant"))
    assert insured["avg_insured_income_12m_kzt"].null_count() == 0
    assert insured["avg_insured_income_24m_kzt"].null_count() == 0
    assert insured["insurance_record_months"].null_count() == 0
    assert m.filter(~pl.col("gfss_participant"))["avg_insured_income_12m_kzt"].null_count() == (
        m.height - insured.height
    )
    working = insured.filter(pl.col("employment") == "employed")
    ratio = working["avg_insured_income_12m_kzt"] / working["monthly_income_kzt"]
    assert ratio.is_between(0.89, 1.11).mean() > 0.99
    recent = m.filter((pl.col("employment") == "unemployed") & pl.col("gfss_participant"))
    assert recent["job_lost_on"].null_count() == 0
    assert recent["job_lost_on"].max() < AS_OF


def _shares(pop: Population) -> dict[str, float]:
    m = pop.members.with_columns(age=AGE)
    people = m.height
    year_ago = dt.date(AS_OF.year - 1, AS_OF.month, AS_OF.day)
    half_year_ago = (
        dt.date(AS_OF.year, AS_OF.month - 6, AS_OF.day)
        if AS_OF.month > 6
        else dt.date(AS_OF.year - 1, AS_OF.month + 6, AS_OF.day)
    )
    fam = (
        m.group_by("family_id")
        .agg(
            size=pl.len(),
            income=pl.col("monthly_income_kzt").sum(),
            kids=(
                (pl.col("relation") == "child")
                & ((pl.col("age") < 18) | ((pl.col("age") < 23) & pl.col("full_time_student")))
            ).sum(),
        )
        .join(pop.families, on="family_id")
        .with_columns(pc=pl.col("income") / pl.col("size"))
    )
    n = fam.height
    count = lambda expr: m.filter(expr).height / people  # noqa: E731
    poor = fam.filter((pl.col("pc") < 0.35 * pl.col("median_income_kzt")) & (pl.col("non_mortgage_outstanding") == 0))
    return {
        "pensioners": count(pl.col("employment") == "pensioner"),
        "disability": count(pl.col("has_disability")),
        "disabled_children": count(pl.col("has_disability") & (pl.col("age") < 18)),
        "births_12m": count(pl.col("birth_date") > year_ago),
        "under_18": count(pl.col("age") < 18),
        "large_families": fam.filter(pl.col("kids") >= 4).height / n,
        "deep_poor_families": fam.filter(pl.col("pc") < 35_000).height / n,
        "tsa_people": poor["size"].sum() / people,
        "below_subsistence_people": fam.filter(pl.col("pc") < 50_851)["size"].sum() / people,
        "awarded_mothers": count(pl.col("awards").list.len() > 0),
        "working": count(pl.col("employment").is_in(["employed", "self_employed"])),
        "unemployed": count(pl.col("employment") == "unemployed"),
        "gfss_participants": count(pl.col("gfss_participant")),
        "recent_job_loss": count(
            (pl.col("employment") == "unemployed")
            & pl.col("gfss_participant")
            & (pl.col("job_lost_on") >= half_year_ago)
        ),
        "maternity_leave": count(pl.col("maternity_leave_days").is_not_null()),
        "kandas": count(pl.col("citizenship") == "kandas"),
        "resident_foreigners": count(pl.col("citizenship") == "resident_foreigner"),
        "loans": fam.filter(pl.col("non_mortgage_outstanding") > 0).height / n,
        "deceased": pop.deceased.height / n,
    }


def test_every_calibration_target_is_met_within_its_tolerance(population):
    shares = _shares(population)
    misses = {
        t.name: (round(shares[t.name], 5), t.share, t.tolerance)
        for t in calibration.TARGETS
        if not math.isclose(shares[t.name], t.share, abs_tol=t.tolerance)
    }
    assert not misses, f"outside tolerance (got, target, tolerance): {misses}"
    assert set(shares) == set(calibration.BY_NAME)


def test_people_per_family_and_regional_population_shares_match(population):
    per_family = population.members.height / population.families.height
    assert abs(per_family - calibration.PEOPLE_PER_FAMILY) <= calibration.PEOPLE_PER_FAMILY_TOLERANCE
    by_region = dict(population.members.join(population.families, on="family_id").group_by("region").len().iter_rows())
    for r in regions.REGIONS:
        share = by_region[r.code] / population.members.height
        assert abs(share - r.population_share) <= calibration.REGION_SHARE_TOLERANCE, r.code


def test_incomes_are_right_skewed_with_a_poor_tail(population):
    pay = population.members.filter(pl.col("employment") == "employed")["monthly_income_kzt"]
    assert pay.mean() > 1.1 * pay.median()
    zero_income_families = (
        population.members.group_by("family_id")
        .agg(pl.col("monthly_income_kzt").sum())
        .filter(pl.col("monthly_income_kzt") == 0)
        .height
    )
    assert zero_income_families < 0.01 * FAMILIES


def test_large_families_are_more_common_in_the_south(population):
    counted = (pl.col("relation") == "child") & (AGE < 18)
    per_region = (
        population.members.filter(counted)
        .group_by("family_id")
        .len()
        .join(population.families, on="family_id")
        .group_by("region")
        .agg(big=(pl.col("len") >= 4).sum())
        .join(population.families.group_by("region").len(), on="region")
        .with_columns(share=pl.col("big") / pl.col("len"))
    )
    share = dict(per_region.select("region", "share").iter_rows())
    assert share["KZ-61"] > 2 * share["KZ-59"]  # Turkistan vs North Kazakhstan


@pytest.mark.parametrize("bad", ["families", "members", "deceased"])
def test_snapshots_from_a_directory_missing_a_table_say_which(population, tmp_path, bad):
    from synthetic import snapshots

    for name in ("families", "members", "deceased"):
        if name != bad:
            (tmp_path / f"{name}.parquet").write_bytes((population.path / f"{name}.parquet").read_bytes())
    with pytest.raises(FileNotFoundError, match=bad):
        next(snapshots.parquet_to_snapshots(Path(tmp_path)))
