"""Plain language for families: amounts, numbers and dates as each language writes them.

The rule files hold the sentences (written by analysts, checked by the linter); this module only
fills their `{name}` placeholders with values written the way a reader of that language expects
("69 330 ₸", "16,03", "1 января 2026 г.", "2026 жылғы 1 қаңтар") and counts working days for the
dates a family is promised. No identifier, operator or Python literal ever comes out of here.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Lang = Literal["kk", "ru", "en"]
LANGS: tuple[Lang, Lang, Lang] = ("kk", "ru", "en")

MONTHS_RU = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
MONTHS_KK = (
    "қаңтар",
    "ақпан",
    "наурыз",
    "сәуір",
    "мамыр",
    "маусым",
    "шілде",
    "тамыз",
    "қыркүйек",
    "қазан",
    "қараша",
    "желтоқсан",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
CURRENCY = "₸"


def date_text(when: dt.date, lang: Lang) -> str:
    """A date as the language writes it in running text."""
    if lang == "ru":
        return f"{when.day} {MONTHS_RU[when.month - 1]} {when.year} г."
    if lang == "kk":
        return f"{when.year} жылғы {when.day} {MONTHS_KK[when.month - 1]}"
    return f"{when.day} {MONTHS_EN[when.month - 1]} {when.year}"


def _grouped(whole: int, sep: str) -> str:
    return f"{whole:,}".replace(",", sep)


def number_text(value: Decimal | int | float, lang: Lang) -> str:
    """A number: thousands grouped, a decimal comma in kk and ru, at most two decimals, no trailing zeros."""
    d = Decimal(str(value)) if not isinstance(value, Decimal) else value
    d = d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if d < 0 else ""
    d = abs(d)
    whole = int(d)
    frac = str(d - whole)[2:].rstrip("0") if d != whole else ""
    sep, point = (",", ".") if lang == "en" else (" ", ",")
    text = _grouped(whole, sep)
    return f"{sign}{text}{point}{frac}" if frac else f"{sign}{text}"


def money_text(value: Decimal | int | float, lang: Lang) -> str:
    """An amount in tenge: "69 330 ₸" (kk, ru), "69,330 ₸" (en)."""
    return f"{number_text(value, lang)} {CURRENCY}"


def share_text(value: Decimal | int | float, lang: Lang) -> str:
    """A share as a percentage: "70 %" in kk and ru, "70%" in English."""
    pct = number_text(Decimal(str(value)) * 100, lang)
    return f"{pct}%" if lang == "en" else f"{pct} %"


def value_text(value: object, unit: str, lang: Lang) -> str:
    """A placeholder's value written for a family, by its unit (KZT, share, anything else a number)."""
    if value is None:
        return {"kk": "белгісіз", "ru": "нет данных", "en": "unknown"}[lang]
    if isinstance(value, bool):  # the linter refuses yes/no placeholders; never print True/False
        return {"kk": ("иә", "жоқ"), "ru": ("да", "нет"), "en": ("yes", "no")}[lang][0 if value else 1]
    if isinstance(value, int | float | Decimal):
        if unit == "KZT":
            return money_text(value, lang)
        if unit == "share":
            return share_text(value, lang)
        return number_text(value, lang)
    return str(value)


def lower_first(text: str) -> str:
    """The sentence with its first letter lower-cased after a colon, unless it starts an abbreviation (МРП)."""
    if len(text) >= 2 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days (Monday to Friday) after `start`.

    Public holidays are not counted out: no holiday calendar is loaded, so a promised date may be
    a day or two early, never late for the family.
    """
    when = start
    left = days
    while left > 0:
        when += dt.timedelta(days=1)
        if when.weekday() < 5:
            left -= 1
    return when
