"""The caseworkers' web console: server-rendered pages under `/console` for the human-review queue.

The human-review flag only protects people if a caseworker can see, understand and resolve each
case quickly. These pages are served by the same application as the API, read the same
repositories, and resolve cases with the same use case and audit entries as
`POST /v1/reviews/{id}/resolution`. No build step and nothing loaded from outside: Jinja2
templates, one stylesheet, no script. See service/console/README.md.

Wire it into an application with `console.install(app)` (or include `routes.router`; the settings
are then read from the environment on first use).
"""

from __future__ import annotations

from fastapi import FastAPI

from service.console import pages, routes
from service.console.settings import ConsoleSettings


def install(app: FastAPI, settings: ConsoleSettings | None = None) -> None:
    """Mount the console's routes on `app`, with these settings (default: from the environment)."""
    app.state.console = pages.Console(settings or ConsoleSettings())
    app.include_router(routes.router)
