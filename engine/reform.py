"""`familycard reform compare`: one population under two rule sets, or under two as-of dates.

Before a rule change is adopted an analyst needs its cost and whom it helps or hurts; the
1 January re-indexation is the same question with one rule set and two dates. Both sides are
evaluated by the vectorised backend on the same partitions of the population, family by family,
and every benefit's change is classified as `engine.review_policy.classify` does for a live
family: grant, increase, unchanged, reduction, termination or none. A family that would lose
anything (a reduction or a termination) is a loser, and every such decision is a case for human
review; a family with only grants and increases gains; the rest are unchanged.

Outputs in `--out`: `report.json`, `report.html` (self-contained, charts as inline SVG) and
`changes.parquet` (per family and benefit: both amounts and the change).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from engine import partitions, population, report_html
from engine.errors import RuleErrors
from engine.vectorised import indicators as vind
from engine.vectorised import run, tables

CHANGES = ["grant", "increase", "unchanged", "reduction", "termination", "none"]
CHANGE = pl.Enum(CHANGES)
OUTCOMES = ["gain", "lose", "unchanged"]
OUTCOME = pl.Enum(OUTCOMES)
TOP = 25


@dataclass(frozen=True)
class Task:
    """One partition of a comparison."""

    population: str
    baseline: str
    reform: str
    as_of: dt.date
    reform_as_of: dt.date
    out: str
    index: int
    count: int
    family_range: tuple[str, str] | None


@dataclass
class PartResult:
    """A partition's aggregates: a tally by region and level, a histogram and its largest changes."""

    index: int
    versions: tuple[str, str]
    tally: pl.DataFrame
    histogram: pl.DataFrame
    top: pl.DataFrame
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Sides:
    """The benefits both sides know, with their periods (the reform's where both have one)."""

    benefits: list[str]
    periods: dict[str, str]
    in_base: frozenset[str]
    in_reform: frozenset[str]


def sides(base: run.Compiled, reform: run.Compiled) -> Sides:
    """The union of the two rulebooks' benefits."""
    ids = list(dict.fromkeys([*base.benefit_ids, *reform.benefit_ids]))
    periods = {**base.periods, **reform.periods}
    return Sides(ids, periods, frozenset(base.benefit_ids), frozenset(reform.benefit_ids))


def _side(b: str, present: bool) -> tuple[pl.Expr, pl.Expr]:
    if not present:
        return pl.lit("not_in_force"), pl.lit(0, dtype=pl.Int64)
    return pl.col(f"{b}.status").cast(pl.String), pl.col(f"{b}.amount_kzt")


def changes(base: pl.DataFrame, reform: pl.DataFrame, s: Sides) -> pl.DataFrame:
    """Per family: both amounts and the change of every benefit, the annual totals and the outcome."""
    keep = ["family_id", "region", "family_size", "wellbeing_level"]
    left = base.select([*keep, *[c for c in base.columns if c.endswith((".status", ".amount_kzt"))]])
    right = reform.select(["family_id", pl.col("wellbeing_level").alias("reform_wellbeing_level"),
                           *[pl.col(c).alias("r:" + c) for c in reform.columns
                             if c.endswith((".status", ".amount_kzt"))]])
    both = left.hstack(right.drop("family_id")) if _aligned(left, right) else left.join(right, on="family_id")
    cols: list[pl.Expr] = []
    annual_base: list[pl.Expr] = []
    annual_reform: list[pl.Expr] = []
    for b in s.benefits:
        b_status, b_amt = _side(b, b in s.in_base)
        r_status = pl.col(f"r:{b}.status").cast(pl.String) if b in s.in_reform else pl.lit("not_in_force")
        r_amt = pl.col(f"r:{b}.amount_kzt") if b in s.in_reform else pl.lit(0, dtype=pl.Int64)
        holds = b_status == "eligible"
        r_elig = r_status == "eligible"
        one_time = s.periods[b] == "one_time"
        # engine.review_policy.classify, column-wise.
        change = (
            pl.when(r_status == "insufficient_data")
            .then(pl.when(holds).then(pl.lit("unchanged")).otherwise(pl.lit("none")))
            .when(~holds).then(pl.when(r_elig).then(pl.lit("grant")).otherwise(pl.lit("none")))
            .when(~r_elig).then(pl.lit("termination"))
            .when(pl.lit(one_time)).then(pl.lit("unchanged"))
            .when(r_amt > b_amt).then(pl.lit("increase"))
            .when(r_amt < b_amt).then(pl.lit("reduction"))
            .otherwise(pl.lit("unchanged"))
        ).cast(CHANGE)
        factor = population.ANNUAL_FACTOR[s.periods[b]]
        cols += [holds.alias(f"{b}.baseline_eligible"), r_elig.alias(f"{b}.reform_eligible"),
                 b_amt.alias(f"{b}.baseline_kzt"), r_amt.alias(f"{b}.reform_kzt"), change.alias(f"{b}.change")]
        annual_base.append(b_amt * factor)
        annual_reform.append(r_amt * factor)
    out = both.select([
        *keep,
        pl.sum_horizontal(annual_base).cast(pl.Int64).alias("baseline_annual_kzt"),
        pl.sum_horizontal(annual_reform).cast(pl.Int64).alias("reform_annual_kzt"),
        *cols,
    ])
    adverse = pl.sum_horizontal([pl.col(f"{b}.change").is_in(["reduction", "termination"]).cast(pl.Int32)
                                 for b in s.benefits])
    better = pl.sum_horizontal([pl.col(f"{b}.change").is_in(["grant", "increase"]).cast(pl.Int32)
                                for b in s.benefits])
    return out.with_columns(
        (pl.col("reform_annual_kzt") - pl.col("baseline_annual_kzt")).alias("change_annual_kzt"),
        adverse.cast(pl.Int32).alias("adverse_decisions"),
        pl.when(adverse > 0).then(pl.lit("lose")).when(better > 0).then(pl.lit("gain"))
        .otherwise(pl.lit("unchanged")).cast(OUTCOME).alias("outcome"),
    )


def _aligned(left: pl.DataFrame, right: pl.DataFrame) -> bool:
    return left.height == right.height and bool((left.get_column("family_id") == right.get_column("family_id")).all())


def bucket(change: pl.Expr) -> pl.Expr:
    """A signed 1-2-5 bucket of an amount: 0 for none, ±(3·decade + step + 1) otherwise."""
    mag = change.abs().cast(pl.Float64)
    decade = mag.log10().floor()
    lead = mag / pl.lit(10.0).pow(decade)
    step = pl.when(lead < 2).then(0).when(lead < 5).then(1).otherwise(2)
    index = (decade.cast(pl.Int64) * 3 + step + 1)
    return pl.when(change == 0).then(0).otherwise(index * change.sign()).cast(pl.Int64)


def bucket_bounds(index: int) -> tuple[int, int]:
    """The tenge range [low, high) of a positive bucket index."""
    decade, step = divmod(index - 1, 3)
    low = (1, 2, 5)[step] * 10**decade
    high = (2, 5, 10)[step] * 10**decade
    return low, high


def tally(ch: pl.DataFrame, s: Sides) -> pl.DataFrame:
    """Additive aggregates by (region, well-being level)."""
    aggs: list[pl.Expr] = [
        pl.len().cast(pl.Int64).alias("families"),
        pl.col("family_size").cast(pl.Int64).sum().alias("people"),
        *[(pl.col("outcome") == o).cast(pl.Int64).sum().alias(o) for o in OUTCOMES],
        pl.col("adverse_decisions").cast(pl.Int64).sum().alias("review_decisions"),
        pl.col("baseline_annual_kzt").sum().alias("baseline_annual_kzt"),
        pl.col("reform_annual_kzt").sum().alias("reform_annual_kzt"),
    ]
    for b in s.benefits:
        aggs += [
            pl.col(f"{b}.baseline_eligible").cast(pl.Int64).sum().alias(f"{b}.baseline_eligible"),
            pl.col(f"{b}.reform_eligible").cast(pl.Int64).sum().alias(f"{b}.reform_eligible"),
            pl.col(f"{b}.baseline_kzt").sum().alias(f"{b}.baseline_kzt"),
            pl.col(f"{b}.reform_kzt").sum().alias(f"{b}.reform_kzt"),
            *[(pl.col(f"{b}.change") == c).cast(pl.Int64).sum().alias(f"{b}.{c}") for c in CHANGES if c != "none"],
        ]
    return ch.group_by(pl.col("region").cast(pl.String), "wellbeing_level").agg(aggs)


def top_changes(ch: pl.DataFrame, s: Sides, k: int = TOP) -> pl.DataFrame:
    """The k largest absolute annual changes (ties by family id), with what changed."""
    changed = pl.concat_str(
        [pl.when(pl.col(f"{b}.baseline_kzt") != pl.col(f"{b}.reform_kzt")).then(
            pl.format("{}: {} → {}", pl.lit(b), pl.col(f"{b}.baseline_kzt"), pl.col(f"{b}.reform_kzt")))
         for b in s.benefits], separator="; ", ignore_nulls=True)
    return (ch.filter(pl.col("change_annual_kzt") != 0)
            .with_columns(pl.col("change_annual_kzt").abs().alias("_abs"))
            .sort(["_abs", "family_id"], descending=[True, False]).head(k)
            .select("family_id", pl.col("region").cast(pl.String), "wellbeing_level", "family_size",
                    "baseline_annual_kzt", "reform_annual_kzt", "change_annual_kzt",
                    pl.col("outcome").cast(pl.String), changed.alias("changes")))


def compare_partition(task: Task) -> PartResult:
    """Evaluate one partition under both sides and aggregate the changes."""
    started = time.perf_counter()
    base_eng, base_c = population.load(task.baseline, task.as_of)
    ref_eng, ref_c = population.load(task.reform, task.reform_as_of)
    pop = tables.read_parquet(task.population, family_range=task.family_range)
    t1 = time.perf_counter()
    if task.as_of == task.reform_as_of:
        names = list(dict.fromkeys([*base_c.indicator_names, *ref_c.indicator_names]))
        ind = vind.compute(pop, task.as_of, names)
        base = run.decide(base_c, ind, run.iin_flags(base_c, pop, task.as_of, ind))
        ref = run.decide(ref_c, ind, run.iin_flags(ref_c, pop, task.as_of, ind))
    else:
        ind = vind.compute(pop, task.as_of, base_c.indicator_names)
        base = run.decide(base_c, ind, run.iin_flags(base_c, pop, task.as_of, ind))
        ind = vind.compute(pop, task.reform_as_of, ref_c.indicator_names)
        ref = run.decide(ref_c, ind, run.iin_flags(ref_c, pop, task.reform_as_of, ind))
    t2 = time.perf_counter()
    s = sides(base_c, ref_c)
    ch = changes(base, ref, s)
    ch.write_parquet(part_path(task))
    hist = ch.group_by(bucket(pl.col("change_annual_kzt")).alias("bucket")).len().rename({"len": "families"})
    result = PartResult(task.index, (base_eng.version, ref_eng.version), tally(ch, s),
                        hist.with_columns(pl.col("families").cast(pl.Int64)), top_changes(ch, s))
    result.seconds = {"read": t1 - started, "evaluate": t2 - t1, "compare": time.perf_counter() - t2}
    return result


def part_path(task: Task) -> Path:
    """Where a partition writes its per-family changes."""
    out = Path(task.out)
    if task.count == 1:
        return out / "changes.parquet"
    return out / "parts" / f"changes-{task.index:05d}.parquet"


def _sum_row(frame: pl.DataFrame) -> dict[str, int]:
    row = frame.drop("region", "wellbeing_level").sum().row(0, named=True)
    return {k: int(v or 0) for k, v in row.items()}


def _outcomes(row: dict[str, int]) -> dict[str, int]:
    return {"families": row["families"], "people": row["people"], "gain": row["gain"], "lose": row["lose"],
            "unchanged": row["unchanged"], "review_decisions": row["review_decisions"],
            "baseline_annual_kzt": row["baseline_annual_kzt"], "reform_annual_kzt": row["reform_annual_kzt"],
            "change_annual_kzt": row["reform_annual_kzt"] - row["baseline_annual_kzt"]}


def build_report(t: pl.DataFrame, hist: pl.DataFrame, top: pl.DataFrame, s: Sides, names: dict[str, str]
                 ) -> dict[str, Any]:
    """The comparison's report (no run metadata) from the combined aggregates."""
    total = _sum_row(t)
    benefits = []
    for b in s.benefits:
        factor = population.ANNUAL_FACTOR[s.periods[b]]
        base_cost, ref_cost = total[f"{b}.baseline_kzt"] * factor, total[f"{b}.reform_kzt"] * factor
        benefits.append({
            "benefit": b, "name": names.get(b, b), "period": s.periods[b],
            "baseline_families": total[f"{b}.baseline_eligible"], "reform_families": total[f"{b}.reform_eligible"],
            "baseline_annual_kzt": base_cost, "reform_annual_kzt": ref_cost, "change_annual_kzt": ref_cost - base_cost,
            **{f"{c}s" if c != "unchanged" else c: total[f"{b}.{c}"] for c in CHANGES if c != "none"},
        })
    distribution = []
    for row in hist.sort("bucket").iter_rows(named=True):
        i, n = int(row["bucket"]), int(row["families"])
        if i == 0:
            distribution.append({"from_kzt": 0, "to_kzt": 0, "families": n})
            continue
        low, high = bucket_bounds(abs(i))
        distribution.append({"from_kzt": -high if i < 0 else low, "to_kzt": -low if i < 0 else high, "families": n})
    return {
        **_outcomes(total),
        "cost_basis": population.COST_BASIS,
        "review_cases": {"families": total["lose"], "decisions": total["review_decisions"]},
        "benefits": benefits,
        "by_region": {r: _outcomes(_sum_row(g))
                      for (r,), g in t.sort("region").group_by("region", maintain_order=True)},
        "by_wellbeing_level": {str(lv): _outcomes(_sum_row(g)) for (lv,), g in
                               t.sort("wellbeing_level").group_by("wellbeing_level", maintain_order=True)},
        "distribution": distribution,
        "biggest_changes": top.to_dicts(),
    }


def compare(population_dir: str, baseline: str, reform: str, as_of: dt.date, reform_as_of: dt.date, out: Path,
            count: int = 1, scheduler: str | None = None, progress: bool = True) -> dict[str, Any]:
    """Run the comparison and write `report.json`, `report.html` and `changes.parquet`."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    base_eng, base_c = population.load(baseline, as_of)
    ref_eng, ref_c = population.load(reform, reform_as_of)
    count = partitions.partition_count(population_dir, count)
    ranges: list[tuple[tuple[str, str] | None, int]] = (
        list(partitions.family_ranges(population_dir, count)) if count > 1
        else [(None, partitions.family_count(population_dir))])
    where = [str(Path(p).resolve()) for p in (population_dir, baseline, reform, out)]
    tasks = [Task(where[0], where[1], where[2], as_of, reform_as_of, where[3], i, len(ranges), r)
             for i, (r, _) in enumerate(ranges)]
    if len(tasks) > 1:
        (out / "parts").mkdir(exist_ok=True)
    parts = partitions.execute(compare_partition, tasks, scheduler, "reform", progress, [n for _, n in ranges])
    if len(tasks) > 1:
        pl.scan_parquet([part_path(t) for t in tasks]).sink_parquet(out / "changes.parquet")
        shutil.rmtree(out / "parts", ignore_errors=True)
    population.check_versions(base_eng.version, [p.versions[0] for p in parts])
    population.check_versions(ref_eng.version, [p.versions[1] for p in parts])
    s = sides(base_c, ref_c)
    names = {b.id: b.name.en for b in [*ref_eng.benefits(), *base_eng.benefits()]}
    t = pl.concat([p.tally for p in parts]).group_by("region", "wellbeing_level").sum()
    hist = pl.concat([p.histogram for p in parts]).group_by("bucket").sum()
    top = (pl.concat([p.top for p in parts]).with_columns(pl.col("change_annual_kzt").abs().alias("_abs"))
           .sort(["_abs", "family_id"], descending=[True, False]).head(TOP).drop("_abs"))
    report = {
        "baseline": {"rules": baseline, "ruleset_version": base_eng.version, "as_of": as_of.isoformat()},
        "reform": {"rules": reform, "ruleset_version": ref_eng.version, "as_of": reform_as_of.isoformat()},
        "population": population_dir,
        **build_report(t, hist, top, s, names),
    }
    elapsed = time.perf_counter() - started
    report["run"] = {"partitions": len(tasks), "scheduler": scheduler, "elapsed_s": round(elapsed, 3),
                     "peak_rss_mb": round(population.peak_rss_mb())}
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / "report.html").write_text(report_html.render(report), encoding="utf-8")
    return report


def render_text(report: dict[str, Any]) -> str:
    """A few readable lines on the comparison."""
    def n(x: float) -> str:
        return f"{x:,.0f}".replace(",", " ")

    lines = [
        f"baseline {report['baseline']['rules']} as of {report['baseline']['as_of']} "
        f"({report['baseline']['ruleset_version']})",
        f"reform   {report['reform']['rules']} as of {report['reform']['as_of']} "
        f"({report['reform']['ruleset_version']})",
        f"{n(report['families'])} families: {n(report['gain'])} gain, {n(report['lose'])} lose, "
        f"{n(report['unchanged'])} unchanged",
        f"annual cost {n(report['baseline_annual_kzt'])} → {n(report['reform_annual_kzt'])} KZT "
        f"({'+' if report['change_annual_kzt'] >= 0 else '-'}{n(abs(report['change_annual_kzt']))})",
        f"review cases (adverse changes): {n(report['review_cases']['decisions'])} decisions in "
        f"{n(report['review_cases']['families'])} families",
    ]
    for b in report["benefits"]:
        if b["change_annual_kzt"] or b["reductions"] or b["terminations"] or b["grants"] or b["increases"]:
            sign = "+" if b["change_annual_kzt"] >= 0 else "-"
            lines.append(f"  {b['benefit']:30} {sign}{n(abs(b['change_annual_kzt'])):>18} KZT/year  "
                         f"grants {n(b['grants'])}, increases {n(b['increases'])}, reductions {n(b['reductions'])}, "
                         f"terminations {n(b['terminations'])}")
    return "\n".join(lines)


def compare_command(args: argparse.Namespace) -> int:
    """`familycard reform compare`: cost and winners and losers of a rule change or a new date."""
    try:
        as_of = dt.date.fromisoformat(args.as_of)
        reform_as_of = dt.date.fromisoformat(args.reform_as_of) if args.reform_as_of else as_of
    except ValueError as exc:
        print(f"error: --as-of/--reform-as-of: {exc}", file=sys.stderr)
        return 2
    if args.partitions < 1:
        print("error: --partitions must be at least 1", file=sys.stderr)
        return 2
    baseline = population.rules_dir(args.baseline)
    reform = population.rules_dir(args.reform) if args.reform else baseline
    if reform == baseline and reform_as_of == as_of:
        print("note: the same rules on the same date: nothing can change (give --reform or --reform-as-of)",
              file=sys.stderr)
    out = Path(args.out)
    try:
        report = compare(args.population, baseline, reform, as_of, reform_as_of, out, args.partitions, args.scheduler)
    except RuleErrors as exc:
        print(exc, file=sys.stderr)
        return 2
    except tables.PopulationError as exc:
        print(f"error: {args.population}: {exc}", file=sys.stderr)
        return 2
    print(render_text(report))
    print(f"wrote {out / 'report.json'}, {out / 'report.html'} and {out / 'changes.parquet'}")
    return 0

