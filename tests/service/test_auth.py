"""Tokens and roles: 401 without a valid token, 403 for the wrong role, on every endpoint."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service import auth
from service.settings import Settings
from tests.service.conftest import TOKENS
from tests.service.conftest import auth as bearer

# The contract's roles per endpoint; a route missing here fails the test, so none goes unchecked.
ALLOWED: dict[tuple[str, str], set[str]] = {
    ("POST", "/v1/events"): {"bus"},
    ("GET", "/v1/events/{event_id}"): {"bus", "auditor"},
    ("GET", "/v1/dead-letters/{dead_letter_id}"): {"auditor"},  # raw bodies: auditors only (issue 11)
    ("POST", "/v1/eligibility"): {"bus", "analyst"},
    ("POST", "/v1/eligibility/batch"): {"bus", "analyst"},
    ("GET", "/v1/families/{family_id}"): {"reviewer", "auditor"},
    ("GET", "/v1/families/{family_id}/decisions"): {"reviewer", "auditor"},
    ("GET", "/v1/families/{family_id}/offers"): {"reviewer", "auditor"},
    ("GET", "/v1/families/{family_id}/payments"): {"reviewer", "auditor"},
    ("GET", "/v1/reviews"): {"reviewer"},
    ("GET", "/v1/reviews/{review_id}"): {"reviewer"},
    ("POST", "/v1/reviews/{review_id}/resolution"): {"reviewer"},
    ("GET", "/v1/rules"): {"analyst"},
    ("GET", "/v1/rules/rollout"): {"analyst"},
    ("POST", "/v1/rules/reload"): {"analyst"},
    ("GET", "/v1/audit"): {"auditor"},
    ("GET", "/v1/audit/verify"): {"auditor"},
}
OPEN = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics")}


def _routes(client: TestClient) -> list[tuple[str, str]]:
    """Every operation the application publishes (its OpenAPI schema)."""
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return [(method.upper(), path) for path, ops in paths.items() for method in ops]


def _call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> Any:
    url = re.sub(r"\{[^}]+\}", "x-1", path)
    body = {"resolution": "reject", "reason": "because"} if path.endswith("resolution") else {}
    return client.request(method, url, json=body if method == "POST" else None, headers=headers)


def test_every_route_is_in_the_role_table(client: TestClient) -> None:
    assert set(_routes(client)) == set(ALLOWED) | OPEN


@pytest.mark.parametrize("key", sorted(ALLOWED))
def test_each_protected_route_refuses_missing_unknown_and_wrong_role_tokens(client: TestClient, key: Any) -> None:
    method, path = key
    missing = _call(client, method, path, {})
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["detail"][0]["type"] == "unauthorized"
    assert _call(client, method, path, {"Authorization": "Bearer not-a-real-token-at-all"}).status_code == 401
    assert _call(client, method, path, {"Authorization": "Basic dXNlcjpwYXNz"}).status_code == 401
    for role in TOKENS:
        response = _call(client, method, path, bearer(role))
        if role in ALLOWED[key]:
            assert response.status_code not in (401, 403), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert role in response.json()["detail"][0]["msg"]


def test_health_and_metrics_need_no_token(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/metrics").status_code == 200


def test_a_hashed_token_entry_authenticates_the_token_it_hashes(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    secret = "a-long-enough-secret-token"
    path.write_text(json.dumps({"tokens": [
        {"name": "aud", "role": "auditor", "sha256": hashlib.sha256(secret.encode()).hexdigest()}]}))
    store = auth.load(path)
    assert store.authenticate(secret) == auth.Caller(name="aud", role="auditor")
    assert store.authenticate(secret + "x") is None


def test_a_malformed_tokens_file_is_refused_naming_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"tokens": [{"name": "x", "role": "admin", "token": "0123456789abcdefX"}]}))
    with pytest.raises(auth.TokenFileError, match=r"t\.json: tokens\.0\.role"):
        auth.load(path)
    path.write_text(json.dumps({"tokens": [{"name": "x", "role": "bus"}]}))
    with pytest.raises(auth.TokenFileError, match="exactly one of 'token' and 'sha256'"):
        auth.load(path)
    path.write_text("{")
    with pytest.raises(auth.TokenFileError, match=r"t\.json:1:2: not JSON"):
        auth.load(path)


def test_the_development_tokens_file_is_refused_outside_development(tmp_path: Path) -> None:
    path = tmp_path / "dev.json"
    path.write_text(json.dumps({"development": True, "tokens": []}))
    with pytest.raises(ValueError, match="development tokens"):
        Settings(env="production", tokens_file=path)
    assert Settings(env="development", tokens_file=path).tokens_file == path


def test_tokens_never_reach_the_logs(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        client.get("/v1/reviews", headers=bearer("reviewer"))
        client.get("/v1/reviews", headers={"Authorization": "Bearer wrong-token-value-123"})
    text = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
    assert TOKENS["reviewer"] not in text and "wrong-token-value-123" not in text
