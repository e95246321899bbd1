"""A sustained run: the bus at a steady rate for N minutes, the server's memory sampled throughout.

durable-rules keeps every asserted fact until it is retracted, so an evaluator that forgets one
retraction grows without bound; a soak is how that shows. The server's resident memory (all its
processes) is sampled every `--every` seconds while `familycard bus --rate R --duration S
--verify` runs in a separate process; at the end it prints the series, the growth after warm-up
and the least-squares slope over the second half, and the bus's own verification.

    .venv/bin/python -m loadtests.soak [--minutes 10] [--rate 25] [--families 500]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from loadtests.server import running_server

MB = 1024 * 1024


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) points, in MB per minute."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    cov = sum((t - mean_t) * (v - mean_v) for t, v in points)
    return cov / var * 60


def main(argv: list[str] | None = None) -> int:
    """Run the soak and print the memory series and the verdict."""
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.soak", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=20.0, help="life events per second")
    parser.add_argument("--families", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between memory samples")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--max-slope", type=float, default=1.0, help="MB/min allowed in the second half")
    args = parser.parse_args(argv)

    seconds = args.minutes * 60
    series: list[tuple[float, float]] = []
    with running_server(workers=args.workers) as server, tempfile.TemporaryDirectory() as tmp:
        env = dict(
            os.environ, FAMILYCARD_BUS_TOKEN=server.tokens["bus"], FAMILYCARD_AUDITOR_TOKEN=server.tokens["auditor"]
        )
        cmd = [
            sys.executable,
            "-m",
            "service.cli",
            "bus",
            "--url",
            server.url,
            "--families",
            str(args.families),
            "--events",
            str(int(args.rate * seconds) + 1),
            "--rate",
            str(args.rate),
            "--duration",
            str(seconds),
            "--seed",
            str(args.seed),
            "--ledger",
            str(Path(tmp) / "ledger.jsonl"),
            "--verify",
        ]
        print(
            f"soak: {args.rate:g} events/s for {args.minutes:g} min against {server.url} "
            f"({args.workers} worker(s)); RSS every {args.every:g} s",
            flush=True,
        )
        started = time.monotonic()
        bus = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        next_sample = started
        while bus.poll() is None:
            now = time.monotonic()
            if now >= next_sample:
                rss = server.rss_bytes() / MB
                series.append((now - started, rss))
                print(f"  t={now - started:6.0f} s  RSS {rss:7.1f} MB", flush=True)
                next_sample += args.every
            time.sleep(0.2)
        series.append((time.monotonic() - started, server.rss_bytes() / MB))
        output = bus.stdout.read() if bus.stdout else ""
        code = bus.returncode
    print(output.rstrip())
    warm = next((v for t, v in series if t >= min(60.0, seconds / 4)), series[0][1])
    second_half = [(t, v) for t, v in series if t >= series[-1][0] / 2]
    slope = slope_per_minute(second_half)
    print("RSS series (s, MB): " + ", ".join(f"{t:.0f}:{v:.1f}" for t, v in series))
    print(
        f"RSS first {series[0][1]:.1f} MB, after warm-up {warm:.1f} MB, last {series[-1][1]:.1f} MB; "
        f"growth after warm-up {series[-1][1] - warm:+.1f} MB; slope over second half {slope:+.2f} MB/min"
    )
    flat = slope <= args.max_slope
    print(f"memory flat (slope <= {args.max_slope} MB/min): {'yes' if flat else 'NO'}; bus exit code {code}")
    return 0 if flat and code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
