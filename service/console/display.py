"""How the console writes things for people: times, ages, tenge, values, names, masked IINs.

Presentation only; nothing here reads the database or decides anything.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from engine import model
from service import offers
from service.console import i18n

_IIN_LIKE = re.compile(r"\b\d{12}\b")


def mask_iins(value: str) -> str:
    """Any twelve-digit number in a text masked like an IIN (defence in depth for free text)."""
    return _IIN_LIKE.sub(lambda m: model.mask_iin(m.group(0)), value)


def when(stored: str | None) -> str:
    """A stored UTC instant as people read it: `2026-03-01 09:00 UTC`."""
    if not stored:
        return "—"
    try:
        moment = dt.datetime.fromisoformat(stored)
    except ValueError:
        return stored
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def age_text(lang: str, seconds: float) -> str:
    """How long a case has waited, in days and hours (or hours and minutes)."""
    minutes = max(0, int(seconds // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return i18n.text(lang, "age_days", d=days, h=hours)
    if hours:
        return i18n.text(lang, "age_hours", h=hours, m=mins)
    return i18n.text(lang, "age_minutes", m=mins)


def money(amount: object) -> str:
    """Tenge as people read them (`86 673`), or a dash."""
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        return "—"
    return offers.tenge(int(amount))


def scalar(lang: str, value: object) -> str:
    """An indicator or condition value in words (yes/no, numbers without noise)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return i18n.text(lang, "yes" if value else "no")
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return mask_iins(str(value))



def age_seconds(review: Mapping[str, Any], now: dt.datetime) -> float:
    """How long ago a review was opened, in seconds."""
    return (now - dt.datetime.fromisoformat(review["created_at"])).total_seconds()


def benefit_name(
    names: Mapping[str, Mapping[str, str]], benefit: str, lang: str, review: Mapping[str, Any] | None = None
) -> str:
    """A benefit's name from the rules, else from the decision under review, else its id."""
    found = names.get(benefit)
    if found is None and review is not None:
        found = review["proposed"].get("decision", {}).get("name")
    return i18n.localised(found, lang) or benefit


