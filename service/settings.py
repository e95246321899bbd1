"""The service's configuration: one pydantic-settings class, read from `FAMILYCARD_*` variables.

It is built when the service starts (`Settings()` in `familycard serve`, or by a test), never at
import, so a test can point one application at a temporary database without touching the
environment of another. Outside development it refuses the development tokens file, the one
`make run` writes and prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
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
    bench_echo: bool = False
    # How often the calendar scheduler looks for families whose decisions time has moved (0: never).
    calendar_interval_s: float = Field(default=60.0, ge=0)
    log_level: str = "INFO"

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
