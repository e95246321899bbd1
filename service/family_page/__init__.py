"""The family's own page: server-rendered pages under `/family`, beside the caseworkers' console.

The Constitution (art. 18(3)) lets citizens read the decisions concerning their rights, and the
Law "On State Services" lets them appeal decisions and inaction (reference §6.3-6.4). A member
signs in with a simulated eGov sign-in (IIN, then a one-time code through the SMS outbox) and sees
what the family receives and why, open offers (answered through the very intake use case an SMS
reply to 1414 goes through), cases waiting for a caseworker with their deadlines, the history of
decisions, appeals with the caseworker's answers, and who looked at the family's data.

Wire it with `family_page.install(app)`; see service/README.md for the routes.
"""

from __future__ import annotations

from fastapi import FastAPI

from service.console.settings import ConsoleSettings
from service.family_page import pages, routes
from service.family_page.settings import FamilyPageSettings


def install(
    app: FastAPI,
    settings: FamilyPageSettings | None = None,
    console: ConsoleSettings | None = None,
    *,
    development: bool = True,
) -> None:
    """Mount the family page's routes on `app` (settings default to the environment)."""
    app.state.family_page = pages.FamilyPage(settings or FamilyPageSettings(), console, development=development)
    app.include_router(routes.router)
