"""In-process cost of the bus intake: `service.intake.receive` with no HTTP in front of it.

It builds the service's context the way the application's start-up does (a temp SQLite file
migrated to head, the real rule engine loaded on this thread, fresh metrics), then applies N
`family.registered` events, N `birth.registered` events (one per family, a newborn) and N
`income.reported` events, and prints events/s, per-event ms (p50/p99/max) per type, SQL
statements per event, and finally checks the audit chain. With `--profile` it also prints the
top of a cProfile of the measured run.

    .venv/bin/python -m loadtests.bench_intake [--families 200] [--warmup 20] [--profile]

The HTTP picture (echo vs eligibility vs events under wrk) is `loadtests/bench_http.py`.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from engine import iin
from loadtests import population
from service import audit, auth, intake, metrics
from service.context import AppContext
from service.ruleset import Rules, load_engine
from service.settings import Settings
from service.store import db, fast, migrate, uow

REGISTERED = "2026-03-01T09:00:00+05:00"
BORN_ON = dt.date(2026, 2, 20)
BIRTH_REPORTED = "2026-03-02T09:00:00+05:00"
INCOME_REPORTED = "2026-03-03T09:00:00+05:00"


def envelope(event_id: str, etype: str, occurred_at: str, payload: dict[str, Any]) -> bytes:
    """One bus message as raw bytes, as the HTTP route hands it to the intake."""
    return json.dumps({"event_id": event_id, "type": etype, "occurred_at": occurred_at, "source": "bench",
                       "payload": payload}).encode()


def build_events(n: int, *, seed: int, prefix: str) -> list[tuple[str, bytes]]:
    """(type, raw body): n registrations, then a birth per family, then an income report per family."""
    fams = population.families(n, seed=seed, prefix=prefix)
    out: list[tuple[str, bytes]] = []
    for i, fam in enumerate(fams):
        out.append(("family.registered", envelope(f"{prefix}reg-{i}", "family.registered", REGISTERED, fam)))
    first = 9000 if prefix.startswith("WARM") else 5000  # no newborn shares an IIN with a warm-up one
    for i, fam in enumerate(fams):
        child = {"iin": iin.make(BORN_ON, "female" if i % 2 else "male", first + i), "birth_date": BORN_ON.isoformat(),
                 "sex": "female" if i % 2 else "male"}
        out.append(("birth.registered", envelope(f"{prefix}birth-{i}", "birth.registered", BIRTH_REPORTED,
                                                 {"family_id": fam["family_id"], "child": child})))
    for i, fam in enumerate(fams):
        head = next(m for m in fam["members"] if m["relation"] == "head")
        out.append(("income.reported", envelope(f"{prefix}inc-{i}", "income.reported", INCOME_REPORTED,
                                                {"family_id": fam["family_id"], "iin": head["iin"],
                                                 "monthly_income_kzt": 95_000 + 100 * (i % 7)})))
    return out


def context(database_url: str, rules_dir: Path | None) -> AppContext:
    """The service context as the start-up builds it, with the engine created on this thread."""
    settings = Settings(database_url=database_url, rules_dir=rules_dir)
    database = db.create_engine(settings.database_url)
    migrate.upgrade(database)
    engine = load_engine(settings.rules_dir)
    return AppContext(settings=settings, db=database, rules=Rules(engine, settings.rules_dir),
                      tokens=auth.TokenStore([]), metrics=metrics.Metrics())


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(prog="python -m loadtests.bench_intake", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", type=int, default=200, help="N: families, births and income reports each")
    parser.add_argument("--warmup", type=int, default=20, help="families run first and not measured")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rules-dir", type=Path, default=None)
    parser.add_argument("--database-url", default=None, help="default: a temp SQLite file")
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile of the measured run")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="familycard-bench-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        ctx = context(url, args.rules_dir)
        statements = [0]

        @sa.event.listens_for(ctx.db, "before_cursor_execute")
        def _count(*_args: Any) -> None:
            statements[0] += 1

        for _etype, raw in build_events(args.warmup, seed=args.seed + 1, prefix="WARM-"):
            status, answer = intake.receive(ctx, raw=raw, actor="bench")
            if status != 200:
                raise SystemExit(f"warm-up event refused: {status} {answer}")
        measured = build_events(args.families, seed=args.seed, prefix="BENCH-")
        timings: dict[str, list[float]] = defaultdict(list)
        statements[0] = 0
        run_on_driver = fast.executed  # statements run straight on the driver count too
        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        cpu_started = time.process_time()
        if profiler:
            profiler.enable()
        for etype, raw in measured:
            t0 = time.perf_counter()
            status, answer = intake.receive(ctx, raw=raw, actor="bench")
            timings[etype].append((time.perf_counter() - t0) * 1000)
            if status != 200 or answer["status"] != "applied":
                raise SystemExit(f"{etype} not applied: {status} {answer}")
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        statements[0] += fast.executed - run_on_driver
        total = len(measured)
        with uow.UnitOfWork(ctx.db, write=False) as work:
            verified = audit.verify(work.conn)
        ctx.db.dispose()

    every = [ms for values in timings.values() for ms in values]
    print(f"intake.receive, in-process, SQLite: {args.families} families x (registered, birth, income), "
          f"{total} events in {elapsed:.2f} s")
    print(f"  {total / elapsed:.0f} events/s, {elapsed / total * 1000:.2f} ms per event, "
          f"{statements[0] / total:.1f} SQL statements per event")
    # CPU time is the steadier figure on a shared machine: wall time includes waiting for a core.
    print(f"  CPU: {cpu / total * 1000:.2f} ms per event ({total / cpu:.0f} events per CPU-second)")
    print(f"  {'type':<20}{'n':>6}{'mean ms':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for etype, values in [*timings.items(), ("all", every)]:
        print(f"  {etype:<20}{len(values):>6}{statistics.fmean(values):>10.2f}{percentile(values, 50):>9.2f}"
              f"{percentile(values, 99):>9.2f}{max(values):>9.2f}")
    print(f"  audit chain: {'OK' if verified.ok else 'BROKEN at ' + str(verified.broken_seq)}, "
          f"{verified.checked} entries")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats("service|engine|sqlalchemy", 45)
    return 0 if verified.ok else 1


if __name__ == "__main__":
    sys.exit(main())
