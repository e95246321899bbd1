"""Snapshots: from the rich generator and from Parquet, valid contract families and identical."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import polars as pl

from engine import model
from synthetic import rich, snapshots
from tests.synthetic.conftest import AS_OF, SEED, synth


def test_every_snapshot_read_back_from_parquet_is_a_valid_contract_family(population):
    count = 0
    for snap in snapshots.parquet_to_snapshots(population.path, limit=30_000):
        model.Family.model_validate(snap)
        count += 1
    assert count == 30_000


def test_rich_snapshots_equal_the_parquet_ones_family_by_family(tmp_path):
    out = tmp_path / "pop"
    assert synth(out, families=4000, seed=5) == 0
    from_parquet = list(snapshots.parquet_to_snapshots(out))
    from_rich = list(rich.generate_families(4000, 5, AS_OF))
    assert len(from_rich) == 4000
    assert from_parquet == from_rich
    for snap in from_rich:
        model.Family.model_validate(snap)


def test_a_snapshot_holds_exactly_the_parquet_rows_of_its_family(population):
    snap = next(s for s in snapshots.parquet_to_snapshots(population.path, limit=5000) if s["deceased"])
    members = population.members.filter(pl.col("family_id") == snap["family_id"])
    family = population.families.filter(pl.col("family_id") == snap["family_id"]).row(0, named=True)
    assert [m["iin"] for m in snap["members"]] == members["iin"].to_list()
    assert [m["monthly_income_kzt"] for m in snap["members"]] == members["monthly_income_kzt"].to_list()
    assert snap["region"] == family["region"]
    assert snap["loans"]["non_mortgage_outstanding"] == family["non_mortgage_outstanding"]
    assert snap["median_income_kzt"] == family["median_income_kzt"]
    dead = population.deceased.filter(pl.col("family_id") == snap["family_id"])
    assert [d["iin"] for d in snap["deceased"]] == dead["iin"].to_list()
    for m, row in zip(snap["members"], members.iter_rows(named=True), strict=True):
        assert (m["disability"] is None) == (not row["has_disability"])
        if m["disability"] is not None:
            assert m["disability"]["group"] == row["disability_group"]
        assert ("job_lost_on" in m) == (row["job_lost_on"] is not None)


def test_limit_reads_only_the_first_families_across_batch_boundaries(population, monkeypatch):
    monkeypatch.setattr(snapshots, "SNAPSHOT_BATCH", 333)
    ids = [s["family_id"] for s in itertools.islice(snapshots.parquet_to_snapshots(population.path, limit=1000), 2000)]
    assert ids == population.families["family_id"][:1000].to_list()


def test_snapshots_are_plain_json_and_the_same_for_the_same_seed():
    first = list(rich.generate_families(300, SEED, AS_OF))
    assert first == list(rich.generate_families(300, SEED, AS_OF))
    assert first != list(rich.generate_families(300, SEED + 1, AS_OF))
    assert json.loads(json.dumps(first)) == first


def test_rich_families_carry_the_life_situations_the_rules_need():
    snaps = list(rich.generate_families(20_000, 2, dt.date(2026, 3, 1)))
    members = [m for s in snaps for m in s["members"]]
    assert any(m.get("maternity_leave_days") in (126, 140) for m in members)
    assert any(m.get("job_lost_on") and m["employment"] == "unemployed" and m["gfss_participant"] for m in members)
    assert any(m["awards"] and m["sex"] == "female" for m in members)
    assert any(m["disability"] and m["disability"]["group"] is None for m in members)
    assert any(m["citizenship"] == "kandas" for m in members)
    assert any(d["relation"] in ("head", "spouse") and d["gfss_participant"] for s in snaps for d in s["deceased"])
    assert any(s["loans"]["non_mortgage_outstanding"] > 0 for s in snaps)
    assert all(sum(m["relation"] == "head" for m in s["members"]) == 1 for s in snaps)


def test_rich_and_parquet_agree_across_chunk_boundaries_and_iins_stay_unique(tmp_path):
    from synthetic import vectorised

    vectorised.generate(5000, 8, AS_OF, tmp_path, progress=False, chunk_families=1500)
    from_parquet = list(snapshots.parquet_to_snapshots(tmp_path))
    assert from_parquet == list(rich.generate_families(5000, 8, AS_OF, chunk_families=1500))
    assert [s["family_id"] for s in from_parquet] == [f"FAM-{i:07d}" for i in range(1, 5001)]
    everyone = [p["iin"] for s in from_parquet for p in s["members"] + s["deceased"]]
    assert len(everyone) == len(set(everyone))
