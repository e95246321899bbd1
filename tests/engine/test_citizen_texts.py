"""What a family reads: every text of every benefit, and summaries covering every outcome, in plain language.

Issue 12: summaries used to print the rule's identifiers and operators ("infants_under_1_5 >= 1
[infants_under_1_5 = 0]"), put benefit names in the wrong case, show "[S6]" source tags and let a
refusal waiting for a caseworker read as final. These tests render every analyst-written text of
every benefit, and the summaries of families covering every outcome, and fail on anything that is
not plain language.
"""

from __future__ import annotations

import collections
import datetime as dt
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from engine import casefile, compiler, explain, indicators, model, plain, rulefile
from engine.api import Engine
from synthetic import rich
from tests.engine.builders import make_family, person

RULES = Path(__file__).resolve().parents[2] / "rules"
DATES = [dt.date(2023, 3, 1), dt.date(2024, 12, 31), dt.date(2026, 3, 1)]
# Identifiers, operators, Python literals, source tags, unfilled placeholders, the analysts' marks.
NOT_PLAIN = re.compile(r"_|>=|<=|==|!=|\[S\d|\bTrue\b|\bFalse\b|\bNone\b|UNCONFIRMED|[{}]|\bnan\b|\n|\.\.")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load(RULES)


def _plain(text: str, where: object) -> None:
    found = NOT_PLAIN.search(text)
    assert found is None, f"{where}: {found.group(0)!r} in {text!r}"
    assert text == text.strip() and "  " not in text, f"{where}: stray whitespace in {text!r}"


def _families() -> list[tuple[model.Family, dt.date]]:
    """The analysts' test households, synthetic families on three dates, and the outcomes they miss."""
    out = []
    for path in casefile.test_files(RULES):
        cases, errors = casefile.load(path)
        assert not errors
        out += [(model.Family.model_validate(casefile.build_family(c.family, c.name)), c.as_of) for c in cases]
    for day in DATES:
        out += [(model.Family.model_validate(s), day) for s in rich.generate_families(200, 23, dt.date(2025, 6, 1))]
    # The family: one disabled child with a group, a second aged 7-17 whose group is not set yet.
    pending = make_family(0, family_id="FAM-PENDING")
    pending["members"] += [
        person("child", "2016-02-01", disability={"group": 2, "since_childhood": True}),
        person("child", "2014-02-01", "female", disability={"group": None}),
    ]
    # Insured job loss and maternity leave with the income the ГФСС needs unknown.
    gaps = make_family(0, family_id="FAM-GAPS")
    gaps["members"] += [
        person("spouse", "1986-01-01", employment="unemployed", gfss_participant=True, job_lost_on="2026-01-10"),
    ]
    gaps["members"][0] = {**gaps["members"][0], "maternity_leave_days": 126}
    out += [(model.Family.model_validate(f), dt.date(2026, 3, 1)) for f in (pending, gaps)]
    return out


def test_amounts_numbers_and_dates_are_written_as_each_language_writes_them() -> None:
    assert plain.money_text(69330, "ru") == "69 330 ₸" == plain.money_text(69330, "kk")
    assert plain.money_text(69330, "en") == "69,330 ₸"
    assert plain.number_text(Decimal("16.03"), "ru") == "16,03" and plain.number_text(Decimal("16.03"), "en") == "16.03"
    assert plain.money_text(Decimal("35595.70"), "ru") == "35 595,7 ₸"
    assert plain.share_text(Decimal("0.7"), "ru") == "70 %" and plain.share_text(Decimal("0.4"), "en") == "40%"
    assert plain.date_text(dt.date(2026, 1, 1), "ru") == "1 января 2026 г."
    assert plain.date_text(dt.date(2026, 1, 1), "kk") == "2026 жылғы 1 қаңтар"
    assert plain.date_text(dt.date(2026, 3, 8), "en") == "8 March 2026"
    assert plain.add_working_days(dt.date(2026, 3, 6), 5) == dt.date(2026, 3, 13)  # Friday + 5 working days


def test_every_text_of_every_benefit_reads_as_plain_language_with_its_values_filled_in(engine: Engine) -> None:
    """Each condition, amount case, review trigger and missing-data text, filled with a family's values."""
    rendered = 0
    fam = model.Family.model_validate(make_family(5))
    for day in DATES:
        prog = engine.program(day)
        values = indicators.compute_some(fam, day, prog.indicator_names)
        env = compiler.environment(prog, values)
        for cb in prog.benefits:
            b = cb.benefit
            for lang in plain.LANGS:
                _plain(getattr(b.name, lang), (b.id, "name", lang))
                assert b.basis is not None
                basis = getattr(b.basis, lang)
                _plain(basis, (b.id, "legal_basis", lang))
                assert re.search(r"No\.|№", basis), f"{b.id}: the legal basis names no act number ({lang})"
            if cb.version is None:
                continue
            v = cb.version
            texts = [*v.condition_texts, *(c.text for c in v.cases), *(t.text for t in v.triggers)]
            texts += [v.missing_text] if v.requires else []
            shown = {n: explain._placeholder_value(n, cb, prog, env, values) for n in cb.units}
            for t in texts:
                assert t is not None
                for lang in plain.LANGS:
                    _plain(explain._fill(getattr(t, lang), shown, cb.units, lang), (b.id, day, lang))
                    rendered += 1
    assert rendered > 400  # every text of the 13 benefits, three languages, three dates


def test_summaries_cover_every_outcome_and_contain_no_identifier_operator_or_source_tag(engine: Engine) -> None:
    seen: collections.Counter[tuple[str, str, bool]] = collections.Counter()
    cases_seen: set[tuple[str, str]] = set()
    for fam, day in _families():
        for d in engine.evaluate(fam, day).decisions:
            seen[(d.benefit, d.status, d.requires_human_review)] += 1
            if d.explanation.amount_case:
                cases_seen.add((d.benefit, d.explanation.amount_case))
            for lang in plain.LANGS:
                text = getattr(d.explanation.summary, lang)
                _plain(text, (fam.family_id, day, d.benefit, lang))
                assert getattr(d.name, lang) in text  # the name, as written, with no declension needed
            if d.status != "not_in_force":
                summary = d.explanation.summary
                assert "Legal basis: " in summary.en and "Правовое основание: " in summary.ru
            assert NOT_PLAIN.search(d.legal_basis) is None
    statuses = {(b, s) for b, s, _ in seen}
    for b in {b for b, _, _ in seen}:
        assert (b, "eligible") in statuses and (b, "not_eligible") in statuses, b
    for b in (
        "targeted_social_assistance",
        "gfss_childcare_payment",
        "gfss_job_loss_payment",
        "gfss_maternity_payment",
    ):
        assert (b, "insufficient_data") in statuses, b
    # (issue 13 gave the disability benefit a version from 2023-01-01; the working-capacity payment starts 2023-07-01)
    assert ("gfss_work_capacity_payment", "not_in_force") in statuses
    assert seen[("disability_benefit", "eligible", True)]  # the pending child's group
    assert seen[("targeted_social_assistance", "not_eligible", True)]  # a refusal a person checks
    assert len(cases_seen) >= 8


def _one(engine: Engine, fam: dict[str, object], day: dt.date, benefit: str):  # type: ignore[no-untyped-def]
    ds = engine.evaluate(model.Family.model_validate(fam), day).decisions
    return next(d for d in ds if d.benefit == benefit)


def test_a_refusal_waiting_for_a_caseworker_does_not_read_as_final(engine: Engine) -> None:
    day = dt.date(2026, 3, 2)  # a Monday: the caseworker's five working days end on Monday 9 March
    fam = make_family(2, loans={"non_mortgage_outstanding": 5000.0}, median_income_kzt=150000.0)
    fam["members"][0] = {**fam["members"][0], "monthly_income_kzt": 20000}
    d = _one(engine, fam, day, "targeted_social_assistance")
    assert d.status == "not_eligible" and "excluded_for_loans" in d.review_reasons
    s = d.explanation.summary
    assert "not a decision yet" in s.en and "ещё не решение" in s.ru and "әлі шешім емес" in s.kk
    assert "нет права" not in s.ru and "not entitled" not in s.en
    assert "by 9 March 2026" in s.en and "до 9 марта 2026 г. решение примет" in s.ru
    assert "шешім қабылдау мерзімі — 2026 жылғы 9 наурыз." in s.kk
    assert ".." not in s.ru + s.kk + s.en
    assert "обжаловать бездействие" in s.ru


def test_a_second_disabled_child_without_a_group_is_named_beside_the_amount(engine: Engine) -> None:
    fam = make_family(0)
    fam["members"] += [
        person("child", "2016-02-01", disability={"group": 2, "since_childhood": True}),
        person("child", "2014-02-01", "female", disability={"group": None}),
    ]
    d = _one(engine, fam, dt.date(2026, 3, 2), "disability_benefit")
    assert d.status == "eligible" and d.review_reasons == ["disability_group_missing"]
    s = d.explanation.summary
    assert "a caseworker will check it" in s.en and "has no disability group yet (such children: 1)" in s.en
    assert "ещё не установлена группа (таких детей: 1)" in s.ru
    assert "тобы әлі белгіленбеген (мұндай балалар: 1)" in s.kk


def test_not_in_force_names_the_evaluation_date_not_the_epoch_start(engine: Engine) -> None:
    d = _one(engine, make_family(1), dt.date(2023, 3, 15), "gfss_work_capacity_payment")
    assert d.status == "not_in_force"
    assert "15 March 2023" in d.explanation.summary.en and "15 марта 2023 г." in d.explanation.summary.ru
    assert "2023 жылғы 15 наурыз" in d.explanation.summary.kk


def test_the_large_family_summary_says_what_was_decided_why_how_much_and_what_next(engine: Engine) -> None:
    d = _one(engine, make_family(4), dt.date(2026, 3, 1), "large_family_allowance")
    ru = d.explanation.summary.ru
    assert ru.startswith("«Пособие многодетной семье»: семье положено 69 330 ₸ в месяц.")
    assert "в семье: 4; нужно не меньше 4" in ru and "16,03 МРП для семьи с 4 детьми; МРП — 4 325 ₸" in ru
    assert "№ 169" in ru and "SMS с номера 1414" in ru and "подайте жалобу" in ru
    # The technical trace for caseworkers is unchanged.
    assert d.explanation.formula_with_values == "round(16.03 * 4325) = 69330"
    assert d.explanation.conditions[0].rule == "children_under_18_or_students >= large_family.min_children"


def test_current_kazakh_terms_are_used(engine: Engine) -> None:
    names = {cb.benefit.id: cb.benefit.name.kk for cb in engine.program(dt.date(2026, 3, 1)).benefits}
    assert "мүгедектігі бар бала" in names["disabled_child_carer_benefit"].lower()
    assert "мүгедек бала" not in " ".join(names.values()).lower()
    assert "зейнеткерлік жас" in names["pension_notice"].lower()


def test_the_memo_keys_dated_summaries_on_the_evaluation_date(engine: Engine) -> None:
    fam = make_family(2, loans={"non_mortgage_outstanding": 5000.0}, median_income_kzt=150000.0)
    fam["members"][0] = {**fam["members"][0], "monthly_income_kzt": 20000}
    family = model.Family.model_validate(fam)
    first = engine.assess(family, dt.date(2026, 3, 2))
    second = engine.assess(family, dt.date(2026, 3, 3))
    i = next(i for i, cb in enumerate(first.program.benefits) if cb.benefit.id == "targeted_social_assistance")
    a, b = first.decision(i), second.decision(i)
    assert "9 March 2026" in a["explanation"]["summary"]["en"]
    assert "10 March 2026" in b["explanation"]["summary"]["en"]


# --- the linter --------------------------------------------------------------------------------


@pytest.fixture()
def rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target, ignore=shutil.ignore_patterns("tests"))
    return target


def _edit(path: Path, old: str, new: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def _codes(root: Path) -> dict[str, rulefile.RuleError]:
    book, errors = rulefile.load(root)
    assert book is None and errors
    return {e.code: e for e in errors}


def test_lint_refuses_a_condition_text_missing_in_a_language(rules: Path) -> None:
    path = rules / "benefits" / "large_family_allowance.yaml"
    line = _edit(
        path,
        "          ru: 'Детей до 18 лет и учащихся очно до 23 лет в семье:",
        "          de: 'Детей до 18 лет и учащихся очно до 23 лет в семье:",
    )
    e = _codes(rules)["missing-text"]
    assert e.path == "rules/benefits/large_family_allowance.yaml" and e.line == line - 2
    assert "'ru'" in e.message


def test_lint_refuses_a_condition_without_a_text(rules: Path) -> None:
    path = rules / "benefits" / "awarded_mother_allowance.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("        text:\n", text.index("conditions:"))
    end = text.index("    amount:")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    e = _codes(rules)["missing-text"]
    assert "needs 'text: {kk, ru, en}'" in e.message and e.line > 1


def test_lint_refuses_a_placeholder_the_rule_does_not_have_with_a_suggestion(rules: Path) -> None:
    path = rules / "benefits" / "large_family_allowance.yaml"
    line = _edit(path, "нужно не меньше {large_family.min_children}.", "нужно не меньше {large_family.min_childre}.")
    e = _codes(rules)["unknown-placeholder"]
    assert e.line == line and e.suggestion == "large_family.min_children"
    assert str(e).startswith(f"rules/benefits/large_family_allowance.yaml:{line}:")


def test_lint_refuses_a_yes_no_placeholder_an_identifier_and_a_source_tag(rules: Path) -> None:
    _edit(
        rules / "benefits" / "childcare_allowance.yaml",
        "en: The person caring for the child is not covered",
        "en: The person caring ({carer_insured}) for the child is not covered",
    )
    _edit(
        rules / "benefits" / "birth_allowance.yaml",
        "en: 'Children born in the last 12 months:",
        "en: 'Children born (births_last_12m >= 1):",
    )
    _edit(rules / "benefits" / "disability_benefit.yaml", "of 27 June 2023.", "of 27 June 2023 [S12].")
    codes = _codes(rules)
    assert "bool-placeholder" in codes and "citizen-text" in codes
    tags = [e for e in rulefile.load(rules)[1] if e.code == "citizen-text"]
    assert {e.path.split("/")[-1] for e in tags} == {"birth_allowance.yaml", "disability_benefit.yaml"}


def test_lint_refuses_a_legal_basis_given_in_english_only(rules: Path) -> None:
    path = rules / "benefits" / "pension_notice.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("legal_basis:")
    end = text.index("sources:")
    path.write_text(text[:start] + "legal_basis: Social Code No. 224-VII, art. 207.\n" + text[end:], encoding="utf-8")
    e = _codes(rules)["missing-text"]
    assert e.path.endswith("pension_notice.yaml") and "'legal_basis'" in e.message


def test_familycard_rules_lint_refuses_a_benefit_without_its_kazakh_texts(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from service import cli

    broken = tmp_path / "rules"
    shutil.copytree(RULES, broken)
    path = broken / "benefits" / "survivor_benefit.yaml"
    text = path.read_text(encoding="utf-8")
    # The first condition's Kazakh text (and its wrapped lines) removed.
    path.write_text(re.sub(r"(?m)^ {10}kk: .*\n( {12,}\S.*\n)*", "", text, count=1), encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["rules", "lint", str(broken)]) == 1
    out = capsys.readouterr().out
    assert "rules/benefits/survivor_benefit.yaml:" in out and "the text in 'kk' is missing" in out
