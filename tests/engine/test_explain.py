"""Explanations built from the compiler's precomputed parts say what the rules' own text and names say.

`decision_dict` no longer looks names up in the rule: the compiler resolves, per epoch, where each
shown name's value comes from (the family's indicator, a let computed per family, a let folded to a
constant, a parameter), and summaries are memoised per benefit. These tests write the explanation
the plain way, from the rule's conditions, and compare.
"""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from engine import compiler, explain, expr, indicators, model, plain
from engine.api import Engine
from synthetic import rich
from tests.engine.builders import make_family

RULES = Path(__file__).resolve().parents[2] / "rules"
# The poverty line is a let folded to a constant before 2025 and a per-family let after; the loan
# exclusion parameter is false before September 2024 and true after.
DATES = [dt.date(2023, 6, 1), dt.date(2024, 12, 31), dt.date(2026, 3, 1)]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load(RULES)


def _plainly(cb: compiler.CompiledBenefit, env, values) -> tuple[list[dict[str, object]], list[str]]:
    """The conditions and failed-condition texts, written from the rule's own conditions and names."""
    conditions, failed = [], []
    if cb.version is None:
        return conditions, failed
    for source, fn in zip(cb.version.conditions, cb.cond_fns, strict=True):
        holds = bool(fn(env))
        shown = {}
        for name in sorted(expr.names(source.node)):
            if name in values:
                shown[name] = values[name]
            elif name in cb.lets:
                shown[name] = compiler.scalar(expr.evaluate(cb.lets[name], env))
            elif name in cb.param_view:
                shown[name] = cb.param_view[name]
        conditions.append({"rule": source.text, "holds": holds, "values": shown})
        if not holds:
            said = ", ".join(f"{k} = {v}" for k, v in shown.items())
            failed.append(f"{source.text} [{said}]" if said else source.text)
    return conditions, failed


def _decisions(engine: Engine, fam: model.Family, as_of: dt.date) -> list[dict[str, object]]:
    prog = engine.program(as_of)
    values = indicators.compute_some(fam, as_of, prog.indicator_names)
    env = compiler.environment(prog, values)
    outcomes = engine.durable_outcomes(prog, values, env)
    return [explain.decision_dict(prog, cb, o, env, values) for cb, o in zip(prog.benefits, outcomes, strict=True)]


def test_a_refused_family_sees_each_failed_condition_with_its_indicator_let_and_parameter_values(engine):
    as_of = dt.date(2025, 3, 1)
    data = make_family(2, median_income_kzt=150000.0, loans={"non_mortgage_outstanding": 5000.0})
    tsa = {d["benefit"]: d for d in _decisions(engine, model.Family.model_validate(data), as_of)}[
        "targeted_social_assistance"
    ]
    params = engine.program(as_of).params
    line = max(params["tsa.median_share"][0] * Decimal(150000), params["tsa.pm_share"][0] * params["pm"][0])
    assert isinstance(line, Decimal)
    shown_line = compiler.scalar(line)
    assert tsa["status"] == "not_eligible"
    conditions = tsa["explanation"]["conditions"]
    rule = ("(tsa.line_inclusive and per_capita_income_kzt <= poverty_line_kzt)"
            " or per_capita_income_kzt < poverty_line_kzt")
    assert conditions[0] == {
        "rule": rule,
        "holds": False,
        "values": {"per_capita_income_kzt": 100000.0, "poverty_line_kzt": shown_line, "tsa.line_inclusive": True},
    }
    assert conditions[2]["values"] == {"has_non_mortgage_loan": True, "tsa.loan_exclusion": True}
    # The family reads the failed conditions in words, with the values that decided them ("not
    # exceeding" the line since issue 13; the top-up condition without a negative figure).
    en = tsa["explanation"]["summary"]["en"]
    assert en.startswith("targeted social assistance: the family is not entitled to this payment now. Not met: ")
    assert (
        f"income per family member: 100,000 ₸ a month; it must not exceed the poverty line of "
        f"{plain.money_text(line, 'en')}. From September 2024 the family must have no outstanding loans" in en
    )
    assert "The top-up to the poverty line must come to at least 1 tenge." in en
    assert "poverty_line_kzt" not in en and "True" not in en


def test_a_let_folded_to_a_constant_shows_the_same_value_as_when_it_is_computed(engine):
    as_of = dt.date(2024, 6, 1)  # poverty line = tsa.pm_share * pm: parameters only
    prog = engine.program(as_of)
    cb = next(cb for cb in prog.benefits if cb.benefit.id == "targeted_social_assistance")
    shown = {s.name: s for c in cb.explained for s in c.shown}
    assert shown["poverty_line_kzt"].is_param and shown["poverty_line_kzt"].let_fn is None
    fam = model.Family.model_validate(make_family(2))
    values = indicators.compute_some(fam, as_of, prog.indicator_names)
    env = compiler.environment(prog, values)
    assert shown["poverty_line_kzt"].param == compiler.scalar(cb.let_fns["poverty_line_kzt"](env))


def test_explanations_equal_those_written_from_the_rule_text_on_many_families(engine):
    families = [model.Family.model_validate(s) for s in rich.generate_families(300, 23, dt.date(2025, 6, 1))]
    compared = failed_seen = 0
    for as_of in DATES:
        prog = engine.program(as_of)
        for fam in families:
            values = indicators.compute_some(fam, as_of, prog.indicator_names)
            env = compiler.environment(prog, values)
            outcomes = engine.durable_outcomes(prog, values, env)
            for cb, outcome in zip(prog.benefits, outcomes, strict=True):
                got = explain.decision_dict(prog, cb, outcome, env, values)
                conditions, failed = _plainly(cb, env, values)
                assert got["explanation"]["conditions"] == conditions, (fam.family_id, as_of, cb.benefit.id)
                if outcome.status == "not_eligible":
                    en = got["explanation"]["summary"]["en"]
                    assert ("Not met: " in en) == bool(failed), (fam.family_id, as_of, cb.benefit.id)
                    assert ("No amount of this payment fits" in en) == (not failed)
                    failed_seen += bool(failed)
                compared += 1
    assert compared == 3 * 300 * len(engine.benefits()) and failed_seen > 3000


def test_summaries_are_the_same_whether_remembered_or_written_afresh(engine, monkeypatch):
    families = [model.Family.model_validate(s) for s in rich.generate_families(120, 29, dt.date(2026, 3, 1))]
    as_of = dt.date(2026, 3, 1)
    first = [_decisions(engine, f, as_of) for f in families]
    again = [_decisions(engine, f, as_of) for f in families]  # summaries now come from the memo
    monkeypatch.setattr(explain, "SUMMARY_MEMO", 1)  # the memo starts afresh at every new summary
    for cb in engine.program(as_of).benefits:
        cb.summaries.clear()
    afresh = [_decisions(engine, f, as_of) for f in reversed(families)][::-1]
    assert first == again == afresh
    assert all(len(cb.summaries) <= 1 for cb in engine.program(as_of).benefits)


def test_the_wellbeing_level_is_read_from_the_model_passed_in(engine):
    import dataclasses

    as_of = dt.date(2026, 3, 1)
    prog = engine.program(as_of)
    fam = model.Family.model_validate(make_family(0))
    env = compiler.environment(prog, indicators.compute_some(fam, as_of, prog.indicator_names))
    usual = explain.wellbeing_dict(prog, env, engine.book)
    levels = [dataclasses.replace(lv, level=lv.level + 10) for lv in engine.book.wellbeing.levels]
    book = dataclasses.replace(engine.book, wellbeing=dataclasses.replace(engine.book.wellbeing, levels=levels))
    other = explain.wellbeing_dict(prog, env, book)
    assert (other["level"], other["score"]) == (usual["level"] + 10, usual["score"])
    assert explain.wellbeing_dict(prog, env, engine.book) == usual


def test_a_value_in_the_arithmetic_is_written_as_its_literal_would_be():
    samples = [True, False, Decimal("0"), Decimal("0.0"), Decimal("-0.0"), Decimal("1.50"), Decimal("1E+3"),
               Decimal("123456.789"), Decimal("-2.5"), "KZ-71", "it's"]  # fmt: skip
    for value in samples:
        assert expr.value_text(value) == expr.to_text(expr.literal(value))
