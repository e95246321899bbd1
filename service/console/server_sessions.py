"""Console sessions held by the server, so that they can be ended.

A signed cookie alone cannot be taken back: replayed after sign-out, or after the reviewer's token
was removed from the tokens file, it still worked. So a sign-in now opens a row in
`console_sessions` (its id is the SHA-256 of a random secret that only the cookie carries) and
every console request checks that row: it must not be ended, must have been used within the idle
limit, and the token it was opened with must still be in the tokens file with the reviewer role
and the same name (a removed or rotated token ends it). Sign-out ends it. The cookie keeps its
signature and timer as a second lock, not the only one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from service import auth, clock
from service.store import tables

T = tables.console_sessions
TOUCH_SECONDS = 30  # last use is written at most this often (each write takes the writer lock)
REVIEWER = "reviewer"


@dataclass(frozen=True)
class Alive:
    """A session that may go on: who, and whether its last use should be written now."""

    reviewer: str
    touch: bool


def _key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def open_session(conn: sa.Connection, *, reviewer: str, token: str, now: dt.datetime) -> str:
    """Record a new session for a reviewer who proved `token`; the secret for the cookie."""
    secret = secrets.token_urlsafe(32)
    conn.execute(T.insert().values(id=_key(secret), reviewer=reviewer, token_sha256=auth.digest(token).hex(),
                                   created_at=clock.iso(now), last_seen_at=clock.iso(now)))
    return secret


def check(conn: sa.Connection, *, secret: str, tokens: auth.TokenStore, now: dt.datetime,
          idle: dt.timedelta) -> Alive | str:
    """The live session for this secret, or why it is over (`ended`, `idle`, `token_revoked`, `unknown`)."""
    row = conn.execute(sa.select(T).where(T.c.id == _key(secret))).first()
    if row is None:
        return "unknown"
    if row.ended_at is not None:
        return "ended"
    last = dt.datetime.fromisoformat(row.last_seen_at)
    if now - last > idle:
        return "idle"
    caller = tokens.by_digest(bytes.fromhex(row.token_sha256))
    if caller is None or caller.role != REVIEWER or caller.name != row.reviewer:
        return "token_revoked"
    return Alive(row.reviewer, touch=(now - last).total_seconds() >= TOUCH_SECONDS)


def touch(conn: sa.Connection, *, secret: str, now: dt.datetime) -> None:
    """Note that the session was used (restarts its idle timer)."""
    conn.execute(T.update().where(T.c.id == _key(secret), T.c.ended_at.is_(None)).values(last_seen_at=clock.iso(now)))


def end(conn: sa.Connection, *, secret: str, now: dt.datetime, why: str) -> None:
    """End a session for good (sign-out, idle, a revoked token)."""
    conn.execute(T.update().where(T.c.id == _key(secret), T.c.ended_at.is_(None))
                 .values(ended_at=clock.iso(now), ended_why=why))
