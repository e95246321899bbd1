"""Fixtures for the fault-and-abuse suite: the service tests' databases, tokens, clock and clients.

Every test that takes `any_client` or `database_url` runs on SQLite and on PostgreSQL (the
`postgres` variant is skipped only when the server is unreachable and FAMILYCARD_REQUIRE_POSTGRES
is not set, as in tests/service).
"""

from __future__ import annotations

from tests.service.conftest import (  # noqa: F401 - fixtures, registered by being imported here
    any_client,
    client,
    client_for,
    clock,
    database_url,
    postgres_url,
    sqlite_url,
    tokens_file,
)
