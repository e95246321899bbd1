"""The load-test tools: their arithmetic, their request bodies, and the wrk script against a sink."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from loadtests import bench_http, soak
from service import events as service_events
from tests.synthetic.test_bus_events import make_families


def test_the_soak_slope_is_zero_for_flat_memory_and_the_leak_rate_for_a_leak() -> None:
    flat = [(t * 10.0, 200.0 + (0.3 if t % 2 else -0.3)) for t in range(30)]
    leak = [(t * 10.0, 200.0 + t * 0.5) for t in range(30)]  # 0.5 MB per 10 s
    assert abs(soak.slope_per_minute(flat)) < 0.1
    assert soak.slope_per_minute(leak) == pytest.approx(3.0)
    assert soak.slope_per_minute([(0.0, 1.0)]) == 0.0


def result(name: str, rps_requests: int, p99: float, errors: int = 0, per_request: int = 1) -> bench_http.Result:
    return bench_http.Result(
        name=name,
        path=f"/v1/{name}",
        requests=rps_requests,
        seconds=1.0,
        p50_ms=1.0,
        p95_ms=2.0,
        p99_ms=p99,
        max_ms=p99,
        errors=errors,
        server_cpu=1.5,
        wrk_cpu=0.2,
        busiest=[0.75, 0.75],
        families_per_request=per_request,
    )


def test_the_benchmark_table_gives_each_throughput_as_a_ratio_of_echo_and_judges_the_goals() -> None:
    table = bench_http.render(
        [result("echo", 10000, 9.0), result("default", 6500, 12.0), result("trace", 2000, 30.0),
         result("events", 2500, 60.0), result("batch", 50, 900.0, per_request=100)],
        workers=2,
        connections=32,
        in_process=4000.0,
    )
    assert "65%" in table and "20%" in table and "25%" in table
    assert "goal default: >= 60% of echo, p99 < 20 ms, 0 errors: MET" in table
    assert "goal trace" not in table  # reported, no goal
    assert "goal events: >= 30% of echo, p99 < 50 ms, 0 errors: NOT MET (25%, p99 60.0 ms" in table
    assert "batch: 50 req/s x 100 families = 5,000 families/s" in table
    assert "goal batch: >= 70% of 2 x in-process 4,000 families/s = 8,000: NOT MET (62%, 0 errors)" in table
    assert "batch per server CPU-second: 3,333 families = 83% of the in-process rate per core" in table
    slow_default = bench_http.render([result("echo", 10000, 9.0), result("default", 7000, 25.0)], 2, 32)
    assert "goal default: >= 60% of echo, p99 < 20 ms, 0 errors: NOT MET (70%, p99 25.0 ms" in slow_default


def test_batch_bodies_are_ndjson_kept_on_one_line_for_wrk() -> None:
    snapshots = [json.dumps({"family_id": f"F{i}"}) for i in range(7)]
    bodies = bench_http.batch_bodies(snapshots, 3)
    assert all("\n" not in body for body in bodies)
    sent = [body.replace("@NL@", "\n") for body in bodies]  # what wrk_post.lua sends with WRK_NEWLINES set
    assert [[json.loads(line)["family_id"] for line in body.splitlines()] for body in sent] == [
        ["F0", "F1", "F2"], ["F3", "F4", "F5"]]


def fill(template: str, n: int) -> str:
    """What the Lua script does to a template for request n."""
    return template.replace("@ID@", f"run-1-{n}").replace("@TS@", f"2026-10-0{1 + n % 9}T10:00:00+00:00")


def test_event_templates_become_valid_distinct_events_once_filled() -> None:
    bodies = bench_http.event_bodies(make_families(40, seed=1), random.Random(1))
    assert len(bodies) == 40
    filled = [json.loads(fill(b, n)) for n, b in enumerate(bodies)]
    for event in filled:
        envelope = service_events.Envelope.model_validate(event)
        service_events.PAYLOADS[envelope.type].model_validate(envelope.payload)
    assert len({e["event_id"] for e in filled}) == 40
    assert {e["type"] for e in filled} == {"income.reported", "loan.changed"}


class Sink(BaseHTTPRequestHandler):
    """Accepts any POST, remembers the body, answers 200 (keep-alive, as wrk expects)."""

    protocol_version = "HTTP/1.1"
    bodies: ClassVar[list[bytes]] = []
    types: ClassVar[set[str]] = set()

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        Sink.bodies.append(self.rfile.read(length))
        Sink.types.add(self.headers.get("content-type", ""))
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        return


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        return  # wrk drops its connections mid-request when its time is up


@pytest.fixture
def sink() -> Iterator[str]:
    Sink.bodies = []
    Sink.types = set()
    server = QuietServer(("127.0.0.1", 0), Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_the_wrk_script_sends_a_fresh_event_id_and_its_own_time_with_every_request(sink: str, tmp_path: Path) -> None:
    template = bench_http.event_bodies(make_families(3, seed=2), random.Random(2))
    (tmp_path / "bodies.jsonl").write_text("\n".join(template) + "\n", encoding="utf-8")
    env = dict(
        os.environ, WRK_BODIES=str(tmp_path / "bodies.jsonl"), WRK_TOKEN="t", WRK_RUN="x", WRK_BASE_TIME="1790000000"
    )
    done = subprocess.run(
        ["wrk", "-t2", "-c4", "-d1s", "-s", str(bench_http.LUA), f"{sink}/v1/events"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    summary = json.loads(next(ln for ln in done.stdout.splitlines() if ln.startswith("WRKJSON "))[8:])
    events = [json.loads(b) for b in Sink.bodies]
    assert summary["requests"] >= len(events) - 8 and len(events) > 20
    assert len({e["event_id"] for e in events}) == len(events)
    assert all(e["occurred_at"].startswith("2026-") for e in events)
    per_thread: dict[str, list[str]] = {}
    for e in events:
        per_thread.setdefault(e["event_id"].split("-")[2], []).append(e["occurred_at"])
    assert len(per_thread) == 2
    assert all(len(set(times)) == len(times) for times in per_thread.values())
    assert summary["status_errors"] == 0 and summary["p99_us"] >= summary["p50_us"] > 0


def test_a_short_headless_locust_run_reports_requests_without_failures(capsys: pytest.CaptureFixture[str]) -> None:
    from loadtests import run_locust

    # Long enough that a busy machine still makes requests (3 s made none at load 7: issue 14).
    code = run_locust.main(["--users", "3", "--spawn-rate", "3", "--run-time", "10"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "/v1/eligibility" in out and "/v1/events [family.registered]" in out
    assert "errors 0 of" in out


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_the_wrk_script_sends_a_batch_as_ndjson(sink: str, tmp_path: Path) -> None:
    snapshots = [json.dumps({"family_id": f"F{i}"}) for i in range(6)]
    (tmp_path / "bodies.jsonl").write_text("\n".join(bench_http.batch_bodies(snapshots, 3)) + "\n", encoding="utf-8")
    env = dict(os.environ, WRK_BODIES=str(tmp_path / "bodies.jsonl"), WRK_TOKEN="t", WRK_RUN="x",
               WRK_CONTENT_TYPE=bench_http.NDJSON, WRK_NEWLINES="1")
    subprocess.run(["wrk", "-t1", "-c2", "-d1s", "-s", str(bench_http.LUA), f"{sink}/v1/eligibility/batch"],
                   env=env, capture_output=True, text=True, check=True, timeout=30)
    assert Sink.types == {bench_http.NDJSON} and len(Sink.bodies) > 2
    for body in Sink.bodies:
        assert len([json.loads(line) for line in body.decode().splitlines()]) == 3
