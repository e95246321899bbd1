"""Durable-rules, the explanation path and the vectorised backend agree on every family.

Any difference is a failure naming the family, the date and the benefit with the three answers
(`engine.vectorised.check`). The main run covers 100,000 seeded families built around the rules'
edges, each evaluated on one of several dates so that every epoch of the rulebook (2023 before
and after July, the 2024 loan exclusion, the 2025 poverty line, 2026, the 2028 pension age) is
exercised; a second run takes 50,000 families of the synthetic population (`synthetic/`), read back
from Parquet as `population run` does. Every run also compares the day each family's decisions can
next change by time alone: the vectorised `next_change` column against `Engine.next_change`.
"""

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from engine import model
from engine.api import Engine
from engine.vectorised import check, edgecases, run, tables

RULES = Path(__file__).resolve().parents[2] / "rules"
DATES = [dt.date(2023, 3, 1), dt.date(2023, 9, 15), dt.date(2024, 2, 29), dt.date(2024, 10, 1), dt.date(2025, 3, 1),
         dt.date(2025, 12, 31), dt.date(2026, 3, 1), dt.date(2028, 6, 1)]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load(RULES)


def money_targets(engine: Engine) -> list[float]:
    """Amounts worth hitting exactly, from the rulebook's parameters on each date."""
    out: set[float] = set()
    for d in DATES:
        p = engine.program(d).params
        pm, cap = p["pm"][0], p["gfss.income_cap_mzp"][0] * p["mzp"][0]
        assert isinstance(pm, Decimal) and isinstance(cap, Decimal)
        line = p["tsa.pm_share"][0] * pm
        assert isinstance(line, Decimal)
        out |= {float(line), float(line * Decimal("1.05")), float(line * Decimal("0.95")), float(cap)}
    return sorted(out)


def test_the_three_backends_agree_on_100000_families_at_the_rules_edges(engine):
    population, date_of = edgecases.generate(100_000, 20260301, DATES, money_targets(engine))
    result = check.compare(engine, population, DATES, date_of, full_every=200)
    assert not result.mismatches, "backends disagree:\n" + result.report()
    assert result.families == 100_000
    assert result.next_changes == 100_000  # the vectorised next_change column is Engine.next_change too
    assert result.decisions == 100_000 * len(engine.benefits())
    assert result.full_evaluations == 500
    # The sample reaches every outcome the rules can produce, so agreement means something.
    for b in engine.benefits():
        assert result.statuses[(b.id, "eligible")] > 50, f"{b.id} is never granted in the sample"
        assert result.statuses[(b.id, "not_eligible")] > 50, f"{b.id} is never refused in the sample"
    every_reason = {t.reason for b in engine.book.benefits for v in b.versions for t in v.triggers}
    assert every_reason | {"insufficient_data"} <= set(result.reasons)


def test_the_three_backends_agree_on_a_synthetic_population_read_back_from_parquet(engine, tmp_path):
    from synthetic import snapshots, vectorised

    vectorised.generate(50_000, 11, dt.date(2026, 3, 1), tmp_path, progress=False)
    population = tables.read_parquet(tmp_path)
    # The tables read for the vectorised backend are the snapshots the synthetic package gives.
    theirs = [model.Family.model_validate(s) for s in snapshots.parquet_to_snapshots(tmp_path, limit=2000)]
    ours = [model.Family.model_validate(s) for s in list(tables.to_snapshots(population))[:2000]]
    assert ours == theirs
    dates = [dt.date(2025, 12, 31), dt.date(2026, 3, 1)]
    date_of = np.arange(population.n_families) % 2
    result = check.compare(engine, population, dates, date_of, full_every=100)
    assert not result.mismatches, "backends disagree:\n" + result.report()
    assert result.families == 50_000
    assert result.next_changes == 50_000


def _edit(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("tests"))
    path = dst / "parameters" / "family_benefits.yaml"
    text = path.read_text(encoding="utf-8")
    assert "{value: 4, reference" in text and "{value: 20.04," in text
    text = text.replace("2023-01-01: {value: 4, reference: \"[S19][S16][S20]\"}",
                        "2023-01-01: {value: 5, reference: \"test edit\"}")
    text = text.replace("{value: 20.04,", "{value: 21.5,")
    path.write_text(text, encoding="utf-8")


def test_an_edited_rule_changes_all_three_backends_alike(engine, tmp_path):
    _edit(RULES, tmp_path / "rules")
    edited = Engine.load(tmp_path / "rules")
    assert edited.version != engine.version
    dates = [dt.date(2025, 3, 1), dt.date(2026, 3, 1)]
    population, date_of = edgecases.generate(6_000, 77, dates, money_targets(engine))
    result = check.compare(edited, population, dates, date_of, full_every=50)
    assert not result.mismatches, "backends disagree on the edited rules:\n" + result.report()
    # The edit took effect: four-child families are no longer large, five-child ones get more.
    changed = 0
    for k, d in enumerate(dates):
        part = check.subset(population, np.flatnonzero(date_of == k))
        before = run.evaluate(run.compile_program(engine.program(d), engine.book), part, d)
        after = run.evaluate(run.compile_program(edited.program(d), edited.book), part, d)
        status_b, status_a = before["large_family_allowance.status"], after["large_family_allowance.status"]
        amount_b, amount_a = before["large_family_allowance.amount_kzt"], after["large_family_allowance.amount_kzt"]
        changed += int(((status_b != status_a) | (amount_b != amount_a)).sum())
        lost = after.filter((status_b == "eligible") & (status_a == "not_eligible")).get_column("family_id")
        more = after.filter((status_a == "eligible") & (amount_a > amount_b)).get_column("family_id")
        assert len(lost) > 0 and len(more) > 0
        # ... and durable-rules, asked directly, moves the same families the same way.
        snaps = {s["family_id"]: s for s in tables.to_snapshots(part)}
        by_id = {r["family_id"]: r for r in after.rows(named=True)}
        for fid in [*lost.head(10), *more.head(10)]:
            fam = model.Family.model_validate(snaps[fid])
            old = next(x for x in engine.evaluate(fam, d).decisions if x.benefit == "large_family_allowance")
            new = next(x for x in edited.evaluate(fam, d).decisions if x.benefit == "large_family_allowance")
            assert old.eligible
            assert (new.status, new.amount_kzt) == (by_id[fid]["large_family_allowance.status"],
                                                    by_id[fid]["large_family_allowance.amount_kzt"])
            assert (new.status, new.amount_kzt) != (old.status, old.amount_kzt)
    assert changed > 100
