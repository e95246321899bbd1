"""The console in Kazakh, Russian and English: a complete catalogue and a remembered switch."""

from __future__ import annotations

import re
import string
from pathlib import Path

from fastapi.testclient import TestClient

from service.console import i18n
from tests.console.conftest import make_case, sign_in

TEMPLATES = Path(__file__).resolve().parents[2] / "service" / "console" / "templates"


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_string_exists_in_kazakh_russian_and_english_with_the_same_placeholders() -> None:
    for key, texts in i18n.catalogue().items():
        assert len(texts) == len(i18n.LANGS) and all(t.strip() for t in texts), key
        assert len({frozenset(_placeholders(t)) for t in texts}) == 1, f"{key}: placeholders differ"


def test_every_string_a_template_asks_for_is_in_the_catalogue() -> None:
    asked = set()
    for path in TEMPLATES.glob("*.html"):
        asked |= set(re.findall(r"\bt\('([a-z_]+)'", path.read_text(encoding="utf-8")))
    assert asked and not asked - set(i18n.catalogue())


def test_the_language_comes_from_the_switch_then_the_session_then_the_browser() -> None:
    assert i18n.negotiate("ru", "en", "en-US") == "ru"
    assert i18n.negotiate("fr", "en", "ru") == "en"
    assert i18n.negotiate(None, None, "de-DE, ru;q=0.8, en;q=0.5") == "ru"
    assert i18n.negotiate(None, None, "de-DE") == "kk"
    assert i18n.negotiate(None, None, None) == "kk"


def test_the_language_switch_changes_the_strings_and_is_remembered(client: TestClient) -> None:
    make_case(client, "FAM-LANG")
    sign_in(client)
    russian = client.get("/console/reviews?lang=ru").text
    assert '<html lang="ru">' in russian and "Дела, ожидающие проверки" in russian
    assert "Пособие многодетной семье" in russian  # the benefit's name comes from the rule file
    remembered = client.get("/console/reviews").text
    assert '<html lang="ru">' in remembered and "Прекращение" in remembered
    kazakh = client.get("/console/reviews?lang=kk").text
    assert '<html lang="kk">' in kazakh and "Тексеруді күтіп тұрған істер" in kazakh
    assert "Көпбалалы отбасыға берілетін жәрдемақы" in kazakh and "Тоқтату" in kazakh
    english = client.get("/console/reviews?lang=en").text
    assert "Cases waiting for review" in english and "Дела, ожидающие проверки" not in english


def test_the_language_links_keep_the_filters_and_mark_the_current_language(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/console/reviews?region=KZ-75&lang=en").text
    assert 'href="/console/reviews?region=KZ-75&amp;lang=kk" lang="kk" hreflang="kk"' in page
    assert 'lang="en" hreflang="en" aria-current="true"' in page


def test_an_unknown_code_is_shown_as_itself_rather_than_hidden() -> None:
    assert i18n.code("ru", "reason", "new_reason_from_an_analyst") == "new_reason_from_an_analyst"
    assert i18n.code("kk", "region", "KZ-71") == "Астана"
    assert i18n.localised({"kk": "а", "ru": "б", "en": "c"}, "ru") == "б"
