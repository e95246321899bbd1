"""Plain words for what time did to a family's decisions, in Kazakh, Russian and English.

When a birthday, the end of a window or 1 January moves a decision, the family and the
caseworker are told why in a sentence, with dates as people write them ("15 июня 2026 г.",
"2026 жылғы 15 маусым", "15 June 2026") and no identifiers: the technical trace keeps those.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from engine.clocks import Moment
from engine.decision import Texts

_RU_MONTHS = (
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
_KK_MONTHS = (
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
# The month in the locative ("on": маусымда) and the ablative ("from": маусымнан), as Kazakh writes dates.
_KK_ON = (
    "қаңтарда",
    "ақпанда",
    "наурызда",
    "сәуірде",
    "мамырда",
    "маусымда",
    "шілдеде",
    "тамызда",
    "қыркүйекте",
    "қазанда",
    "қарашада",
    "желтоқсанда",
)
_KK_FROM = (
    "қаңтардан",
    "ақпаннан",
    "наурыздан",
    "сәуірден",
    "мамырдан",
    "маусымнан",
    "шілдеден",
    "тамыздан",
    "қыркүйектен",
    "қазаннан",
    "қарашадан",
    "желтоқсаннан",
)
_EN_MONTHS = (
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


def date_kk(d: dt.date) -> str:
    """'2026 жылғы 15 маусым'."""
    return f"{d.year} жылғы {d.day} {_KK_MONTHS[d.month - 1]}"


def date_kk_on(d: dt.date) -> str:
    """'2026 жылғы 15 маусымда' (on that day)."""
    return f"{d.year} жылғы {d.day} {_KK_ON[d.month - 1]}"


def date_kk_from(d: dt.date) -> str:
    """'2026 жылғы 15 маусымнан' (from that day)."""
    return f"{d.year} жылғы {d.day} {_KK_FROM[d.month - 1]}"


def date_ru(d: dt.date) -> str:
    """'15 июня 2026 г.'."""
    return f"{d.day} {_RU_MONTHS[d.month - 1]} {d.year} г."


def date_en(d: dt.date) -> str:
    """'15 June 2026'."""
    return f"{d.day} {_EN_MONTHS[d.month - 1]} {d.year}"


def tenge(amount: int) -> str:
    """'69 330 ₸' (a narrow no-break space between the groups, as both languages write it)."""
    return f"{amount:,}".replace(",", "\u202f") + " ₸"


def _years(months: int) -> str:
    value = Decimal(months) / 12
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text


def _ru_years(months: int) -> str:
    text = _years(months)
    if months % 12:
        return f"{text.replace('.', ',')} года"
    n = months // 12
    if n % 10 == 1 and n % 100 != 11:
        return f"{n} год"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return f"{n} года"
    return f"{n} лет"


def _who(relation: str | None) -> tuple[str, str, str]:
    """(kk, ru dative, en) for the member whose birthday it was."""
    if relation in ("child", "stepchild", "ward"):
        return "балаға", "ребёнку", "the child"
    return "отбасы мүшесіне", "члену семьи", "the family member"


def moment(m: Moment) -> Texts:
    """One thing time did, as a sentence."""
    if m.kind == "epoch":
        return Texts(
            kk=f"{date_kk_from(m.day)} бастап заңмен белгіленген жаңа мөлшерлер мен ережелер күшіне енді",
            ru=f"с {date_ru(m.day)} вступили в силу новые размеры и правила, установленные законом",
            en=f"new rates and rules set by law took effect on {date_en(m.day)}",
        )
    assert m.anchor is not None
    if m.kind == "birth":
        kk_who, ru_who, en_who = _who(m.relation)
        if m.months == 0:
            return Texts(
                kk=f"{date_kk_on(m.day)} бала туды",
                ru=f"{date_ru(m.day)} родился ребёнок",
                en=f"a child was born on {date_en(m.day)}",
            )
        years = _years(m.months)
        return Texts(
            kk=f"{date_kk_on(m.anchor)} туған {kk_who} {date_kk_on(m.day)} {years.replace('.', ',')} жас толды",
            ru=f"{ru_who}, родившемуся {date_ru(m.anchor)}, {date_ru(m.day)} исполнилось {_ru_years(m.months)}",
            en=f"{en_who} born on {date_en(m.anchor)} turned {years} on {date_en(m.day)}",
        )
    what_kk, what_ru, what_en = (
        ("қайтыс болған күннен", "со дня смерти", "the death")
        if m.kind == "death"
        else ("жұмыстан айырылған күннен", "со дня потери работы", "the job loss")
    )
    if m.months == 0:
        return Texts(
            kk=f"{date_kk(m.anchor)}: {what_kk} бастап есеп басталды",
            ru=f"{date_ru(m.anchor)}: дата {what_ru.removeprefix('со дня ')}",
            en=f"{what_en} on {date_en(m.anchor)}",
        )
    return Texts(
        kk=f"{date_kk(m.anchor)} {what_kk} бастап {date_kk_on(m.day)} {m.months} ай өтті",
        ru=f"{date_ru(m.day)} истекло {m.months} мес. {what_ru} {date_ru(m.anchor)}",
        en=f"{m.months} months had passed on {date_en(m.day)} since {what_en} on {date_en(m.anchor)}",
    )


def why(moments: list[Moment]) -> Texts | None:
    """The sentences of every moment, joined; None when nothing happened."""
    if not moments:
        return None
    parts = [moment(m) for m in moments]
    return Texts(
        kk="; ".join(p.kk for p in parts), ru="; ".join(p.ru for p in parts), en="; ".join(p.en for p in parts)
    )


def amount_change(*, name: Texts, amount_kzt: int, effective: dt.date, because: Texts | None) -> Texts:
    """The SMS telling a family its payment went up, the new amount and the day it applies from."""
    tail_kk = f" Себебі: {because.kk}." if because else ""
    tail_ru = f" Причина: {because.ru}." if because else ""
    tail_en = f" Why: {because.en}." if because else ""
    return Texts(
        kk=f"1414: «{name.kk}» мөлшері {date_kk_from(effective)} бастап {tenge(amount_kzt)} болды.{tail_kk} "
        "Ештеңе істеудің қажеті жоқ.",
        ru=f"1414: размер выплаты «{name.ru}» с {date_ru(effective)} составляет {tenge(amount_kzt)}.{tail_ru} "
        "Ничего делать не нужно.",
        en=f"1414: '{name.en}' is {tenge(amount_kzt)} from {date_en(effective)}.{tail_en} Nothing to do.",
    )
