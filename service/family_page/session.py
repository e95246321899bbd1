"""The family page's session: a signed cookie naming the family and the member who signed in.

Like the console's (see `service.console.session`): signed and timed with itsdangerous, HttpOnly,
SameSite=Strict, path `/family`, a CSRF token checked on every POST. Before sign-in it may hold
the id of the code sent (never the code, never the IIN). After sign-in it holds the family id and
the member's masked IIN, nothing a reader of the cookie could use.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "fc_family"
PATH = "/family"
SALT = "familycard.family.session.v1"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


@dataclass(frozen=True)
class Session:
    """What the cookie says."""

    csrf: str
    lang: str
    code_id: str | None = None  # the code sent, awaiting entry
    family_id: str | None = None
    member: str | None = None  # the masked IIN of the member who signed in
    signed_in_at: float | None = None
    notice: str | None = None

    @property
    def signed_in(self) -> bool:
        """Whether a member proved a code with this session."""
        return self.family_id is not None

    def as_dict(self) -> dict[str, Any]:
        """The signed payload."""
        return {
            "c": self.csrf,
            "l": self.lang,
            "k": self.code_id,
            "f": self.family_id,
            "m": self.member,
            "t": self.signed_in_at,
            "n": self.notice,
        }


def anonymous(lang: str) -> Session:
    """A session for a visitor who has not signed in."""
    return Session(csrf=secrets.token_urlsafe(32), lang=lang)


def signed_in(family_id: str, member: str, lang: str) -> Session:
    """A fresh session (new CSRF token) for a member who has just entered a valid code."""
    return Session(
        csrf=secrets.token_urlsafe(32), lang=lang, family_id=family_id, member=member, signed_in_at=time.time()
    )


def with_(s: Session, **changes: Any) -> Session:
    """The same session with some fields changed."""
    return replace(s, **changes)


class Sessions:
    """Signs, reads and writes the family page's cookies."""

    def __init__(self, secret: str, *, minutes: int, secure: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=SALT)
        self.seconds = minutes * 60
        self.secure_policy = secure

    def read(self, request: Request) -> Session | None:
        """The request's valid session, or None (no cookie, forged, altered, or idle too long)."""
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            d = self._serializer.loads(raw, max_age=self.seconds)
            return Session(
                csrf=str(d["c"]),
                lang=str(d["l"]),
                code_id=d["k"],
                family_id=d["f"],
                member=d["m"],
                signed_in_at=d["t"],
                notice=d["n"],
            )
        except (BadData, KeyError, TypeError):
            return None

    def write(self, response: Response, request: Request, s: Session) -> None:
        """Set the cookie (re-signed: the idle timer restarts)."""
        response.set_cookie(
            COOKIE,
            self._serializer.dumps(s.as_dict()),
            max_age=self.seconds,
            path=PATH,
            httponly=True,
            samesite="strict",
            secure=self._secure(request),
        )

    def _secure(self, request: Request) -> bool:
        if self.secure_policy != "auto":
            return self.secure_policy == "always"
        return not (request.url.scheme == "http" and (request.url.hostname or "") in LOCAL_HOSTS)


def csrf_ok(s: Session | None, presented: str | None) -> bool:
    """Whether a form's CSRF token matches its session's, compared in constant time."""
    if s is None or not presented:
        return False
    return hmac.compare_digest(s.csrf.encode("utf-8"), presented.encode("utf-8"))
