"""HTTP capacity of one server, in one run: echo ceiling, eligibility's shapes, events, batches.

It starts `familycard serve --workers N` (uvloop + httptools) with `FAMILYCARD_BENCH_ECHO=1`
and a temp SQLite database, registers families, then drives the endpoints in turn with wrk (a
C load generator that needs 0.1-0.3 core, where Locust would take the second core from the
server): (a) `POST /v1/echo`, the framework's ceiling on this machine; (b) `POST
/v1/eligibility` with family snapshots, the default answer (one language, no trace); (c) the
same with `?explain=full`, the trace; (d) `POST /v1/events` with a fresh event id per request
(income reports and loan changes of registered families), each stored and re-evaluated; (e)
`POST /v1/eligibility/batch`, NDJSON bodies of `--batch-size` snapshots answered as NDJSON. It
prints req/s, latency percentiles, errors, CPU of server and generator, and each ratio to echo;
then the batch's families/s against the in-process `Engine` rate measured in the same run (the
snapshot validated from JSON and answered by `Engine.answer_json`, one core, server idle).

    .venv/bin/python -m loadtests.bench_http [--workers 2] [--duration 10] [--connections 32]

Goals on 2 cores: default answer >= 60 % of echo with p99 < 20 ms; events >= 30 % of echo with
p99 < 50 ms; no errors; batch families/s >= 70 % of workers x the in-process rate. The trace's
ratio is reported, with no goal (it is the expensive, rare call).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil

from engine import model
from engine.api import Engine
from loadtests import population
from loadtests.server import Server, running_server
from synthetic import events as synth_events

LUA = Path(__file__).with_name("wrk_post.lua")
GOALS = {"default": (0.60, 20.0), "events": (0.30, 50.0)}  # (share of echo's req/s, p99 in ms)
NDJSON = "application/x-ndjson"
BATCH_GOAL = 0.70  # batch families/s over HTTP, as a share of workers x the in-process rate


@dataclasses.dataclass
class Result:
    """One wrk run against one endpoint."""

    name: str
    path: str
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    server_cpu: float
    wrk_cpu: float
    busiest: list[float]
    families_per_request: int = 1

    @property
    def rps(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def families_per_second(self) -> float:
        """Families answered per second (a batch request answers several)."""
        return self.rps * self.families_per_request


def ensure_wrk() -> str:
    """The wrk binary; installed from the Debian packages when missing (printed, as it happens)."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found: installing it from the Debian packages (apt-get update; apt-get install -y wrk)")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-q"], check=True)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-q", "wrk"], check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("apt-get install wrk did not provide a wrk binary")
    return found


def prepare(server: Server, families: list[dict[str, Any]]) -> None:
    """Register the families the events benchmark reports on."""
    headers = {"authorization": f"Bearer {server.tokens['bus']}", "content-type": "application/json"}
    start = synth_events.registration_events(families, seed=1, at=synth_events.START_DEFAULT)
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        for event in start:
            response = client.post("/v1/events", content=orjson.dumps(event))
            if response.status_code != 200:
                raise SystemExit(f"registering {event['payload']['family_id']}: {response.status_code} {response.text}")


def event_bodies(families: list[dict[str, Any]], rng: random.Random) -> list[str]:
    """Event templates: an income report or a loan change per family, `@ID@`/`@TS@` filled by wrk."""
    lines = []
    for family in families:
        member = rng.choice(family["members"])
        if rng.random() < 0.75:
            etype, payload = (
                "income.reported",
                {
                    "family_id": family["family_id"],
                    "iin": member["iin"],
                    "monthly_income_kzt": round(rng.uniform(0, 600_000), -2),
                },
            )
        else:
            etype, payload = (
                "loan.changed",
                {"family_id": family["family_id"], "non_mortgage_outstanding": round(rng.uniform(0, 2e6), -3)},
            )
        envelope = {
            "event_id": "bench-@ID@",
            "type": etype,
            "occurred_at": "@TS@",
            "source": synth_events.SOURCES[etype],
            "payload": payload,
        }
        lines.append(json.dumps(envelope, separators=(",", ":")))
    rng.shuffle(lines)
    return lines


def cpu_seconds(server: Server) -> dict[int, float]:
    """User plus system CPU time so far of each process of the server (supervisor and workers)."""
    out: dict[int, float] = {}
    for proc in server.processes():
        try:
            times = proc.cpu_times()
        except psutil.Error:  # a process that just exited has no times left to count
            continue
        out[proc.pid] = times.user + times.system
    return out


def run_wrk(
    wrk: str,
    server: Server,
    name: str,
    path: str,
    bodies: list[str],
    *,
    duration: float,
    connections: int,
    threads: int,
    run_tag: str,
    base_time: int,
    content_type: str = "application/json",
) -> Result:
    """One wrk run; CPU of both sides measured over the same interval."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as fh:
        fh.write("\n".join(bodies) + "\n")
        bodies_path = fh.name
    env = dict(os.environ)
    env.update(
        WRK_BODIES=bodies_path,
        WRK_TOKEN=server.tokens["bus"],
        WRK_RUN=run_tag,
        WRK_BASE_TIME=str(base_time),
        WRK_CONTENT_TYPE=content_type,
        WRK_NEWLINES="1" if content_type == NDJSON else "",
    )
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{int(duration)}s",
        "--timeout",
        "5s",
        "-s",
        str(LUA),
        f"{server.url}{path}",
    ]
    before_server = cpu_seconds(server)
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    after_server = cpu_seconds(server)
    per_process = sorted(
        ((after_server[pid] - before_server.get(pid, 0.0)) / duration for pid in after_server), reverse=True
    )
    wrk_cpu = (
        after_children.ru_utime + after_children.ru_stime - before_children.ru_utime - before_children.ru_stime
    ) / duration
    Path(bodies_path).unlink(missing_ok=True)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no summary (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("WRKJSON "))
    errors = sum(data[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
    return Result(
        name=name,
        path=path,
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        errors=errors,
        server_cpu=sum(per_process),
        wrk_cpu=wrk_cpu,
        busiest=[round(c, 2) for c in per_process[:4]],
    )


def render(results: list[Result], workers: int, connections: int, load: str = "",
           in_process: float | None = None) -> str:
    """The table, ratios to echo and the goals; the batch against `workers` x the in-process rate."""
    echo = results[0].rps or 1.0
    width = max(18, *(len(r.path) + 2 for r in results))
    lines = [
        f"server: familycard serve --workers {workers} (uvloop, httptools), SQLite; "
        f"wrk -c{connections}; {os.cpu_count()} CPUs, Python {platform.python_version()}{load}",
        f"{'endpoint':<10}{'path':<{width}}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'srv CPU':>9}{'wrk CPU':>9}{'/ echo':>8}{'CPU ms':>8}  per process (cores)",
    ]
    for r in results:
        # "/ echo": families answered per second over echo's requests per second (one family a request
        # but for a batch); "CPU ms": the server's CPU per family.
        per_family = r.server_cpu / r.families_per_second * 1000 if r.families_per_second else 0.0
        lines.append(
            f"{r.name:<10}{r.path:<{width}}{r.rps:>9.0f}{r.p50_ms:>9.2f}{r.p95_ms:>9.2f}{r.p99_ms:>9.2f}{r.errors:>8}"
            f"{r.server_cpu:>9.0%}{r.wrk_cpu:>9.0%}{r.families_per_second / echo:>8.0%}{per_family:>8.3f}"
            f"  {' '.join(f'{c:.2f}' for c in r.busiest)}"
        )
    for r in results[1:]:
        if r.name not in GOALS:
            continue
        share, p99_goal = GOALS[r.name]
        verdict = r.rps / echo >= share and r.p99_ms < p99_goal and r.errors == 0
        lines.append(
            f"goal {r.name}: >= {share:.0%} of echo, p99 < {p99_goal:.0f} ms, 0 errors: "
            f"{'MET' if verdict else 'NOT MET'} ({r.rps / echo:.0%}, p99 {r.p99_ms:.1f} ms, {r.errors} errors)"
        )
    for r in results:
        if r.families_per_request == 1:
            continue
        lines.append(f"{r.name}: {r.rps:,.0f} req/s x {r.families_per_request} families = "
                     f"{r.families_per_second:,.0f} families/s")
        if in_process:
            share = r.families_per_second / (workers * in_process)
            verdict = share >= BATCH_GOAL and r.errors == 0
            lines.append(
                f"goal {r.name}: >= {BATCH_GOAL:.0%} of {workers} x in-process {in_process:,.0f} families/s "
                f"= {workers * in_process:,.0f}: {'MET' if verdict else 'NOT MET'} ({share:.0%}, {r.errors} errors)"
            )
            if r.server_cpu:
                # What the server did with the CPU it got: on a shared machine it may get far less than
                # `workers` cores, and then this is the figure that compares with the in-process rate.
                per_core = r.families_per_second / r.server_cpu
                lines.append(f"{r.name} per server CPU-second: {per_core:,.0f} families = {per_core / in_process:.0%} "
                             f"of the in-process rate per core (server CPU {r.server_cpu:.0%} of {workers} cores)")
    return "\n".join(lines)


def in_process_rate(snapshots: list[str], as_of: dt.date, seconds: float = 3.0, trace: bool = False) -> float:
    """Families/s on one core of what a batch does per family: validate the JSON, `Engine.answer_json`.

    The same snapshots in the same order as the server gets them, after one unmeasured pass (the
    server's decision memos are warm by the time the batch is measured too). With `trace`, the
    trace (`Engine.evaluate_json`) instead: what the engine saves by not writing it.
    """
    engine = Engine.load()
    raw = [s.encode() for s in snapshots]

    def answer(body: bytes) -> bytes:
        family = model.Family.model_validate_json(body)
        return engine.evaluate_json(family, as_of) if trace else engine.answer_json(family, as_of)

    for body in raw:
        answer(body)
    done = 0
    started = time.process_time()
    while time.process_time() - started < seconds:
        for body in raw[:500]:
            answer(body)
        done += min(500, len(raw))
        raw = raw[500:] + raw[:500]
    return done / (time.process_time() - started)


def batch_bodies(snapshots: list[str], size: int) -> list[str]:
    """NDJSON batches of `size` snapshots each, kept on one line for wrk (`@NL@` for each line break)."""
    count = max(1, len(snapshots) // size)
    return ["@NL@".join(snapshots[i * size:(i + 1) * size] or snapshots[:size]) + "@NL@" for i in range(count)]


def main(argv: list[str] | None = None) -> int:
    """Run the three benchmarks against one server and print the table."""
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.bench_http", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (1 for the one-core variant)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of unmeasured load per endpoint")
    parser.add_argument("--connections", type=int, default=32)
    # Two wrk threads open their connections concurrently, which spreads them over both uvicorn
    # workers; with one thread a single worker often accepts all of them and the run measures one core.
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--families", type=int, default=1000, help="families registered for the events run")
    parser.add_argument("--snapshots", type=int, default=5000,
                        help="distinct family snapshots sent to /v1/eligibility (and /v1/echo), in turn")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--batch-size", type=int, default=100, help="families per batch request")
    parser.add_argument("--batch-connections", type=int, default=8,
                        help="wrk connections for batches (each one keeps a worker busy for a while)")
    parser.add_argument("--only", default=None,
                        help="comma-separated subset of default,trace,events,batch (echo, the reference, always runs)")
    parser.add_argument("--json", dest="json_out", default=None, help="also write the results to this file")
    args = parser.parse_args(argv)

    wrk = ensure_wrk()
    rng = random.Random(args.seed)
    fams = population.families(args.families, seed=args.seed, prefix="BENCH-")
    # Distinct families, more than the engine remembers explained decisions for per benefit, so
    # that what it finds again is what families genuinely share, not the same snapshot resent.
    snapshots = [json.dumps(f, separators=(",", ":"))
                 for f in population.families(args.snapshots, seed=args.seed + 1, prefix="ELIG-")]
    load_before = os.getloadavg()[0]
    with running_server(workers=args.workers, extra_env={"FAMILYCARD_BENCH_ECHO": "1"}) as server:
        print(f"server up at {server.url}; registering {len(fams)} families ...", flush=True)
        if not args.only or "events" in args.only.split(","):
            prepare(server, fams)
        plan = [
            ("echo", "/v1/echo", snapshots, 1),
            ("default", "/v1/eligibility", snapshots, 1),
            ("trace", "/v1/eligibility?explain=full", snapshots, 1),
            ("events", "/v1/events", event_bodies(fams, rng), 1),
            ("batch", "/v1/eligibility/batch", batch_bodies(snapshots, args.batch_size), args.batch_size),
        ]
        if args.only:
            wanted = {"echo", *args.only.split(",")}
            plan = [step for step in plan if step[0] in wanted]
        results = []
        # Event times start a month ago and move forward across runs, so no run's events arrive
        # late for a family that an earlier run already updated.
        clock = [int(time.time()) - 30 * 86400]

        def once(name: str, path: str, bodies: list[str], seconds: float, tag: str, per_request: int) -> Result:
            result = run_wrk(
                wrk,
                server,
                name,
                path,
                bodies,
                duration=seconds,
                connections=args.batch_connections if per_request > 1 else args.connections,
                threads=args.threads,
                run_tag=tag,
                base_time=clock[0],
                content_type=NDJSON if per_request > 1 else "application/json",
            )
            clock[0] += result.requests * 8 + 3600
            result.families_per_request = per_request
            return result

        in_process = None
        for name, path, bodies, per_request in plan:
            if per_request > 1:
                # The in-process rate on this machine now, the server idle, for the batch's goal.
                today = dt.datetime.now(dt.UTC).date()
                in_process = in_process_rate(snapshots, today)
                traced = in_process_rate(snapshots, today, trace=True)
                print(f"  in-process Engine, one core: validate + answer_json {in_process:,.0f} families/s "
                      f"({1000 / in_process:.3f} ms each); validate + evaluate_json (the trace) {traced:,.0f} "
                      f"families/s ({1000 / traced:.3f} ms)", flush=True)
            if args.warmup > 0:
                once(name, path, bodies, args.warmup, f"w{name}", per_request)
            result = once(name, path, bodies, args.duration, f"m{name}", per_request)
            print(f"  {name}: {result.rps:.0f} req/s, p99 {result.p99_ms:.1f} ms, {result.errors} errors", flush=True)
            results.append(result)
    # Other work on the machine shows in the load average; figures taken above ~0.5 are noisy.
    print(render(results, args.workers, args.connections, load=f"; load average before {load_before:.2f}",
                 in_process=in_process))
    if args.json_out:
        rows = [{**dataclasses.asdict(r), "rps": r.rps, "families_per_second": r.families_per_second} for r in results]
        Path(args.json_out).write_text(
            json.dumps({"results": rows, "in_process_families_per_second": in_process}, indent=2), encoding="utf-8",
        )
    return 0 if all(r.errors == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
