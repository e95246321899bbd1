"""`familycard population run`: per-family results, a consistent summary, the same on Dask."""

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from engine import model, population
from engine.api import Engine
from engine.vectorised import tables
from service import cli

RULES = str(Path(__file__).resolve().parents[2] / "rules")
AS_OF = dt.date(2026, 3, 1)


@pytest.fixture(scope="module")
def pop_dir(tmp_path_factory) -> Path:
    from synthetic import vectorised

    out = tmp_path_factory.mktemp("population")
    vectorised.generate(6_000, 5, AS_OF, out, progress=False)
    return out


@pytest.fixture(scope="module")
def local_run(pop_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    summary = population.evaluate_population(str(pop_dir), RULES, AS_OF, out, count=3, progress=False)
    return out, summary


def _without_run(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k != "run"}


def test_every_family_gets_one_row_with_every_benefit(local_run, pop_dir):
    out, _ = local_run
    families = pl.read_parquet(out / "families.parquet")
    ids = pl.read_parquet(pop_dir / "families.parquet").get_column("family_id")
    assert families.height == len(ids) == families.get_column("family_id").n_unique()
    assert set(families.get_column("family_id")) == set(ids)
    benefits = [b.id for b in Engine.load(RULES).benefits()]
    for b in benefits:
        assert {f"{b}.status", f"{b}.amount_kzt", f"{b}.review_reasons"} <= set(families.columns)
    assert not (out / "parts").exists()


def test_the_summary_adds_up_from_the_per_family_results(local_run):
    out, summary = local_run
    assert json.loads((out / "summary.json").read_text()) == summary
    fam = pl.read_parquet(out / "families.parquet")
    assert summary["families"] == fam.height
    assert summary["people"] == fam.get_column("family_size").sum()
    annual = 0
    for b in summary["benefits"]:
        eligible = fam.filter(pl.col(f"{b['benefit']}.status") == "eligible")
        assert b["families"] == eligible.height
        assert b["people"] == eligible.get_column("family_size").sum()
        amount = fam.get_column(f"{b['benefit']}.amount_kzt").sum()
        assert b["annual_cost_kzt"] == population.ANNUAL_FACTOR[b["period"]] * amount
        assert b["review_decisions"] == fam.filter(pl.col(f"{b['benefit']}.review_reasons") != "").height
        annual += b["annual_cost_kzt"]
    assert summary["totals"]["annual_cost_kzt"] == annual
    assert summary["totals"]["review_decisions"] == fam.get_column("review_decisions").sum() > 0
    for key in ("by_region", "by_wellbeing_level"):
        groups = summary[key].values()
        assert sum(g["families"] for g in groups) == summary["families"]
        assert sum(g["annual_cost_kzt"] for g in groups) == annual
        assert sum(g["review_decisions"] for g in groups) == summary["totals"]["review_decisions"]
    kz75 = fam.filter(pl.col("region") == "KZ-75")
    assert summary["by_region"]["KZ-75"]["families"] == kz75.height


def test_per_family_results_are_the_apis_decisions(local_run, pop_dir):
    from synthetic import snapshots

    out, _ = local_run
    fam = {r["family_id"]: r for r in pl.read_parquet(out / "families.parquet").rows(named=True)}
    engine = Engine.load(RULES)
    for snap in snapshots.parquet_to_snapshots(pop_dir, limit=150):
        response = engine.evaluate(model.Family.model_validate(snap), AS_OF)
        row = fam[snap["family_id"]]
        for d in response.decisions:
            assert (row[f"{d.benefit}.status"], row[f"{d.benefit}.amount_kzt"]) == (d.status, d.amount_kzt)
            assert row[f"{d.benefit}.review_reasons"] == ",".join(d.review_reasons)
        assert (row["wellbeing_level"], row["wellbeing_score"]) == (response.wellbeing.level, response.wellbeing.score)


def test_one_partition_and_several_give_the_same_results(local_run, pop_dir, tmp_path):
    out, summary = local_run
    single = population.evaluate_population(str(pop_dir), RULES, AS_OF, tmp_path, count=1, progress=False)
    assert _without_run(single) == _without_run(summary)
    a = pl.read_parquet(tmp_path / "families.parquet").sort("family_id")
    b = pl.read_parquet(out / "families.parquet").sort("family_id")
    assert a.equals(b)


def test_a_dask_cluster_of_two_workers_gives_the_local_results(local_run, pop_dir, tmp_path):
    from dask.distributed import LocalCluster

    out, summary = local_run
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = population.evaluate_population(str(pop_dir), RULES, AS_OF, tmp_path, count=3,
                                                scheduler=cluster.scheduler_address, progress=False)
    assert remote["run"]["scheduler"] == cluster.scheduler_address
    assert _without_run(remote) == _without_run(summary)
    a = pl.read_parquet(tmp_path / "families.parquet")
    b = pl.read_parquet(out / "families.parquet")
    assert a.equals(b)


def test_the_command_prints_the_summary(pop_dir, tmp_path, capsys):
    code = cli.main(["population", "run", "--population", str(pop_dir), "--as-of", "2026-03-01",
                     "--rules", RULES, "--out", str(tmp_path), "--partitions", "2"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "large_family_allowance" in printed and "decisions for human review" in printed
    assert "next change by time alone" in printed and "2027-02" in printed
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert f"{summary['families']:,}".replace(",", " ") in printed


def test_a_missing_population_is_a_clear_error(tmp_path, capsys):
    code = cli.main(["population", "run", "--population", str(tmp_path / "nowhere"), "--as-of", "2026-03-01",
                     "--out", str(tmp_path / "out")])
    assert code == 2
    assert "families.parquet" in capsys.readouterr().err


def test_a_bad_date_is_a_clear_error(pop_dir, tmp_path, capsys):
    code = cli.main(["population", "run", "--population", str(pop_dir), "--as-of", "2026-13-01",
                     "--out", str(tmp_path)])
    assert code == 2
    assert "--as-of" in capsys.readouterr().err


def test_a_population_with_a_bad_value_names_it(pop_dir, tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("families", "deceased"):
        (bad / f"{name}.parquet").write_bytes((pop_dir / f"{name}.parquet").read_bytes())
    members = pl.read_parquet(pop_dir / "members.parquet")
    members.with_columns(pl.when(pl.int_range(pl.len()) == 10).then(pl.lit("alien")).otherwise(pl.col("citizenship"))
                         .alias("citizenship")).write_parquet(bad / "members.parquet")
    code = cli.main(["population", "run", "--population", str(bad), "--as-of", "2026-03-01",
                     "--out", str(tmp_path / "out")])
    assert code == 2
    assert "members.citizenship" in capsys.readouterr().err


def test_the_tables_refuse_what_the_snapshot_model_refuses(pop_dir):
    t = tables.read_parquet(pop_dir)
    broken = t.families.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(-1.0)
                                     .otherwise(pl.col("median_income_kzt")).alias("median_income_kzt"))
    with pytest.raises(tables.PopulationError, match=r"families\.median_income_kzt"):
        tables.validate(tables.Tables(broken, t.members, t.deceased))


def test_a_large_population_is_split_so_each_partition_stays_small(local_run, pop_dir, tmp_path, monkeypatch):
    from engine import partitions

    out, summary = local_run
    monkeypatch.setattr(partitions, "CHUNK_FAMILIES", 1_000)
    chunked = population.evaluate_population(str(pop_dir), RULES, AS_OF, tmp_path, count=1, progress=False)
    assert chunked["run"]["partitions"] == 6
    assert _without_run(chunked) == _without_run(summary)
    assert pl.read_parquet(tmp_path / "families.parquet").equals(pl.read_parquet(out / "families.parquet"))


def test_every_family_gets_the_day_its_decisions_next_change_and_the_summary_counts_them(local_run, pop_dir):
    from engine.vectorised import clocks as vclocks

    out, summary = local_run
    fam = pl.read_parquet(out / "families.parquet")
    assert fam.schema["next_change"] == pl.Date
    engine = Engine.load(RULES)
    population_tables = tables.read_parquet(pop_dir)
    expected = vclocks.next_change(engine.schedule(AS_OF), population_tables, AS_OF)
    by_id = dict(zip(population_tables.families.get_column("family_id"), expected, strict=True))
    assert dict(zip(fam.get_column("family_id"), fam.get_column("next_change"), strict=True)) == by_id
    # ... which is Engine.next_change, family by family (the differential test checks many more).
    for snap in list(tables.to_snapshots(population_tables))[:300]:
        assert by_id[snap["family_id"]] == engine.next_change(model.Family.model_validate(snap), AS_OF)
    nc = fam.get_column("next_change")
    assert nc.null_count() == 0 and nc.min() > AS_OF
    calendar = summary["next_change"]
    assert list(calendar["by_month"]) == [f"{y}-{m:02d}" for y, m in [(2026, m) for m in range(3, 13)]
                                          + [(2027, 1), (2027, 2)]]
    assert sum(calendar["by_month"].values()) + calendar["later"] + calendar["never"] == fam.height
    march = fam.filter(pl.col("next_change") < dt.date(2026, 4, 1)).height
    assert calendar["by_month"]["2026-03"] == march > 0
    assert calendar["by_month"]["2026-07"] == fam.filter(pl.col("next_change").dt.strftime("%Y-%m") == "2026-07").height
    later = fam.filter(pl.col("next_change") >= dt.date(2027, 3, 1)).height
    assert calendar["later"] == later > 0  # the next epoch begins on 2028-01-01: many wait for a birthday
