"""PostgreSQL connections killed mid-burst: no 500s, and no event lost.

Issue 11, item 10: with `pg_terminate_backend` run on the service's connections during a burst
of events, the service answered 4 × 500. Now a connection lost under an event is retried once
on a new connection (the event rolled back, and its id makes it exactly once), and what still
fails is a 503 with Retry-After, which the bus retries.

A 2-worker server on a fresh schema of the local PostgreSQL (its connections tagged with their
own application_name, so only they are killed, never another program's); `--connections`
loops post events for `--duration` seconds, each re-sending an event answered 503 until it is
taken (as the bus does); every `--kill-every` seconds every backend of the server is
terminated. Then each event id that was sent is looked up in the database: "events lost" is the
number missing.

    .venv/bin/python -m loadtests.pg_kill [--connections 32] [--duration 15] [--kill-every 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field

import psycopg

from loadtests import population
from loadtests.bench_http import prepare
from loadtests.overload import event_maker
from loadtests.rawhttp import Connection, percentile
from loadtests.server import running_server

BASE = os.environ.get("FAMILYCARD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass
class Burst:
    """What the burst saw."""

    sent: set[str] = field(default_factory=set)
    taken: set[str] = field(default_factory=set)
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    retries: int = 0
    refusals: dict[str, int] = field(default_factory=dict)
    connection_errors: int = 0
    kill_rounds: int = 0
    killed: int = 0


async def burst(url: str, token: str, make: object, app_name: str, args: argparse.Namespace) -> Burst:
    """Post events from `args.connections` loops while a killer terminates the server's backends."""
    parsed = urllib.parse.urlsplit(url)
    seen = Burst()
    deadline = time.monotonic() + args.duration

    async def poster() -> None:
        conn = Connection(
            parsed.hostname or "127.0.0.1",
            parsed.port or 80,
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            while time.monotonic() < deadline:
                body = make()  # type: ignore[operator]
                event_id = body.split(b'"event_id":"', 1)[1].split(b'"', 1)[0].decode()
                seen.sent.add(event_id)
                give_up = deadline + args.drain  # the bus re-sends until the event is taken
                while True:
                    try:
                        answer = await conn.request("POST", "/v1/events", body)
                    except (ConnectionError, asyncio.IncompleteReadError, OSError):
                        seen.connection_errors += 1
                        if time.monotonic() > give_up:
                            break
                        await asyncio.sleep(0.05)
                        continue
                    seen.statuses[answer.status] = seen.statuses.get(answer.status, 0) + 1
                    seen.latencies.append(answer.seconds)
                    if answer.status == 503:
                        kind = b"overloaded" if b'"overloaded"' in answer.body else b"database_unavailable"
                        seen.refusals[kind.decode()] = seen.refusals.get(kind.decode(), 0) + 1
                        seen.retries += 1
                        if time.monotonic() > give_up:
                            break
                        await asyncio.sleep(0.05)
                        continue
                    if 200 <= answer.status < 300:
                        seen.taken.add(event_id)
                    break
        finally:
            await conn.close()

    async def killer() -> None:
        while time.monotonic() < deadline:
            await asyncio.sleep(args.kill_every)
            seen.killed += await asyncio.to_thread(terminate, app_name)
            seen.kill_rounds += 1

    await asyncio.gather(killer(), *(poster() for _ in range(args.connections)))
    return seen


def terminate(app_name: str) -> int:
    """Terminate every backend of the server under test; how many."""
    with psycopg.connect(BASE, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = %s AND pid <> pg_backend_pid()",
            (app_name,),
        ).fetchone()
    return int(row[0]) if row else 0


def stored(schema: str, ids: set[str]) -> set[str]:
    """Which of these event ids the database holds."""
    with psycopg.connect(BASE, autocommit=True) as conn:
        rows = conn.execute(f'SELECT event_id FROM "{schema}".events WHERE event_id = ANY(%s)', (list(ids),))
        return {r[0] for r in rows}


def main(argv: list[str] | None = None) -> int:
    """Run the burst with kills; print the figures; exit 1 on any 500 or any event lost."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--kill-every", type=float, default=0.5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--families", type=int, default=300)
    parser.add_argument("--drain", type=float, default=60.0, help="seconds past the burst the bus keeps re-sending")
    args = parser.parse_args(argv)
    tag = uuid.uuid4().hex[:8]
    schema, app_name = f"fc_i11b_kill_{tag}", f"familycard-kill-{tag}"
    with psycopg.connect(BASE, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in BASE else "?"
    url = f"{BASE}{sep}options=-csearch_path%3D{schema}&application_name={app_name}"
    try:
        families = population.families(args.families, seed=12, prefix="KILL-")
        from service.settings import Settings

        shedding = {"FAMILYCARD_MAX_QUEUE_WAIT_MS": str(Settings().max_queue_wait_ms)}  # as in production
        with running_server(workers=args.workers, database_url=url, extra_env=shedding) as server:
            prepare(server, families)
            make = event_maker(families, seed=int(time.time()))
            seen = asyncio.run(burst(server.url, server.tokens["bus"], make, app_name, args))
        found = stored(schema, seen.sent)
    finally:
        with psycopg.connect(BASE, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    lost_taken = seen.taken - found
    never_taken = seen.sent - seen.taken
    lost = seen.sent - found
    server_errors = {s: n for s, n in seen.statuses.items() if s >= 500 and s != 503}
    print(
        f"pg_kill: {args.connections} connections, {args.duration:.0f} s, {args.workers} workers, PostgreSQL; "
        f"backends terminated every {args.kill_every} s (load average before: {os.getloadavg()[0]:.2f})"
    )
    print(f"kill rounds: {seen.kill_rounds}; backends terminated: {seen.killed}")
    print(
        f"answers: {dict(sorted(seen.statuses.items()))}; p99 {percentile(seen.latencies, 0.99) * 1000:,.1f} ms; "
        f"connection errors: {seen.connection_errors}"
    )
    print(
        f"5xx: 500 and other non-503: {sum(server_errors.values())}; 503 + Retry-After (re-sent by the bus): "
        f"{seen.statuses.get(503, 0)} {dict(sorted(seen.refusals.items()))}"
    )
    print(
        f"events sent: {len(seen.sent):,}; taken: {len(seen.taken):,}; in the database: {len(found):,}; "
        f"never taken: {len(never_taken)}"
    )
    print(
        f"events lost: {len(lost)}{', verified against the events table' if not lost else ''}"
        f"{f' (of them answered 2xx: {len(lost_taken)})' if lost else ''}"
    )
    return 0 if not lost and not server_errors and seen.killed > 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
