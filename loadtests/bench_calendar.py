"""1 January at national scale: how long the calendar takes to apply what time made due.

On 1 January every family that holds a benefit changes amount (the MRP and the subsistence
minimum are re-indexed), and every family reaches its `next_change_on`. This benchmark:

1. registers `--template` synthetic families (December 2025) through the bus's use case, in
   process, and accepts every monthly offer, so that the share of holders is the synthetic
   population's own;
2. replicates them in SQL to `--families` families (new family ids, the same snapshots,
   entitlements and amount history), on SQLite and on PostgreSQL;
3. moves the clock over 1 January: `--workers` processes run `calendar.run(until=2026-01-01)`,
   each on its own shard of the families, as the scheduler of several instances would;
4. prints families re-decided per second, the projection for 6.3 million families, and, on
   PostgreSQL, the same with 1 worker and with 2 (two instances sharing one database).

    .venv/bin/python -m loadtests.bench_calendar [--families 300000] [--template 2000] [--workers 2]
        [--postgres postgresql://postgres@127.0.0.1:5432/test] [--skip-sqlite]

It creates (and drops) its own PostgreSQL database, `fc_bench_calendar`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from engine import iin
from service import calendar, intake
from service.app import open_context
from service.settings import Settings
from service.store import tables, uow
from synthetic.bus import generated_population

NATION = 6_300_000
DAY = dt.date(2026, 1, 1)
REGISTERED = "2025-12-10T10:00:00+05:00"
ANSWERED = "2025-12-12T10:00:00+05:00"


def _raw(event_id: str, etype: str, occurred_at: str, payload: dict[str, Any]) -> bytes:
    return json.dumps(
        {"event_id": event_id, "type": etype, "occurred_at": occurred_at, "source": "bench", "payload": payload}
    ).encode()


def settings(url: str) -> Settings:
    return Settings(database_url=url, calendar_interval_s=0)


def build_templates(url: str, n: int) -> int:
    """Register n families in December 2025 and accept every monthly offer; how many hold something."""
    ctx = open_context(settings(url))
    holders = set()
    try:
        for i, snap in enumerate(generated_population(n, 2026, dt.date(2025, 12, 1))):
            snap["family_id"] = f"T{i:06d}"
            status, answer = intake.receive(
                ctx, raw=_raw(f"reg-{i}", "family.registered", REGISTERED, snap), actor="bench"
            )
            assert status == 200, answer
            for offer in answer["effects"]["offers_created"]:
                if offer["period"] not in ("monthly", "quarterly"):
                    continue
                consent = {"offer_id": offer["offer_id"], "accepted": True, "channel": "sms-1414"}
                status, _ = intake.receive(
                    ctx, raw=_raw(f"ok-{offer['offer_id']}", "consent.received", ANSWERED, consent), actor="bench"
                )
                assert status == 200
                holders.add(snap["family_id"])
    finally:
        ctx.db.dispose()
    return len(holders)


def replicate(url: str, copies: int) -> None:
    """Copy every template family `copies - 1` times: new family ids and IINs, the same records and holdings.

    The records are copied in Python (each copy's members get IINs of their own, valid for their
    birth date and sex, so no member is in two families), the holdings in SQL.
    """
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    fam, ent, amt, idx = tables.families, tables.entitlements, tables.entitlement_amounts, tables.member_iins
    serials: dict[tuple[str, str], int] = {}

    used: set[str] = set()

    def fresh(person: dict[str, Any]) -> str:
        key = (person["birth_date"], person.get("sex") or "female")
        while True:  # `iin.make` skips serials that can never be issued: ask again until the number is new
            serials[key] = serials.get(key, 6999) + 1
            number = iin.make(dt.date.fromisoformat(key[0]), key[1], serials[key])
            if number not in used:
                used.add(number)
                return number

    with engine.begin() as conn:
        templates = [dict(r) for r in conn.execute(sa.select(fam)).mappings()]
        used.update(m["iin"] for t in templates for m in t["snapshot"]["members"])
        for k in range(1, copies):
            suffix = f"-{k:03d}"
            rows, members = [], []
            for t in templates:
                snap = orjson.loads(orjson.dumps(t["snapshot"]))
                snap["family_id"] = t["family_id"] + suffix
                for m in snap["members"]:
                    m["iin"] = fresh(m)
                    members.append({"iin": m["iin"], "family_id": snap["family_id"]})
                rows.append({**t, "family_id": snap["family_id"], "snapshot": snap})
            conn.execute(fam.insert(), rows)
            conn.execute(idx.insert(), members)
            ent_cols = [c.name for c in ent.columns]
            ev = {c: ent.c[c] for c in ent_cols} | {"id": ent.c.id + suffix, "family_id": ent.c.family_id + suffix}
            conn.execute(
                ent.insert().from_select(
                    ent_cols, sa.select(*[ev[c] for c in ent_cols]).where(~ent.c.family_id.like("%-%"))
                )
            )
            amt_cols = [c.name for c in amt.columns if c.name != "id"]
            av = {c: amt.c[c] for c in amt_cols} | {
                "entitlement_id": amt.c.entitlement_id + suffix,
                "family_id": amt.c.family_id + suffix,
            }
            conn.execute(
                amt.insert().from_select(
                    amt_cols, sa.select(*[av[c] for c in amt_cols]).where(~amt.c.family_id.like("%-%"))
                )
            )
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def _worker(url: str, shard: tuple[int, int], out: Any) -> None:
    ctx = open_context(settings(url))
    try:
        started = time.perf_counter()
        summary = calendar.run(ctx, until=DAY, shard=shard)
        out.put((shard[0], summary.ticks, summary.increases, summary.reviews, time.perf_counter() - started))
    finally:
        ctx.db.dispose()


def run_calendar(url: str, workers: int) -> tuple[int, int, int, float]:
    """(families re-decided, amounts raised, reviews opened, wall seconds) with `workers` processes."""
    out: Any = mp.get_context("spawn").Queue()
    procs = [mp.get_context("spawn").Process(target=_worker, args=(url, (i, workers), out)) for i in range(workers)]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    wall = time.perf_counter() - started
    return sum(r[1] for r in results), sum(r[2] for r in results), sum(r[3] for r in results), wall


def _count_due(url: str) -> int:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with uow.UnitOfWork(engine, write=False) as work:
        n = work.conn.execute(
            sa.select(sa.func.count())
            .select_from(tables.families)
            .where(tables.families.c.next_change_on <= DAY.isoformat())
        ).scalar_one()
    engine.dispose()
    return int(n)


def measure(label: str, url: str, families: int, template: int, workers: int) -> dict[str, float]:
    t0 = time.perf_counter()
    holders = build_templates(url, template)
    t1 = time.perf_counter()
    replicate(url, max(1, families // template))
    t2 = time.perf_counter()
    due = _count_due(url)
    ticks, raised, reviews, wall = run_calendar(url, workers)
    rate = ticks / wall if wall else 0.0
    print(
        f"{label}: {due:,} families due on {DAY} ({holders / template:.0%} hold a benefit); templates "
        f"{t1 - t0:.0f} s, replication {t2 - t1:.0f} s"
    )
    print(
        f"{label}: {workers} worker(s): {ticks:,} families re-decided in {wall:.1f} s = {rate:,.0f} families/s; "
        f"{raised:,} amounts raised, {reviews:,} reviews opened; 6.3 M families: {NATION / rate / 60:.1f} min "
        f"(goal: under 60 min) {'MET' if rate and NATION / rate < 3600 else 'NOT MET'}"
    )
    return {"rate": rate, "wall": wall, "ticks": ticks}


def _pg_database(base: str, name: str) -> str:
    admin = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", type=int, default=300_000)
    parser.add_argument("--template", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("FAMILYCARD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--instances", default="1,2", help="PostgreSQL runs: worker processes (instances) per run")
    args = parser.parse_args(argv)
    os.environ.setdefault("FAMILYCARD_LOG_LEVEL", "WARNING")
    print(
        f"bench_calendar: {args.families:,} families ({args.template:,} templates), 1 January 2026, "
        f"{os.cpu_count()} cores"
    )
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            measure("SQLite", f"sqlite:///{Path(tmp) / 'calendar.db'}", args.families, args.template, args.workers)
    if not args.skip_postgres:
        rates = {}
        for workers in (int(w) for w in args.instances.split(",")):
            url = _pg_database(args.postgres, "fc_bench_calendar")
            rates[workers] = measure("PostgreSQL", url, args.families, args.template, workers)["rate"]
        if 1 in rates and 2 in rates:
            print(f"PostgreSQL: 2 instances / 1 instance = {rates[2] / rates[1]:.2f}x")
        _pg_database(args.postgres, "fc_bench_calendar")
    return 0


if __name__ == "__main__":
    sys.exit(main())
