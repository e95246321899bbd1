"""`next_change`: the day a family's decisions can next move by time alone is never late.

The claim tested: every day from `as_of` to the day before `next_change` gives exactly the
decisions of `as_of`, and on `next_change` itself something the decisions read moves (an
indicator the rules read, or the epoch). Time reaches a decision only through the indicators the
rules read and the epoch of the date, so:

- every indicator's declared clocks are checked against brute force, day by day, on families
  built around the age and duration edges;
- on 10,000 synthetic families at three start dates, the decisions are compared on every day on
  which any month since any anchor completes (the only days on which `months_between`, hence any
  indicator, can move) up to `next_change`, and on the day before it, and the indicators the
  rules read are compared on every single day for a sample of them.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from engine import clocks, indicators, model
from engine.api import Engine
from engine.vectorised import edgecases, tables

RULES = Path(__file__).resolve().parents[2] / "rules"
STARTS = [dt.date(2025, 6, 14), dt.date(2025, 12, 20), dt.date(2026, 12, 2)]
DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load(RULES)


@pytest.fixture(scope="module")
def synthetic_families(tmp_path_factory: pytest.TempPathFactory) -> list[model.Family]:
    from synthetic import vectorised

    out = tmp_path_factory.mktemp("clocks-pop")
    vectorised.generate(10_000, 20261202, dt.date(2025, 12, 1), out, progress=False)
    return [model.Family.model_validate(s) for s in tables.to_snapshots(tables.read_parquet(out))]


@pytest.fixture(scope="module")
def edge_families() -> list[model.Family]:
    population, _ = edgecases.generate(1500, 7, STARTS)
    return [model.Family.model_validate(s) for s in tables.to_snapshots(population)]


def signature(engine: Engine, family: model.Family, day: dt.date) -> tuple[object, ...]:
    """What a decision is made of (status, amount, band, review reasons), for every benefit."""
    a = engine.assess(family, day, backend="explain")
    return tuple((v.benefit, v.status, v.amount_kzt, v.amount_case, v.review_reasons) for v in a.verdicts)


def read_values(engine: Engine, family: model.Family, day: dt.date) -> tuple[object, ...]:
    """The epoch and the indicators the rules read, but those whose value is elapsed time (they move monthly)."""
    prog = engine.program(day)
    names = [n for n in prog.indicator_names if not any(c.elapsed for c in indicators.REGISTRY[n].clocks)]
    return (prog.start, *indicators.compute_some(family, day, names).values())


def month_ticks(family: model.Family, start: dt.date, end: dt.date) -> set[dt.date]:
    """Every day in (start, end) on which a month since some anchor completes, or an anchor is reached."""
    days: set[dt.date] = set()
    for _, anchor in clocks.anchors(family):
        if start < anchor < end:
            days.add(anchor)
        k = indicators.months_between(anchor, start)  # negative before the anchor: ages of the unborn move too
        while True:
            day = clocks.add_months(anchor, k)
            if day >= end:
                break
            if day > start:
                days.add(day)
            k += 1
    return days


def test_add_months_is_the_first_day_the_months_are_complete():
    rng = random.Random(3)
    for _ in range(20_000):
        anchor = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 80))
        k = rng.randrange(-300, 900)
        day = clocks.add_months(anchor, k)
        assert indicators.months_between(anchor, day) >= k
        assert indicators.months_between(anchor, day - DAY) < k


def test_every_indicator_moves_only_on_the_days_its_clocks_declare(edge_families):
    """Day by day over two years, each indicator's value changes only on a declared clock day."""
    rng = random.Random(11)
    checked = moved = 0
    for family in edge_families[:250]:
        start = rng.choice(STARTS) - dt.timedelta(days=rng.randrange(400))
        ctx_prev = indicators.compute(family, start)
        for offset in range(1, 731):
            day = start + offset * DAY
            now = indicators.compute(family, day)
            for name, value in now.items():
                if value == ctx_prev[name]:
                    continue
                moved += 1
                own = indicators.REGISTRY[name].clocks
                assert own, f"{name} moved on {day} but declares no clock ({ctx_prev[name]} -> {value})"
                declared = _declared_days(family, own, day)
                assert day in declared, f"{name} moved on {day}, not a day its clocks declare ({family.family_id})"
            ctx_prev = now
            checked += 1
    assert checked == 250 * 730
    assert moved > 1000, "the sample never moves an indicator: the test would prove nothing"


def _declared_days(family: model.Family, own: tuple[indicators.Clock, ...], day: dt.date) -> set[dt.date]:
    """The days around `day` on which an indicator with these clocks may move."""
    out: set[dt.date] = set()
    for clock in own:
        for kind, anchor in clocks.anchors(family):
            if kind != clock.anchor:
                continue
            out.add(anchor)
            if clock.elapsed is not None:  # moves with every completed month
                out |= month_ticks(family, day - 40 * DAY, day + 40 * DAY)
            out |= {clocks.add_months(anchor, m) for m in clock.months}
    return out


def test_decisions_hold_until_next_change_on_10000_synthetic_families(engine, synthetic_families):
    changed_on_the_day = moved_on_the_day = reached = checked_days = 0
    for i, family in enumerate(synthetic_families):
        as_of = STARTS[i % len(STARTS)]
        nc = engine.next_change(family, as_of)
        assert nc is None or nc > as_of
        end = nc if nc is not None else as_of + dt.timedelta(days=3 * 366)
        end = min(end, as_of + dt.timedelta(days=3 * 366))
        base = signature(engine, family, as_of)
        base_values = read_values(engine, family, as_of)
        for day in sorted(month_ticks(family, as_of, end) | {end - DAY}):
            if day <= as_of:
                continue
            assert read_values(engine, family, day) == base_values, (family.family_id, as_of, day, nc)
            assert signature(engine, family, day) == base, (family.family_id, as_of, day, nc)
            checked_days += 1
        if nc is not None and nc == end:
            reached += 1
            changed = signature(engine, family, nc) != base
            changed_on_the_day += changed
            moved_on_the_day += changed or read_values(engine, family, nc) != base_values
    assert checked_days > 50_000
    # Early is allowed, but not by much: on most next_change days something the rules read moves,
    # and on many the decisions themselves change.
    assert reached > 5_000
    assert moved_on_the_day > 0.6 * reached, (moved_on_the_day, reached)
    assert changed_on_the_day > 0.15 * reached, (changed_on_the_day, reached)


def test_what_the_rules_read_holds_every_single_day_until_next_change(engine, synthetic_families, edge_families):
    sample = synthetic_families[::40] + edge_families[::5]
    for i, family in enumerate(sample):
        as_of = STARTS[i % len(STARTS)]
        nc = engine.next_change(family, as_of)
        end = min(nc or dt.date.max, as_of + dt.timedelta(days=400))
        base = read_values(engine, family, as_of)
        decided = signature(engine, family, as_of)
        day = as_of + DAY
        while day < end:
            assert read_values(engine, family, day) == base, (family.family_id, as_of, day, nc)
            if day.day == as_of.day or day + DAY == end:  # decisions, monthly and on the last day
                assert signature(engine, family, day) == decided, (family.family_id, as_of, day, nc)
            day += DAY


def test_the_story_of_the_issue(engine):
    """Four children, the eldest turning 18 on 2026-06-15: 1 January, 1 February, then the birthday."""
    from tests.engine.builders import person

    snap = {
        "family_id": "FAM-STORY",
        "region": "KZ-75",
        "members": [
            person("head", "1985-03-01", "female", employment="employed", monthly_income_kzt=300000),
            person("child", "2008-06-15", "male"),
            person("child", "2011-02-10", "female"),
            person("child", "2014-09-01", "male"),
            person("child", "2017-04-20", "female"),
        ],
        "loans": {"non_mortgage_outstanding": 0},
        "median_income_kzt": None,
    }
    family = model.Family.model_validate(snap)
    assert engine.next_change(family, dt.date(2025, 12, 10)) == dt.date(2026, 1, 1)
    # 1 February: the National Fund for Children's yearly accrual (a parameter date, so a new epoch).
    assert engine.next_change(family, dt.date(2026, 1, 1)) == dt.date(2026, 2, 1)
    assert engine.next_change(family, dt.date(2026, 2, 1)) == dt.date(2026, 6, 15)
