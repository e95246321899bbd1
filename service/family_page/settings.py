"""The family page's own settings (`FAMILYCARD_FAMILY_*`): sign-in codes, throttling, appeal deadline.

The session cookie is signed with the console's secret (`FAMILYCARD_CONSOLE_SECRET`, else its
secret file) under another salt, so one secret serves both sections. Built when the page first
serves, never at import.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class FamilyPageSettings(BaseSettings):
    """Everything the family's page reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="FAMILYCARD_FAMILY_", extra="ignore")

    code_minutes: float = Field(default=5.0, gt=0, le=60)  # a code expires this long after it is sent
    code_attempts: int = Field(default=5, ge=1, le=20)  # wrong entries before a code is dead
    codes_per_window: int = Field(default=3, ge=1, le=50)  # codes asked for one IIN within the window
    window_minutes: float = Field(default=15.0, gt=0, le=24 * 60)
    session_minutes: int = Field(default=30, ge=1, le=24 * 60)
    appeal_working_days: int = Field(default=10, ge=1, le=60)  # a caseworker answers an appeal within this
    review_working_days: int = Field(default=5, ge=1, le=60)  # used when the rules do not give one
    print_codes: bool | None = None  # None: print (masked IIN) only in development
