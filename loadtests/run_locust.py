"""`make loadtest`: the Locust scenario, headless and bounded, with the figures that matter.

Without `--url` it starts its own server on a free port with a temp SQLite database (and its
own tokens); with `--url` it loads that server, taking the token from `FAMILYCARD_BUS_TOKEN`.
It prints requests/s, p50/p95/p99 and failures per request name and in total, and exits 1 if any
request failed. Locust takes most of a core itself; use `bench_http` for capacity figures.

    .venv/bin/python -m loadtests.run_locust [--users 50] [--run-time 30] [--url URL]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from loadtests.server import running_server

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


@contextlib.contextmanager
def target(url: str | None, workers: int) -> Iterator[tuple[str, str]]:
    """(url, bus token): the given server, or a fresh one."""
    if url:
        token = os.environ.get("FAMILYCARD_BUS_TOKEN", "")
        if not token:
            raise SystemExit("--url needs FAMILYCARD_BUS_TOKEN in the environment")
        yield url, token
        return
    with running_server(workers=workers) as server:
        yield server.url, server.tokens["bus"]


def read_stats(prefix: str) -> list[dict[str, str]]:
    """Rows of Locust's `<prefix>_stats.csv`."""
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def render(rows: list[dict[str, str]]) -> str:
    """A compact table: name, requests, failures, req/s, p50/p95/p99 in ms."""
    lines = [f"{'request':<44}{'count':>8}{'fails':>7}{'req/s':>9}{'p50':>7}{'p95':>7}{'p99':>7}"]
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "TOTAL"
        lines.append(
            f"{name[:43]:<44}{row['Request Count']:>8}{row['Failure Count']:>7}"
            f"{float(row['Requests/s']):>9.1f}{row['50%']:>7}{row['95%']:>7}{row['99%']:>7}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run Locust headless against a server and print the summary."""
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.run_locust", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=None, help="an already running API (default: start one)")
    parser.add_argument("--workers", type=int, default=1, help="server workers when starting one")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=25.0)
    parser.add_argument("--run-time", type=int, default=30, help="seconds")
    parser.add_argument("--families", type=int, default=300, help="synthetic families in the pool")
    args = parser.parse_args(argv)

    with target(args.url, args.workers) as (url, token), tempfile.TemporaryDirectory() as tmp:
        prefix = str(Path(tmp) / "locust")
        env = dict(os.environ, FAMILYCARD_BUS_TOKEN=token, FAMILYCARD_LOADTEST_FAMILIES=str(args.families))
        cmd = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--only-summary",
            "-u",
            str(args.users),
            "-r",
            str(args.spawn_rate),
            "-t",
            f"{args.run_time}s",
            "--host",
            url,
            "--csv",
            prefix,
            "--stop-timeout",
            "5",
            "--loglevel",
            "WARNING",
        ]
        print(f"locust: {args.users} users for {args.run_time} s against {url}", flush=True)
        done = subprocess.run(cmd, env=env, check=False, capture_output=True, text=True)
        if not Path(f"{prefix}_stats.csv").exists():
            print(done.stdout[-3000:], done.stderr[-3000:], sep="\n", file=sys.stderr)
            print(f"locust produced no statistics (exit {done.returncode})", file=sys.stderr)
            return 1
        rows = read_stats(prefix)
    print(render(rows))
    total = next((r for r in rows if r["Name"] == "Aggregated"), None)
    if total is None or int(total["Request Count"]) == 0:
        print("no requests were made", file=sys.stderr)
        return 1
    print(
        f"requests/s {float(total['Requests/s']):.0f}; p50 {total['50%']} ms, p95 {total['95%']} ms, "
        f"p99 {total['99%']} ms; errors {total['Failure Count']} of {total['Request Count']}"
    )
    return 0 if int(total["Failure Count"]) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
