"""Rendering the family's pages: templates, the per-language context, and the console's safe headers.

The same standards as the caseworkers' console (`service.console.pages`): autoescaped strict
templates, every printed value passed through the IIN mask, a Content-Security-Policy allowing only
the service's own stylesheet (the console's, served at `/console/static`), no script, no caching.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from engine import plain
from service.console import pages as console_pages
from service.console.settings import ConsoleSettings
from service.family_page import session, texts
from service.family_page.settings import FamilyPageSettings

PREFIX = "/family"
TEMPLATES = Path(__file__).resolve().parent / "templates"


class FamilyPage:
    """The family page's state in one application: settings, secret, cookie signer, templates."""

    def __init__(
        self, settings: FamilyPageSettings, console: ConsoleSettings | None = None, *, development: bool
    ) -> None:
        self.settings = settings
        # The console's settings (its secret, its cookie policy): given, or taken from the application's
        # console on the first request, so both sections sign with one secret.
        self.console = console
        self.print_codes = development if settings.print_codes is None else settings.print_codes
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            finalize=console_pages._finalize,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    @functools.cached_property
    def secret(self) -> str:
        """The signing secret (the console's), read on first use."""
        assert self.console is not None, "FamilyPage.console is set by `get` before first use"
        return self.console.signing_secret()

    @functools.cached_property
    def sessions(self) -> session.Sessions:
        """The cookie signer, made on first use."""
        secure = self.console.secure_cookie if self.console is not None else "auto"
        return session.Sessions(self.secret, minutes=self.settings.session_minutes, secure=secure)

    def render(
        self, request: Request, s: session.Session, template: str, *, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """A page in the session's language; the cookie is re-signed and its notice consumed."""
        lang = s.lang
        page = self.env.get_template(template).render(
            lang=lang,
            t=functools.partial(texts.text, lang),
            csrf=s.csrf,
            member=s.member,
            family_id=s.family_id,
            languages=[(c, texts.LANG_NAMES[c], f"{request.url.path}?{urlencode({'lang': c})}") for c in texts.LANGS],
            notice=_notice(lang, s.notice),
            prefix=PREFIX,
            **context,
        )
        response = HTMLResponse(page, status_code=status, headers=console_pages.HEADERS)
        self.sessions.write(response, request, session.with_(s, notice=None))
        return response

    def redirect(self, request: Request, to: str, s: session.Session) -> RedirectResponse:
        """303 See Other, carrying the session."""
        response = RedirectResponse(to, status_code=303, headers={"Cache-Control": "no-store"})
        self.sessions.write(response, request, s)
        return response


def _notice(lang: str, notice: str | None) -> str | None:
    if not notice:
        return None
    key, _, param = notice.partition(":")
    if key == "appeal_filed" and param:
        return texts.text(lang, key, due=plain.date_text(dt.date.fromisoformat(param), cast(plain.Lang, lang)))
    return texts.text(lang, key)


def get(request: Request) -> FamilyPage:
    """The application's family-page state, built on first use from the environment if not installed."""
    found: FamilyPage | None = getattr(request.app.state, "family_page", None)
    if found is None:
        found = FamilyPage(FamilyPageSettings(), development=True)
        request.app.state.family_page = found
    if found.console is None:
        console = getattr(request.app.state, "console", None)
        found.console = console.settings if console is not None else ConsoleSettings()
    return found
