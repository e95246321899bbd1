"""New rules roll out to every stored family: a raise is applied, a tightened condition only reviewed."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from service import rollout
from synthetic.bus import generated_population
from tests.service.builders import event, make_family
from tests.service.conftest import RULES, Clock, auth

FAMILIES = 2000


def edit(rules: Path, name: str, old: str, new: str) -> None:
    path = rules / "parameters" / "family_benefits.yaml"
    text = path.read_text(encoding="utf-8")
    pattern = rf"({re.escape(name)}:\n(?:  .*\n)*?    2023-01-01: {{value: ){re.escape(old)}"
    changed, n = re.subn(pattern, rf"\g<1>{new}", text)
    assert n == 1, name
    path.write_text(changed, encoding="utf-8")


def holdings(client: Any, ids: list[str]) -> dict[str, int]:
    """Each family's large-family amount: entitlement or open offer."""
    out = {}
    for fid in ids:
        record = client.get(f"/v1/families/{fid}", headers=auth("reviewer")).json()
        for e in record["entitlements"]:
            if e["benefit"] == "large_family_allowance" and e["status"] == "active":
                out[fid] = e["amount_kzt"]
        for o in record["open_offers"]:
            if o["benefit"] == "large_family_allowance":
                out[fid] = o["amount_kzt"]
    return out


def run_rollout(client: Any) -> dict[str, Any]:
    ctx = client.app.state.ctx
    done = client.portal.call(lambda: rollout.resume(ctx))
    assert done is not None and done["status"] == "done"
    status = client.get("/v1/rules/rollout", headers=auth("analyst")).json()
    assert status == {k: done[k] for k in status}
    return done


@pytest.mark.slow
def test_a_raised_coefficient_is_applied_and_a_tightened_condition_only_reviewed(
    client_for: Any, tmp_path: Path, clock: Clock
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules, ignore=shutil.ignore_patterns("tests"))
    client = client_for(f"sqlite:///{tmp_path / 'rollout.db'}", rules_dir=rules)
    snapshots = generated_population(FAMILIES, 7, dt.date(2026, 3, 1))
    snapshots += [
        make_family(f"FAM-RO-{k}-{i}", children=k, first_child_born="2012-01-05") for k in (4, 5) for i in range(20)
    ]
    for snap in snapshots:
        r = client.post(
            "/v1/events", json=event("family.registered", snap, "2026-03-01T09:00:00+05:00"), headers=auth("bus")
        )
        assert r.status_code == 200, r.text
    ids = [s["family_id"] for s in snapshots]
    # Half the large families consent; the others keep an open offer.
    offers = client.get("/v1/families/FAM-RO-4-0/offers", headers=auth("reviewer")).json()["offers"]
    assert any(o["benefit"] == "large_family_allowance" for o in offers)
    for fid in ids[::2]:
        for o in client.get(f"/v1/families/{fid}/offers", headers=auth("reviewer")).json()["offers"]:
            if o["benefit"] == "large_family_allowance" and o["status"] == "open":
                answer = {"offer_id": o["offer_id"], "accepted": True, "channel": "sms-1414"}
                client.post(
                    "/v1/events",
                    json=event("consent.received", answer, "2026-03-01T12:00:00+05:00"),
                    headers=auth("bus"),
                )
    # The first start: the families were decided under these rules; nothing to roll out.
    assert client.portal.call(lambda: rollout.resume(client.app.state.ctx)) is None
    baseline = client.get("/v1/rules/rollout", headers=auth("analyst")).json()
    assert baseline["status"] == "done" and baseline["checked"] == 0
    before = holdings(client, ids)
    five = [fid for fid, amount in before.items() if amount == 86_673]
    four = [fid for fid, amount in before.items() if amount == 69_330]
    assert len(five) >= 20 and len(four) >= 20

    # A raised coefficient: 5 children 20.04 -> 21.04 MRP. Applied at once, no review.
    edit(rules, "large_family.coef_5", "20.04", "21.04")
    clock.advance(days=1)
    assert client.post("/v1/rules/reload", headers=auth("analyst")).status_code == 200
    raised = run_rollout(client)
    assert raised["checked"] == len(ids)
    assert raised["changed"] >= len(five)
    assert raised["reviews_opened"] == 0
    assert raised["applied"] >= len(five)
    after = holdings(client, ids)
    assert {after[fid] for fid in five} == {round(21.04 * 4325)}
    assert all(after[fid] == before[fid] for fid in before if fid not in five)

    # A tightened condition: five children needed. The four-children families only get reviews.
    edit(rules, "large_family.min_children", "4", "5")
    clock.advance(days=1)
    assert client.post("/v1/rules/reload", headers=auth("analyst")).status_code == 200
    tightened = run_rollout(client)
    assert tightened["applied"] == 0
    assert tightened["reviews_opened"] >= len(four)
    assert holdings(client, ids) == after  # nothing taken away before a person decides
    kinds: Counter[str] = Counter()
    for fid in four:
        record = client.get(f"/v1/families/{fid}", headers=auth("reviewer")).json()
        kinds.update(r["kind"] for r in record["pending_reviews"] if r["benefit"] == "large_family_allowance")
    assert kinds["termination"] == len(four)

    def audit(kind: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = client.get(
            "/v1/audit", params={"limit": 1000, "kind": kind}, headers=auth("auditor")
        ).json()["entries"]
        return found

    assert len(audit("rules.rollout.done")) == 2
    assert any(e["actor"] == "rollout" for e in audit("review.opened"))
