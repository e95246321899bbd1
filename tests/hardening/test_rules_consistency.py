"""Issue 11, item 1: every worker and instance serves the one rule set of the current generation.

The race as it was found: two workers, a reload, the files broken on disk right after, and the
workers then served two versions under one generation for good. Here two instances of two
workers each share one database; a seeded sequence of good and broken reloads (sent to either
instance, the files edited or broken on disk in between) must leave every worker answering the
same version within a few seconds, and every event applied records that version.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from engine import rulecontent
from service import localserver, ruleset
from service.store import db as store_db
from tests.service import builders as b
from tests.service.conftest import REPO, RULES, TOKENS, auth

SETTLE_SECONDS = 6.0
LARGE = Path("benefits") / "large_family_allowance.yaml"


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def _start(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = localserver.free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=REPO,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    localserver.wait_healthy(url, proc, timeout=90, log=log)
    return proc, url


@pytest.fixture
def instances(tmp_path: Path, rules_copy: Path, database_url: str) -> Iterator[list[str]]:
    """Two instances of `familycard serve --workers 2` on one database and one rules directory."""
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"tokens": [{"name": f"{r}-1", "role": r, "token": t} for r, t in TOKENS.items()]}))
    env = {
        **os.environ,
        "FAMILYCARD_DATABASE_URL": database_url,
        "FAMILYCARD_TOKENS_FILE": str(tokens),
        "FAMILYCARD_RULES_DIR": str(rules_copy),
        "FAMILYCARD_LOG_LEVEL": "WARNING",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    procs: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for i in range(2):
            proc, url = _start(env, tmp_path / f"server-{i}.log")
            procs.append(proc)
            urls.append(url)
        yield urls
    finally:
        for proc in procs:
            localserver.stop(proc)


def _versions(urls: list[str], asks: int = 12) -> tuple[set[str], set[int]]:
    """The versions every answer gave (each instance asked several times, so both its workers answer)."""
    seen: set[str] = set()
    pids: set[int] = set()
    for url in urls:
        for _ in range(asks):
            with httpx.Client(base_url=url, timeout=10) as client:  # a new connection: any worker may take it
                seen.add(client.get("/v1/rules", headers=auth("analyst")).json()["version"])
                health = client.get("/healthz").json()
                seen.add(health["ruleset_version"])
                pids.add(health["pid"])
    return seen, pids


def _settled(urls: list[str], expected: str) -> set[int]:
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        seen, pids = _versions(urls)
        if seen == {expected}:
            return pids
        if time.monotonic() > deadline:
            raise AssertionError(
                f"workers still answer {sorted(seen)} {SETTLE_SECONDS} s after the reload; expected only {expected}"
            )
        time.sleep(0.2)


def _edit(rules: Path, rng: random.Random, step: int) -> None:
    path = rules / LARGE
    path.write_text(path.read_text(encoding="utf-8") + f"\n# edit {step} {rng.random()}\n", encoding="utf-8")


def _break(rules: Path) -> str:
    path = rules / LARGE
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("children_under_18_or_students", "chidren_under_18_or_students"), encoding="utf-8")
    return good


@pytest.mark.slow
def test_after_any_sequence_of_good_and_broken_reloads_every_worker_serves_one_version(
    instances: list[str], rules_copy: Path, database_url: str
) -> None:
    rng = random.Random(11)
    expected = httpx.get(f"{instances[0]}/v1/rules", headers=auth("analyst")).json()["version"]
    pids = _settled(instances, expected)
    families = 0
    for step in range(8):
        target = rng.choice(instances)
        kind = rng.choice(["good", "broken", "good_then_broken", "unchanged"])
        good_text = (rules_copy / LARGE).read_text(encoding="utf-8")
        if kind in ("good", "good_then_broken"):
            _edit(rules_copy, rng, step)
        elif kind == "broken":
            _break(rules_copy)
        answer = httpx.post(f"{target}/v1/rules/reload", headers=auth("analyst"), timeout=30)
        if kind == "broken":
            assert answer.status_code == 422, answer.text
            (rules_copy / LARGE).write_text(good_text, encoding="utf-8")  # mended, but never reloaded
            _edit(rules_copy, rng, 100 + step)  # and edited again on disk: still not what is served
        else:
            assert answer.status_code == 200, answer.text
            expected = answer.json()["version"]
            if kind == "good_then_broken":
                _break(rules_copy)  # right after the reload, as in the report
        pids |= _settled(instances, expected)
        for url in instances:
            for _ in range(3):
                families += 1
                event = b.event(
                    "family.registered", b.make_family(f"FAM-R{families}", children=4, first_child_born="2010-03-10")
                )
                applied = httpx.post(f"{url}/v1/events", json=event, headers=auth("bus"), timeout=30)
                assert applied.status_code == 200, applied.text
                assert applied.json()["ruleset_version"] == expected
        # Restore a loadable directory for the next step's edits.
        (rules_copy / LARGE).write_text(good_text, encoding="utf-8")
    assert len(pids) >= 3, f"the answers came from too few workers to show anything: {pids}"
    engine = store_db.create_engine(database_url)
    try:
        with engine.connect() as conn:
            stored = {r.version for r in conn.execute(sa.text("SELECT version FROM rule_sets"))}
            used = {r.ruleset_version for r in conn.execute(sa.text("SELECT DISTINCT ruleset_version FROM decisions"))}
    finally:
        engine.dispose()
    assert used <= stored, "a decision names a rule set that was never validated and stored"


def test_a_worker_catching_up_loads_the_stored_content_not_the_directory(
    client_for: Any, database_url: str, rules_copy: Path
) -> None:
    first = client_for(database_url, rules_dir=rules_copy)
    second = client_for(database_url, rules_dir=rules_copy)
    _edit(rules_copy, random.Random(1), 1)
    reloaded = first.post("/v1/rules/reload", headers=auth("analyst")).json()["version"]
    _edit(rules_copy, random.Random(2), 2)  # the directory moves on; nobody reloaded it
    event = b.event("family.registered", b.make_family(children=1))
    assert second.post("/v1/events", json=event, headers=auth("bus")).json()["ruleset_version"] == reloaded
    assert second.get("/v1/rules", headers=auth("analyst")).json()["version"] == reloaded
    files, _ = rulecontent.read(rules_copy)
    assert rulecontent.load(files, origin=rules_copy)[0] is not None  # the directory is valid, just newer


def test_an_instance_started_later_serves_the_current_generation_not_its_directory(
    client_for: Any, database_url: str, rules_copy: Path
) -> None:
    first = client_for(database_url, rules_dir=rules_copy)
    _edit(rules_copy, random.Random(3), 3)
    reloaded = first.post("/v1/rules/reload", headers=auth("analyst")).json()
    _edit(rules_copy, random.Random(4), 4)
    later = client_for(database_url, rules_dir=rules_copy)
    info = later.get("/v1/rules", headers=auth("analyst")).json()
    assert (info["version"], info["generation"]) == (reloaded["version"], reloaded["generation"])


def test_a_worker_that_cannot_load_the_generation_refuses_events_with_503_then_heals(
    client_for: Any, database_url: str, rules_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = client_for(database_url, rules_dir=rules_copy)
    second = client_for(database_url, rules_dir=rules_copy)
    old = second.get("/healthz").json()["ruleset_version"]
    real_load = rulecontent.load
    failing = {"on": True}

    def load(files: rulecontent.RuleFiles, *, origin: Path) -> Any:
        if failing["on"]:
            raise OSError("simulated: no space left for the rule files")
        return real_load(files, origin=origin)

    _edit(rules_copy, random.Random(5), 5)
    reloaded = first.post("/v1/rules/reload", headers=auth("analyst")).json()["version"]
    monkeypatch.setattr(rulecontent, "load", load)
    event = b.event("family.registered", b.make_family("FAM-STALE", children=1))
    refused = second.post("/v1/events", json=event, headers=auth("bus"))
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
    assert refused.json()["detail"][0]["type"] == "rules_unavailable"
    health = second.get("/healthz").json()
    assert health["ruleset_version"] == old and health["rules"]["state"] == "stale"
    assert health["rules"]["wanted_version"] == reloaded
    metrics = second.get("/metrics").text
    assert "familycard_ruleset_stale 1.0" in metrics
    assert second.get("/v1/events/" + event["event_id"], headers=auth("auditor")).status_code == 404  # nothing kept
    asked = second.post("/v1/eligibility", json=b.make_family(children=2), params={"as_of": "2026-03-01"},
                        headers=auth("analyst"))
    assert asked.status_code == 503  # no answer on the old version either
    failing["on"] = False
    time.sleep(ruleset.RETRY_SECONDS + 0.1)
    applied = second.post("/v1/events", json=event, headers=auth("bus"))
    assert applied.status_code == 200 and applied.json()["ruleset_version"] == reloaded
    assert second.get("/healthz").json()["rules"]["state"] == "current"
    metrics = second.get("/metrics").text
    assert f'familycard_ruleset_loaded{{version="{reloaded}"}} 1.0' in metrics
    assert "familycard_ruleset_stale 0.0" in metrics


def test_a_reload_removing_a_held_benefit_is_refused_unless_allowed_and_then_every_holder_goes_to_review(
    client_for: Any, database_url: str, rules_copy: Path
) -> None:
    client = client_for(database_url, rules_dir=rules_copy)
    before = client.get("/v1/rules", headers=auth("analyst")).json()
    family = b.make_family("FAM-HOLDS", children=4, first_child_born="2010-03-10")
    effects = client.post("/v1/events", json=b.event("family.registered", family), headers=auth("bus")).json()
    assert "large_family_allowance" in {o["benefit"] for o in effects["effects"]["offers_created"]}
    (rules_copy / LARGE).unlink()

    refused = client.post("/v1/rules/reload", headers=auth("analyst"))
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"][0]
    assert detail["loc"] == ["query", "allow_removal"] and "large_family_allowance (1 family)" in detail["msg"]
    assert client.get("/v1/rules", headers=auth("analyst")).json()["version"] == before["version"]
    assert client.get("/v1/reviews", headers=auth("reviewer")).json()["reviews"] == []

    allowed = client.post("/v1/rules/reload", params={"allow_removal": "true"}, headers=auth("analyst"))
    assert allowed.status_code == 200, allowed.text
    answer = allowed.json()
    assert answer["removed_benefits"] == ["large_family_allowance"] and len(answer["reviews_opened"]) == 1
    review = client.get(f"/v1/reviews/{answer['reviews_opened'][0]}", headers=auth("reviewer")).json()
    assert (review["family_id"], review["kind"], review["reasons"]) == (
        "FAM-HOLDS",
        "termination",
        ["benefit_removed_from_rules"],
    )
    # Nothing ends until a person approves: the offer is still open.
    offers = client.get("/v1/families/FAM-HOLDS/offers", headers=auth("reviewer")).json()["offers"]
    assert [o["status"] for o in offers if o["benefit"] == "large_family_allowance"] == ["open"]
    resolved = client.post(
        f"/v1/reviews/{review['review_id']}/resolution",
        headers=auth("reviewer"),
        json={"resolution": "approve", "reason": "the benefit was repealed"},
    )
    assert resolved.status_code == 200, resolved.text
    offers = client.get("/v1/families/FAM-HOLDS/offers", headers=auth("reviewer")).json()["offers"]
    assert [o["status"] for o in offers if o["benefit"] == "large_family_allowance"] == ["withdrawn"]
    kinds = [e["kind"] for e in client.get("/v1/audit", headers=auth("auditor")).json()["entries"]]
    assert "rules.reload_refused" in kinds and "rules.reloaded" in kinds
    # A later event for the family goes through on the new rules.
    more = b.event("family.registered", family, "2026-03-02T09:00:00+05:00")
    assert client.post("/v1/events", json=more, headers=auth("bus")).json()["ruleset_version"] == answer["version"]
