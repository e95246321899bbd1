"""The fault-and-abuse suite shares the service tests' fixtures (databases, tokens, clock, clients)."""

from tests.service.conftest import (  # noqa: F401 - fixtures, found by name
    any_client,
    client,
    client_for,
    clock,
    database_url,
    postgres_url,
    sqlite_url,
    tokens_file,
)
