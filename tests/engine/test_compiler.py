"""The compiler's per-family helpers: the evaluation environment and the durable-rules fact."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

from engine import compiler, indicators, model
from engine.api import Engine
from tests.engine.builders import make_family

RULES = Path(__file__).resolve().parents[2] / "rules"
# Every kind of value an indicator can take, with the edges of the environment's shortcuts.
INTEGERS = (0, 1, -1, 7, 999, -1199, 1199, 1200, -1201, 10**20)
DOUBLES = (0.0, -0.0, 0.1, 1.5, 12.3456, 1e-7, 123456789.12)
SAMPLES = [*INTEGERS, *DOUBLES, True, False, None, "KZ-71"]


def test_the_environment_holds_exactly_env_value_of_each_indicator():
    prog = Engine.load(RULES).program(dt.date(2026, 3, 1))
    for k in range(len(SAMPLES)):
        values = {n: SAMPLES[(i + k) % len(SAMPLES)] for i, n in enumerate(prog.indicator_names)}
        env = compiler.environment(prog, values)
        assert list(env) == prog.indicator_names
        for n, v in values.items():
            want = compiler.env_value(v)
            # The same value, type and representation: Decimal('0.0') and Decimal('-0.0') are not Decimal('0').
            assert (type(env[n]), repr(env[n])) == (type(want), repr(want)), (n, v)
    assert repr(compiler.environment(prog, dict.fromkeys(prog.indicator_names, -0.0))[prog.indicator_names[0]]) == (
        repr(Decimal("-0.0"))
    )


def test_the_fact_writes_booleans_and_unknowns_as_numbers_and_flags_what_is_missing():
    as_of = dt.date(2026, 3, 1)
    prog = Engine.load(RULES).program(as_of)
    family = model.Family.model_validate(make_family(3, median_income_kzt=150000.0))
    env = compiler.environment(prog, indicators.compute_some(family, as_of, prog.indicator_names))  # for the terms
    values = {n: SAMPLES[i % len(SAMPLES)] for i, n in enumerate(prog.indicator_names)}
    values["median_income_kzt"] = None
    fact = compiler.fact(prog, values, env, 41)
    assert list(fact)[:2] == ["id", "_one"] and fact["id"] == 41
    for n, v in values.items():
        assert fact[n] == (1 if v is True else 0 if v is False or v is None else v)
        assert type(fact[n]) is (int if v is True or v is False or v is None else type(v))
    flags = {k: v for k, v in fact.items() if k.startswith("_ok")}
    tsa = next(i for i, cb in enumerate(prog.benefits) if cb.benefit.id == "targeted_social_assistance")
    assert flags[f"_ok{tsa}"] == 0
    assert set(flags) == {f"_ok{i}" for i, cb in enumerate(prog.benefits) if cb.version and cb.version.requires}
    for i, cb in enumerate(prog.benefits):
        if cb.version and cb.version.requires:
            assert flags[f"_ok{i}"] == (0 if any(values.get(r) is None for r in cb.version.requires) else 1)
