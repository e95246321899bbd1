"""The console's own settings (`FAMILYCARD_CONSOLE_*`): the session-signing secret and cookie policy.

The session cookie is signed, so every worker must sign with the same secret. Give it in
`FAMILYCARD_CONSOLE_SECRET` (required when several hosts serve the console); otherwise it is read
from `FAMILYCARD_CONSOLE_SECRET_FILE`, which the first worker to start creates with a random
secret (mode 0600), so the workers of one host agree without configuration. Built when the
console first serves, never at import.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_CHARS = 32


class ConsoleSettings(BaseSettings):
    """Everything the console reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="FAMILYCARD_CONSOLE_", extra="ignore")

    secret: SecretStr | None = Field(default=None, min_length=MIN_SECRET_CHARS)
    secret_file: Path = Path("var/console-secret")
    idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    max_session_hours: float = Field(default=10.0, gt=0, le=24 * 7)
    # auto: Secure unless the request is plain http to localhost; always / never: as named.
    secure_cookie: Literal["auto", "always", "never"] = "auto"
    overdue_days: float = Field(default=5.0, gt=0)
    page_size: int = Field(default=100, ge=10, le=1000)

    def signing_secret(self) -> str:
        """The secret that signs session cookies (from the environment, else the secret file)."""
        if self.secret is not None:
            return self.secret.get_secret_value()
        return read_or_create_secret(self.secret_file)


class SecretFileError(ValueError):
    """The secret file cannot be read or created; the message names the file."""


def read_or_create_secret(path: Path) -> str:
    """The secret kept in `path`, created with a random one (mode 0600) by whoever comes first."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # Write a private temporary file, then link it into place: the link either creates the
            # file whole or fails because another worker got there first, never a half-written one.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".console-secret-")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(secrets.token_urlsafe(48))
                with contextlib.suppress(FileExistsError):
                    os.link(tmp, path)
            finally:
                os.unlink(tmp)
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SecretFileError(f"{path}: cannot read or create the console secret ({exc.strerror})") from exc
    if len(text) < MIN_SECRET_CHARS:
        raise SecretFileError(f"{path}: the console secret must be at least {MIN_SECRET_CHARS} characters")
    return text
