import json
import shutil
from pathlib import Path

from service import cli
from tests.engine.builders import make_family

RULES = Path(__file__).resolve().parents[2] / "rules"


def test_evaluate_prints_the_contract_response(tmp_path, capsys):
    path = tmp_path / "family.json"
    path.write_text(json.dumps(make_family(5)), encoding="utf-8")
    assert cli.main(["evaluate", str(path), "--as-of", "2026-03-01", "--rules", str(RULES)]) == 0
    out = json.loads(capsys.readouterr().out)
    lf = {d["benefit"]: d for d in out["decisions"]}["large_family_allowance"]
    assert lf["amount_kzt"] == 86673 and out["family_id"] == "FAM-T1"


def test_evaluate_names_the_bad_field_of_a_snapshot(tmp_path, capsys):
    data = make_family(1)
    data["members"][0]["monthly_income_kzt"] = -5
    path = tmp_path / "family.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert cli.main(["evaluate", str(path), "--as-of", "2026-03-01"]) == 2
    assert "members.0.monthly_income_kzt" in capsys.readouterr().err


def test_lint_passes_on_the_shipped_rules_and_fails_on_a_broken_copy(tmp_path, capsys):
    assert cli.main(["rules", "lint", str(RULES)]) == 0
    broken = tmp_path / "rules"
    shutil.copytree(RULES, broken)
    path = broken / "benefits" / "birth_allowance.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("births_last_12m >= 1", "births_last_12 >= 1"), encoding="utf-8"
    )
    capsys.readouterr()
    assert cli.main(["rules", "lint", str(broken)]) == 1
    assert "rules/benefits/birth_allowance.yaml:" in capsys.readouterr().out


def test_rules_test_fails_and_names_the_case_when_an_expectation_is_wrong(tmp_path, capsys):
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    path = root / "tests" / "large_family.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("amount_kzt: 86673}", "amount_kzt: 86672}"), encoding="utf-8"
    )
    assert cli.main(["rules", "test", str(root)]) == 1
    out = capsys.readouterr().out
    assert (
        "rules/tests/large_family.yaml:3: 'CV-01 five children, 2026': large_family_allowance.amount_kzt "
        "expected 86672, got 86673" in out
    )


def test_the_readme_example_snapshot_evaluates(capsys):
    example = Path(__file__).resolve().parents[2] / "examples" / "large_family.json"
    assert cli.main(["evaluate", str(example), "--as-of", "2026-03-01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {d["benefit"]: d["amount_kzt"] for d in out["decisions"]}["large_family_allowance"] == 86673


def test_evaluate_jsonl_answers_each_line_and_names_the_line_of_a_bad_one(tmp_path, capsys):
    good, other = make_family(5), make_family(2)
    other["family_id"] = "FAM-T2"
    bad = make_family(1)
    bad["members"][0]["monthly_income_kzt"] = -5
    path = tmp_path / "families.jsonl"
    path.write_text("\n".join([json.dumps(good), "", json.dumps(bad), json.dumps(other)]) + "\n", encoding="utf-8")
    assert cli.main(["evaluate", str(path), "--jsonl", "--as-of", "2026-03-01", "--rules", str(RULES)]) == 2
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert [answer["family_id"] for answer in lines] == ["FAM-T1", "FAM-T2"]
    assert f"{path}:3: members.0.monthly_income_kzt" in captured.err
    single = tmp_path / "family.json"
    single.write_text(json.dumps(good), encoding="utf-8")
    assert cli.main(["evaluate", str(single), "--as-of", "2026-03-01", "--rules", str(RULES)]) == 0
    assert json.loads(capsys.readouterr().out) == lines[0]  # the same response, one line instead of indented
