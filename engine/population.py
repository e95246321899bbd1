"""`familycard population run`: every family of a synthetic population, evaluated as of a date.

The 1 January re-indexation changes the MRP and the subsistence minimum, so every family's
benefits are re-evaluated; this runs the vectorised backend (`engine.vectorised`, compiled from
the same rule files as durable-rules) over the Parquet population of `familycard synth`, in
independent partitions (`engine.partitions`: at least `--partitions`, and enough that none holds
more than 1.5 million families, about 2 GB), locally or on a Dask cluster. It writes:

- `families.parquet`: per family, per benefit status, amount and review reasons, the well-being
  level and score (see `vectorised.run`), and `next_change`: the earliest later date on which a
  decision could change by time alone (`Engine.next_change`, computed as a column by
  `vectorised.clocks`; null when never), so one run gives the whole country's calendar;
- `summary.json`: families and people per benefit, monthly and annual cost in tenge, by region and
  by well-being level, the decisions a person must review, and how many families next change in
  each of the twelve months from the date (`next_change`); a readable version is printed.

Cost basis: a monthly benefit costs its amount a month and twelve a year, a quarterly one a third
and four; a one-time payment counts once (the payments due as of the date) and a notice nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import sys
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl

from engine import clocks, partitions
from engine.api import Engine, default_rules_dir
from engine.errors import RuleError, RuleErrors
from engine.vectorised import clocks as vclocks
from engine.vectorised import indicators as vind
from engine.vectorised import run, tables
from engine.vectorised.layout import layout

MONTHLY_SHARE = {"monthly": Fraction(1), "quarterly": Fraction(1, 3), "one_time": Fraction(0), "notice": Fraction(0)}
ANNUAL_FACTOR = {"monthly": 12, "quarterly": 4, "one_time": 1, "notice": 0}
COST_BASIS = ("monthly benefits cost their amount a month and 12 a year, quarterly ones a third and 4; "
              "one-time payments count once (those due as of the date); notices cost nothing")


def load(rules_dir: str, as_of: dt.date) -> tuple[Engine, run.Compiled]:
    """The rules of a directory (read afresh: a Dask worker outlives edits to them) and the
    vectorised program of the epoch holding `as_of`; about 60 ms."""
    eng = Engine.load(rules_dir)
    return eng, run.compile_program(eng.program(as_of), eng.book)


@dataclass(frozen=True)
class Task:
    """One partition of a population run."""

    population: str
    rules: str
    as_of: dt.date
    out: str
    index: int
    count: int
    family_range: tuple[str, str] | None


@dataclass
class PartResult:
    """What a partition returns: its counts and a small tally (its families are on disk)."""

    index: int
    version: str
    families: int
    people: int
    tally: pl.DataFrame
    calendar: pl.DataFrame  # families per month of their next change (`calendar_tally`)
    seconds: dict[str, float] = field(default_factory=dict)


def tally(results: pl.DataFrame, compiled: run.Compiled) -> pl.DataFrame:
    """Counts and amounts by (region, well-being level): the additive basis of every summary."""
    aggs: list[pl.Expr] = [
        pl.len().cast(pl.Int64).alias("families"),
        pl.col("family_size").cast(pl.Int64).sum().alias("people"),
        pl.col("review_decisions").cast(pl.Int64).sum().alias("review_decisions"),
        (pl.col("review_decisions") > 0).cast(pl.Int64).sum().alias("families_with_review"),
    ]
    for b in compiled.benefit_ids:
        eligible = pl.col(f"{b}.status") == "eligible"
        aggs += [
            eligible.cast(pl.Int64).sum().alias(f"{b}.families"),
            pl.col("family_size").cast(pl.Int64).filter(eligible).sum().alias(f"{b}.people"),
            pl.col(f"{b}.amount_kzt").cast(pl.Int64).sum().alias(f"{b}.amount_kzt"),
            (pl.col(f"{b}.review_reasons").cast(pl.String) != "").cast(pl.Int64).sum().alias(f"{b}.review"),
            (pl.col(f"{b}.status") == "insufficient_data").cast(pl.Int64).sum().alias(f"{b}.insufficient"),
        ]
    return results.group_by(pl.col("region").cast(pl.String), "wellbeing_level").agg(aggs)


def combine(tallies: list[pl.DataFrame]) -> pl.DataFrame:
    """Partition tallies added up, sorted by region and level."""
    return pl.concat(tallies).group_by("region", "wellbeing_level").sum().sort("region", "wellbeing_level")


CALENDAR_MONTHS = 12


def calendar_tally(next_change: pl.Series, as_of: dt.date) -> pl.DataFrame:
    """Families by the month of their next change: `YYYY-MM` for the twelve months from `as_of`'s
    (that month counting from the day after `as_of`), `later` beyond them, `never` when null."""
    end = clocks.add_months(as_of.replace(day=1), CALENDAR_MONTHS)
    nc = pl.col("next_change")
    bucket = (pl.when(nc.is_null()).then(pl.lit("never")).when(nc >= end).then(pl.lit("later"))
              .otherwise(nc.dt.strftime("%Y-%m")))
    return (pl.DataFrame({"next_change": next_change}).group_by(bucket.alias("month"))
            .agg(pl.len().cast(pl.Int64).alias("families")))


def calendar_summary(tallies: list[pl.DataFrame], as_of: dt.date) -> dict[str, Any]:
    """The partitions' calendar tallies added up: every one of the twelve months (0 when none),
    then `later` and `never`."""
    counts: dict[str, int] = {}
    for t in tallies:
        for month, n in t.iter_rows():
            counts[month] = counts.get(month, 0) + int(n)
    first = as_of.replace(day=1)
    months = [clocks.add_months(first, k).strftime("%Y-%m") for k in range(CALENDAR_MONTHS)]
    return {"by_month": {m: counts.get(m, 0) for m in months}, "later": counts.get("later", 0),
            "never": counts.get("never", 0)}


def run_partition(task: Task) -> PartResult:
    """Read one partition, evaluate every family, write its results; return its tally."""
    started = time.perf_counter()
    eng, compiled = load(task.rules, task.as_of)
    t0 = time.perf_counter()
    pop = tables.read_parquet(task.population, family_range=task.family_range)
    t1 = time.perf_counter()
    lay = layout(pop)  # members contiguous per family: for the indicators and for next_change
    ind = vind.compute(pop, task.as_of, compiled.indicator_names, lay)
    t2 = time.perf_counter()
    results = run.decide(compiled, ind, run.iin_flags(compiled, pop, task.as_of, ind))
    t3 = time.perf_counter()
    next_change = vclocks.next_change(eng.schedule(task.as_of), pop, task.as_of, lay)
    results = results.with_columns(next_change)
    t4 = time.perf_counter()
    results.write_parquet(part_path(task))
    t5 = time.perf_counter()
    return PartResult(task.index, eng.version, results.height, int(results.get_column("family_size").sum() or 0),
                      tally(results, compiled), calendar_tally(next_change, task.as_of),
                      {"rules": t0 - started, "read": t1 - t0, "indicators": t2 - t1, "decide": t3 - t2,
                       "next_change": t4 - t3, "write": t5 - t4})


def part_path(task: Task) -> Path:
    """Where a partition writes its families (the final file when there is one partition)."""
    out = Path(task.out)
    if task.count == 1:
        return out / "families.parquet"
    return out / "parts" / f"families-{task.index:05d}.parquet"


def plan(population: str, rules: str, as_of: dt.date, out: Path, count: int) -> tuple[list[Task], list[int]]:
    """The partition tasks of a run (at least `count`, more for a large population) and their sizes."""
    count = partitions.partition_count(population, count)
    if count == 1:
        return [Task(population, rules, as_of, str(out), 0, 1, None)], [partitions.family_count(population)]
    ranges = partitions.family_ranges(population, count)
    tasks = [Task(population, rules, as_of, str(out), i, len(ranges), r) for i, (r, _) in enumerate(ranges)]
    return tasks, [n for _, n in ranges]


def check_versions(expected: str, got: list[str]) -> None:
    """Every partition must have used the rules the run started with."""
    other = sorted(set(got) - {expected})
    if other:
        raise RuleErrors([RuleError("rules", 0, 0, "changed", f"the rules changed during the run ({expected} "
                                    f"became {', '.join(other)}); run it again")])


def gather_parts(tasks: list[Task], out: Path) -> None:
    """Join the partitions' families into one `families.parquet` and drop the parts."""
    if len(tasks) == 1:
        return
    pl.scan_parquet([part_path(t) for t in tasks]).sink_parquet(out / "families.parquet")
    shutil.rmtree(out / "parts", ignore_errors=True)


def _money(x: Fraction) -> int:
    """Whole tenge, half up."""
    return int(x + Fraction(1, 2)) if x >= 0 else -int(-x + Fraction(1, 2))


def _costs(row: dict[str, Any], compiled: run.Compiled) -> dict[str, int]:
    monthly = sum((MONTHLY_SHARE[compiled.periods[b]] * row[f"{b}.amount_kzt"] for b in compiled.benefit_ids),
                  Fraction(0))
    annual = sum(ANNUAL_FACTOR[compiled.periods[b]] * row[f"{b}.amount_kzt"] for b in compiled.benefit_ids)
    one_time = sum(row[f"{b}.amount_kzt"] for b in compiled.benefit_ids if compiled.periods[b] == "one_time")
    return {"monthly_cost_kzt": _money(monthly), "annual_cost_kzt": int(annual), "one_time_kzt": int(one_time)}


def _group(rows: pl.DataFrame, compiled: run.Compiled) -> dict[str, Any]:
    s = rows.drop("region", "wellbeing_level").sum().row(0, named=True)
    out: dict[str, Any] = {k: int(s[k] or 0) for k in ("families", "people", "review_decisions",
                                                         "families_with_review")}
    out.update(_costs({k: int(v or 0) for k, v in s.items()}, compiled))
    out["benefits"] = {
        b: {"families": int(s[f"{b}.families"] or 0),
            "annual_cost_kzt": int(ANNUAL_FACTOR[compiled.periods[b]] * (s[f"{b}.amount_kzt"] or 0))}
        for b in compiled.benefit_ids
    }
    return out


def summarise(t: pl.DataFrame, compiled: run.Compiled, eng: Engine, as_of: dt.date) -> dict[str, Any]:
    """The summary of a combined tally (no timings: equal for equal inputs, wherever they ran)."""
    names = {b.id: b.name.en for b in eng.benefits()}
    total = t.drop("region", "wellbeing_level").sum().row(0, named=True)
    benefits = []
    for b in compiled.benefit_ids:
        amount = int(total[f"{b}.amount_kzt"] or 0)
        period = compiled.periods[b]
        benefits.append({
            "benefit": b, "name": names.get(b, b), "period": period,
            "families": int(total[f"{b}.families"] or 0), "people": int(total[f"{b}.people"] or 0),
            "monthly_cost_kzt": _money(MONTHLY_SHARE[period] * amount),
            "annual_cost_kzt": ANNUAL_FACTOR[period] * amount,
            "review_decisions": int(total[f"{b}.review"] or 0),
            "insufficient_data": int(total[f"{b}.insufficient"] or 0),
        })
    return {
        "as_of": as_of.isoformat(),
        "ruleset_version": eng.version,
        "families": int(total["families"] or 0),
        "people": int(total["people"] or 0),
        "cost_basis": COST_BASIS,
        "totals": {**_costs({k: int(v or 0) for k, v in total.items()}, compiled),
                   "review_decisions": int(total["review_decisions"] or 0),
                   "families_with_review": int(total["families_with_review"] or 0)},
        "benefits": benefits,
        "by_region": {r: _group(g, compiled) for (r,), g in t.group_by("region", maintain_order=True)},
        "by_wellbeing_level": {str(lv): _group(g, compiled)
                               for (lv,), g in t.sort("wellbeing_level").group_by("wellbeing_level",
                                                                                   maintain_order=True)},
    }


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def evaluate_population(population: str, rules: str, as_of: dt.date, out: Path, count: int = 1,
                        scheduler: str | None = None, progress: bool = True) -> dict[str, Any]:
    """Run every partition, write `families.parquet` and `summary.json`; return the summary."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    eng, compiled = load(rules, as_of)
    # Absolute paths: a Dask worker may run in another directory (it must see the same files).
    tasks, sizes = plan(str(Path(population).resolve()), str(Path(rules).resolve()), as_of, out.resolve(), count)
    if len(tasks) > 1:
        (out / "parts").mkdir(exist_ok=True)
    parts = partitions.execute(run_partition, tasks, scheduler, "population", progress, sizes)
    check_versions(eng.version, [p.version for p in parts])
    gather_parts(tasks, out)
    summary = summarise(combine([p.tally for p in parts]), compiled, eng, as_of)
    summary["next_change"] = calendar_summary([p.calendar for p in parts], as_of)
    summary["population"] = str(population)
    elapsed = time.perf_counter() - started
    stages: dict[str, float] = {}
    for p in parts:
        for k, v in p.seconds.items():
            stages[k] = round(stages.get(k, 0.0) + v, 3)
    summary["run"] = {"partitions": len(tasks), "scheduler": scheduler, "elapsed_s": round(elapsed, 3),
                      "families_per_s": round(summary["families"] / elapsed) if elapsed else None,
                      "peak_rss_mb": round(peak_rss_mb()), "stage_seconds": stages}
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return summary


def _n(x: int | float) -> str:
    return f"{x:,.0f}".replace(",", " ")


def render(summary: dict[str, Any]) -> str:
    """The summary as a readable text table."""
    lines = [f"as of {summary['as_of']}, ruleset {summary['ruleset_version']}: {_n(summary['families'])} families, "
             f"{_n(summary['people'])} people", ""]
    head = f"{'benefit':32} {'families':>11} {'people':>12} {'monthly KZT':>17} {'annual KZT':>19} {'review':>9}"
    lines += [head, "-" * len(head)]
    for b in summary["benefits"]:
        lines.append(f"{b['benefit']:32} {_n(b['families']):>11} {_n(b['people']):>12} "
                     f"{_n(b['monthly_cost_kzt']):>17} {_n(b['annual_cost_kzt']):>19} {_n(b['review_decisions']):>9}")
    tot = summary["totals"]
    lines += ["-" * len(head),
              f"{'total':32} {'':>11} {'':>12} {_n(tot['monthly_cost_kzt']):>17} {_n(tot['annual_cost_kzt']):>19} "
              f"{_n(tot['review_decisions']):>9}",
              f"decisions for human review: {_n(tot['review_decisions'])} "
              f"({_n(tot['families_with_review'])} families)", "",
              f"{'region':8} {'families':>11} {'annual KZT':>19} {'review':>9}   "
              f"{'level':>5} {'families':>11} {'annual KZT':>19}"]
    regions = list(summary["by_region"].items())
    levels = list(summary["by_wellbeing_level"].items())
    for i in range(max(len(regions), len(levels))):
        left = right = ""
        if i < len(regions):
            r, g = regions[i]
            left = f"{r:8} {_n(g['families']):>11} {_n(g['annual_cost_kzt']):>19} {_n(g['review_decisions']):>9}"
        if i < len(levels):
            lv, g = levels[i]
            right = f"{lv:>5} {_n(g['families']):>11} {_n(g['annual_cost_kzt']):>19}"
        lines.append(f"{left:51}   {right}".rstrip())
    calendar = summary.get("next_change")
    if calendar:
        lines += ["", "families whose decisions next change by time alone, by month (a later birthday, the end "
                      "of a window, a new epoch):"]
        cells = [f"{m} {_n(n):>9}" for m, n in calendar["by_month"].items()]
        cells += [f"{'later':7} {_n(calendar['later']):>9}", f"{'never':7} {_n(calendar['never']):>9}"]
        lines += ["   ".join(cells[i:i + 4]) for i in range(0, len(cells), 4)]
    run_info = summary.get("run", {})
    if run_info:
        lines += ["", f"{run_info['partitions']} partition(s), {run_info['scheduler'] or 'local'}: "
                      f"{run_info['elapsed_s']:.1f} s, {_n(run_info['families_per_s'] or 0)} families/s, "
                      f"peak RSS {_n(run_info['peak_rss_mb'])} MB"]
    return "\n".join(lines)


def rules_dir(value: str | None) -> str:
    """The rules directory an option names, or the default one."""
    return str(Path(value) if value else default_rules_dir())


def run_command(args: argparse.Namespace) -> int:
    """`familycard population run`: evaluate a Parquet population and summarise it."""
    try:
        as_of = dt.date.fromisoformat(args.as_of)
    except ValueError:
        print(f"error: --as-of: '{args.as_of}' is not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    if args.partitions < 1:
        print("error: --partitions must be at least 1", file=sys.stderr)
        return 2
    out = Path(args.out)
    try:
        summary = evaluate_population(args.population, rules_dir(args.rules), as_of, out, args.partitions,
                                      args.scheduler)
    except RuleErrors as exc:
        print(exc, file=sys.stderr)
        return 2
    except tables.PopulationError as exc:
        print(f"error: {args.population}: {exc}", file=sys.stderr)
        return 2
    print(render(summary))
    print(f"wrote {out / 'families.parquet'} and {out / 'summary.json'}")
    return 0
