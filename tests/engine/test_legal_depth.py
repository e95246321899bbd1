"""Issue 13's engine features: region- and quarter-keyed parameters, per-benefit rounding and
currency, withholdings, floor(), the АСП line setting, IIN findings, exact money, unread indicators."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from engine import expr, indicators, model
from engine.api import Engine
from engine.commands import unread_indicators
from engine.errors import RuleErrors
from engine.vectorised import check, edgecases, tables
from engine.vectorised import indicators as vind
from engine.vectorised.translate import Column, Translator
from tests.engine.builders import person

RULES = Path(__file__).resolve().parents[2] / "rules"
MARCH_2026 = dt.date(2026, 3, 1)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load(RULES)


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "rules"
    shutil.copytree(RULES, dst, ignore=shutil.ignore_patterns("tests"))
    return dst


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _tsa_family(region: str, income: float, members: int = 2, median: float | None = 100000,
                fid: str = "F-TSA") -> model.Family:
    people = [person("head", "1985-05-01", employment="employed", monthly_income_kzt=income)]
    people += [person("child", f"{2010 + i}-01-10") for i in range(members - 1)]
    return model.Family.model_validate(
        {"family_id": fid, "region": region, "members": people, "median_income_kzt": median}
    )


def _decision(e: Engine, fam: model.Family, benefit: str, as_of: dt.date = MARCH_2026, backend: str = "durable"):
    return next(d for d in e.evaluate(fam, as_of, backend).decisions if d.benefit == benefit)  # type: ignore[arg-type]


def test_a_region_keyed_parameter_gives_each_region_its_value_in_every_evaluator(engine, tmp_path):
    rules = _copy(tmp_path)
    _edit(rules / "parameters" / "tsa.yaml",
          '2026-01-01: {value: 50851, reference: "National budget-law PM standing in [S12]; '
          'regional values UNCONFIRMED"',
          '2026-01-01: {value: 50851, by_region: {KZ-71: 60000}, reference: "test: Astana\'s quarterly PM"')
    e = Engine.load(rules)
    # 0.7 x 60,000 = 42,000 in Astana; 0.7 x 50,851 = 35,595.70 elsewhere; per-capita income 40,000.
    astana = _tsa_family("KZ-71", 80000)
    almaty = _tsa_family("KZ-75", 80000)
    for backend in ("durable", "explain"):
        assert _decision(e, astana, "targeted_social_assistance", backend=backend).amount_kzt == 4000
        assert _decision(e, almaty, "targeted_social_assistance", backend=backend).status == "not_eligible"
    # The shipped rules (no regional value) are unchanged for Astana.
    assert _decision(engine, astana, "targeted_social_assistance").status == "not_eligible"
    dates = [MARCH_2026]
    population, date_of = edgecases.generate(3000, 5, dates, [42000.0, 35595.7])
    result = check.compare(e, population, dates, date_of, full_every=100)
    assert not result.mismatches, result.report()


def test_region_and_quarter_keys_are_checked_with_file_and_line(tmp_path):
    rules = _copy(tmp_path)
    _edit(rules / "parameters" / "tsa.yaml", "2024-01-01: {value: 43407,", "2024-02-01: {value: 43407,")
    _edit(rules / "parameters" / "more_services.yaml", "by_region: {KZ-43: 0.07}", "by_region: {KZ-4: 0.07}")
    with pytest.raises(RuleErrors) as exc:
        Engine.load(rules)
    text = str(exc.value)
    assert "tsa.yaml" in text and "does not start a quarter" in text
    assert "more_services.yaml" in text and "'KZ-4' is not a region code" in text


def test_the_poverty_line_comparison_is_a_setting_and_equality_goes_to_a_caseworker(engine, tmp_path):
    # 71,191.39 for two: 35,595.695 per head, half-up 35,595.70, exactly the 2026 line.
    fam = _tsa_family("KZ-75", 71191.39)
    values = indicators.compute(fam, MARCH_2026)
    assert values["per_capita_income_kzt"] == 35595.7
    d = _decision(engine, fam, "targeted_social_assistance")
    assert (d.status, d.amount_kzt) == ("not_eligible", 0)
    assert "income_at_poverty_line" in d.review_reasons
    rules = _copy(tmp_path)
    _edit(rules / "parameters" / "tsa.yaml", "      value: true\n", "      value: false\n")
    strict = Engine.load(rules)
    d2 = _decision(strict, fam, "targeted_social_assistance")
    assert d2.status == "not_eligible" and "income_at_poverty_line" in d2.review_reasons
    assert d2.explanation.conditions[0].holds is False  # "below" now fails on the line itself
    assert d.explanation.conditions[0].holds is True  # "not exceeding" holds; the 0-tenge top-up does not


def test_an_unknown_median_is_not_read_as_zero(engine):
    # With a median of 0 the line would be 35,595.70 and 35,000 "near" it; unknown is not zero.
    d = _decision(engine, _tsa_family("KZ-75", 35000, members=1, median=None), "targeted_social_assistance")
    assert d.status == "insufficient_data"
    assert d.review_reasons == ["insufficient_data"]


def test_money_indicators_are_exact_decimals_rounded_half_up_in_both_paths():
    fams = [
        _tsa_family("KZ-75", 94309.475, members=1, fid="F1"),
        _tsa_family("KZ-75", 71191.39, fid="F2"),
        model.Family.model_validate({"family_id": "F3", "region": "KZ-75", "median_income_kzt": 0.125, "members": [
            person("head", "1985-05-01", monthly_income_kzt=0.1),
            person("spouse", "1986-05-01", monthly_income_kzt=0.2),
            person("child", "2015-05-01", monthly_income_kzt=0.005)]}),
    ]
    expected = [(94309.48, 94309.48, 0.0), (71191.39, 35595.7, 0.0), (0.31, 0.1, 0.13)]
    for fam, (total, per_capita, _) in zip(fams, expected, strict=True):
        v = indicators.compute(fam, MARCH_2026)
        assert (v["total_income_kzt"], v["per_capita_income_kzt"]) == (total, per_capita)
    assert indicators.compute(fams[2], MARCH_2026)["median_income_kzt"] == 0.13  # 0.125 half-up, not half-even
    t = tables.from_snapshots(fams)
    cols = vind.compute(t, MARCH_2026, ["total_income_kzt", "per_capita_income_kzt", "median_income_kzt"])
    assert cols["per_capita_income_kzt"].to_list() == [9430948, 3559570, 10]
    assert cols["total_income_kzt"].to_list() == [9430948, 7119139, 31]
    assert cols["median_income_kzt"].to_list()[2] == 13


def test_rounding_is_per_benefit_and_checked(engine, tmp_path):
    fam = model.Family.model_validate({"family_id": "F-P", "region": "KZ-75", "members": [
        person("head", "1959-06-01", employment="employed", monthly_income_kzt=1, pension_record_years=5)]})
    # 0.60 x 40,567 = 24,340.20: the basic pension rounds up; the rulebook's default is half-up.
    d = _decision(engine, fam, "basic_pension_notice", dt.date(2023, 3, 1))
    assert (d.amount_exact_kzt, d.amount_kzt) == ("24340.20", 24341)
    rules = _copy(tmp_path)
    _edit(rules / "benefits" / "basic_pension_notice.yaml", "rounding: up", "rounding: ceiling")
    with pytest.raises(RuleErrors) as exc:
        Engine.load(rules)
    assert "basic_pension_notice.yaml" in str(exc.value) and "rounding must be one of" in str(exc.value)


def test_a_notice_in_us_dollars_pays_no_tenge_and_states_its_amount(engine):
    fam = model.Family.model_validate({"family_id": "F-NF", "region": "KZ-75", "members": [
        person("head", "1980-01-01", employment="employed", monthly_income_kzt=1),
        person("child", "2008-01-10"), person("child", "2007-12-01")]})
    d = _decision(engine, fam, "national_fund_children_notice")
    assert (d.amount_kzt, d.currency, d.amount_in_currency) == (0, "USD", "721.22")  # two savers x 360.61
    kzt = _decision(engine, fam, "large_family_allowance")
    assert kzt.currency == "KZT" and kzt.amount_in_currency is None


def test_the_pension_contribution_is_shown_as_a_deduction(engine):
    fam = model.Family.model_validate({"family_id": "F-W", "region": "KZ-75", "members": [
        person("head", "1980-01-01", employment="employed", gfss_participant=True, avg_insured_income_24m_kzt=300000,
               insurance_record_months=65, work_capacity_loss_pct=60, work_capacity_loss_since="2026-01-10")]})
    d = _decision(engine, fam, "gfss_work_capacity_payment")
    w = d.explanation.withholding
    assert d.amount_kzt == 92700 and w is not None
    assert (w.share, w.withheld_kzt, w.paid_kzt) == (0.1, 9270, 83430)


@pytest.mark.parametrize("value", ["-7.5", "-7", "0", "0.999", "7", "7.25", "143.99"])
def test_floor_is_the_same_in_decimals_and_in_fixed_point(value):
    node = expr.parse("floor(x * 1) + floor((x - 60) / 12)")
    want = expr.evaluate(node, {"x": Decimal(value)})
    t = Translator({"x": Column("number", 2, 10**8)}).number(node)
    import polars as pl

    scaled = int(Decimal(value) * 100)
    got = pl.DataFrame({"x": [scaled]}).select(t.expr).item() / 10**t.scale
    assert Decimal(str(got)) == want
    assert expr.compile_fn(node)({"x": Decimal(value)}) == want


def test_iin_digits_that_disagree_are_a_finding_and_reviewed_only_where_they_change_a_decision(engine):
    from engine import iin

    head = person("head", "1990-01-02", "female")
    head["iin"] = iin.make(dt.date(1990, 1, 1), "female", 7)  # a corrected birth date keeps the IIN
    infant = person("child", "2025-12-01")
    infant["iin"] = iin.make(dt.date(2023, 1, 1), "male", 8)  # read from the digits, no longer an infant
    fam = model.Family.model_validate({"family_id": "F-IIN", "region": "KZ-75", "members": [head, infant]})
    response = engine.evaluate(fam, MARCH_2026)
    by_id = {d.benefit: d for d in response.decisions}
    assert all(len(d.explanation.data_quality) == 2 for d in response.decisions)
    assert "iin_disagrees_with_registry" in by_id["childcare_allowance"].review_reasons
    assert "iin_disagrees_with_registry" not in by_id["large_family_allowance"].review_reasons
    assert "********" in by_id["childcare_allowance"].explanation.data_quality[0]


def test_lint_names_indicators_no_rule_reads(engine, tmp_path):
    unread = set(unread_indicators(engine.book))
    assert "gfss_survivor_dependants" not in unread  # read by the ГФСС survivor payment
    rules = _copy(tmp_path)
    (rules / "benefits" / "gfss_survivor_payment.yaml").unlink()
    assert "gfss_survivor_dependants" in unread_indicators(Engine.load(rules).book)


def test_every_new_benefit_is_decided_alike_by_the_three_evaluators_on_edge_families(engine):
    dates = [dt.date(2023, 3, 1), dt.date(2023, 9, 15), dt.date(2025, 9, 1), MARCH_2026]
    population, date_of = edgecases.generate(4000, 13, dates, [35595.7, 32359.6, 595000.0])
    result = check.compare(engine, population, dates, date_of, full_every=100)
    assert not result.mismatches, result.report()
    for b in ("gfss_work_capacity_payment", "basic_pension_notice", "guardian_allowance", "housing_assistance",
              "national_fund_children_notice", "gfss_survivor_payment", "group_1_carer_benefit"):
        assert result.statuses[(b, "eligible")] > 5, b
    assert np.all(date_of < len(dates))
