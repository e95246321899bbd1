"""How long the whole country's calendar takes: the vectorised `next_change` column for a population.

`familycard population run` adds, for every family, the earliest date on which its decisions can
next change by time alone (`engine.vectorised.clocks`). This times that column alone on a
`familycard synth` Parquet population already in memory (the run has read it for the decisions),
with the schedule worked out beforehand (milliseconds, once per epoch), and prints wall and CPU
seconds, families per second and the time projected for 6.3 million families: given the members'
layout (as in the population run, which builds it once for the indicators too) and the layout
itself (what a caller without one pays on top). A sample is checked against the scalar
`Engine.next_change` so the figure is for a correct column.

    .venv/bin/python -m loadtests.bench_next_change --population DIR [--as-of 2026-03-01] [--repeat 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np

from engine import model
from engine.api import Engine
from engine.vectorised import check, tables
from engine.vectorised import clocks as vclocks
from engine.vectorised.layout import layout

COUNTRY = 6_300_000


def main(argv: list[str] | None = None) -> int:
    """Read the population, time the column (best of `--repeat`), check a sample, print the figures."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--population", required=True, help="a `familycard synth` Parquet directory")
    p.add_argument("--as-of", dest="as_of", default="2026-03-01")
    p.add_argument("--repeat", type=int, default=2, help="timed runs (the best is reported)")
    p.add_argument("--check", type=int, default=2000, help="families compared with Engine.next_change")
    args = p.parse_args(argv)
    as_of = dt.date.fromisoformat(args.as_of)
    engine = Engine.load()
    t0 = time.perf_counter()
    population = tables.read_parquet(args.population)
    read_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    sched = engine.schedule(as_of)
    schedule_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    lay = layout(population)
    layout_s, layout_cpu = time.perf_counter() - t0, time.process_time() - c0
    timings: list[tuple[float, float]] = []
    column = None
    for _ in range(max(1, args.repeat)):
        t0, c0 = time.perf_counter(), time.process_time()
        column = vclocks.next_change(sched, population, as_of, lay)
        timings.append((time.perf_counter() - t0, time.process_time() - c0))
    assert column is not None
    n = population.n_families
    rows = np.linspace(0, n - 1, min(args.check, n)).astype(np.int64)
    sample = check.subset(population, rows)
    for snap, got in zip(tables.to_snapshots(sample), column.gather(rows), strict=True):
        expected = engine.next_change(model.Family.model_validate(snap), as_of)
        if got != expected:
            raise SystemExit(f"{snap['family_id']}: vectorised {got}, Engine.next_change {expected}")
    best, best_cpu = min(timings)
    rate = n / best
    print(
        f"{n:,} families, {population.members.height:,} members, {population.deceased.height:,} deaths, "
        f"as of {as_of} (read {read_s:.1f} s, schedule {schedule_s * 1000:.1f} ms)"
    )
    print(
        f"next_change column given the layout: {', '.join(f'{w:.2f} s (CPU {c:.2f} s)' for w, c in timings)} "
        f"-> best {best:.2f} s (CPU {best_cpu:.2f} s), {rate:,.0f} families/s; "
        f"projected for {COUNTRY:,} families: {COUNTRY / rate:.1f} s"
    )
    own = best + layout_s
    print(
        f"the layout itself: {layout_s:.2f} s (CPU {layout_cpu:.2f} s); with it: {own:.2f} s, "
        f"projected for {COUNTRY:,} families: {COUNTRY / (n / own):.1f} s"
    )
    print(f"checked against Engine.next_change on {len(rows):,} families: equal")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
