import datetime as dt
import shutil
from pathlib import Path

import pytest

from engine import compiler, explain, expr, indicators, model
from engine.api import Engine
from engine.errors import EvaluationError
from synthetic import rich
from tests.engine.builders import family, make_family, person

RULES = Path(__file__).resolve().parents[2] / "rules"
AS_OF = dt.date(2026, 3, 1)


@pytest.fixture(scope="module")
def engine():
    return Engine.load(RULES)


def test_one_decision_per_benefit_eligible_or_not(engine):
    response = engine.evaluate(family(5), AS_OF)
    assert [d.benefit for d in response.decisions] == [b.id for b in engine.benefits()]
    assert response.ruleset_version.startswith("sha256:")
    assert response.as_of == "2026-03-01"


def test_an_eligible_decision_explains_conditions_parameters_and_arithmetic(engine):
    d = {x.benefit: x for x in engine.evaluate(family(5), AS_OF).decisions}["large_family_allowance"]
    assert (d.eligible, d.amount_kzt, d.period) == (True, 86673, "monthly")
    assert d.explanation.conditions[0].holds
    assert d.explanation.conditions[0].values["children_under_18_or_students"] == 5
    assert d.explanation.parameters["mrp"] == 4325
    assert d.explanation.parameter_dates["mrp"] == "2026-01-01"
    assert d.explanation.formula_with_values == "round(20.04 * 4325) = 86673"
    assert "86 673" in d.explanation.summary.ru and d.explanation.summary.kk and d.explanation.summary.en
    assert d.legal_basis


def test_an_ineligible_decision_names_the_failed_condition_and_its_values(engine):
    d = {x.benefit: x for x in engine.evaluate(family(3), AS_OF).decisions}["large_family_allowance"]
    assert not d.eligible and d.status == "not_eligible" and d.amount_kzt == 0
    failed = [c for c in d.explanation.conditions if not c.holds]
    assert failed and failed[0].values["children_under_18_or_students"] == 3
    # The summary says it in words, with the family's value and the one needed, not the rule's identifiers.
    assert "in the family: 3; at least 4 are needed" in d.explanation.summary.en
    assert "в семье: 3; нужно не меньше 4" in d.explanation.summary.ru
    assert "children_under_18_or_students" not in d.explanation.summary.en


def test_amounts_follow_the_date_of_the_parameters(engine):
    by_year = {}
    for year in (2023, 2024, 2025, 2026):
        ds = {x.benefit: x for x in engine.evaluate(family(4), dt.date(year, 6, 1)).decisions}
        by_year[year] = ds["large_family_allowance"].amount_kzt
    assert by_year == {2023: 55304, 2024: 59183, 2025: 63030, 2026: 69330}


def test_missing_data_routes_to_a_person_and_never_refuses(engine):
    ds = {x.benefit: x for x in engine.evaluate(family(1, median_income_kzt=None), AS_OF).decisions}
    tsa = ds["targeted_social_assistance"]
    assert tsa.status == "insufficient_data" and tsa.requires_human_review
    assert tsa.explanation.missing == ["median_income_kzt"]


def test_both_evaluators_agree_on_a_varied_family(engine):
    data = make_family(4, median_income_kzt=150000)
    data["members"].append(person("child", "2025-11-01", disability={"group": None, "since_childhood": True}))
    data["members"][0]["awards"] = ["kumis_alqa"]
    fam = model.Family.model_validate(data)
    a = engine.evaluate(fam, AS_OF, "durable").model_dump()
    b = engine.evaluate(fam, AS_OF, "explain").model_dump()
    assert a == b


def test_a_date_before_the_parameters_is_an_error_naming_as_of(engine):
    with pytest.raises(EvaluationError) as exc:
        engine.evaluate(family(5), dt.date(2019, 1, 1))
    assert exc.value.field == "as_of" and "from 2023-01-01 on" in exc.value.message


def test_a_benefit_not_yet_in_force_says_so(engine):
    ds = {d.benefit: d for d in engine.evaluate(family(5), dt.date(2023, 3, 1)).decisions}
    assert ds["gfss_work_capacity_payment"].status == "not_in_force"  # from 2023-07-01
    assert ds["large_family_allowance"].status == "eligible"


def test_the_wellbeing_level_is_one_of_five(engine):
    wb = engine.evaluate(family(5), AS_OF).wellbeing
    assert 1 <= wb.level <= 5 and wb.model_version and len(wb.deprivations) >= 5


def test_a_reload_swaps_in_edited_rules_and_decisions_record_the_new_version(tmp_path):
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    engine = Engine.load(root)
    before = engine.version
    path = root / "parameters" / "family_benefits.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("value: 20.04", "value: 21.00"), encoding="utf-8")
    engine.reload(root)
    assert engine.version != before
    d = {x.benefit: x for x in engine.evaluate(family(5), AS_OF).decisions}["large_family_allowance"]
    assert d.amount_kzt == 90825  # 21.00 x 4,325


def test_the_json_answer_equals_the_validated_response(engine):
    import json

    fam = family(5, median_income_kzt=120000)
    as_json = json.loads(engine.evaluate_json(fam, AS_OF))
    assert as_json == json.loads(engine.evaluate(fam, AS_OF).model_dump_json())


def test_the_arithmetic_shown_equals_the_formula_with_the_values_written_in(engine):
    prog = engine.program(AS_OF)
    regional = engine.book.params.regional_at(AS_OF)
    checked = 0
    for snapshot in rich.generate_families(400, 5, AS_OF):
        fam = model.Family.model_validate(snapshot)
        values = indicators.compute_some(fam, AS_OF, prog.indicator_names)
        env = compiler.environment(prog, values)
        for cb in prog.benefits:
            lets = {n: s.node for n, s in cb.version.lets.items()} if cb.version else {}

            def fill(name, lets=lets, env=env, fam=fam):
                if name.name in lets:
                    return expr.substitute(lets[name.name], fill)
                if name.name in regional:  # a region-keyed parameter shows the family's region's value
                    return expr.literal(dict(regional[name.name]).get(fam.region, prog.params[name.name][0]))
                if name.name in prog.params:
                    return expr.literal(prog.params[name.name][0])
                return expr.literal(env[name.name]) if name.name in env else None

            for case, source in zip(cb.cases, cb.version.cases if cb.version else [], strict=True):
                assert explain.arithmetic(case, env) == expr.to_text(expr.substitute(source.formula.node, fill))
                checked += 1
    assert checked > 1000
