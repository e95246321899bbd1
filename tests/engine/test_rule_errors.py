"""Rule files broken in each way the issue lists are refused with file, line and what is wrong."""

import shutil
from pathlib import Path

import pytest

from engine import rulefile
from engine.api import Engine
from engine.errors import RuleErrors

RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture()
def rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target, ignore=shutil.ignore_patterns("tests"))
    return target


def _edit(path: Path, old: str, new: str) -> int:
    """Replace `old` by `new`; return the 1-based line where the edit starts."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def _errors(root: Path) -> list:
    book, errors = rulefile.load(root)
    assert book is None
    assert errors
    return errors


def _one(errors, code):
    found = [e for e in errors if e.code == code]
    assert found, f"no {code} among {[str(e) for e in errors]}"
    return found[0]


def test_the_shipped_rules_are_valid():
    book, errors = rulefile.load(RULES)
    assert errors == []
    assert len(book.benefits) >= 12


def test_yaml_syntax_error_points_at_the_line(rules):
    path = rules / "benefits" / "large_family_allowance.yaml"
    line = _edit(path, "period: monthly", "period: [monthly")
    e = _one(_errors(rules), "yaml-syntax")
    assert e.path == "rules/benefits/large_family_allowance.yaml"
    assert e.line >= line


def test_unknown_indicator_is_named_with_a_suggestion_and_exact_column(rules):
    path = rules / "benefits" / "large_family_allowance.yaml"
    line = _edit(
        path,
        "      - rule: children_under_18_or_students >= large_family.min_children",
        "      - rule: chidren_under_18_or_students >= large_family.min_children",
    )
    e = _one(_errors(rules), "unknown-name")
    assert (e.path, e.line, e.column) == ("rules/benefits/large_family_allowance.yaml", line, 15)
    assert e.suggestion == "children_under_18_or_students"
    assert str(e).startswith(f"rules/benefits/large_family_allowance.yaml:{line}:15: unknown indicator")


def test_an_error_inside_an_expression_adds_its_offset_to_the_yaml_column(rules):
    path = rules / "benefits" / "large_family_allowance.yaml"
    line = _edit(
        path,
        "children_under_18_or_students >= large_family.min_children",
        "children_under_18_or_students >= large_family.min_childrn",
    )
    e = _one(_errors(rules), "unknown-name")
    assert (e.line, e.column) == (line, 15 + len("children_under_18_or_students >= "))
    assert e.suggestion == "large_family.min_children"


def test_type_mismatch_is_refused(rules):
    path = rules / "benefits" / "awarded_mother_allowance.yaml"
    line = _edit(
        path, "altyn_alqa_mothers + kumis_alqa_mothers >= 1", "altyn_alqa_mothers + has_non_mortgage_loan >= 1"
    )
    e = _one(_errors(rules), "type-mismatch")
    assert (e.path, e.line) == ("rules/benefits/awarded_mother_allowance.yaml", line)


def test_an_unknown_enum_value_is_refused_with_a_suggestion(rules):
    path = rules / "benefits" / "awarded_mother_allowance.yaml"
    _edit(path, "altyn_alqa_mothers + kumis_alqa_mothers >= 1", "region == 'KZ-7'")
    e = _one(_errors(rules), "unknown-value")
    assert "KZ-7" in e.message


def test_overlapping_effective_periods_are_refused(rules):
    path = rules / "benefits" / "targeted_social_assistance.yaml"
    line = _edit(path, "effective: {from: 2025-01-01}", "effective: {from: 2024-12-01}")
    e = _one(_errors(rules), "period-overlap")
    assert (e.path, e.line) == ("rules/benefits/targeted_social_assistance.yaml", line)


def test_gapped_effective_periods_are_refused(rules):
    path = rules / "benefits" / "targeted_social_assistance.yaml"
    line = _edit(path, "effective: {from: 2025-01-01}", "effective: {from: 2025-02-01}")
    e = _one(_errors(rules), "period-gap")
    assert e.line == line


def test_a_parameter_missing_for_part_of_a_benefit_period_is_refused(rules):
    path = rules / "benefits" / "gfss_work_capacity_payment.yaml"
    _edit(path, "effective: {from: 2023-07-01}", "effective: {from: 2023-01-01}")
    e = next(x for x in _errors(rules) if x.code == "parameter-gap")
    assert e.path == "rules/benefits/gfss_work_capacity_payment.yaml"
    assert "2023-01-01" in e.message


def test_a_parameter_ended_by_null_inside_a_period_is_refused(rules):
    path = rules / "parameters" / "family_benefits.yaml"
    _edit(
        path,
        '    2023-01-01: {value: 63, reference: "[S13][S24]"}',
        '    2023-01-01: {value: 63, reference: "[S13][S24]"}\n    2025-01-01: {value: null}',
    )
    e = _one(_errors(rules), "parameter-gap")
    assert "birth.coef_fourth_plus" in e.message and "2025-01-01" in e.message


def test_duplicate_benefit_ids_are_refused(rules):
    src = rules / "benefits" / "pension_notice.yaml"
    shutil.copy(src, rules / "benefits" / "zz_copy.yaml")
    e = _one(_errors(rules), "duplicate-id")
    assert e.path == "rules/benefits/zz_copy.yaml" and e.line == 1


def test_duplicate_keys_are_reported_at_their_own_line(rules):
    path = rules / "benefits" / "pension_notice.yaml"
    line = _edit(path, "period: notice", "period: notice\nperiod: monthly")
    e = _one(_errors(rules), "duplicate-key")
    assert e.line == line + 1


@pytest.mark.parametrize("attribute", ["ethnicity", "nationality", "religion", "party_member", "language"])
def test_prohibited_attributes_are_refused_in_conditions(rules, attribute):
    path = rules / "benefits" / "awarded_mother_allowance.yaml"
    line = _edit(path, "altyn_alqa_mothers + kumis_alqa_mothers >= 1", f"{attribute} == 'x'")
    e = _one(_errors(rules), "prohibited-attribute")
    assert (e.path, e.line) == ("rules/benefits/awarded_mother_allowance.yaml", line)


def test_prohibited_attributes_are_refused_as_keys_and_weights(rules):
    path = rules / "wellbeing.yaml"
    _edit(path, "deprived_when: single_parent_family", "deprived_when: religion_minority")
    _one(_errors(rules), "prohibited-attribute")


def test_sex_dependent_conditions_need_a_stated_legal_basis(rules):
    path = rules / "benefits" / "pension_notice.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("sex_basis:")
    end = text.index("description:")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    e = _one(_errors(rules), "sex-without-basis")
    assert e.path == "rules/benefits/pension_notice.yaml"


def test_unknown_keys_are_refused_with_a_suggestion(rules):
    path = rules / "benefits" / "pension_notice.yaml"
    line = _edit(path, "legal_basis:", "legal_basiss:")
    errors = _errors(rules)
    e = _one(errors, "unknown-key")
    assert (e.line, e.suggestion) == (line, "legal_basis")
    assert _one(errors, "missing-key")


def test_an_optional_indicator_must_be_listed_under_requires(rules):
    path = rules / "benefits" / "gfss_maternity_payment.yaml"
    _edit(path, "    requires: [maternity_avg_income_12m_kzt]\n", "")
    _one(_errors(rules), "optional-not-required")


def test_every_error_is_reported_in_one_pass_sorted_by_file_and_line(rules):
    _edit(rules / "benefits" / "pension_notice.yaml", "legal_basis:", "legal_basiss:")
    _edit(
        rules / "benefits" / "awarded_mother_allowance.yaml", "altyn_alqa_mothers + kumis", "altyn_alqa_mother + kumis"
    )
    errors = _errors(rules)
    paths = {e.path for e in errors}
    assert {"rules/benefits/pension_notice.yaml", "rules/benefits/awarded_mother_allowance.yaml"} <= paths
    assert errors == sorted(errors)


def test_a_bad_reload_keeps_the_running_rules(rules):
    engine = Engine.load(rules)
    before = engine.version
    _edit(rules / "benefits" / "pension_notice.yaml", "legal_basis:", "legal_basiss:")
    with pytest.raises(RuleErrors) as exc:
        engine.reload(rules)
    assert "pension_notice.yaml" in str(exc.value)
    assert engine.version == before
    assert len(engine.benefits()) >= 12


def test_parameter_files_are_checked_too(rules):
    path = rules / "parameters" / "national.yaml"
    line = _edit(
        path, '    2024-01-01: {value: 3692, reference: "Budget law 2024 [S10]"}', "    2024-01-01: {value: 3692}"
    )
    e = _one(_errors(rules), "missing-reference")
    assert (e.path, e.line) == ("rules/parameters/national.yaml", line)
