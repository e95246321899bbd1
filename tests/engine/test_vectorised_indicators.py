"""The columnar indicators equal `engine.indicators` for every family, and bad tables are refused."""

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from engine import casefile, indicators, model
from engine.api import Engine
from engine.vectorised import check, edgecases, run, tables
from engine.vectorised import indicators as vind

DATES = [dt.date(2023, 3, 1), dt.date(2024, 2, 29), dt.date(2025, 3, 1), dt.date(2025, 12, 31), dt.date(2026, 3, 1)]
RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture(scope="module")
def population():
    t, date_of = edgecases.generate(8_000, 61, DATES, [35595.7, 32359.6, 595000.0, 238000.0])
    fams = [model.Family.model_validate(s) for s in tables.to_snapshots(t)]
    return t, date_of, fams


def _python_value(name, got):
    scale = vind.SCALE.get(name, 0)
    return got / 10**scale if scale and got is not None else got


def _mismatches(t, date_of, fams, k, as_of, shuffle=False):
    rows = np.flatnonzero(date_of == k)
    sub = check.subset(t, rows)
    if shuffle:
        sub = tables.Tables(sub.families.sample(fraction=1.0, shuffle=True, seed=1),
                            sub.members.sample(fraction=1.0, shuffle=True, seed=2), sub.deceased)
    by_id = {r["family_id"]: r for r in vind.compute(sub, as_of).rows(named=True)}
    out = []
    for i in rows:
        row = by_id[fams[i].family_id]
        for name, expected in indicators.compute(fams[i], as_of).items():
            got = _python_value(name, row[name])
            if got != expected or isinstance(got, bool) != isinstance(expected, bool):
                out.append(f"{fams[i].family_id} as of {as_of}: {name} expected {expected!r}, got {got!r}")
    return out


def test_every_registered_indicator_has_a_columnar_form():
    assert vind.unsupported() == []


@pytest.mark.parametrize("k", range(len(DATES)), ids=[d.isoformat() for d in DATES])
def test_every_indicator_of_every_family_equals_the_per_family_function(population, k):
    t, date_of, fams = population
    problems = _mismatches(t, date_of, fams, k, DATES[k])
    assert not problems, "\n".join(problems[:20])


def test_member_order_is_the_file_order_even_when_rows_and_families_are_shuffled(population):
    t, date_of, fams = population
    problems = _mismatches(t, date_of, fams, 4, DATES[4], shuffle=True)
    assert not problems, "\n".join(problems[:20])


def test_a_parquet_round_trip_keeps_every_indicator(population, tmp_path):
    t, date_of, _ = population
    tables.write_parquet(check.subset(t, np.flatnonzero(date_of == 2)), tmp_path)
    back = tables.read_parquet(tmp_path)
    direct = vind.compute(check.subset(t, np.flatnonzero(date_of == 2)), DATES[2])
    assert vind.compute(back, DATES[2]).equals(direct)


def test_the_analysts_test_cases_pass_on_the_vectorised_backend():
    engine = Engine.load(RULES)
    failures, total = [], 0
    for path in casefile.test_files(RULES):
        cases, errors = casefile.load(path)
        assert not errors
        for case in cases:
            total += 1
            fam = model.Family.model_validate(casefile.build_family(case.family, case.name))
            compiled = run.compile_program(engine.program(case.as_of), engine.book)
            row = run.evaluate(compiled, tables.from_snapshots([fam]), case.as_of).row(0, named=True)
            for benefit, exp in case.expect.items():
                exp = exp or {}
                got_amount = row[f"{benefit}.amount_kzt"]
                if "amount_kzt" in exp and abs(got_amount - int(exp["amount_kzt"])) > int(exp.get("tolerance_kzt", 0)):
                    failures.append(f"{case.name}: {benefit} amount {got_amount}, expected {exp['amount_kzt']}")
                if "eligible" in exp and (row[f"{benefit}.status"] == "eligible") != exp["eligible"]:
                    failures.append(f"{case.name}: {benefit} status {row[f'{benefit}.status']}")
                if "status" in exp and row[f"{benefit}.status"] != exp["status"]:
                    failures.append(f"{case.name}: {benefit} status {row[f'{benefit}.status']}")
                reasons = [r for r in str(row[f"{benefit}.review_reasons"]).split(",") if r]
                if "review_reasons" in exp and reasons != sorted(exp["review_reasons"]):
                    failures.append(f"{case.name}: {benefit} reasons {reasons}")
                if "requires_human_review" in exp and bool(reasons) != exp["requires_human_review"]:
                    failures.append(f"{case.name}: {benefit} review {reasons}")
            if case.wellbeing_level is not None and row["wellbeing_level"] != case.wellbeing_level:
                failures.append(f"{case.name}: wellbeing level {row['wellbeing_level']}")
    assert total >= 30
    assert not failures, "\n".join(failures)


def _tiny():
    t, _ = edgecases.generate(30, 5, [dt.date(2026, 3, 1)])
    return t


def test_a_family_without_a_head_is_refused_by_name():
    t = _tiny()
    fid = t.families.get_column("family_id")[3]
    members = t.members.with_columns(
        relation=pl.when((pl.col("family_id") == fid) & (pl.col("relation") == "head")).then(pl.lit("other"))
        .otherwise(pl.col("relation")))
    with pytest.raises(tables.PopulationError, match=fid):
        vind.compute(tables.Tables(t.families, members, t.deceased), dt.date(2026, 3, 1))


def test_members_of_an_unknown_family_are_refused():
    t = _tiny()
    with pytest.raises(tables.PopulationError, match="unknown family"):
        vind.compute(tables.Tables(t.families[1:], t.members, t.deceased), dt.date(2026, 3, 1))


@pytest.mark.parametrize(("column", "value", "message"), [
    ("relation", "cousin", "members.relation"),
    ("monthly_income_kzt", -5.0, "members.monthly_income_kzt"),
    ("iin", "12345", "members.iin"),
    ("maternity_leave_days", 400, "members.maternity_leave_days"),
])
def test_a_bad_member_value_is_refused_naming_the_column(tmp_path, column, value, message):
    t = _tiny()
    members = t.members.with_columns(pl.when(pl.col("pos") == 7).then(pl.lit(value)).otherwise(pl.col(column))
                                     .cast(tables.MEMBER_SCHEMA[column]).alias(column))
    tables.write_parquet(tables.Tables(t.families, members, t.deceased), tmp_path)
    with pytest.raises(tables.PopulationError, match=message):
        tables.read_parquet(tmp_path)


def test_a_missing_column_is_named(tmp_path):
    t = _tiny()
    tables.write_parquet(tables.Tables(t.families, t.members.drop("employment"), t.deceased), tmp_path)
    with pytest.raises(tables.PopulationError, match="employment"):
        tables.read_parquet(tmp_path)


def test_fields_a_registry_may_omit_take_the_snapshot_models_defaults(tmp_path):
    t, _ = edgecases.generate(300, 9, [dt.date(2026, 3, 1)])
    blank = {"full_time_student": pl.Boolean, "disability_since_childhood": pl.Boolean, "awards": pl.List(pl.String)}
    members = t.members.with_columns([pl.when(pl.col("pos") % 3 == 0).then(None).otherwise(pl.col(c)).cast(d).alias(c)
                                      for c, d in blank.items()])
    families = t.families.with_columns(pl.lit(None, dtype=pl.Float64).alias("non_mortgage_outstanding"))
    tables.write_parquet(tables.Tables(families, members, t.deceased), tmp_path)
    back = tables.read_parquet(tmp_path)
    assert back.members.get_column("full_time_student").null_count() == 0
    fams = {f["family_id"]: model.Family.model_validate(f) for f in tables.to_snapshots(back)}
    as_of = dt.date(2026, 3, 1)
    for row in vind.compute(back, as_of).rows(named=True):
        expected = indicators.compute(fams[row["family_id"]], as_of)
        assert {k: _python_value(k, row[k]) for k in expected} == expected
