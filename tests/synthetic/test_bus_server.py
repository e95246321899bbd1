"""`familycard bus --verify` against a real `familycard serve` subprocess, faults switched on."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from loadtests.server import Server, running_server
from service.cli import main
from synthetic import rich
from tests.synthetic.test_bus_events import make_families


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_server(workers=1) as running:
        yield running


def test_the_bus_with_duplicates_and_reordering_ends_with_a_clean_verify(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Thirty families of the synthetic population (drawn from a larger one: the generator's
    # small-population edge is not this test's subject).
    population = tmp_path / "population.jsonl"
    families = list(itertools.islice(rich.generate_families(200, 1, dt.date(2026, 3, 1)), 30))
    population.write_text("\n".join(json.dumps(f) for f in families) + "\n", encoding="utf-8")
    ledger = tmp_path / "ledger.jsonl"
    monkeypatch.setenv("FAMILYCARD_BUS_TOKEN", server.tokens["bus"])
    monkeypatch.setenv("FAMILYCARD_AUDITOR_TOKEN", server.tokens["auditor"])
    code = main(
        [
            "bus",
            "--url",
            server.url,
            "--events",
            "300",
            "--seed",
            "8",
            "--population",
            str(population),
            "--duplicates",
            "0.15",
            "--reorder",
            "0.15",
            "--concurrency",
            "6",
            "--ledger",
            str(ledger),
            "--verify",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "verify: CLEAN" in out
    records = [json.loads(line) for line in ledger.read_text(encoding="utf-8").splitlines()]
    statuses = [r["ack_status"] for r in records]
    assert statuses.count("duplicate") >= 20  # the faults really happened ...
    assert any(r["response"].get("late") for r in records if r["ack_status"] == "applied")  # ... out of order too
    assert sum(1 for r in records if r["type"] == "consent.received") > 0
    # Nothing was lost; the only refusals are replies to offers closed meanwhile (verify checks why).
    assert all(r["final"] == "acked" or r["type"] == "consent.received" for r in records)

    # The same ledger verifies again on its own, without the run's ground truth.
    assert main(["bus", "--url", server.url, "--events", "0", "--ledger", str(ledger), "--verify"]) == 0
    assert "verify: CLEAN" in capsys.readouterr().out


def test_a_wrong_token_is_refused_and_the_bus_says_so(
    server: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    population = tmp_path / "population.jsonl"
    population.write_text(json.dumps(make_families(1, seed=9)[0]) + "\n", encoding="utf-8")
    code = main(
        [
            "bus",
            "--url",
            server.url,
            "--events",
            "5",
            "--population",
            str(population),
            "--token",
            "not-a-token-at-all",
            "--ledger",
            str(tmp_path / "ledger.jsonl"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "stopped: the API answered 401 to the bus token" in err
