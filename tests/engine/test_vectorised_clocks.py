"""The vectorised `next_change` column is the scalar `Engine.next_change`, family by family.

`engine.vectorised.clocks` computes, for a whole population, the day each family's decisions can
next change by time alone; the scheduler and the population run trust it only while it agrees
with `engine.clocks` (whose own correctness `test_clocks.py` checks day by day). The differential
check (`tests/engine/test_differential.py`: 100,000 edge-case families on eight dates, 50,000
synthetic ones) compares the column with `Engine.next_change` for every family it evaluates;
here: `add_months` over arrays, 20,000 edge-case families under the real rules with a look at
what the answers are made of, and hand-made schedules for what the current rulebook never
produces (an anchor counted every month, thresholds before a future anchor, an epoch that never
ends).
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from engine import clocks, model
from engine.api import Engine
from engine.vectorised import check, edgecases, tables
from engine.vectorised import clocks as vclocks
from tests.engine.test_differential import DATES

RULES = Path(__file__).resolve().parents[2] / "rules"
UNIX = dt.date(1970, 1, 1)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load(RULES)


@pytest.fixture(scope="module")
def edge() -> tuple[tables.Tables, np.ndarray, list[model.Family]]:
    population, date_of = edgecases.generate(20_000, 20261202, DATES)
    return population, date_of, [model.Family.model_validate(s) for s in tables.to_snapshots(population)]


def compare(
    sched_of, scalar, population: tables.Tables, families: list[model.Family], dates: list[dt.date], date_of: np.ndarray
) -> tuple[int, list[dt.date | None]]:
    """Compare the column with the scalar answer for every family (family i as of dates[date_of[i]]);
    return the number compared and every date found, failing on the first few differences."""
    compared = 0
    found: list[dt.date | None] = []
    wrong: list[str] = []
    for k, as_of in enumerate(dates):
        rows = np.flatnonzero(date_of == k)
        if len(rows) == 0:
            continue
        column = vclocks.next_change(sched_of(as_of), check.subset(population, rows), as_of)
        assert column.dtype == pl.Date and column.name == "next_change" and len(column) == len(rows)
        for i, got in zip(rows, column.to_list(), strict=True):
            expected = scalar(families[i], as_of)
            if got != expected and len(wrong) < 10:
                wrong.append(f"{families[i].family_id} as of {as_of}: vectorised {got}, scalar {expected}")
            found.append(got)
            compared += 1
    assert not wrong, "\n".join(wrong)
    return compared, found


def test_add_months_over_arrays_is_the_scalar_add_months():
    rng = random.Random(5)
    anchors = [dt.date(1900, 1, 1) + dt.timedelta(days=rng.randrange(365 * 200)) for _ in range(30_000)]
    anchors += [dt.date(2024, 2, 29), dt.date(2023, 1, 31), dt.date(2023, 3, 31), dt.date(2000, 12, 31)] * 50
    months = np.array([rng.randrange(-2400, 2400) for _ in anchors], dtype=np.int64)
    year, month, day = vclocks.ymd(vclocks.days_of(pl.Series(anchors, dtype=pl.Date)))
    assert list(zip(year.tolist(), month.tolist(), day.tolist(), strict=True)) == [
        (a.year, a.month, a.day) for a in anchors
    ]
    got = vclocks.add_months(year, month, day, months)
    expected = [(clocks.add_months(a, int(k)) - UNIX).days for a, k in zip(anchors, months, strict=True)]
    assert got.tolist() == expected


@pytest.mark.parametrize("dense_days", [vclocks.DENSE_DAYS, 0], ids=["a-table-per-day", "per-distinct-day"])
def test_the_column_is_engine_next_change_under_the_real_rules(engine, edge, dense_days, monkeypatch):
    monkeypatch.setattr(vclocks, "DENSE_DAYS", dense_days)
    population, date_of, families = edge
    compared, found = compare(engine.schedule, engine.next_change, population, families, DATES, date_of)
    assert compared == 20_000
    # The answers are varied (birthdays, windows, deaths, job losses), not only the epoch boundaries.
    boundaries = {engine.schedule(d).boundary for d in DATES}
    assert len(set(found)) > 500
    assert sum(d not in boundaries for d in found) > 10_000


@pytest.mark.parametrize(
    "sched",
    [
        # (issue 13 added the capacity_loss anchor: the date МСЭ set a loss of working capacity)
        clocks.Schedule(
            {"birth": (-6, 0, 18, 216), "death": (0, 6), "job_loss": (-1, 0, 3), "capacity_loss": (0, 12)},
            frozenset({"job_loss"}), None,
        ),
        clocks.Schedule({"birth": (0,), "death": (0,), "job_loss": (0,), "capacity_loss": (0,)},
                        frozenset({"death", "capacity_loss"}), dt.date(2040, 1, 1)),
        clocks.Schedule({"birth": (0,), "death": (0,), "job_loss": (0,), "capacity_loss": (0,)}, frozenset(), None),
        clocks.Schedule({"birth": (-2400, 0, 2400), "death": (0,), "job_loss": (0, 1), "capacity_loss": (-3, 0, 7)},
                        frozenset({"birth"}), None),
    ],
    ids=["thresholds-before-anchors", "monthly-deaths", "mostly-never", "monthly-births"],
)
def test_the_column_follows_any_schedule(sched, edge):
    population, date_of, families = edge
    compared, found = compare(
        lambda _: sched, lambda f, d: clocks.next_change(sched, f, d), population, families, DATES, date_of
    )
    assert compared == 20_000
    if sched.boundary is None and not sched.monthly:
        assert None in found  # families with no anchor ahead get a null, as the scalar gives None


def test_an_empty_population_gives_an_empty_column(engine, edge):
    population, _, _ = edge
    empty = check.subset(population, np.zeros(0, dtype=np.int64))
    column = vclocks.next_change(engine.schedule(DATES[0]), empty, DATES[0])
    assert column.dtype == pl.Date and len(column) == 0


def test_a_death_in_an_unknown_family_is_named(engine, edge):
    population, _, _ = edge
    part = check.subset(population, np.arange(100, dtype=np.int64))
    stray = pl.DataFrame(
        {
            "family_id": ["FAM-NOWHERE"],
            "iin": ["000000000000"],
            "relation": ["head"],
            "date_of_death": [dt.date(2025, 1, 1)],
            "employment": ["none"],
            "gfss_participant": [False],
            "received_benefit_or_pension": [False],
            "avg_insured_income_24m_kzt": [None],
            "insurance_record_months": [None],
        },
        schema=part.deceased.schema,
    )
    broken = tables.Tables(part.families, part.members, pl.concat([part.deceased, stray]))
    with pytest.raises(tables.PopulationError, match=r"deceased\.family_id.*FAM-NOWHERE"):
        vclocks.next_change(engine.schedule(DATES[0]), broken, DATES[0])


def test_the_benchmark_times_the_column_and_checks_it(tmp_path, capsys):
    from loadtests import bench_next_change
    from synthetic import vectorised

    vectorised.generate(800, 3, dt.date(2026, 3, 1), tmp_path, progress=False)
    assert bench_next_change.main(["--population", str(tmp_path), "--repeat", "1", "--check", "800"]) == 0
    printed = capsys.readouterr().out
    assert "800 families" in printed and "projected for 6,300,000 families" in printed
    assert "checked against Engine.next_change on 800 families: equal" in printed


def test_members_in_any_row_order_give_the_same_column(engine, edge):
    population, _, _ = edge
    as_of = DATES[6]
    before = vclocks.next_change(engine.schedule(as_of), population, as_of)
    shuffled = tables.Tables(
        population.families,
        population.members.sample(fraction=1.0, shuffle=True, seed=4),
        population.deceased.sample(fraction=1.0, shuffle=True, seed=5),
    )
    assert not shuffled.members.get_column("pos").is_sorted()
    assert vclocks.next_change(engine.schedule(as_of), shuffled, as_of).equals(before)
    assert before.null_count() == 0 and before.n_unique() > 100
