"""The service's configuration: one pydantic-settings class, read from `FAMILYCARD_*` variables.

It is built when the service starts (`Settings()` in `familycard serve`, or by a test), never at
import, so a test can point one application at a temporary database without touching the
environment of another. Outside development it refuses the development tokens file, the one
`make run` writes and prints.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_TOKENS_FILE = Path("var/dev-tokens.json")


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="FAMILYCARD_", extra="ignore")

    database_url: str = "sqlite:///var/familycard.db"
    tokens_file: Path | None = None
    rules_dir: Path | None = None
    env: Literal["development", "production"] = "development"
    offer_expiry_days: int = Field(default=30, ge=1, le=366)
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    batch_max_families: int = Field(default=1000, ge=1)  # families in one `POST /v1/eligibility/batch`
    batch_max_body_bytes: int = Field(default=4_000_000, ge=1024)  # its body (MAX_BODY_BYTES for the others)
    bench_echo: bool = False
    # How often the calendar scheduler looks for families whose decisions time has moved (0: never).
    calendar_interval_s: float = Field(default=60.0, ge=0)
    log_level: str = "INFO"
    # Keyed checkpoints of the audit chain's head, outside the database (see service/audit_checkpoint.py).
    audit_checkpoint_file: Path | None = None
    audit_key: SecretStr | None = None
    audit_key_file: Path | None = None
    audit_checkpoint_seconds: float = Field(default=1.0, ge=0, le=3600)
    # Failed sign-ins and unknown API tokens per client address before it is refused (429) for the window.
    auth_failure_limit: int = Field(default=20, ge=1)
    auth_failure_window_seconds: float = Field(default=60.0, gt=0)
    # /docs and /openapi.json: "token" (any valid token, swagger-ui served locally) or "off".
    docs: Literal["token", "off"] = "token"
    # Plausibility at the edge (service/README.md, "Hardening"): how far after the service's clock
    # an event may say it occurred, and the earliest occurred_at and date of a person it takes.
    max_clock_skew_s: float = Field(default=300.0, ge=0)
    min_occurred_at: AwareDatetime = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    min_birth_date: dt.date = dt.date(1900, 1, 1)
    # Degrade, don't fail: per worker, the time a request may have waited for the event loop and
    # the requests in progress past which new ones are answered 503 at once (0: no bound), and the
    # Retry-After those 503s (and a database outage) carry.
    max_queue_wait_ms: float = Field(default=100.0, ge=0)
    max_in_flight: int = Field(default=64, ge=0)
    retry_after_s: int = Field(default=1, ge=1, le=3600)
    # The SMS outbox relay to a message broker (service/relay.py); off without a URL.
    amqp_url: str | None = None
    amqp_queue: str = "familycard.sms"
    relay_interval_s: float = Field(default=0.5, gt=0)

    @model_validator(mode="after")
    def _no_dev_tokens_in_production(self) -> Settings:
        if self.env != "development" and self.tokens_file is not None and _is_dev_tokens(self.tokens_file):
            raise ValueError(
                f"FAMILYCARD_TOKENS_FILE: {self.tokens_file} holds the development tokens and "
                "FAMILYCARD_ENV is not 'development'; issue production tokens"
            )
        return self


def _is_dev_tokens(path: Path) -> bool:
    """True for the development tokens file, by its path or by the marker it carries."""
    try:
        if path.resolve() == DEV_TOKENS_FILE.resolve():
            return True
        return '"development": true' in path.read_text(encoding="utf-8")
    except OSError:
        return False
