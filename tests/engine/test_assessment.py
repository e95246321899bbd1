"""Explained decisions are shared between families with the same values, and equal to fresh ones."""

from __future__ import annotations

import datetime as dt

import pytest

from engine import assessment, explain, indicators, model
from engine.api import Engine
from loadtests import population


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def test_remembered_decisions_equal_freshly_explained_ones(engine: Engine) -> None:
    day = dt.date(2026, 3, 1)
    prog = engine.program(day)
    for cb in prog.benefits:  # a clean start for this epoch's memo
        cb.decisions.clear()
        cb.decision_lookups[:] = [0, 0]
    for raw in population.families(600, seed=5, prefix="MEMO-"):
        assessed = engine.assess(model.Family.model_validate(raw), day)
        for i, cb in enumerate(prog.benefits):
            fresh = explain.decision_dict(prog, cb, assessed.outcomes[i], assessed.env, assessed.values, day)
            assert assessed.decision(i) == fresh, cb.benefit.id
    hits = {cb.benefit.id: cb.decision_lookups[1] for cb in prog.benefits}
    assert hits["large_family_allowance"] > 500  # shared by most families
    assert sum(hits.values()) > 5000


def test_the_type_of_a_value_is_part_of_what_is_remembered(engine: Engine) -> None:
    day = dt.date(2026, 3, 1)
    prog = engine.program(day)
    raw = population.families(1, seed=6, prefix="TYPE-")[0]
    assessed = engine.assess(model.Family.model_validate(raw), day)
    i, name = next((i, n) for i, cb in enumerate(prog.benefits) for n in cb.reads
                       if type(assessed.values.get(n)) is int)
    first = assessed.decision(i)
    other = float(assessed.values[name])  # equal, and hashed alike, but written 4.0 where 4 was
    twin = assessment.Assessment(book=engine.book, program=prog, family=assessed.family, as_of=day,
                                 values={**assessed.values, name: other}, env=assessed.env,
                                 outcomes=assessed.outcomes)
    assert twin.decision(i) is not first


def test_a_benefit_whose_values_rarely_repeat_stops_being_remembered(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(assessment, "MEMO_TRIAL", 50)
    day = dt.date(2026, 3, 1)
    prog = engine.program(day)
    tsa = next(cb for cb in prog.benefits if cb.benefit.id == "targeted_social_assistance")
    tsa.decisions.clear()
    tsa.decision_lookups[:] = [0, 0]
    i = prog.benefits.index(tsa)
    for raw in population.families(200, seed=7, prefix="RARE-"):
        engine.assess(model.Family.model_validate(raw), day).decision(i)
    lookups, hits = tsa.decision_lookups
    assert lookups < 80 and hits < 0.3 * lookups  # it stopped looking soon after the trial


@pytest.mark.parametrize("day", [dt.date(2023, 6, 1), dt.date(2024, 6, 1), dt.date(2026, 3, 1)])
def test_everything_an_explanation_shows_is_part_of_what_is_remembered(engine: Engine, day: dt.date) -> None:
    prog = engine.program(day)
    for cb in prog.benefits:
        shown = {n for names in cb.shown for n in names} | {n for case in cb.cases for n in case.arithmetic[1]}
        indicators_shown = {n for n in shown if n in indicators.REGISTRY}
        assert indicators_shown <= set(cb.reads), cb.benefit.id
