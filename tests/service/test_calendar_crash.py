"""The scheduler inside `familycard serve`, killed with SIGKILL in the middle of a catch-up.

A service holding 400 families registered in December 2025 starts a year later: the scheduler
catches up every change time made (1 January, birthdays, windows). Killed in the middle and
restarted, it must end exactly where an uninterrupted `familycard calendar run` on a copy of the
same database ends: the same ticks, entitlements, reviews and messages, nothing lost, nothing twice.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from service import localserver
from synthetic.bus import generated_population
from tests.service import builders as b
from tests.service.calendar_state import query, state
from tests.service.conftest import REPO, RULES, TOKENS, auth

pytestmark = pytest.mark.slow
FAMILIES = 400


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=REPO,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    localserver.wait_healthy(f"http://127.0.0.1:{port}", proc, timeout=60, log=log)
    return proc


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    os.killpg(proc.pid, sig)
    proc.wait(timeout=30)


def test_a_catch_up_killed_in_the_middle_ends_where_an_uninterrupted_one_does(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"tokens": [{"name": f"{r}-1", "role": r, "token": t} for r, t in TOKENS.items()]}))
    db = tmp_path / "calendar.db"
    env = {
        **os.environ,
        "FAMILYCARD_DATABASE_URL": f"sqlite:///{db}",
        "FAMILYCARD_TOKENS_FILE": str(tokens),
        "FAMILYCARD_RULES_DIR": str(RULES),
        "FAMILYCARD_LOG_LEVEL": "WARNING",
        "FAMILYCARD_CALENDAR_INTERVAL_S": "0",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    port = localserver.free_port()
    log = tmp_path / "server.log"

    # December 2025: the families are registered and half of the offers accepted; no scheduler yet.
    proc = _serve(env, port, log)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=auth("bus"), timeout=30) as client:
            for snap in generated_population(FAMILIES, 5, dt.date(2025, 12, 1)):
                answer = client.post(
                    "/v1/events", json=b.event("family.registered", snap, "2025-12-10T10:00:00+05:00")
                ).json()
                for offer in answer["effects"]["offers_created"][::2]:
                    consent = {"offer_id": offer["offer_id"], "accepted": True, "channel": "sms-1414"}
                    client.post("/v1/events", json=b.event("consent.received", consent, "2025-12-12T10:00:00+05:00"))
    finally:
        _stop(proc)

    # The reference: the same database, caught up by one uninterrupted run.
    reference = tmp_path / "reference.db"
    shutil.copy(db, reference)
    run = subprocess.run(
        [sys.executable, "-m", "service.cli", "calendar", "run", "--database-url", f"sqlite:///{reference}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    expected = state(reference)
    assert len(expected["ticks"]) > FAMILIES  # 1 January for everyone, and the birthdays
    assert expected["reviews"] and expected["amounts"]

    # The service itself, killed in the middle of the same catch-up, then restarted.
    env["FAMILYCARD_CALENDAR_INTERVAL_S"] = "0.2"
    proc = _serve(env, port, log)
    try:
        deadline = time.monotonic() + 120
        done = 0
        while time.monotonic() < deadline:
            done = query(db, "SELECT count(*) FROM events WHERE type = 'calendar.tick'")[0][0]
            if done >= len(expected["ticks"]) // 3:
                break
            time.sleep(0.01)
        _stop(proc, signal.SIGKILL)
        assert 0 < done < len(expected["ticks"]), "the kill did not land in the middle of the catch-up"
        proc = _serve(env, port, log)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if state(db)["ticks"] == expected["ticks"]:
                break
            time.sleep(0.5)
        time.sleep(1.0)  # anything the scheduler would still do, it would do now
        assert state(db) == expected
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            assert client.get("/v1/audit/verify", headers=auth("auditor")).json()["ok"] is True
    finally:
        _stop(proc)
