"""`familycard reform compare`: cost, winners and losers, review cases, and a readable report."""

import datetime as dt
import json
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from engine import model, reform, review_policy
from engine.api import Engine
from engine.vectorised import check, tables
from service import cli

RULES = Path(__file__).resolve().parents[2] / "rules"
AS_OF = dt.date(2026, 3, 1)


@pytest.fixture(scope="module")
def pop_dir(tmp_path_factory) -> Path:
    from synthetic import vectorised

    out = tmp_path_factory.mktemp("population")
    vectorised.generate(20_000, 8, AS_OF, out, progress=False)
    return out


def _edited(tmp: Path, name: str, file: str, edits: list[tuple[str, str]]) -> Path:
    dst = tmp / name
    shutil.copytree(RULES, dst, ignore=shutil.ignore_patterns("tests"))
    path = dst / "parameters" / file
    text = path.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return dst


@pytest.fixture(scope="module")
def generous(tmp_path_factory) -> Path:
    """Large-family coefficients raised by about ten per cent."""
    return _edited(tmp_path_factory.mktemp("rules"), "generous", "family_benefits.yaml", [
        ("{value: 16.03,", "{value: 17.63,"), ("{value: 20.04,", "{value: 22.04,"),
        ("{value: 24.05,", "{value: 26.46,"), ("{value: 28.06,", "{value: 30.87,"),
        ("2023-01-01: {value: 4, reference: \"[S19][S16][S17]\"}", "2023-01-01: {value: 4.4, reference: \"[S19]\"}"),
    ])


@pytest.fixture(scope="module")
def tighter(tmp_path_factory) -> Path:
    """A lower poverty line: 60 % of the subsistence minimum, 30 % of the median."""
    return _edited(tmp_path_factory.mktemp("rules"), "tighter", "tsa.yaml", [
        ("2023-01-01: {value: 0.70,", "2023-01-01: {value: 0.60,"),
        ("2025-01-01: {value: 0.35,", "2025-01-01: {value: 0.30,"),
    ])


@pytest.fixture(scope="module")
def raised(pop_dir, generous, tmp_path_factory):
    out = tmp_path_factory.mktemp("raised")
    return out, reform.compare(str(pop_dir), str(RULES), str(generous), AS_OF, AS_OF, out, count=2, progress=False)


@pytest.fixture(scope="module")
def tightened(pop_dir, tighter, tmp_path_factory):
    out = tmp_path_factory.mktemp("tightened")
    return out, reform.compare(str(pop_dir), str(RULES), str(tighter), AS_OF, AS_OF, out, progress=False)


def _benefit(report, benefit):
    return next(b for b in report["benefits"] if b["benefit"] == benefit)


def test_raising_the_large_family_coefficients_costs_more_and_hurts_nobody(raised):
    out, report = raised
    large = _benefit(report, "large_family_allowance")
    assert large["change_annual_kzt"] > 0
    assert report["change_annual_kzt"] == large["change_annual_kzt"]
    assert report["lose"] == 0 and report["review_cases"] == {"families": 0, "decisions": 0}
    assert large["reductions"] == large["terminations"] == 0
    changes = pl.read_parquet(out / "changes.parquet")
    paid = changes.filter(pl.col("large_family_allowance.baseline_kzt") > 0)
    assert report["gain"] == large["increases"] == paid.height > 100
    assert (paid.get_column("large_family_allowance.reform_kzt") > paid.get_column(
        "large_family_allowance.baseline_kzt")).all()
    # About ten per cent more for every large family, so about ten per cent more in total.
    assert 0.09 < large["change_annual_kzt"] / large["baseline_annual_kzt"] < 0.11


def test_tightening_the_poverty_line_makes_losers_and_each_is_a_review_case(tightened):
    out, report = tightened
    tsa = _benefit(report, "targeted_social_assistance")
    assert report["lose"] > 10
    assert report["gain"] == 0
    assert report["change_annual_kzt"] < 0
    assert report["review_cases"]["families"] == report["lose"]
    # The АСП child supplement reads the same poverty line, so it loses with АСП.
    sup = _benefit(report, "tsa_child_supplement")
    adverse = tsa["reductions"] + tsa["terminations"] + sup["reductions"] + sup["terminations"]
    assert report["review_cases"]["decisions"] == adverse >= report["lose"]
    changes = pl.read_parquet(out / "changes.parquet")
    losers = changes.filter(pl.col("outcome") == "lose")
    assert losers.height == report["lose"]
    assert losers.get_column("targeted_social_assistance.change").is_in(["reduction", "termination"]).all()
    assert (losers.get_column("adverse_decisions") >= 1).all()
    assert sum(g["lose"] for g in report["by_region"].values()) == report["lose"]
    assert sum(g["review_decisions"] for g in report["by_wellbeing_level"].values()) == adverse
    biggest = report["biggest_changes"]
    assert biggest and all(b["change_annual_kzt"] < 0 for b in biggest)
    assert abs(biggest[0]["change_annual_kzt"]) == -losers.get_column("change_annual_kzt").min()


def test_changes_are_classified_as_the_review_policy_classifies_them(tightened, pop_dir, tighter):
    out, _ = tightened
    changes = pl.read_parquet(out / "changes.parquet")
    by_id = {r["family_id"]: r for r in changes.rows(named=True)}
    wanted = [*changes.filter(pl.col("outcome") == "lose").get_column("family_id").head(40),
              *changes.get_column("family_id").head(100)]
    population = tables.read_parquet(pop_dir)
    rows = np.flatnonzero(population.families.get_column("family_id").is_in(wanted).to_numpy())
    base, new = Engine.load(RULES), Engine.load(tighter)
    seen = set()
    for snap in tables.to_snapshots(check.subset(population, rows)):
        family = model.Family.model_validate(snap)
        before = {d.benefit: d for d in base.evaluate(family, AS_OF).decisions}
        for d in new.evaluate(family, AS_OF).decisions:
            current = review_policy.Current(before[d.benefit].eligible, before[d.benefit].amount_kzt)
            expected = review_policy.classify(current, d).value
            assert by_id[family.family_id][f"{d.benefit}.change"] == expected, (family.family_id, d.benefit)
            seen.add(expected)
    assert len(rows) == len(set(wanted))
    assert {"reduction", "unchanged", "none"} <= seen


def test_the_first_of_january_reindexation_raises_costs(pop_dir, tmp_path):
    report = reform.compare(str(pop_dir), str(RULES), str(RULES), dt.date(2025, 12, 31), dt.date(2026, 1, 1),
                            tmp_path, progress=False)
    assert report["reform_annual_kzt"] > report["baseline_annual_kzt"]
    assert report["gain"] > report["lose"]
    assert _benefit(report, "large_family_allowance")["increases"] > 0
    assert report["baseline"]["as_of"] == "2025-12-31" and report["reform"]["as_of"] == "2026-01-01"


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.external.append(value)
        if tag in ("script", "link", "img", "iframe"):
            self.external.append(tag)


def test_the_html_report_is_self_contained_with_three_charts(tightened):
    out, report = tightened
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    parser = _Collector()
    parser.feed(html)
    assert parser.external == []
    assert parser.tags.count("svg") == 3
    for svg in re.findall(r"<svg.*?</svg>", html, flags=re.S):
        root = ET.fromstring(svg)  # each chart is well-formed SVG
        assert root.find("{http://www.w3.org/2000/svg}title") is not None
        assert len(root.findall(".//{http://www.w3.org/2000/svg}rect")) > 2
    assert "Cost by benefit" in html and "Winners and losers by region" in html and "Distribution of changes" in html
    assert json.loads((out / "report.json").read_text()) == report


def test_the_command_writes_the_report_and_prints_the_outcome(pop_dir, generous, tmp_path, capsys):
    code = cli.main(["reform", "compare", "--population", str(pop_dir), "--baseline", str(RULES),
                     "--reform", str(generous), "--as-of", "2026-03-01", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "0 lose" in printed and "large_family_allowance" in printed
    for name in ("report.json", "report.html", "changes.parquet"):
        assert (tmp_path / name).exists()


def test_a_benefit_the_reform_adds_is_granted_and_one_it_removes_is_ended(pop_dir, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules, ignore=shutil.ignore_patterns("tests"))
    source = (rules / "benefits" / "large_family_allowance.yaml").read_text(encoding="utf-8")
    (rules / "benefits" / "large_family_bonus.yaml").write_text(
        source.replace("id: large_family_allowance", "id: large_family_bonus"), encoding="utf-8")
    (rules / "benefits" / "funeral_payment.yaml").unlink()
    report = reform.compare(str(pop_dir), str(RULES), str(rules), AS_OF, AS_OF, tmp_path / "out", progress=False)
    bonus, funeral = _benefit(report, "large_family_bonus"), _benefit(report, "funeral_payment")
    large = _benefit(report, "large_family_allowance")
    assert bonus["baseline_annual_kzt"] == 0 and bonus["grants"] == large["reform_families"] > 0
    assert bonus["reform_annual_kzt"] == large["reform_annual_kzt"]
    assert funeral["reform_annual_kzt"] == 0 and funeral["terminations"] == funeral["baseline_families"] > 0
    assert report["review_cases"]["decisions"] == funeral["terminations"]
