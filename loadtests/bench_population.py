"""Population-scale evaluation: the vectorised backend against durable-rules, and the full run.

Three measurements on the same synthetic families (`familycard synth` Parquet):

1. durable-rules one family at a time, as a sweep through the engine would do it: per family
   `indicators.compute_some` + `compiler.environment` + `Engine.durable_outcomes` (outcomes only),
   and the public `Engine.evaluate` (amounts and explanations too), on a sample;
2. the vectorised backend (indicators and decisions in columns) on the same sample, in memory;
3. `familycard population run` on the whole population in a child process: wall time, families
   and people per second, peak RSS of the child (psutil), and the rate as a ratio to durable-rules.

    .venv/bin/python -m loadtests.bench_population [--population DIR | --families N] [--sample 20000]

Goal on this 2-core machine: 6.3 million families (about 20 million people) with the full
rulebook in under 60 s and within 12 GB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from engine import compiler, expr, indicators, model
from engine.api import Engine
from engine.vectorised import check, run, tables
from engine.vectorised import indicators as vind

GOAL_SECONDS = 60.0
GOAL_RSS_MB = 12 * 1024


def durable_rate(engine: Engine, snapshots: list[dict[str, Any]], as_of: dt.date) -> dict[str, float]:
    """Families per second through durable-rules: outcomes only, and the full API response."""
    families = [model.Family.model_validate(s) for s in snapshots]
    prog = engine.program(as_of)
    engine.durable_outcomes(prog, *_facts(prog, families[0], as_of))  # load the ruleset outside the timing
    t0 = time.perf_counter()
    for f in families:
        values = indicators.compute_some(f, as_of, prog.indicator_names)
        engine.durable_outcomes(prog, values, compiler.environment(prog, values))
    outcomes = time.perf_counter() - t0
    sample = families[: max(1, len(families) // 4)]
    t0 = time.perf_counter()
    for f in sample:
        engine.evaluate(f, as_of)
    full = time.perf_counter() - t0
    return {"outcomes_per_s": len(families) / outcomes, "evaluate_per_s": len(sample) / full}


def _facts(prog: compiler.Program, family: model.Family, as_of: dt.date
           ) -> tuple[dict[str, indicators.IndicatorValue], dict[str, expr.Value]]:
    values = indicators.compute_some(family, as_of, prog.indicator_names)
    return values, compiler.environment(prog, values)


def vectorised_rate(engine: Engine, population: tables.Tables, as_of: dt.date) -> float:
    """Families per second through the vectorised backend, in memory (indicators and decisions)."""
    compiled = run.compile_program(engine.program(as_of), engine.book)
    run.decide(compiled, vind.compute(population, as_of, compiled.indicator_names))  # warm up
    t0 = time.perf_counter()
    run.decide(compiled, vind.compute(population, as_of, compiled.indicator_names))
    return population.n_families / (time.perf_counter() - t0)


def full_run(pop_dir: Path, as_of: dt.date, partitions: int) -> dict[str, Any]:
    """`familycard population run` in a child process: wall time and the child's peak RSS (psutil
    while it runs, and the kernel's figure for finished children)."""
    out = Path(tempfile.mkdtemp(prefix="bench-population-"))
    cmd = [sys.executable, "-m", "service.cli", "population", "run", "--population", str(pop_dir),
           "--as-of", as_of.isoformat(), "--out", str(out), "--partitions", str(partitions)]
    t0 = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, proc.memory_info().rss)
        except psutil.Error:
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - t0
    # The kernel's own peak for finished children: exact, where polling can miss a short spike.
    peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
    output = proc.stdout.read().decode() if proc.stdout else ""
    if proc.returncode != 0:
        raise SystemExit(f"population run failed ({proc.returncode}):\n{output}")
    summary = json.loads((out / "summary.json").read_text())
    shutil.rmtree(out, ignore_errors=True)
    return {"seconds": elapsed, "families": summary["families"], "people": summary["people"],
            "peak_rss_mb": peak / 2**20, "summary_run": summary["run"]}


def main(argv: list[str] | None = None) -> int:
    """Run the three measurements and print them."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--population", help="a `familycard synth` Parquet directory (default: generate one)")
    p.add_argument("--families", type=int, default=6_300_000, help="families to generate without --population")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--as-of", dest="as_of", default="2026-03-01")
    p.add_argument("--sample", type=int, default=20_000, help="families timed through durable-rules")
    p.add_argument("--partitions", type=int, default=1)
    p.add_argument("--json", help="also write the figures to this file")
    p.add_argument("--keep", action="store_true", help="keep a generated population (default: delete it)")
    args = p.parse_args(argv)
    as_of = dt.date.fromisoformat(args.as_of)
    if args.population:
        pop_dir = Path(args.population)
    else:
        from synthetic import vectorised

        pop_dir = Path(tempfile.mkdtemp(prefix="bench-synth-"))
        print(f"generating {args.families:,} families in {pop_dir} ...", flush=True)
        vectorised.generate(args.families, args.seed, as_of, pop_dir)
    engine = Engine.load()
    ranges_sample = tables.read_parquet(pop_dir)
    rows = np.arange(min(args.sample, ranges_sample.n_families))
    sample = check.subset(ranges_sample, rows)
    del ranges_sample
    snapshots = list(tables.to_snapshots(sample))
    durable = durable_rate(engine, snapshots, as_of)
    vec_sample = vectorised_rate(engine, sample, as_of)
    full = full_run(pop_dir, as_of, args.partitions)
    rate = full["families"] / full["seconds"]
    figures = {
        "sample_families": len(snapshots),
        "durable_outcomes_families_per_s": round(durable["outcomes_per_s"]),
        "durable_evaluate_families_per_s": round(durable["evaluate_per_s"]),
        "vectorised_sample_families_per_s": round(vec_sample),
        "full_run": {k: (round(v, 1) if isinstance(v, float) else v) for k, v in full.items()},
        "full_run_families_per_s": round(rate),
        "full_run_people_per_s": round(full["people"] / full["seconds"]),
        "ratio_full_run_to_durable_outcomes": round(rate / durable["outcomes_per_s"], 1),
        "ratio_full_run_to_durable_evaluate": round(rate / durable["evaluate_per_s"], 1),
        "ratio_sample_to_durable_outcomes": round(vec_sample / durable["outcomes_per_s"], 1),
        "goal_met": full["seconds"] < GOAL_SECONDS and full["peak_rss_mb"] < GOAL_RSS_MB,
    }
    print(f"durable-rules, one family at a time ({len(snapshots):,} families): "
          f"{durable['outcomes_per_s']:,.0f} families/s (outcomes), {durable['evaluate_per_s']:,.0f} families/s "
          f"(Engine.evaluate with explanations)")
    print(f"vectorised, same families in memory: {vec_sample:,.0f} families/s "
          f"({figures['ratio_sample_to_durable_outcomes']}x durable outcomes)")
    print(f"population run: {full['families']:,} families, {full['people']:,} people in {full['seconds']:.1f} s "
          f"= {rate:,.0f} families/s, {figures['full_run_people_per_s']:,} people/s; "
          f"peak RSS {full['peak_rss_mb']:,.0f} MB")
    print(f"ratio to durable-rules: {figures['ratio_full_run_to_durable_outcomes']}x (outcomes), "
          f"{figures['ratio_full_run_to_durable_evaluate']}x (Engine.evaluate)")
    verdict = "met" if figures["goal_met"] else "NOT met"
    print(f"goal (< {GOAL_SECONDS:.0f} s, < {GOAL_RSS_MB / 1024:.0f} GB): {verdict}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    if not args.population and not args.keep:
        shutil.rmtree(pop_dir, ignore_errors=True)
    return 0 if figures["goal_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
