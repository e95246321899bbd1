"""Rendering the console's pages: the Jinja2 environment, the per-language context, safe headers.

Templates are autoescaped and strict (an undefined name is an error, not a blank). Every printed
value also passes through an IIN mask, so a twelve-digit number that reached a page by some path
the view modules did not foresee is still shown masked. Pages carry a Content-Security-Policy that allows
only the console's own stylesheet (no script, no outside fonts), and are never cached.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
import markupsafe
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from service.console import display, i18n, session
from service.console.settings import ConsoleSettings

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
PREFIX = "/console"

HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _finalize(value: Any) -> Any:
    """Applied to every printed expression: mask anything shaped like an IIN (keeping markup markup)."""
    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(display.mask_iins(str(value)))
    return display.mask_iins(value) if isinstance(value, str) else value


def environment() -> jinja2.Environment:
    """The templates' environment: autoescaped, strict, IIN-masking."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
        finalize=_finalize, trim_blocks=True, lstrip_blocks=True,
    )


class Console:
    """The console's state in one application: settings, cookie signer, templates."""

    def __init__(self, settings: ConsoleSettings) -> None:
        self.settings = settings
        self.env = environment()

    @functools.cached_property
    def sessions(self) -> session.Sessions:
        """The cookie signer, made on first use (so building an app reads no secret yet)."""
        return session.Sessions(self.settings)

    def render(
        self, request: Request, s: session.Session, template: str, *, status: int = 200,
        path: str | None = None, **context: Any,
    ) -> HTMLResponse:
        """A page in the session's language; the session cookie is re-signed and its notice consumed."""
        lang = s.lang
        page = self.env.get_template(template).render(
            lang=lang, t=functools.partial(i18n.text, lang), code=functools.partial(i18n.code, lang),
            period=functools.partial(i18n.period, lang), csrf=s.csrf, reviewer=s.reviewer,
            languages=_language_links(request, path or request.url.path),
            notice=_notice_text(lang, s.notice), prefix=PREFIX, **context,
        )
        response = HTMLResponse(page, status_code=status, headers=HEADERS)
        self.sessions.write(response, request, session.with_notice(s, None))
        return response

    def redirect(self, request: Request, to: str, s: session.Session | None) -> RedirectResponse:
        """303 See Other (a POST's answer becomes a GET), carrying the session if there is one."""
        response = RedirectResponse(to, status_code=303, headers={"Cache-Control": "no-store"})
        if s is not None:
            self.sessions.write(response, request, s)
        return response


def get(request: Request) -> Console:
    """The application's console state, built on first use from the environment if not installed."""
    found: Console | None = getattr(request.app.state, "console", None)
    if found is None:
        found = Console(ConsoleSettings())
        request.app.state.console = found
    return found


def _language_links(request: Request, path: str) -> list[tuple[str, str, str]]:
    """(code, name, url) for each language: this page with `lang` replaced."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return [(code, i18n.LANG_NAMES[code], f"{path}?{urlencode([*kept, ('lang', code)])}") for code in i18n.LANGS]


def _notice_text(lang: str, notice: Mapping[str, Any] | None) -> str | None:
    """The one-shot notice in words."""
    if not notice:
        return None
    params = dict(notice.get("params") or {})
    if "status" in params:
        params["status"] = i18n.code(lang, "review", str(params["status"]))
    try:
        return i18n.text(lang, str(notice["key"]), **params)
    except (KeyError, IndexError):
        return None
