"""Bearer tokens and their roles, read from the JSON file named by `FAMILYCARD_TOKENS_FILE`.

The file holds `{"tokens": [{"name": ..., "role": ..., "token": ...}]}`; an entry may give
`"sha256": "<hex>"` instead of the token itself, so the file need not hold secrets. Presented
tokens are hashed and compared with every entry in constant time; a token is never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Role = Literal["bus", "reviewer", "analyst", "auditor"]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's name (the reviewer's identity in the audit log) and role."""

    name: str
    role: str


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=100)]
    role: Role
    token: Annotated[str, Field(min_length=16)] | None = None
    sha256: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")] | None = None

    @model_validator(mode="after")
    def _one_secret(self) -> _Entry:
        if (self.token is None) == (self.sha256 is None):
            raise ValueError("give exactly one of 'token' and 'sha256'")
        return self


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tokens: list[_Entry]
    development: bool = False  # marks the file `make run` writes; refused outside development


class TokenFileError(ValueError):
    """The tokens file is missing or malformed; the message names the file and the field."""


def digest(token: str) -> bytes:
    """SHA-256 of a token, the form in which tokens are held in memory and compared."""
    return hashlib.sha256(token.encode("utf-8")).digest()


class TokenStore:
    """The known tokens; `authenticate` answers the caller a presented token belongs to."""

    def __init__(self, entries: list[tuple[bytes, Caller]]) -> None:
        self._entries = entries

    def authenticate(self, token: str) -> Caller | None:
        """The caller for this token, comparing against every entry in constant time."""
        presented = digest(token)
        found: Caller | None = None
        for known, caller in self._entries:
            if hmac.compare_digest(known, presented):
                found = caller
        return found

    def __len__(self) -> int:
        return len(self._entries)


def load(path: Path | None) -> TokenStore:
    """Read and validate a tokens file; no file configured means no token is accepted."""
    if path is None:
        return TokenStore([])
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        parsed = _File.model_validate(raw)
    except OSError as exc:
        raise TokenFileError(f"{path}: cannot read the tokens file ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise TokenFileError(f"{path}:{exc.lineno}:{exc.colno}: not JSON ({exc.msg})") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise TokenFileError(f"{path}: {where}: {first['msg']}") from exc
    entries: list[tuple[bytes, Caller]] = []
    for entry in parsed.tokens:
        known = digest(entry.token) if entry.token is not None else bytes.fromhex(entry.sha256 or "")
        entries.append((known, Caller(name=entry.name, role=entry.role)))
    return TokenStore(entries)
