"""The analysts' test cases: YAML households, an as-of date and the decisions they expect.

A case names its household as the registries would, without IINs (the runner issues valid ones
from birth date and sex), so analysts can write `{relation: child, birth_date: 2012-05-01}`.
Expectations name a benefit and any of `eligible`, `status`, `amount_kzt` (with an optional
`tolerance_kzt` for published figures that are 1 tenge off half-up rounding), `requires_human_review`
and `review_reasons`; `wellbeing_level` checks the model's level. A failure reads like a compiler
message: `rules/tests/large_family.yaml:42: 'five children, 2026': large_family_allowance.amount_kzt
expected 86673, got 86672`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine import iin, model, yamlpos
from engine.api import Backend, Engine
from engine.errors import EngineError, RuleError

CASE_KEYS = {"name", "as_of", "family", "expect", "wellbeing_level", "note"}
EXPECT_KEYS = {"eligible", "status", "amount_kzt", "tolerance_kzt", "requires_human_review", "review_reasons",
               "amount_in_currency", "currency", "withheld_kzt", "data_quality", "summary_mentions"}
MEMBER_DEFAULTS: dict[str, Any] = {
    "citizenship": "citizen",
    "employment": "none",
    "gfss_participant": False,
    "monthly_income_kzt": 0,
    "sex": "male",
}


@dataclass(frozen=True)
class Case:
    """One analyst test case."""

    path: str
    line: int
    name: str
    as_of: dt.date
    family: dict[str, Any]
    expect: dict[str, dict[str, Any]]
    wellbeing_level: int | None


def build_family(raw: dict[str, Any], name: str) -> dict[str, Any]:
    """A contract snapshot from a case's household, with defaults and valid IINs filled in."""
    fam = dict(raw)
    fam.setdefault("family_id", "CASE-" + "".join(c if c.isascii() and c.isalnum() else "-" for c in name)[:40])
    fam.setdefault("region", "KZ-75")
    members = []
    for i, m in enumerate(fam.get("members") or []):
        member = {**MEMBER_DEFAULTS, **m}
        # `iin_from: {birth_date, sex}` issues the IIN for other data than the registry's (a corrected
        # birth date or sex keeps its IIN: supplement §12 (d)).
        other = member.pop("iin_from", None)
        if isinstance(other, dict) and "iin" not in member:
            obd = other.get("birth_date", member.get("birth_date"))
            obd = obd if isinstance(obd, dt.date) else dt.date.fromisoformat(str(obd))
            member["iin"] = iin.make(obd, str(other.get("sex", member["sex"])), 1000 + i)
        if "iin" not in member and "birth_date" in member:
            bd = member["birth_date"]
            bd = bd if isinstance(bd, dt.date) else dt.date.fromisoformat(str(bd))
            member["iin"] = iin.make(bd, str(member["sex"]), 1000 + i)
        if isinstance(member.get("birth_date"), dt.date):
            member["birth_date"] = member["birth_date"].isoformat()
        members.append(member)
    fam["members"] = members
    for d in fam.get("deceased") or []:
        if isinstance(d.get("date_of_death"), dt.date):
            d["date_of_death"] = d["date_of_death"].isoformat()
    return fam


def load(path: Path, display: str | None = None) -> tuple[list[Case], list[RuleError]]:
    """Load one test file (a list of cases); problems come back as RuleErrors."""
    doc = yamlpos.load(path, display)
    if doc.errors:
        return [], doc.errors
    data = doc.data.get("tests") if isinstance(doc.data, dict) else doc.data
    if not isinstance(data, list):
        return [], [doc.error((), "schema", "a test file is a list of cases (or 'tests:' with a list)")]
    prefix: tuple[str | int, ...] = ("tests",) if isinstance(doc.data, dict) else ()
    cases: list[Case] = []
    errors: list[RuleError] = []
    for i, raw in enumerate(data):
        key = (*prefix, i)
        if not isinstance(raw, dict) or not {"name", "as_of", "family"} <= set(raw):
            errors.append(doc.error(key, "schema", "a case needs name, as_of, family and expect"))
            continue
        for k in raw:
            if k not in CASE_KEYS:
                errors.append(doc.error(key, "unknown-key", f"unknown key '{k}' in a test case"))
        expect = raw.get("expect") or {}
        for b, e in expect.items():
            for k in e or {}:
                if k not in EXPECT_KEYS:
                    errors.append(doc.error((*key, "expect", b), "unknown-key", f"unknown expectation '{k}'"))
        as_of = raw["as_of"] if isinstance(raw["as_of"], dt.date) else dt.date.fromisoformat(str(raw["as_of"]))
        cases.append(
            Case(doc.path, doc.pos(key)[0], str(raw["name"]), as_of, raw["family"], expect, raw.get("wellbeing_level"))
        )
    return cases, errors


def run_case(engine: Engine, case: Case, backend: Backend = "durable") -> list[str]:
    """Run one case; every mismatch as a message naming file, line and case."""
    where = f"{case.path}:{case.line}: '{case.name}'"
    try:
        family = model.Family.model_validate(build_family(case.family, case.name))
        response = engine.evaluate(family, case.as_of, backend)
    except ValidationError as exc:
        return [f"{where}: invalid family: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}"]
    except EngineError as exc:
        return [f"{where}: {exc}"]
    by_id = {d.benefit: d for d in response.decisions}
    problems: list[str] = []
    for benefit, expected in case.expect.items():
        got = by_id.get(benefit)
        if got is None:
            problems.append(f"{where}: unknown benefit '{benefit}'")
            continue
        expected = expected or {}
        tol = int(expected.get("tolerance_kzt", 0))
        for field in ("eligible", "status", "requires_human_review"):
            if field in expected and getattr(got, field) != expected[field]:
                problems.append(f"{where}: {benefit}.{field} expected {expected[field]}, got {getattr(got, field)}")
        if "amount_kzt" in expected and abs(got.amount_kzt - int(expected["amount_kzt"])) > tol:
            problems.append(f"{where}: {benefit}.amount_kzt expected {expected['amount_kzt']}, got {got.amount_kzt}")
        for field in ("amount_in_currency", "currency"):
            if field in expected and str(getattr(got, field)) != str(expected[field]):
                problems.append(f"{where}: {benefit}.{field} expected {expected[field]}, got {getattr(got, field)}")
        if "withheld_kzt" in expected:
            w = got.explanation.withholding
            if w is None or w.withheld_kzt != int(expected["withheld_kzt"]):
                problems.append(f"{where}: {benefit}.withheld_kzt expected {expected['withheld_kzt']}, "
                                f"got {w.withheld_kzt if w else None}")
        if "data_quality" in expected and bool(got.explanation.data_quality) != bool(expected["data_quality"]):
            problems.append(f"{where}: {benefit}.data_quality expected {expected['data_quality']}, "
                            f"got {got.explanation.data_quality}")
        for text in expected.get("summary_mentions") or []:
            if str(text) not in got.explanation.summary.en:
                problems.append(f"{where}: {benefit}: the summary does not mention {text!r}: "
                                f"{got.explanation.summary.en!r}")
        if "review_reasons" in expected and sorted(expected["review_reasons"]) != got.review_reasons:
            problems.append(
                f"{where}: {benefit}.review_reasons expected {sorted(expected['review_reasons'])}, "
                f"got {got.review_reasons}"
            )
    if case.wellbeing_level is not None and response.wellbeing.level != case.wellbeing_level:
        problems.append(f"{where}: wellbeing.level expected {case.wellbeing_level}, got {response.wellbeing.level}")
    return problems


def test_files(rules_dir: Path) -> list[Path]:
    """The analysts' test files of a rules directory."""
    return sorted((rules_dir / "tests").rglob("*.yaml"))


def display(path: Path, rules_dir: Path) -> str:
    """A path as analysts see it (relative to the folder holding the rules directory)."""
    try:
        return str(path.relative_to(rules_dir.resolve().parent if path.is_absolute() else rules_dir.parent))
    except ValueError:
        return str(path)
