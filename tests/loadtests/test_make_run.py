"""`make run`'s orchestration (`service.devrun`), bounded: tokens, population, server, bus, stop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from service.localserver import free_port

REPO = Path(__file__).resolve().parents[2]


def test_make_run_starts_the_api_feeds_it_with_the_bus_verifies_and_stops(tmp_path: Path) -> None:
    env = dict(os.environ, FAMILYCARD_RULES_DIR=str(REPO / "rules"), PYTHONPATH=str(REPO))
    port = free_port()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "service.devrun",
            "--port",
            str(port),
            "--families",
            "100",
            "--events",
            "100",
            "--exit-after-bus",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    tokens = json.loads((tmp_path / "var" / "dev-tokens.json").read_text(encoding="utf-8"))
    assert tokens["development"] is True
    assert {t["role"] for t in tokens["tokens"]} == {"bus", "reviewer", "analyst", "auditor"}
    assert all(t["token"] in out for t in tokens["tokens"])  # printed for the developer
    assert (tmp_path / "var" / "familycard.db").exists()
    assert (tmp_path / "var" / "population-100-s1.jsonl").read_text(encoding="utf-8").count("\n") == 100
    assert "verify: CLEAN" in out
    assert "stopping the server" in out
