"""`familycard bus`: the simulated e-gov bus, registering a population and feeding it life events.

It behaves like the bus an integration really faces (see `bus_run`): at-least-once delivery with
retries and backoff, events partitioned by family over concurrent lanes, a share of duplicate and
of out-of-order deliveries, and citizens answering (or ignoring) the offers the API makes. Every
delivery goes to a JSONL ledger; `--verify` then checks through the API that every acknowledged
event took effect exactly once (see `bus_verify`). The population comes from `--population` (a
JSONL file from `familycard synth`) or is generated (`--families`, `--seed`).

`--events` counts life events; registrations, redeliveries and consent replies come on top. With
`--duration`, the bus stops at whichever comes first. `--events 0 --verify` only verifies the
ledger of an earlier run (without that run's ground truth, so the record checks are skipped).
Reads (`GET /v1/families/...` for the open offers and the verification) use
`$FAMILYCARD_AUDITOR_TOKEN` when set, as they need a reviewer or auditor role.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from synthetic import bus_summary, bus_verify
from synthetic.bus_run import BusAborted, BusConfig, run_bus

DEFAULT_AS_OF = dt.date(2026, 3, 1)


def load_population(path: Path) -> list[dict[str, Any]]:
    """Family snapshots from a JSONL population (`familycard synth --out x.jsonl`)."""
    families: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{line_no}: not JSON ({exc.msg})") from exc
            families.append(snapshot_of(record, where=f"{path}:{line_no}"))
    return families


def snapshot_of(record: dict[str, Any], *, where: str) -> dict[str, Any]:
    """The contract snapshot in a population record (a plain snapshot, or one under `snapshot`)."""
    snapshot = record.get("snapshot", record) if isinstance(record, dict) else None
    if not isinstance(snapshot, dict) or "family_id" not in snapshot or "members" not in snapshot:
        raise ValueError(f"{where}: not a family snapshot (needs family_id and members)")
    return snapshot


def generated_population(n: int, seed: int, as_of: dt.date = DEFAULT_AS_OF) -> list[dict[str, Any]]:
    """n families from the synthetic population generator."""
    from synthetic.rich import generate_families

    return [snapshot_of(r, where=f"generated family {i}") for i, r in enumerate(generate_families(n, seed, as_of))]


def read_ledger(path: Path) -> Iterator[dict[str, Any]]:
    """The delivery records of an earlier run."""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def bus_command(args: argparse.Namespace) -> int:
    """Run the bus, print the summary, and verify through the API when asked; 0 when all is well."""
    token = args.token or os.environ.get("FAMILYCARD_BUS_TOKEN")
    ledger = Path(args.ledger) if args.ledger else None
    for name, share in (("--duplicates", args.duplicates), ("--reorder", args.reorder)):
        if not 0.0 <= share <= 1.0:
            print(f"familycard bus: {name} must be a share between 0 and 1, got {share}", file=sys.stderr)
            return 2
    if args.concurrency < 1 or args.events < 0 or args.rate < 0 or args.duration < 0:
        print("familycard bus: --concurrency must be >= 1 and --events, --rate, --duration >= 0", file=sys.stderr)
        return 2
    if args.events == 0 and args.verify:
        # Verify an earlier run's ledger without sending anything.
        if ledger is None or not ledger.exists():
            print(
                f"familycard bus: --events 0 --verify checks an earlier ledger, and {ledger} does not exist",
                file=sys.stderr,
            )
            return 2
        report = asyncio.run(bus_verify.verify_run(args.url, token, list(read_ledger(ledger)), run=None))
        print(report.render())
        return 0 if report.ok else 1
    config = BusConfig(
        url=args.url,
        token=token,
        events=args.events,
        seed=args.seed,
        concurrency=args.concurrency,
        duplicates=args.duplicates,
        reorder=args.reorder,
        rate=args.rate,
        duration=args.duration,
        ledger=ledger,
        progress=bool(getattr(args, "progress", False)),
    )
    try:
        families = (
            load_population(Path(args.population))
            if args.population
            else generated_population(args.families, args.seed)
        )
    except (OSError, ValueError) as exc:
        print(f"familycard bus: {exc}", file=sys.stderr)
        return 2
    print(
        f"bus: {len(families)} families, {args.events} life events -> {args.url} "
        f"(concurrency {args.concurrency}, duplicates {args.duplicates:.0%}, reorder {args.reorder:.0%}"
        f"{f', {args.rate:g}/s' if args.rate else ''})",
        flush=True,
    )
    try:
        run = asyncio.run(run_bus(config, families))
    except httpx.HTTPError as exc:
        print(f"familycard bus: {args.url}: {exc}", file=sys.stderr)
        return 1
    except BusAborted as exc:
        print(f"familycard bus: stopped: {exc}", file=sys.stderr)
        return 1
    print(bus_summary.render(run))
    undelivered = sum(1 for o in bus_summary.final_outcomes(run) if o.final == "undelivered")
    if not args.verify:
        return 0 if undelivered == 0 else 1
    report = asyncio.run(bus_verify.verify_run(args.url, token, [o.as_record() for o in run.outcomes], run=run))
    print(report.render())
    return 0 if report.ok and undelivered == 0 else 1
