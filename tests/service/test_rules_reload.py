"""Reloading edited rule files: validated first, swapped at once, old rules kept on any error."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.service import builders as b
from tests.service.conftest import RULES, auth


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def test_a_broken_rule_file_is_refused_with_file_and_line_and_the_old_rules_keep_serving(
    client_for: Any, sqlite_url: str, rules_copy: Path
) -> None:
    client = client_for(sqlite_url, rules_dir=rules_copy)
    before = client.get("/v1/rules", headers=auth("analyst")).json()["version"]
    path = rules_copy / "benefits" / "large_family_allowance.yaml"
    path.write_text(path.read_text().replace("children_under_18_or_students", "chidren_under_18_or_students"))
    response = client.post("/v1/rules/reload", headers=auth("analyst"))
    assert response.status_code == 422
    first = response.json()["detail"][0]
    assert first["loc"][0] == "rules" and first["loc"][1].endswith("large_family_allowance.yaml")
    assert isinstance(first["loc"][2], int) and first["loc"][2] > 0
    assert "large_family_allowance.yaml:" in first["msg"]
    assert client.get("/v1/rules", headers=auth("analyst")).json()["version"] == before
    evaluated = client.post("/v1/eligibility", json=b.make_family(children=4, first_child_born="2010-03-10"),
                            params={"as_of": "2026-03-01"}, headers=auth("analyst")).json()
    assert evaluated["ruleset_version"] == before
    kinds = [e["kind"] for e in client.get("/v1/audit", headers=auth("auditor")).json()["entries"]]
    assert kinds == ["rules.reload_refused"]


def test_a_valid_edit_is_swapped_in_and_decisions_record_the_new_version(
    client_for: Any, sqlite_url: str, rules_copy: Path
) -> None:
    client = client_for(sqlite_url, rules_dir=rules_copy)
    before = client.get("/v1/rules", headers=auth("analyst")).json()["version"]
    path = rules_copy / "benefits" / "large_family_allowance.yaml"
    path.write_text(path.read_text() + "\n# an analyst's comment changes the digest\n")
    answer = client.post("/v1/rules/reload", headers=auth("analyst")).json()
    assert answer["status"] == "reloaded" and answer["previous_version"] == before
    assert answer["version"] != before and answer["generation"] == 1
    event = b.event("family.registered", b.make_family("FAM-V", children=4, first_child_born="2010-03-10"))
    assert client.post("/v1/events", json=event, headers=auth("bus")).json()["ruleset_version"] == answer["version"]
    decisions = client.get("/v1/families/FAM-V/decisions", headers=auth("auditor")).json()["decisions"]
    assert {d["ruleset_version"] for d in decisions} == {answer["version"]}
    reloads = client.get("/v1/audit", params={"kind": "rules.reloaded"}, headers=auth("auditor")).json()["entries"]
    assert reloads[0]["data"]["version"] == answer["version"] and reloads[0]["actor"] == "analyst-1"


def test_another_worker_picks_up_a_reload_before_its_next_evaluation(
    client_for: Any, sqlite_url: str, rules_copy: Path
) -> None:
    first = client_for(sqlite_url, rules_dir=rules_copy)
    second = client_for(sqlite_url, rules_dir=rules_copy)
    path = rules_copy / "benefits" / "large_family_allowance.yaml"
    path.write_text(path.read_text() + "\n# edited\n")
    version = first.post("/v1/rules/reload", headers=auth("analyst")).json()["version"]
    event = b.event("family.registered", b.make_family(children=1))
    assert second.post("/v1/events", json=event, headers=auth("bus")).json()["ruleset_version"] == version
