"""The console's session: a signed cookie naming the reviewer, with a CSRF token and the language.

A reviewer signs in once with their bearer token; the token itself is never put in the cookie or
the page. The cookie holds only the token's name (the reviewer's identity in the audit log), the
secret naming its server-side session (`server_sessions`: sign-out, a removed or rotated token and
the idle limit end that for good), a random CSRF token, the chosen language and a one-shot
notice, signed with itsdangerous so it
cannot be forged or altered, and timed: it dies after `idle_minutes` without a page view and
`max_session_hours` after sign-in in any case. It is HttpOnly, SameSite=Strict, path `/console`,
and Secure except on plain-http localhost (configurable).

Every form carries the CSRF token (the synchronizer pattern): a POST whose token is missing or
differs from the session's is refused. A visitor who has not signed in gets an anonymous session,
so the sign-in form is protected the same way.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, field, replace
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from service.console.settings import ConsoleSettings

COOKIE = "fc_console"
PATH = "/console"
SALT = "familycard.console.session.v1"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


@dataclass(frozen=True)
class Session:
    """What the cookie says: who (None before sign-in), the CSRF token, language, a pending notice."""

    csrf: str
    lang: str
    reviewer: str | None = None
    signed_in_at: float | None = None
    notice: dict[str, Any] | None = field(default=None)
    sid: str | None = None  # the secret naming the server-side session (see `server_sessions`)

    @property
    def signed_in(self) -> bool:
        """Whether a reviewer signed in with this session."""
        return self.reviewer is not None

    def as_dict(self) -> dict[str, Any]:
        """The signed payload."""
        return {"c": self.csrf, "l": self.lang, "r": self.reviewer, "t": self.signed_in_at, "n": self.notice,
                "s": self.sid}


def new_csrf() -> str:
    """A fresh, unguessable CSRF token."""
    return secrets.token_urlsafe(32)


def anonymous(lang: str) -> Session:
    """A session for a visitor who has not signed in yet."""
    return Session(csrf=new_csrf(), lang=lang)


def signed_in(reviewer: str, lang: str, now: float | None = None, sid: str | None = None) -> Session:
    """A new session for a reviewer who has just proved their token (fresh CSRF token)."""
    return Session(csrf=new_csrf(), lang=lang, reviewer=reviewer, signed_in_at=now if now is not None else time.time(),
                   sid=sid)


def with_lang(s: Session, lang: str) -> Session:
    """The same session in another language."""
    return replace(s, lang=lang)


def with_notice(s: Session, notice: dict[str, Any] | None) -> Session:
    """The same session carrying (or no longer carrying) a one-shot notice for the next page."""
    return replace(s, notice=notice)


class Sessions:
    """Signs, reads and writes session cookies with one secret and one policy."""

    def __init__(self, settings: ConsoleSettings) -> None:
        self.settings = settings
        self._serializer = URLSafeTimedSerializer(settings.signing_secret(), salt=SALT)
        self.idle_seconds = settings.idle_minutes * 60
        self.max_seconds = settings.max_session_hours * 3600

    def read(self, request: Request) -> Session | None:
        """The request's valid session, or None (no cookie, forged, altered, idle or too old)."""
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data = self._serializer.loads(raw, max_age=self.idle_seconds)
        except BadData:
            return None
        try:
            found = Session(csrf=str(data["c"]), lang=str(data["l"]), reviewer=data["r"],
                            signed_in_at=data["t"], notice=data["n"], sid=data.get("s"))
        except (KeyError, TypeError):
            return None
        if found.reviewer is not None and (
            found.signed_in_at is None or time.time() - float(found.signed_in_at) > self.max_seconds
        ):
            return None
        return found

    def write(self, response: Response, request: Request, s: Session) -> None:
        """Set the cookie (re-signed, so an active reviewer's idle timer restarts)."""
        response.set_cookie(
            COOKIE, self._serializer.dumps(s.as_dict()), max_age=self.idle_seconds, path=PATH,
            httponly=True, samesite="strict", secure=self.secure(request),
        )

    def clear(self, response: Response, request: Request) -> None:
        """Remove the cookie."""
        response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="strict", secure=self.secure(request))

    def secure(self, request: Request) -> bool:
        """Whether the cookie must be Secure: always, never, or unless plain http to localhost."""
        policy = self.settings.secure_cookie
        if policy != "auto":
            return policy == "always"
        return not (request.url.scheme == "http" and (request.url.hostname or "") in LOCAL_HOSTS)


def csrf_ok(s: Session | None, presented: str | None) -> bool:
    """Whether a form's CSRF token matches its session's, compared in constant time."""
    if s is None or not presented:
        return False
    return hmac.compare_digest(s.csrf.encode("utf-8"), presented.encode("utf-8"))
