"""Bearer tokens and their roles, read from the JSON file named by `FAMILYCARD_TOKENS_FILE`.

The file holds `{"tokens": [{"name": ..., "role": ..., "token": ...}]}`; an entry may give
`"sha256": "<hex>"` instead of the token itself, so the file need not hold secrets. Presented
tokens are hashed and compared with every entry in constant time; a token is never logged.

Tokens are rotated and revoked without a restart: the store looks at the file's modification
time, size and inode at most once per `RECHECK_SECONDS` and reads it again when any changed. A
file that disappears revokes every token; a file that no longer parses (caught mid-edit) keeps the
previous tokens and is logged as an error until a valid file replaces it.

`Throttle` counts failed sign-ins and unknown API tokens per client address: past the limit within
the window, that address is refused (429, `Retry-After`) whatever it presents, so guessing a token
costs the window, not a request. It is held per worker process.
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

log = logging.getLogger("familycard.auth")

RECHECK_SECONDS = 1.0
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

    def __init__(self, entries: list[tuple[bytes, Caller]], *, path: Path | None = None,
                 stamp: tuple[int, int, int] | None = None) -> None:
        self._entries = entries
        self._path = path
        self._stamp = stamp
        self._checked_at = time.monotonic()
        self._lock = threading.Lock()

    def authenticate(self, token: str) -> Caller | None:
        """The caller for this token, comparing against every entry in constant time."""
        return self.by_digest(digest(token))

    def by_digest(self, presented: bytes) -> Caller | None:
        """The caller whose token has this SHA-256 (e.g. a console session's token), if it is still valid."""
        self.refresh()
        found: Caller | None = None
        for known, caller in self._entries:
            if hmac.compare_digest(known, presented):
                found = caller
        return found

    def refresh(self, *, force: bool = False) -> None:
        """Read the tokens file again if it changed (looked at once per `RECHECK_SECONDS`)."""
        if self._path is None or (not force and time.monotonic() - self._checked_at < RECHECK_SECONDS):
            return
        with self._lock:
            self._checked_at = time.monotonic()
            stamp = _stamp(self._path)
            if stamp == self._stamp:
                return
            if stamp is None:
                log.warning("the tokens file is gone: every token is revoked", extra={"path": str(self._path)})
                self._entries, self._stamp = [], None
                return
            try:
                self._entries = _entries(self._path)
            except TokenFileError as exc:
                log.error("the tokens file changed but cannot be read; the previous tokens stay valid: %s", exc)
                return
            self._stamp = stamp
            log.info("tokens file read again", extra={"path": str(self._path), "tokens": len(self._entries)})

    def __len__(self) -> int:
        return len(self._entries)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def load(path: Path | None) -> TokenStore:
    """Read and validate a tokens file; no file configured means no token is accepted."""
    if path is None:
        return TokenStore([])
    stamp = _stamp(Path(path))
    return TokenStore(_entries(Path(path)), path=Path(path), stamp=stamp)


def _entries(path: Path) -> list[tuple[bytes, Caller]]:
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
    return entries


class Throttle:
    """Failed authentications per client address in a sliding window; past the limit, refused."""

    MAX_CLIENTS = 10_000  # addresses remembered at once (the oldest are forgotten first)

    def __init__(self, limit: int = 20, window_seconds: float = 60.0) -> None:
        self.limit = limit
        self.window = window_seconds
        self._failures: collections.OrderedDict[str, collections.deque[float]] = collections.OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, client: str | None) -> float | None:
        """Seconds until this address may try again, or None if it may now."""
        if client is None:
            return None
        with self._lock:
            times = self._failures.get(client)
            if times is None:
                return None
            now = time.monotonic()
            while times and now - times[0] >= self.window:
                times.popleft()
            if len(times) < self.limit:
                return None
            return max(0.0, self.window - (now - times[0]))

    def failed(self, client: str | None) -> None:
        """Count one failed attempt from this address."""
        if client is None:
            return
        with self._lock:
            times = self._failures.setdefault(client, collections.deque(maxlen=self.limit))
            self._failures.move_to_end(client)
            times.append(time.monotonic())
            while len(self._failures) > self.MAX_CLIENTS:
                self._failures.popitem(last=False)
