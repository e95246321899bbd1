"""Operations: Prometheus metrics, JSON logs with masked IINs, eligibility, the benchmark echo."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service import logs
from tests.service import builders as b
from tests.service.conftest import auth


def test_metrics_count_events_decisions_reviews_and_latency(client: TestClient) -> None:
    snapshot = b.make_family("FAM-M", children=4, first_child_born="2010-03-10")
    client.post("/v1/events", json=b.event("family.registered", snapshot), headers=auth("bus"))
    client.post("/v1/events", json=b.event("loan.changed", {"family_id": "NOPE", "non_mortgage_outstanding": 1}),
                headers=auth("bus"))
    text = client.get("/metrics").text
    assert 'familycard_events_total{outcome="applied",type="family.registered"} 1.0' in text
    assert 'familycard_events_total{outcome="rejected",type="loan.changed"} 1.0' in text
    assert 'familycard_decisions_total{benefit="large_family_allowance",change="grant"} 1.0' in text
    assert "familycard_review_queue_size 0.0" in text
    assert 'familycard_http_request_seconds_bucket{le="0.5",method="POST",route="/v1/events",status="200"}' in text
    assert "familycard_engine_evaluate_seconds_count" in text


def test_log_lines_are_json_and_mask_every_iin() -> None:
    record = logging.LogRecord("familycard.test", logging.INFO, __file__, 1, "member %s moved", ("900101400123",),
                               None)
    record.payload = {"iin": "900101400123", "nested": ["x 880202300456 y"]}
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["message"] == "member ********0123 moved"
    assert line["payload"] == {"iin": "********0123", "nested": ["x ********0456 y"]}
    assert line["level"] == "INFO" and line["logger"] == "familycard.test"


def test_eligibility_evaluates_a_snapshot_and_stores_nothing(client: TestClient) -> None:
    snapshot = b.make_family("FAM-E", children=5, first_child_born="2010-03-10")
    answer = client.post("/v1/eligibility", json=snapshot, params={"as_of": "2026-03-01"}, headers=auth("bus"))
    assert answer.status_code == 200
    decisions = {d["benefit"]: d for d in answer.json()["decisions"]}
    assert decisions["large_family_allowance"]["amount_kzt"] == 86673
    assert client.get("/v1/families/FAM-E", headers=auth("reviewer")).status_code == 404


def test_a_malformed_snapshot_gets_a_422_naming_the_field(client: TestClient) -> None:
    snapshot = b.make_family("FAM-E2", children=1)
    snapshot["members"][1]["iin"] = "123"
    answer = client.post("/v1/eligibility", json=snapshot, headers=auth("analyst"))
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "members", 1, "iin"]


def test_the_echo_endpoint_exists_only_for_the_benchmark(client_for: Any, sqlite_url: str, tmp_path: Any) -> None:
    plain = client_for(sqlite_url)
    assert plain.post("/v1/echo", json={"a": 1}).status_code in (404, 405)
    bench = client_for(f"sqlite:///{tmp_path / 'bench.db'}", bench_echo=True)
    assert bench.post("/v1/echo", json={"a": [1, 2]}).json() == {"a": [1, 2]}


@pytest.mark.parametrize("path", ["/v1/nowhere", "/v1/reviews/x/resolution"])
def test_every_error_has_the_one_shape(client: TestClient, path: str) -> None:
    response = client.get(path, headers=auth("reviewer"))
    assert response.status_code in (404, 405)
    assert set(response.json()) == {"detail"}
    assert set(response.json()["detail"][0]) == {"loc", "msg", "type"}
