"""`familycard serve` killed with SIGKILL in the middle of a bus run, then restarted.

Every event the bus saw acknowledged must be there with all its effects, and none applied twice:
redelivering everything after the restart answers `duplicate` for each acknowledged event, and
each family holds exactly one new child per birth event.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from service import localserver
from tests.service import builders as b
from tests.service.conftest import REPO, RULES, TOKENS, auth

pytestmark = pytest.mark.slow


def _start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=REPO, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    localserver.wait_healthy(f"http://127.0.0.1:{port}", proc, timeout=60, log=log)
    return proc


def test_acknowledged_events_survive_sigkill_exactly_once(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"tokens": [{"name": f"{r}-1", "role": r, "token": t} for r, t in TOKENS.items()]}))
    env = {**os.environ, "FAMILYCARD_DATABASE_URL": f"sqlite:///{tmp_path / 'crash.db'}",
           "FAMILYCARD_TOKENS_FILE": str(tokens), "FAMILYCARD_RULES_DIR": str(RULES), "FAMILYCARD_LOG_LEVEL": "WARNING"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    port = localserver.free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    families = [b.make_family(f"FAM-K{i}", children=2, first_child_born="2012-01-01") for i in range(8)]
    births = [
        b.event("birth.registered", b.newborn(f["family_id"], f"2026-02-{day:02d}"),
                f"2026-02-{day:02d}T09:00:00+05:00")
        for day in range(1, 13) for f in families
    ]
    acked: set[str] = set()
    proc = _start(env, port, log)
    try:
        with httpx.Client(base_url=url, headers=auth("bus"), timeout=10) as client:
            for f in families:
                registered = b.event("family.registered", f, "2026-01-15T09:00:00+05:00")
                assert client.post("/v1/events", json=registered).status_code == 200

            def deliver(event: dict[str, Any]) -> None:
                try:
                    if client.post("/v1/events", json=event).status_code == 200:
                        acked.add(event["event_id"])
                except httpx.HTTPError:
                    pass  # the server died mid-request: not acknowledged

            with ThreadPoolExecutor(max_workers=6) as pool:
                futures = [pool.submit(deliver, e) for e in births]
                while len(acked) < len(births) // 3:
                    time.sleep(0.005)
                os.killpg(proc.pid, signal.SIGKILL)
                for future in futures:
                    future.result()
        proc.wait(timeout=10)
        assert 0 < len(acked) < len(births)

        proc = _start(env, port, log)
        with httpx.Client(base_url=url, timeout=10) as client:
            for event in births:
                if event["event_id"] in acked:
                    status = client.get(f"/v1/events/{event['event_id']}", headers=auth("auditor")).json()
                    assert status["status"] == "applied", event["event_id"]
            for event in births:  # the bus redelivers everything it is unsure of, and more
                answer = client.post("/v1/events", json=event, headers=auth("bus")).json()
                if event["event_id"] in acked:
                    assert answer["status"] == "duplicate"
                else:
                    assert answer["status"] in ("applied", "duplicate")
            for f in families:
                record = client.get(f"/v1/families/{f['family_id']}", headers=auth("reviewer")).json()
                children = [m for m in record["snapshot"]["members"] if m["relation"] == "child"]
                assert len(children) == 2 + 12
                assert len({m["iin"] for m in children}) == len(children)
            assert client.get("/v1/audit/verify", headers=auth("auditor")).json()["ok"] is True
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
