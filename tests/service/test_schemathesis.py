"""Property-based run of schemathesis against the service's own OpenAPI schema.

Bounded (a few dozen examples per operation, no deadline per example) so it fits the suite's
budget; it asserts no 5xx and that every answer conforms to the schema (status code, content
type, body) and no schema-invalid request accepted. Each operation is called with a token of a role it admits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from service.app import create_app
from tests.service.conftest import TOKENS, make_settings
from tests.service.test_auth import ALLOWED


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("schemathesis")
    tokens = folder / "tokens.json"
    tokens.write_text(json.dumps({"tokens": [{"name": f"{r}-1", "role": r, "token": t} for r, t in TOKENS.items()]}))
    app = create_app(make_settings(f"sqlite:///{Path(folder) / 'st.db'}", tokens))
    # The schema is served to token holders only (issue 11).
    return schemathesis.openapi.from_asgi("/openapi.json", app,
                                          headers={"Authorization": f"Bearer {TOKENS['analyst']}"})


OPERATIONS = [*sorted(ALLOWED), ("GET", "/healthz"), ("GET", "/metrics")]


def _headers(method: str, path: str) -> dict[str, str]:
    roles = ALLOWED.get((method.upper(), path))
    return {"Authorization": f"Bearer {TOKENS[sorted(roles)[0]]}"} if roles else {}


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_api_answers_generated_requests_without_5xx_and_within_its_schema(
    api_schema: Any, method: str, path: str
) -> None:
    operation = api_schema[path][method]
    headers = _headers(method, path)

    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    def run(case: Any) -> None:
        # positive_data_acceptance is left out: a JSON schema cannot say that an IIN's check digit must
        # match or that a family has exactly one head, so schema-valid snapshots are rightly refused.
        case.call_and_validate(headers=headers, excluded_checks=[schemathesis.checks.positive_data_acceptance])

    run()
