import datetime as dt
from pathlib import Path

from engine import indicators, model
from tests.engine.builders import make_family, person

AS_OF = dt.date(2026, 3, 1)


def _values(data, as_of=AS_OF):
    return indicators.compute(model.Family.model_validate(data), as_of)


def test_there_are_at_least_forty_indicators_each_documented():
    assert len(indicators.REGISTRY) >= 40
    for ind in indicators.REGISTRY.values():
        assert ind.meaning and ind.source and ind.unit and ind.kind in ("number", "bool", "str")


def test_the_catalogue_file_is_generated_from_the_registry():
    path = Path(__file__).resolve().parents[2] / "rules" / "INDICATORS.md"
    assert path.read_text(encoding="utf-8") == indicators.catalogue_markdown(), (
        "rules/INDICATORS.md is stale: run `familycard rules catalogue > rules/INDICATORS.md`"
    )


def test_ages_are_completed_months_and_years():
    assert indicators.months_between(dt.date(2020, 3, 15), dt.date(2026, 3, 14)) == 71
    assert indicators.months_between(dt.date(2020, 3, 15), dt.date(2026, 3, 15)) == 72


def test_students_under_23_count_towards_a_large_family():
    data = make_family(3)
    data["members"].append(person("child", "2006-01-01", full_time_student=True, employment="student"))
    data["members"].append(person("child", "2005-01-01", employment="employed", monthly_income_kzt=100000))
    v = _values(data)
    assert v["children_under_18"] == 3
    assert v["students_18_22"] == 1
    assert v["children_under_18_or_students"] == 4


def test_birth_order_counts_the_family_children_by_birth_date():
    data = make_family(3)  # born 2012, 2011, 2010
    data["members"].append(person("child", "2025-12-01"))
    v = _values(data)
    assert v["infants_order_4plus"] == 1 and v["infants_order_1"] == 0
    assert v["births_last_12m_order_4plus"] == 1


def test_per_capita_income_is_rounded_to_the_tiyn():
    data = make_family(2)  # 300,000 over 3 members
    assert _values(data)["per_capita_income_kzt"] == 100000.0
    data["members"][1]["monthly_income_kzt"] = 1
    assert _values(data)["per_capita_income_kzt"] == 100000.33


def test_disability_categories_follow_article_177():
    data = make_family(0)
    data["members"].append(person("child", "2021-01-01", disability={"group": None, "since_childhood": True}))
    data["members"].append(person("child", "2015-01-01", disability={"group": 2, "since_childhood": True}))
    data["members"].append(
        person("parent", "1950-01-01", disability={"group": 1, "since_childhood": False}, employment="pensioner")
    )
    v = _values(data)
    assert v["disabled_children_under_7"] == 1
    assert v["disabled_childhood_group_2"] == 1
    assert v["disabled_adult_general_group_1"] == 1
    assert v["disabled_children_under_18"] == 2


def test_an_unknown_optional_datum_is_none_only_where_it_matters():
    data = make_family(0)
    assert _values(data)["carer_avg_insured_income_24m_kzt"] == 0.0  # no infant: irrelevant
    data["members"].append(person("child", "2025-12-01"))
    data["members"][0]["employment"] = "childcare_leave"
    assert _values(data)["carer_avg_insured_income_24m_kzt"] is None
    data["members"][0]["avg_insured_income_24m_kzt"] = 250000
    assert _values(data)["carer_avg_insured_income_24m_kzt"] == 250000.0


def test_indicators_are_pure_functions_of_family_and_date():
    fam = model.Family.model_validate(make_family(4))
    assert indicators.compute(fam, AS_OF) == indicators.compute(fam, AS_OF)
    later = indicators.compute(fam, dt.date(2031, 1, 1))
    assert later["children_under_18"] < indicators.compute(fam, AS_OF)["children_under_18"]
