"""Fixtures for the service tests: databases (SQLite and PostgreSQL), tokens, a clock, an app client.

PostgreSQL comes from FAMILYCARD_TEST_POSTGRES_URL (default: the local server at 127.0.0.1:5432).
When it cannot be reached, the PostgreSQL variants are skipped with the reason, unless
FAMILYCARD_REQUIRE_POSTGRES=1 (set by .ci/run), which turns the skip into a failure. Each test
gets its own schema (via `search_path`), dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"

TOKENS = {
    "bus": "bus-token-0123456789abcdef",
    "reviewer": "reviewer-token-0123456789abcdef",
    "analyst": "analyst-token-0123456789abcdef",
    "auditor": "auditor-token-0123456789abcdef",
}


def auth(role: str) -> dict[str, str]:
    """The Authorization header of the test token with this role."""
    return {"Authorization": f"Bearer {TOKENS[role]}"}


class Clock:
    """A settable clock for offer expiry and review ages."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move time forward."""
        self.now += dt.timedelta(**delta)


_pg_status: tuple[bool, str] | None = None


def _postgres_base() -> str:
    global _pg_status
    url = os.environ.get("FAMILYCARD_TEST_POSTGRES_URL", DEFAULT_PG)
    if _pg_status is None:
        try:
            import psycopg

            psycopg.connect(url, connect_timeout=3).close()
            _pg_status = (True, "")
        except Exception as exc:  # any failure to reach it is a reason to skip
            _pg_status = (False, f"PostgreSQL not reachable at {url}: {type(exc).__name__}: {exc}".strip())
    ok, why = _pg_status
    if not ok:
        if os.environ.get("FAMILYCARD_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"FAMILYCARD_REQUIRE_POSTGRES=1 but {why}")
        pytest.skip(why)
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped after the test."""
    base = _postgres_base()
    schema = f"fc_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file."""
    return f"sqlite:///{tmp_path / 'familycard.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each storage test runs on SQLite and on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def tokens_file(tmp_path: Path) -> Path:
    """A tokens file with one token per role; the auditor's is stored only as its SHA-256."""
    import hashlib

    entries: list[dict[str, Any]] = []
    for role, token in TOKENS.items():
        name = f"{role}-1"
        if role == "auditor":
            entries.append({"name": name, "role": role, "sha256": hashlib.sha256(token.encode()).hexdigest()})
        else:
            entries.append({"name": name, "role": role, "token": token})
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"tokens": entries}), encoding="utf-8")
    return path


@pytest.fixture
def clock() -> Clock:
    """A clock starting on 1 March 2026."""
    return Clock(dt.datetime(2026, 3, 1, 6, 0, tzinfo=dt.UTC))


def make_settings(database_url: str, tokens_file: Path, **extra: Any) -> Settings:
    """Settings for a test application on the real rules."""
    # The calendar scheduler only where a test asks for it (it would move families on its own).
    values: dict[str, Any] = {"rules_dir": RULES, "calendar_interval_s": 0, **extra}
    return Settings(database_url=database_url, tokens_file=tokens_file, **values)


@pytest.fixture
def client_for(tokens_file: Path, clock: Clock) -> Iterator[Any]:
    """A factory of started test clients on a database URL; all are closed at the end."""
    opened: list[TestClient] = []

    def open_client(database_url: str, **extra: Any) -> TestClient:
        app = create_app(make_settings(database_url, tokens_file, **extra), clock=clock)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return client

    yield open_client
    for client in reversed(opened):
        client.__exit__(None, None, None)


@pytest.fixture
def client(client_for: Any, sqlite_url: str) -> TestClient:
    """A started application on SQLite."""
    result: TestClient = client_for(sqlite_url)
    return result


@pytest.fixture
def any_client(client_for: Any, database_url: str) -> TestClient:
    """A started application on SQLite and, in a second run, on PostgreSQL."""
    result: TestClient = client_for(database_url)
    return result
